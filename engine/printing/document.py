"""The print model of a record: what the actor may read of it, laid out as the entity's print layout says.

Values stay as stored (after the actor's hidden fields and masks): the delivery layer formats them in the
reader's language, as it does on the record page. Every read goes through `Records`, so a record outside
the actor's row filters is not found, and a hidden field is not in the document at all.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from engine.declarations.model import Action, EntitySpec, FieldSpec, Label, Section
from engine.errors import BadRequest, NotFound
from engine.printing.amounts import LIMIT, rmb_upper
from engine.records.service import Records
from engine.storage.workflow_models import HumanTask

MAX_BATCH = 200   # records in one batch print: one PDF of 200 pages is already a large download
OTHER = Label(zh="其他", en="Other")


@dataclass(frozen=True)
class PrintedField:
    name: str
    spec: FieldSpec
    value: Any                                     # as the actor may see it: masked where masked


@dataclass(frozen=True)
class PrintedSection:
    title: Label | None
    fields: tuple[PrintedField, ...]


@dataclass(frozen=True)
class Amount:
    """A money field in figures and in Chinese capitals (大写)."""

    name: str
    spec: FieldSpec
    value: Decimal
    upper: str


@dataclass(frozen=True)
class TrailStep:
    """A completed task of the record's approvals: who decided what, when, and why."""

    task: str
    actor: str                                     # login; the delivery layer shows the display name
    decision: str
    comment: str
    at: datetime | None


@dataclass(frozen=True)
class PrintDocument:
    entity: EntitySpec
    record: Mapping[str, Any]                      # Records.view: id, status, data as the actor may see it ...
    title: Label
    number: str
    sections: tuple[PrintedSection, ...]
    amounts: tuple[Amount, ...]
    trail: tuple[TrailStep, ...]
    footer: Label | None


def print_document(records: Records, module: str, entity_name: str, record_id: str) -> PrintDocument:
    """One record to print: 403 without the read action, 404 outside the actor's row filters."""
    entity = records.entity(module, entity_name)
    row = records.visible_row(entity, record_id)
    return _document(records, entity, records.view(entity, row), _trails(records, [row.id]).get(row.id, ()))


def print_documents(records: Records, module: str, entity_name: str, ids: Collection[str]) -> list[PrintDocument]:
    """The records among `ids` the actor may read, in the order asked; 400 past MAX_BATCH, 404 when none is."""
    entity = records.entity(module, entity_name)
    wanted = list(dict.fromkeys(str(i) for i in ids if i))
    if not wanted:
        raise BadRequest("choose the records to print: send their ids", message_code="print_no_records")
    if len(wanted) > MAX_BATCH:
        raise BadRequest(f"print at most {MAX_BATCH} records at once, not {len(wanted)}",
                         message_code="print_too_many", params={"limit": MAX_BATCH, "count": len(wanted)})
    records.access(entity).require(Action.READ)
    rows = records.readable_rows(entity, wanted)
    if not rows:
        raise NotFound(f"none of the {len(wanted)} {entity.title.en} records asked for can be read",
                       message_code="print_nothing_readable", params={"count": len(wanted), "entity": entity.title.en})
    trails = _trails(records, list(rows))
    return [_document(records, entity, records.view(entity, rows[i]), trails.get(i, ())) for i in wanted if i in rows]


def _document(records: Records, entity: EntitySpec, record: Mapping[str, Any],
              trail: tuple[TrailStep, ...]) -> PrintDocument:
    data: Mapping[str, Any] = record["data"]
    hidden = records.access(entity).hidden_fields
    shown = [name for name, spec in entity.fields.items() if not spec.hidden and name not in hidden]
    layout = entity.print_layout
    if layout.sections:   # the author chose the fields: each is printed, empty or not
        sections = [_section(entity, s, data, shown) for s in layout.sections]
    else:   # the form's sections, then the fields they leave out; empty fields are left out of both
        filled = [n for n in shown if data.get(n) not in (None, "", [])]
        sections = [_section(entity, s, data, filled) for s in entity.form_sections]
        placed = {f.name for section in sections for f in section.fields}
        rest = Section(OTHER if sections else None, tuple(n for n in filled if n not in placed))
        sections.append(_section(entity, rest, data, filled))
    names = layout.amounts if layout.amounts is not None else tuple(
        n for n, spec in entity.fields.items() if spec.type == "money" and spec.is_computed)
    amounts = tuple(a for n in names if n in shown and (a := _amount(entity.fields[n], data.get(n))) is not None)
    number = data.get(entity.title_field) if entity.title_field else None
    return PrintDocument(entity, record, layout.title or entity.title, str(number or record["id"]),
                         tuple(s for s in sections if s.fields), amounts, trail, layout.footer)


def _section(entity: EntitySpec, section: Section, data: Mapping[str, Any], shown: list[str]) -> PrintedSection:
    return PrintedSection(section.title, tuple(PrintedField(n, entity.fields[n], data.get(n))
                                               for n in section.fields if n in shown))


def _amount(spec: FieldSpec, raw: Any) -> Amount | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None   # empty (or masked): nothing to write in capitals
    if not value.is_finite() or value.copy_abs() >= LIMIT:
        return None
    return Amount(spec.name, spec, value, rmb_upper(value))


def _trails(records: Records, record_ids: list[str]) -> dict[str, tuple[TrailStep, ...]]:
    """The completed tasks of the records' approval runs (resubmissions included), oldest first."""
    tasks = records.session.scalars(select(HumanTask).where(
        HumanTask.record_id.in_(record_ids), HumanTask.state == "completed",
    ).order_by(HumanTask.completed_at, HumanTask.created_at))
    found: dict[str, list[TrailStep]] = {}
    for task in tasks:
        found.setdefault(task.record_id, []).append(TrailStep(
            task.title, task.completed_by or "", task.decision or "", task.comment or "", task.completed_at))
    return {record_id: tuple(steps) for record_id, steps in found.items()}
