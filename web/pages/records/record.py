"""The record page (fields, status, approval trail, change history, actions) and its action posts."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.approvals import idioms
from engine.approvals.service import Approvals
from engine.approvals.trail import approval_of
from engine.declarations.model import Action, EntitySpec
from engine.errors import BadRequest, Conflict
from engine.records.service import Records
from web.pages.blueprint import pages
from web.pages.records.approval_parts import Posted, progress_of, task_panels
from web.pages.records.attachments import file_links
from web.ui.display import Formatter, as_decimal, format_moment, format_number, status_tone
from web.ui.error_text import engine_error_text
from web.ui.i18n import t
from web.ui.layout import Chrome, navigation, render
from web.ui.page_extensions import record_cards_of
from web.ui.preview import is_editable, shown_fields
from web.ui.services import approvals, formatter, record_title, users

TRAIL_ACTIONS = ("process.", "task.")
RESUBMITTABLE = frozenset({"draft", "returned", "withdrawn", "rejected"})


@dataclass
class Shown:
    """A field on the record page: text, or a table of texts."""

    name: str
    label: str
    kind: str
    text: str = ""
    tone: str = ""
    columns: list[tuple[str, str, bool]] = field(default_factory=list)   # name, label, is_numeric
    rows: list[list[str]] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    files: list[Any] = field(default_factory=list)     # attachment: FileLinks
    url: str = ""                                      # ref: the record it names, when the reader may open it


@dataclass
class Event:
    at: str
    actor: str
    text: str
    comment: str = ""
    tone: str = ""
    changes: list[str] = field(default_factory=list)


def shown_values(entity: EntitySpec, names: list[str], data: Mapping[str, Any], fmt: Formatter) -> list[Shown]:
    result = []
    for name in names:
        spec = entity.fields[name]
        item = Shown(name, spec.label.get(fmt.language), spec.type)
        value = data.get(name)
        if spec.type == "table":
            children = [(c, child) for c, child in spec.fields.items() if not child.hidden]
            item.columns = [(c, child.label.get(fmt.language), child.type in ("integer", "decimal", "money", "percent"))
                            for c, child in children]
            rows = value if isinstance(value, list) else []
            item.rows = [[fmt.value(child, row.get(c)) for c, child in children] for row in rows]
            for c, child in children:
                if child.type == "money" and child.is_computed:
                    amount = sum((as_decimal(r.get(c)) or Decimal(0) for r in rows), Decimal(0))
                    item.totals[c] = format_number(child, amount)
        else:
            item.text = fmt.value(spec, value)
            if spec.type == "ref" and isinstance(value, str) and value in fmt.places:
                module, target = fmt.places[value]
                item.url = url_for("pages.record_view", module=module, entity=target, record_id=value)
        result.append(item)
    return result


def _task_name(entity: EntitySpec, bpmn_id: str | None) -> str:
    if entity.workflow is None or entity.workflow.spec is None or not bpmn_id:
        return bpmn_id or ""
    meta = entity.workflow.spec.tasks.get(bpmn_id)
    return (meta.name or bpmn_id) if meta is not None else bpmn_id


def trail_event(entity: EntitySpec, entry: Mapping[str, Any], fmt: Formatter) -> Event:
    action, after = entry["action"], entry.get("after") or {}
    event = Event(format_moment(entry["at"]), fmt.user(entry["actor"]), entry.get("note") or action)
    task = _task_name(entity, after.get("task"))
    if action == "process.start":
        event.text, event.tone = fmt.t("trail.process.start"), "pending"
    elif action == "process.end":
        status = str(entry.get("note") or "").removeprefix("ended at ").strip()
        event.text, event.tone = fmt.t("trail.process.end", status=fmt.status(status)), status_tone(status)
    elif action == "process.withdraw":
        event.text, event.tone = fmt.t("trail.process.withdraw"), "neutral"
    elif action == "process.timer":
        event.text = fmt.t("trail.process.timer")
    elif action == "task.complete":
        decision = str(after.get("decision", ""))
        event.text = fmt.t("trail.task.complete", task=task, decision=fmt.t(f"decision.{decision}"))
        event.comment = str(after.get("comment") or "")
        event.tone = {"approve": "success", "reject": "danger", "return": "warning"}.get(decision, "")
    elif action == "task.claim":
        event.text = fmt.t("trail.task.claim", task=task)
    elif action == "task.delegate":
        event.text = fmt.t("trail.task.delegate", task=task, user=fmt.user(after.get("to")))
        event.comment = str(after.get("comment") or "")
    return event


def change_event(entity: EntitySpec, entry: Mapping[str, Any], fmt: Formatter) -> Event:
    action = entry["action"]
    before, after = entry.get("before") or {}, entry.get("after") or {}
    event = Event(format_moment(entry["at"]), fmt.user(entry["actor"]), action)
    if action == "record.status":
        status = str(after.get("status", ""))
        event.text, event.tone = fmt.t("history.record.status", status=fmt.status(status)), status_tone(status)
        return event
    key = f"history.{action}"
    event.text = fmt.t(key) if fmt.t(key) != key else action
    if action in ("record.update", "record.recompute", "record.effect", "record.network", "record.scan",
                  "record.migrate"):
        for name, spec in entity.fields.items():
            if before.get(name) == after.get(name) or spec.hidden or (name not in before and name not in after):
                continue
            label = spec.label.get(fmt.language)
            if spec.type == "table":
                event.changes.append(fmt.t("record.table_changed", field=label))
            else:
                event.changes.append(fmt.t("record.field_change", field=label,
                                           before=fmt.value(spec, before.get(name)) or fmt.t("value.empty"),
                                           after=fmt.value(spec, after.get(name)) or fmt.t("value.empty")))
    return event


@pages.get("/m/<module>/<entity>/<record_id>")
def record_view(module: str, entity: str, record_id: str) -> Response:
    with approvals() as service:
        return record_page(service, module, entity, record_id)


def record_page(service: Approvals, module: str, entity: str, record_id: str, *, posted: Posted | None = None,
                status: int = 200) -> Response:
    """The record page; `posted` is a refused decision, shown again in its task panel with its errors."""
    records = service.records
    spec = records.entity(module, entity)
    record = records.get(module, entity, record_id)
    history = records.history(module, entity, record_id)
    warnings = warning_lines(records, spec, record_id)
    access = records.access(spec)
    documents = [record["data"], *(e.get("before") or {} for e in history),
                 *(e.get("after") or {} for e in history)]
    fmt = formatter(records, spec, [d for d in documents if isinstance(d, dict)])
    inbox = service.inbox()
    me = service.actor.username
    tasks = task_panels(service, spec, record, inbox, fmt, posted)
    progress = progress_of(approval_of(records, module, entity, record_id), fmt) if spec.workflow else None
    state = record["status"]
    names = shown_fields(records, spec) if access.allows(Action.READ) else [  # copied to me (抄送): what I see
        name for name in spec.fields if name in record["data"] and not spec.fields[name].hidden]
    editable = is_editable(state)
    has_process = spec.workflow is not None
    actions = {
        "edit": access.allows(Action.UPDATE) and editable,
        "delete": access.allows(Action.DELETE) and editable,
        "submit": has_process and access.allows(Action.SUBMIT) and state in RESUBMITTABLE,
        "withdraw": has_process and state == "in_review" and (record["created_by"] == me
                                                               or service.actor.is_admin),
    }
    trail = [trail_event(spec, e, fmt) for e in history if e["action"].startswith(TRAIL_ACTIONS)]
    changes = [change_event(spec, e, fmt) for e in history if e["action"].startswith("record.")
               and e["action"] != "record.status"]
    delegates = [(login, f"{name} ({login})") for login, name, active in users(records.session)
                 if active and login != me]
    texts = [*shown_texts(spec, names, record["data"]), *(e.comment for e in trail if e.comment)]
    return render(
        service, "pages/record.html", code=status, chrome=Chrome(navigation(records), len(inbox)), progress=progress,
        module=records.modules[module], entity=spec, record=record, title=record_title(spec, record, fmt),
        fields=_with_files(records, spec, _named_sources(records, shown_values(spec, names, record["data"], fmt),
                                                         record["data"]), record),
        status_label=fmt.status(state), status_class=status_tone(state), actions=actions, tasks=tasks,
        trail=trail, changes=list(reversed(changes)), delegates=delegates, warnings=warnings,
        plugin_cards=record_cards_of(service, spec, record, texts),
        return_steps=idioms.returnable_steps(service, record_id) if state == "in_review" else [],  # 退回到
        can_remind=actions["withdraw"] or (has_process and state == "in_review" and service.actor.is_admin),
        created=t("record.created_by", user=fmt.user(record["created_by"]), at=format_moment(record["created_at"])),
        updated=t("record.updated_by", user=fmt.user(record["updated_by"]), at=format_moment(record["updated_at"])),
        list_url=url_for("pages.record_list", module=module, entity=entity),
        here=url_for("pages.record_view", module=module, entity=entity, record_id=record_id),
    )


def shown_texts(entity: EntitySpec, names: list[str], data: Mapping[str, Any]) -> list[str]:
    """The texts of the shown fields, their tables' text cells included: what a page extension may read."""
    found: list[str] = []
    for name in names:
        spec, value = entity.fields[name], data.get(name)
        if spec.type == "text" and isinstance(value, str):
            found.append(value)
        elif spec.type == "table" and isinstance(value, list):
            found += [row[c] for row in value if isinstance(row, dict) for c, child in spec.fields.items()
                      if child.type == "text" and isinstance(row.get(c), str)]
    return found


