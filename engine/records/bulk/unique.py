"""Unique values and keys of an import's rows: against the rows before them in the file, and against the stored
records with one query per unique field or key for a whole batch (a single create asks once per record)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select

from engine.declarations.model import EntitySpec
from engine.errors import FieldError
from engine.fields.values import to_json
from engine.formula import Formula
from engine.records.unit_of_work import UnitOfWork
from engine.storage.columns import live_of
from engine.storage.models import Record
from engine.storage.queries import RecordQuery, as_text


@dataclass
class Pending:
    """A row of the file on its way: its input, then its values and document, or its errors."""

    number: int
    data: dict[str, Any]
    values: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    errors: list[FieldError] = field(default_factory=list)


def keys_of(entity: EntitySpec) -> list[tuple[tuple[str, ...], Formula | None]]:
    """Each unique field alone, then each composite key with the condition under which it holds."""
    keys: list[tuple[tuple[str, ...], Formula | None]] = [((name,), None) for name, spec in entity.fields.items()
                                                          if spec.unique]
    return keys + [(key.fields, key.when) for key in entity.unique]


def _values(values: Mapping[str, Any], names: Sequence[str]) -> tuple[Any, ...] | None:
    found = tuple(to_json(values.get(name)) for name in names)
    return None if any(value in (None, "") for value in found) else found


def in_file(work: UnitOfWork, entity: EntitySpec, number: int, values: Mapping[str, Any],
            seen: dict[tuple[Any, ...], int]) -> list[FieldError]:
    """The row's unique values that an earlier row of the file holds already; `seen` carries them across batches."""
    errors = []
    for names, when in keys_of(entity):
        found = _values(values, names)
        if found is None or (when is not None and work.evaluation(entity).run(when, values) is not True):
            continue
        first = seen.setdefault((names, found), number)
        if first != number:
            shown = ", ".join(str(value) for value in found)
            errors.append(FieldError(names[-1], f"{shown!r} is already used by row {first} of this file",
                                     code="duplicate_in_file", params={"value": shown, "row": first}))
    return errors


def against_database(work: UnitOfWork, entity: EntitySpec, rows: Sequence[Pending]) -> None:
    """Add to each row the unique values and keys a stored record holds already (one query per field or key)."""
    evaluation = work.evaluation(entity)
    query = RecordQuery(work.session, entity, evaluation)
    for names, when in keys_of(entity):
        wanted = {found: row for row in rows if row.values is not None and not _reported(row, names)
                  and (found := _values(row.values, names)) is not None
                  and (when is None or evaluation.run(when, row.values) is True)}
        if not wanted:
            continue
        texts = [query.columns.json_text(name) for name in names]
        first: ColumnElement[Any] = texts[0]
        statement = select(*texts).where(live_of(Record, entity.module, entity.name),
                                         first.in_(sorted({query.compared(found[0]) for found in wanted})))
        if when is not None:
            statement = statement.where(query.sql(when))
        taken = {tuple(str(value) for value in stored) for stored in work.session.execute(statement)}
        for found, row in wanted.items():
            if tuple(as_text(value) for value in found) not in taken:
                continue
            if len(names) == 1:
                row.errors.append(FieldError(names[0], f"{found[0]!r} is already used by another {entity.title.en}",
                                             code="unique", params={"value": found[0], "entity": entity.title.en}))
                continue
            shown = ", ".join(f"{name} = {value!r}" for name, value in zip(names, found, strict=True))
            row.errors.append(FieldError(names[-1], f"{shown} is already used by another {entity.title.en}",
                                         code="unique_key", params={"values": shown, "entity": entity.title.en,
                                                                    "record": "", "message": "", "held_by": ""}))


def _reported(row: Pending, names: Sequence[str]) -> bool:
    """A value already reported as repeating an earlier row of the file (that row may be written by now)."""
    return any(e.code == "duplicate_in_file" and e.field == names[-1] for e in row.errors)


