"""Every problem of one imported row, found in one pass: cells that do not parse, required fields, patterns and
lengths, rules, references, the actor's row filters.

A cell that does not parse (a word in a number column, a title no record has) is reported, and the rest of the row is
checked on the values that did parse: its field is left out of the checks that would only repeat the problem (its
presence) and so is every computed or looked-up field fed by it, and a rule reading any of them waits, as it would
judge a wrong value. Every check of a single create still runs on the row; none is weakened.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.declarations.model import Action, EntitySpec
from engine.errors import FieldError, FormulaRuntimeError, FormworkError, RecordInvalid
from engine.records.checks import finish
from engine.records.compute import fed_by
from engine.records.flow.locks import refuse_locked
from engine.records.imports import Converter
from engine.records.input import accepted_partly, with_defaults
from engine.records.service import Records
from engine.records.unit_of_work import UnitOfWork
from engine.security.permissions import Access


def field_of(error: FieldError) -> str:
    """The top-level field an error is about (`items[2].qty` is about `items`)."""
    return error.field.split("[")[0].split(".")[0]


def check_row(work: UnitOfWork, entity: EntitySpec, access: Access, data: Mapping[str, Any],
              errors: list[FieldError], *, batched: bool = False
              ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[FieldError]]:
    """A row's values and document (None when it has problems), and all of its problems; `errors` are those
    found reading its cells. `batched`: unique values are checked for the whole file (records/bulk/unique.py)."""
    errors = list(errors)
    values, problems = accepted_partly(work, entity, data, access, previous=None)
    errors += problems
    failed = fed_by(entity, {field_of(e) for e in errors})
    accepted = set(values)
    values = {name: value for name, value in with_defaults(entity, values).items()
              if name in accepted or name not in failed}   # a default never stands in for a cell that did not parse
    document: dict[str, Any] | None = None
    try:
        refuse_locked(work, entity, None, values)
        document = finish(work, entity, values, record_id=None, numbered=False, gathered=True, by_user=True,
                          deferred=entity.import_deferred | failed, batched=batched, every=True)
    except RecordInvalid as error:
        errors += [e for e in error.errors if field_of(e) not in failed]   # not the echoes of a reported one
    except FormworkError as error:   # a lock on records like this one
        errors.append(FieldError("", error.message, code=error.message_code, params=error.params))
    if not any(formula.dependencies & failed for formula in access.row_filters or ()):
        errors += outside_rows(work, entity, access, values)
    if errors:
        return values, None, list(dict.fromkeys(errors))
    return values, document, []


def outside_rows(work: UnitOfWork, entity: EntitySpec, access: Access, values: Mapping[str, Any]
                 ) -> list[FieldError]:
    """A new record the actor could not read afterwards (outside every row filter of theirs) is not theirs to
    write: a crew leader imports their own crew's tickets, a site engineer their projects'."""
    filters = access.row_filters
    if filters is None:
        return []
    actor, moment = work.actor.username, datetime.now(UTC)
    record = {**values, "id": "", "status": "draft", "version": 1, "created_by": actor, "updated_by": actor,
              "created_at": moment, "updated_at": moment}
    evaluation = work.evaluation(entity)
    for formula in filters:
        try:
            if evaluation.run(formula, record) is True:
                return []
        except FormulaRuntimeError:
            continue
    return [FieldError("", "this row would be a record outside the rows you may see (your row filters)",
                       code="import_outside_rows")]


@dataclass(frozen=True)
class RowResult:
    number: int                       # the row's number in the sheet, for people
    errors: list[FieldError]


def unique_values(entity: EntitySpec, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The row's values of unique fields, to find rows of one file that repeat each other."""
    return [(name, str(data[name]).strip()) for name, spec in entity.fields.items()
            if spec.unique and data.get(name) not in (None, "")]


def check_rows(records: Records, entity: EntitySpec, converter: Converter, rows: Sequence[Sequence[Any]],
               numbers: Sequence[int], seen: dict[tuple[str, str], int]) -> list[RowResult]:
    """An import preview's rows: each row's problems, all at once (`check_row`); `seen` carries unique values
    across calls (the rows of one file that repeat each other)."""
    access = records.access(entity)
    access.require(Action.CREATE)
    results = []
    for cells, number in zip(rows, numbers, strict=True):
        data, errors = converter.data(cells)
        _values, _document, errors = check_row(records.work, entity, access, data, errors)
        for name, value in unique_values(entity, data):
            first = seen.setdefault((name, value), number)
            if first != number:
                errors.append(FieldError(name, f"{value!r} is already used by row {first} of this file",
                                         code="duplicate_in_file", params={"value": value, "row": first}))
        results.append(RowResult(number, errors))
    return results
