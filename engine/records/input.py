"""The values a write may bring: coerced input fields, table rows and declared defaults.

Unknown, hidden and read-only fields are errors for a user; the system (declared effects, approval
steps) writes without an `Access`, unrestricted.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.declarations.compiler import suggest
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec, FieldSpec
from engine.errors import BadRequest, FieldError, RecordInvalid
from engine.fields.masking import is_masked_echo
from engine.fields.values import InvalidValue, coerce
from engine.records.unit_of_work import UnitOfWork
from engine.security.permissions import Access, is_masked_for


def accepted_input(work: UnitOfWork, entity: EntitySpec, data: Mapping[str, Any], access: Access | None,
                   previous: Mapping[str, Any] | None, *, vouched: bool = False) -> dict[str, Any]:
    """Coerce writable input fields; unknown, hidden and read-only fields are errors (not for the system).
    `vouched`: a declared effect writes, so a field locked by `readonly_if` (a plan's baselines) takes it too."""
    values, errors = accepted_partly(work, entity, data, access, previous, vouched=vouched)
    if errors:
        raise RecordInvalid(errors)
    return values


def accepted_partly(work: UnitOfWork, entity: EntitySpec, data: Mapping[str, Any], access: Access | None,
                    previous: Mapping[str, Any] | None, *, vouched: bool = False
                    ) -> tuple[dict[str, Any], list[FieldError]]:
    """The fields of `data` that are accepted, and the problems of the others: an import checks the rest of a
    row on what parsed, to report all of its problems at once."""
    if not isinstance(data, Mapping):
        raise BadRequest("the record data must be a JSON object of field values", message_code="record_data_not_object")
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    hidden = access.hidden_fields if access else frozenset()
    readonly = access.readonly_fields if access else frozenset()
    masks = access.masked_fields if access else frozenset()
    for name, raw in data.items():
        spec = entity.fields.get(name)
        if spec is None:
            if name not in SYSTEM_FIELDS:
                errors.append(FieldError(name, "is not a field of " + entity.title.en
                                         + suggest(name, entity.fields), code="unknown_field",
                                         params={"entity": entity.title.en, "hint": suggest(name, entity.fields)}))
            continue
        if spec.is_computed:
            continue  # computed fields are recalculated; sending back what was read is harmless
        if name in hidden:
            errors.append(FieldError(name, "is hidden for your roles and cannot be written", code="hidden"))
            continue
        if name in masks and spec.mask is not None and previous is not None and is_masked_echo(
                spec.mask, raw, previous.get(name)):
            continue  # the masked text read back unchanged: the real value stays
        try:
            value = coerce(spec, raw)
            if spec.type == "table" and value is not None:  # null: no rows
                value = _rows(spec, value, errors)
                if access is not None and previous is not None:
                    value = _unmasked_rows(work, spec, value, previous.get(name))
        except InvalidValue as error:
            errors.append(FieldError(name, str(error), code=error.code, params=error.params))
            continue
        if previous is not None and not vouched and value != previous.get(name) and _is_locked(
                work, entity, spec, readonly, previous):
            errors.append(FieldError(name, "is read-only", code="read_only"))
            continue
        if spec.readonly and access is not None and value != (previous or {}).get(name):
            errors.append(FieldError(name, "is read-only", code="read_only"))
            continue
        if spec.numbering is not None and access is not None and value != (previous or {}).get(name):
            errors.append(FieldError(name, "is read-only: it is numbered automatically "
                                           f"({spec.numbering.template}); leave it out", code="numbered",
                                     params={"template": spec.numbering.template}))
            continue
        if previous is None and name in readonly and value is not None:
            errors.append(FieldError(name, "is read-only for your roles", code="read_only_for_roles"))
            continue
        values[name] = value
    return values, errors


def with_defaults(entity: EntitySpec, values: dict[str, Any]) -> dict[str, Any]:
    """The values, with the declared default of every field they leave out (computed fields are computed)."""
    for name, spec in entity.fields.items():
        if name not in values and spec.default is not None and not spec.is_computed:
            values[name] = coerce(spec, spec.default)
    return values


def defaults(entity: EntitySpec, names: Iterable[str]) -> dict[str, Any]:
    """The declared defaults of the named fields that have one (computed fields are computed)."""
    fields = [entity.fields[name] for name in names]
    return {spec.name: coerce(spec, spec.default) for spec in fields
            if spec.default is not None and not spec.is_computed}


def _is_locked(work: UnitOfWork, entity: EntitySpec, spec: FieldSpec, readonly: frozenset[str],
               previous: Mapping[str, Any]) -> bool:
    if spec.name in readonly:
        return True
    return spec.readonly_if is not None and work.evaluation(entity).run(spec.readonly_if, previous) is True


def _unmasked_rows(work: UnitOfWork, spec: FieldSpec, rows: list[dict[str, Any]],
                   stored: Any) -> list[dict[str, Any]]:
    """A table sent back as it was read: a masked column's masked text, unchanged in its row, keeps its value."""
    if not isinstance(stored, list):
        return rows
    for row, before in zip(rows, stored, strict=False):
        for name, column in spec.fields.items():
            if (column.mask is not None and is_masked_for(column, work.actor) and isinstance(before, dict)
                    and is_masked_echo(column.mask, row.get(name), before.get(name))):
                row[name] = before[name]
    return rows


def _rows(spec: FieldSpec, rows: list[dict[str, Any]], errors: list[FieldError]) -> list[dict[str, Any]]:
    result = []
    for index, row in enumerate(rows):
        clean: dict[str, Any] = {}
        for name, raw in row.items():
            child = spec.fields.get(name)
            if child is None:
                errors.append(FieldError(f"{spec.name}[{index}].{name}",
                                         "is not a column of this table" + suggest(name, spec.fields),
                                         code="not_a_column", params={"hint": suggest(name, spec.fields)}))
            elif not child.is_computed:
                try:
                    clean[name] = coerce(child, raw)
                except InvalidValue as error:
                    errors.append(FieldError(f"{spec.name}[{index}].{name}", str(error), code=error.code,
                                             params=error.params))
        for name, child in spec.fields.items():
            if name not in clean and child.default is not None and not child.is_computed:
                clean[name] = coerce(child, child.default)
        result.append(clean)
    return result
