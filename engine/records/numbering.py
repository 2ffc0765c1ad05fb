"""Numbers the engine gives records at create (`numbering:` of a field), e.g. DG-XM01-20240501-003."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from engine.declarations.model import EntitySpec, Numbering
from engine.errors import FieldError, FormulaRuntimeError
from engine.records.compute import Evaluation
from engine.storage.counters import next_number

SEQ_MARK = "{seq}"


Planned = dict[str, list[str | int]]   # numbered field -> the pieces of its number, the sequence still to take


def plan_numbers(entity: EntitySpec, values: Mapping[str, Any], evaluation: Evaluation
                 ) -> tuple[Planned, list[FieldError]]:
    """The numbers the entity's empty numbered fields will get, but for their sequences; a number whose parts are
    empty is an error. Taking the sequences (`take_numbers`) waits until the record is found sound: the counter
    row stays locked from then until the transaction ends, so the less follows, the less concurrent saves of one
    scope wait for each other."""
    planned: Planned = {}
    errors = []
    for name, spec in entity.fields.items():
        if spec.numbering is None or values.get(name) not in (None, ""):
            continue
        pieces = _checked_pieces(name, spec.numbering, values, evaluation)
        if isinstance(pieces, FieldError):
            errors.append(pieces)
        else:
            planned[name] = pieces
    return planned, errors


def take_numbers(session: Session, tenant_id: str, entity: EntitySpec, values: dict[str, Any],
                 planned: Planned) -> None:
    """Fill the planned numbered fields in place, each taking its scope's next sequence."""
    for name, pieces in planned.items():
        values[name] = number(pieces, partial(next_number, session, tenant_id, entity.module, entity.name, name))


def _checked_pieces(name: str, numbering: Numbering, values: Mapping[str, Any],
                    evaluation: Evaluation) -> list[str | int] | FieldError:
    try:
        pieces = _pieces(numbering, values, evaluation)
    except FormulaRuntimeError as error:
        return FieldError(name, error.message, code=error.message_code, params=error.params)
    missing = [piece for piece in pieces if isinstance(piece, _Missing)]
    if missing:
        names = ", ".join(piece.text for piece in missing)
        return FieldError(name, f"is numbered from {names}: fill {'it' if len(missing) == 1 else 'them'} in first",
                          code="numbering_source_empty",
                          params={"names": names, "pronoun": 'it' if len(missing) == 1 else 'them'})
    return pieces


def assign_batch(session: Session, tenant_id: str, entity: EntitySpec, rows: Sequence[dict[str, Any]],
                 evaluation: Evaluation) -> list[list[FieldError]]:
    """Number many new records at once (an import's batch), in order: the rows of one scope take their
    numbers with one statement. Each row's errors, as `plan_numbers` gives them."""
    errors: list[list[FieldError]] = [[] for _row in rows]
    for name, spec in entity.fields.items():
        if spec.numbering is None:
            continue
        scopes: dict[str, list[tuple[int, list[str | int]]]] = {}
        for index, values in enumerate(rows):
            if values.get(name) not in (None, ""):
                continue
            pieces = _checked_pieces(name, spec.numbering, values, evaluation)
            if isinstance(pieces, FieldError):
                errors[index].append(pieces)
                continue
            scope = "".join(SEQ_MARK if isinstance(piece, int) else piece for piece in pieces)
            scopes.setdefault(scope, []).append((index, pieces))
        for scope, waiting in scopes.items():
            last = next_number(session, tenant_id, entity.module, entity.name, name, scope, count=len(waiting))
            first = last - len(waiting) + 1
            for offset, (index, row_pieces) in enumerate(waiting):
                rows[index][name] = number(row_pieces, _given(first + offset))
    return errors


def _given(sequence: int) -> Callable[[str], int]:
    return lambda _scope: sequence


class _Missing(str):
    """A placeholder whose formula gave nothing: the formula's text."""

    @property
    def text(self) -> str:
        return str(self)


def _pieces(numbering: Numbering, values: Mapping[str, Any], evaluation: Evaluation) -> list[str | int]:
    """The number's text pieces, with the sequence's width (an int) where it goes."""
    pieces: list[str | int] = []
    for part in numbering.parts:
        if part.is_seq:
            pieces.append(part.width)
        elif part.formula is None:
            pieces.append(part.text)
        else:
            value = part.formula.evaluate(evaluation.record(values))
            is_empty = value is None or value == ""
            pieces.append(_Missing(part.formula.text) if is_empty else _formatted(value, part.format))
    return pieces


def number(pieces: list[str | int], take: Callable[[str], int]) -> str:
    """Join the pieces, asking `take(scope)` for the sequence of the scope (the number without it)."""
    scope = "".join(SEQ_MARK if isinstance(piece, int) else piece for piece in pieces)
    sequence = take(scope)
    return "".join(str(sequence).zfill(piece) if isinstance(piece, int) else piece for piece in pieces)


def _formatted(value: Any, fmt: str) -> str:
    if isinstance(value, datetime | date) and fmt:
        return value.strftime(fmt)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, fmt) if fmt else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value, fmt) if fmt and isinstance(value, int | str) else str(value)
