"""The approval parts of the pages: the record page's task panel (the step's editable fields, decided in one
submit; see decide.py) and approval progress (steps done, with whom it waits now), and who a list's records wait
on."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.approvals.service import Approvals
from engine.approvals.trail import waiting_on
from engine.declarations.model import EntitySpec
from engine.errors import FieldError
from engine.records.service import Records
from web.pages.records.attachments import file_links
from web.pages.records.choices import form_choices
from web.ui.display import Formatter, format_moment, parse_moment
from web.ui.error_text import field_message
from web.ui.forms import Raw, raw_from_document, to_data
from web.ui.page_extensions import hints_of
from web.ui.preview import evaluate, shown_fields
from web.ui.widgets import FormContext, Widget, build_widgets, field_errors

DECISION_TONES = {"approve": "success", "reject": "danger", "return": "warning"}
AMOUNTS_SHOWN = 4


@dataclass
class TaskPanel:
    """An open task of this record the user may decide, with the inputs of the fields its step lets them change."""

    id: str
    title: str
    allows_return: bool
    assignee: str
    is_offered: bool
    widgets: list[Widget] = field(default_factory=list)
    amounts: list[tuple[str, str]] = field(default_factory=list)     # (label, text) the approver decides on
    errors: list[str] = field(default_factory=list)                  # problems no input of the panel shows
    comment: str = ""
    has_files: bool = False
    hint: str = ""            # a plugin's word on who of several candidates suits it best


@dataclass
class Posted:
    """What a refused decision sent: it comes back in the panel with its errors."""

    task_id: str
    raw: Raw
    comment: str
    errors: Sequence[FieldError] = ()
    notice: str = ""


@dataclass
class Step:
    title: str
    actor: str
    decision: str
    tone: str
    at: str
    comment: str


@dataclass
class Waiting:
    title: str
    names: str
    due: str
    is_overdue: bool


@dataclass
class Progress:
    steps: list[Step]
    waiting: list[Waiting]


def step_fields(entity: EntitySpec, bpmn_id: str, shown: Sequence[str]) -> list[str]:
    """The fields the task's step lets its performer change, those the user sees, in declaration order."""
    if entity.workflow is None or entity.workflow.spec is None or bpmn_id not in entity.workflow.spec.tasks:
        return []
    editable = set(entity.workflow.spec.tasks[bpmn_id].editable)
    return [name for name in shown if name in editable and not entity.fields[name].is_computed]


def allows_return(entity: EntitySpec, bpmn_id: str) -> bool:
    if entity.workflow is None or entity.workflow.spec is None:
        return False
    meta = entity.workflow.spec.tasks.get(bpmn_id)
    return bool(meta and meta.allows_return)


def amounts(entity: EntitySpec, shown: Sequence[str], editable: Sequence[str], data: Mapping[str, Any],
            fmt: Formatter) -> list[tuple[str, str]]:
    """The money the approver decides on: the record's listed amounts and the step's editable ones."""
    wanted = [n for n in (*entity.list_columns, *editable) if n in shown and entity.fields[n].type == "money"]
    if not wanted:
        wanted = [n for n in shown if entity.fields[n].type == "money"][:AMOUNTS_SHOWN]
    return [(entity.fields[n].label.get(fmt.language), fmt.value(entity.fields[n], data.get(n)) or "—")
            for n in dict.fromkeys(wanted)]


def task_panels(service: Approvals, entity: EntitySpec, record: Mapping[str, Any], inbox: list[dict[str, Any]],
                fmt: Formatter, posted: Posted | None = None) -> list[TaskPanel]:
    """A panel per open task of the record that is for the user."""
    records = service.records
    shown = shown_fields(records, entity)
    panels = []
    for task in inbox:
        if task["record_id"] != record["id"]:
            continue
        names = step_fields(entity, task["bpmn_id"], shown)
        mine = posted if posted is not None and posted.task_id == task["id"] else None
        panel = TaskPanel(task["id"], task["title"], allows_return(entity, task["bpmn_id"]),
                          fmt.user(task.get("assignee")), task.get("assignee") is None,
                          amounts=amounts(entity, shown, names, record["data"], fmt),
                          comment=mine.comment if mine else "")
        if mine is not None and mine.notice:
            panel.errors.append(mine.notice)
        if names:
            stored = raw_from_document(entity, record["data"], set(names))
            raw = {**stored, **mine.raw} if mine else stored
            previous = records.values_of(entity, records.visible_row(entity, record["id"]))
            evaluated = evaluate(records, entity, to_data(entity, raw), previous, record["id"])
            by_input, listed = field_errors(list(mine.errors if mine else ()), field_message)
            held = [i for n in names if entity.fields[n].type == "attachment" for i in _listed(raw.get(n)) if i]
            links = {link.id: link for link in file_links(records, held, (entity.module, entity.name, record["id"]))}
            ctx = FormContext(entity, records.language, fmt, form_choices(records, entity, names), set(names),
                              by_input, evaluated.values, evaluated.visible, {}, links)
            panel.widgets = build_widgets(ctx, raw, names)
            inputs = {w.input_name for w in panel.widgets} | {c.input_name for w in panel.widgets
                                                              for _, cells in w.rows for c in cells}
            panel.errors += [message for name, message in listed if name not in inputs]
            panel.has_files = any(entity.fields[n].type == "attachment" for n in names)
        elif mine is not None:
            panel.errors += [field_message(e) for e in mine.errors]
        panels.append(panel)
    hints = hints_of(service, [panel.id for panel in panels if panel.is_offered])
    for panel in panels:
        panel.hint = hints.get(panel.id, "")
    return panels


def _listed(value: Any) -> list[Any]:
    """An attachment field's input: a list of file ids, or one."""
    return value if isinstance(value, list) else [value]


def waiting_names(records: Records, entity: EntitySpec, record_ids: list[str], fmt: Formatter) -> dict[str, str]:
    """record id -> the names of who its approval waits on, for a list's page of records."""
    return {record_id: "、".join(dict.fromkeys(fmt.user(c) for p in pending for c in p["candidates"]))
            or fmt.t("progress.nobody")
            for record_id, pending in waiting_on(records, entity, record_ids).items()}


def progress_of(approval: Mapping[str, Any], fmt: Formatter) -> Progress:
    """The approval's steps and waits as the page words them (names, the tenant's time)."""
    steps = [Step(s["title"], fmt.user(s["actor"]), fmt.t(f"decision.{s['decision']}") if s["decision"] else "",
                  DECISION_TONES.get(s["decision"] or "", "info"), format_moment(s["time"]), s["comment"] or "")
             for s in approval["steps"]]
    now = datetime.now(UTC)
    waiting = []
    for p in approval["pending"]:
        due = parse_moment(p["due_at"]) if p["due_at"] else None
        names = "、".join(fmt.user(c) for c in p["candidates"]) if p["candidates"] else fmt.t("progress.nobody")
        waiting.append(Waiting(p["title"], names, format_moment(p["due_at"]) if due else "",
                               due is not None and due < now))
    return Progress(steps, waiting)
