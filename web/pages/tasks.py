"""The inbox: my open tasks grouped by module and entity, decided one by one or approved in bulk."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.approvals.service import Approvals
from engine.errors import BadRequest, Conflict, NotFound, PermissionDenied
from engine.records.service import Records
from engine.workflow import DECISIONS
from web.pages.assignment import assignment_panel
from web.pages.auth import safe_next
from web.pages.blueprint import pages
from web.pages.records.approval_parts import allows_return
from web.ui.display import Formatter, format_moment, status_tone
from web.ui.error_text import engine_error_text
from web.ui.i18n import t
from web.ui.layout import Chrome, navigation, render
from web.ui.services import approvals, formatter

SUMMARY_FIELDS = 4
TASK_FAILURES = (Conflict, BadRequest, PermissionDenied, NotFound)


@dataclass
class InboxTask:
    id: str
    title: str
    record_title: str
    record_url: str
    status: str
    status_label: str
    since: str
    due: str
    allows_return: bool
    summary: list[tuple[str, str]] = field(default_factory=list)
    on_behalf_of: str = ""   # the colleague whose delegation offers me the task: 代 X 审批


@dataclass
class InboxGroup:
    key: str
    module_title: str
    entity_title: str
    list_url: str
    tasks: list[InboxTask] = field(default_factory=list)


def inbox_groups(records: Records, inbox: list[dict[str, Any]]) -> list[InboxGroup]:
    """Tasks grouped by entity, each with its record's title and a few of its list columns."""
    groups: dict[str, InboxGroup] = {}
    formatters: dict[str, Formatter] = {}
    for task in inbox:
        key = f"{task['module']}.{task['entity']}"
        entity = records.entity(task["module"], task["entity"])
        if key not in groups:
            groups[key] = InboxGroup(key, records.modules[task["module"]].title.get(records.language),
                                     entity.title.get(records.language),
                                     url_for("pages.record_list", module=task["module"], entity=task["entity"]))
            summaries = [t_["record"]["summary"] for t_ in inbox
                         if t_["module"] == task["module"] and t_["entity"] == task["entity"] and "record" in t_]
            formatters[key] = formatter(records, entity, summaries)
        fmt = formatters[key]
        record = task.get("record") or {}
        summary = record.get("summary") or {}
        shown = [(name, value) for name, value in summary.items() if name != entity.title_field
                 and name in entity.fields][:SUMMARY_FIELDS]
        groups[key].tasks.append(InboxTask(
            id=task["id"], title=task["title"], record_title=str(record.get("title") or task["record_id"]),
            record_url=url_for("pages.record_view", module=task["module"], entity=task["entity"],
                               record_id=task["record_id"]),
            status=str(record.get("status", "")), status_label=fmt.status(record.get("status")),
            since=format_moment(task.get("created_at")), due=format_moment(task.get("due_at")) if task.get("due_at")
            else "", allows_return=allows_return(entity, task["bpmn_id"]),
            summary=[(entity.fields[name].label.get(records.language), fmt.value(entity.fields[name], value))
                     for name, value in shown], on_behalf_of=task.get("on_behalf_of") or "",
        ))
    return list(groups.values())


@pages.get("/tasks")
def task_inbox() -> Response:
    with approvals() as service:
        inbox = service.inbox()
        return render(service, "pages/tasks.html", chrome=Chrome(navigation(service.records), len(inbox)),
                      groups=inbox_groups(service.records, inbox), count=len(inbox), status_tone=status_tone,
                      panel=assignment_panel(service))


def _decided(step: Callable[[Approvals], Any], done: str) -> Response:
    target = safe_next(request.form.get("next") or url_for("pages.task_inbox"))
    try:
        with approvals() as service:
            step(service)
    except TASK_FAILURES as error:
        flash(t("form.conflict", message=engine_error_text(error)), "error")
        return redirect(target)
    flash(done, "ok")
    return redirect(target)


@pages.post("/tasks/<task_id>/complete")
def task_complete(task_id: str) -> Response:
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip()
    if decision not in DECISIONS:
        flash(t("error.400"), "error")
        return redirect(safe_next(request.form.get("next") or url_for("pages.task_inbox")))
    return _decided(lambda s: s.complete(task_id, decision, comment), t(f"tasks.done.{decision}"))


@pages.post("/tasks/<task_id>/claim")
def task_claim(task_id: str) -> Response:
    return _decided(lambda s: s.claim(task_id), t("tasks.claimed"))


@pages.post("/tasks/<task_id>/delegate")
def task_delegate(task_id: str) -> Response:
    to_user = request.form.get("to", "").strip()
    comment = request.form.get("comment", "").strip()
    return _decided(lambda s: s.delegate(task_id, to_user, comment), t("tasks.delegated", user=to_user))


@pages.post("/tasks/bulk")
def task_bulk() -> Response:
    """Approve each ticked task in its own transaction: one that fails does not undo the others."""
    chosen = list(dict.fromkeys(request.form.getlist("task")))
    comment = request.form.get("comment", "").strip()
    target = safe_next(request.form.get("next") or url_for("pages.task_inbox"))
    if not chosen:
        flash(t("tasks.bulk_none"), "error")
        return redirect(target)
    done, failures = 0, []
    for task_id in chosen:
        try:
            with approvals() as service:
                service.complete(task_id, "approve", comment)
            done += 1
        except TASK_FAILURES as error:
            failures.append(engine_error_text(error))
    if done:
        flash(t("tasks.bulk_done", done=done), "ok")
    if failures:
        flash(t("tasks.bulk_failed", failed=len(failures), reasons="; ".join(failures)), "error")
    return redirect(target)
