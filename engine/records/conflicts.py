"""Declared conflicts: another live record of the same entity that shares fields (and a date range)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from engine.declarations.model import ConflictCheck, EntitySpec
from engine.errors import FieldError
from engine.fields.values import to_json
from engine.records.compute import Evaluation, RuleWarning
from engine.security.permissions import Access
from engine.storage.models import Record
from engine.storage.queries import Clash, RecordQuery


class Named(Protocol):
    """How a message names another record (UnitOfWork.named); None: not to this actor."""

    def __call__(self, entity: EntitySpec, row: Record, *, with_id: bool = True) -> str | None: ...


def conflict_errors(session: Session, entity: EntitySpec, evaluation: Evaluation, values: Mapping[str, Any],
                    record_id: str | None, language: str, access: Access, named: Named) -> list[FieldError]:
    """The `error` conflicts the record has, each on its first match field, naming the other record when the
    actor may read it (`named`) and quoting the values the actor may read (`access`)."""
    said = [(check, _message(entity, check, access, values, holder_of(named, entity, other, language), language))
            for check, other in _clashes(session, entity, evaluation, values, record_id, warnings=False)]
    return [FieldError(check.match[0], message, code="conflict", params={"message": message})
            for check, message in said]


def conflict_warnings(session: Session, entity: EntitySpec, evaluation: Evaluation, values: Mapping[str, Any],
                      record_id: str | None, language: str, access: Access, named: Named) -> list[RuleWarning]:
    """The `warning` conflicts the record has, in the shape of warning rules (`conflict` says which); `audited`
    is the message as the audit trail keeps it, for every reader of the history: the other record by id alone."""
    return [RuleWarning(None, check.match[0],
                        _message(entity, check, access, values, holder_of(named, entity, other, language), language),
                        conflict=check.number,
                        audited=_message(entity, check, None, values, f"id {other.id}", language))
            for check, other in _clashes(session, entity, evaluation, values, record_id, warnings=True)]


def _clashes(session: Session, entity: EntitySpec, evaluation: Evaluation, values: Mapping[str, Any],
             record_id: str | None, *, warnings: bool) -> list[tuple[ConflictCheck, Record]]:
    """The checks run in the database, in one query; the oldest clashing record of each is named."""
    checks = [c for c in entity.conflicts if c.is_warning == warnings]
    if not checks:
        return []
    asks = []
    for check in checks:
        start, end = ((values.get(check.overlaps[0]), values.get(check.overlaps[1]))
                      if check.overlaps is not None else (None, None))
        shared = None
        if check.shares is not None:
            table, column = check.shares
            shared = sorted({str(to_json(row.get(column))) for row in values.get(table) or ()
                             if isinstance(row, Mapping) and row.get(column) is not None})
        asks.append(Clash({name: _json_or_none(values.get(name)) for name in check.match}, where=check.when,
                          overlap=check.overlaps, start=start, end=end, shares=check.shares, shared=shared))
    others = RecordQuery(session, entity, evaluation).conflicting_each(asks, exclude_id=record_id)
    return [(check, other) for check, other in zip(checks, others, strict=True) if other is not None]


def holder_of(named: Named, entity: EntitySpec, other: Record, language: str) -> str | None:
    """The other record as a message names it: a Chinese reader gets its title, not its id."""
    return named(entity, other, with_id=language != "zh")


def held_by(holder: str | None, language: str, *, after_message: bool) -> str:
    """The holder appended to a message: after a declared message in brackets, after a generated one with a colon;
    in Chinese punctuation for a Chinese reader."""
    if not holder:
        return ""
    zh = language == "zh"
    if after_message:
        return f"（{holder}）" if zh else f" ({holder})"
    return f"：{holder}" if zh else f": {holder}"


def _json_or_none(value: Any) -> Any:
    return None if value is None else to_json(value)


def _message(entity: EntitySpec, check: ConflictCheck, access: Access | None, values: Mapping[str, Any],
             holder: str | None, language: str) -> str:
    if check.message is not None:
        return check.message.get(language) + held_by(holder, language, after_message=True)
    if language == "zh":
        period = (f"且{_label(entity, check.overlaps[0])}至{_label(entity, check.overlaps[1])}期间重叠"
                  if check.overlaps else "")
        return (f"已有相同（{zh_values(entity, check.match, access, values)}）{period}的{entity.title.zh}"
                + held_by(holder, language, after_message=False))
    if access is None:   # for the audit trail, which others read: the fields, not their values (and ids, not titles)
        shown = ", ".join(check.match)
    else:                # for the actor: the values they may read (masked where masked)
        readable = access.shown({name: _json_or_none(values.get(name)) for name in check.match}) or {}
        shown = ", ".join(f"{name} = {value!r}" for name, value in readable.items()) or "…"
    period = f" and an overlapping {check.overlaps[0]}–{check.overlaps[1]} period" if check.overlaps else ""
    return f"another {entity.title.en} has {shown}{period}" + held_by(holder, language, after_message=False)


def _label(entity: EntitySpec, name: str) -> str:
    spec = entity.fields.get(name)
    return spec.label.zh if spec is not None else name


def zh_values(entity: EntitySpec, names: Sequence[str], access: Access | None, values: Mapping[str, Any]) -> str:
    """The match fields by their labels, with the values the reader may read as they read them (an option's
    label, 空 for nothing); a reference, a user or a file by its label alone, never an id; none for the audit."""
    readable = (access.shown({name: _json_or_none(values.get(name)) for name in names}) or {}
                if access is not None else {})
    parts = []
    for name in names:
        spec = entity.fields.get(name)
        if spec is None or (access is not None and name not in readable):
            continue
        value = readable.get(name)
        if access is None or spec.type in ("ref", "user", "attachment"):
            parts.append(spec.label.zh)
        elif value is None:
            parts.append(f"{spec.label.zh}为空")
        elif spec.options and str(value) in spec.options:
            parts.append(f"{spec.label.zh}={spec.options[str(value)].zh}")
        else:
            parts.append(f"{spec.label.zh}={value}")
    return "、".join(parts) or "…"