def warning_lines(records: Records, entity: EntitySpec, record_id: str) -> list[tuple[str, str]]:
    """(field label, message) of the warning rules the stored record breaks, for its page and form."""
    row = records.visible_row(entity, record_id)
    shown = set(shown_fields(records, entity))
    return [(entity.fields[w.field].label.get(records.language) if w.field in shown else "", w.message)
            for w in records.warnings_of(entity, row)]


def _act(module: str, entity: str, record_id: str, step: Callable[[Approvals], Any], done: str) -> Response:
    """Run one record action; a conflict (already submitted, no longer editable) is shown, not raised."""
    here = url_for("pages.record_view", module=module, entity=entity, record_id=record_id)
    try:
        with approvals() as service:
            step(service)
    except (Conflict, BadRequest) as error:
        flash(t("form.conflict", message=engine_error_text(error)), "error")
        return redirect(here)
    flash(t(done), "ok")
    return redirect(here)


@pages.post("/m/<module>/<entity>/<record_id>/delete")
def record_delete(module: str, entity: str, record_id: str) -> Response:
    version = request.form.get("_version") or None
    try:
        with approvals() as service:
            service.records.delete(module, entity, record_id, version)
    except (Conflict, BadRequest) as error:
        flash(t("form.conflict", message=engine_error_text(error)), "error")
        return redirect(url_for("pages.record_view", module=module, entity=entity, record_id=record_id))
    flash(t("record.deleted"), "ok")
    return redirect(url_for("pages.record_list", module=module, entity=entity))


@pages.post("/m/<module>/<entity>/<record_id>/submit")
def record_submit(module: str, entity: str, record_id: str) -> Response:
    return _act(module, entity, record_id, lambda s: s.submit(module, entity, record_id), "record.submitted")


@pages.post("/m/<module>/<entity>/<record_id>/withdraw")
def record_withdraw(module: str, entity: str, record_id: str) -> Response:
    return _act(module, entity, record_id, lambda s: s.withdraw(module, entity, record_id), "record.withdrawn")


def source_texts(records: Records, data: Mapping[str, Any]) -> dict[str, str]:
    """A record raised by another (an alert, a ledger row) names the module and kind of its source by their
    titles, not their keys (`source_module: schedule`, `source_entity: wbs_task`), and an alert's measure by the
    kpi's title or the label of the source's field it reads (`kpi: schedule.delay_days`): field -> text."""
    texts: dict[str, str] = {}
    module = records.modules.get(str(data.get("source_module") or ""))
    source = module.entities.get(str(data.get("source_entity") or "")) if module is not None else None
    if module is not None:
        texts["source_module"] = module.title.get(records.language)
    if source is not None:
        texts["source_entity"] = source.title.get(records.language)
    owner, _, key = str(data.get("kpi") or "").partition(".")
    declared = records.modules[owner].kpis.get(key) if owner in records.modules else None
    measured = source.fields.get(key) if source is not None else None
    label = declared.title if declared is not None else measured.label if measured is not None else None
    if label is not None:
        texts["kpi"] = label.get(records.language)
    return texts


def _named_sources(records: Records, shown: list[Shown], data: Mapping[str, Any]) -> list[Shown]:
    texts = source_texts(records, data)
    for item in shown:
        item.text = texts.get(item.name, item.text)
    return shown


def _with_files(records: Records, entity: EntitySpec, shown: list[Shown], record: Mapping[str, Any]) -> list[Shown]:
    """Attachment fields show their files (thumbnails for images), served through this record."""
    ref = (entity.module, entity.name, str(record["id"]))
    for item in shown:
        if item.kind == "attachment":
            value = record["data"].get(item.name)
            item.files = file_links(records, value if isinstance(value, list) else [value] if value else [], ref)
    return shown
