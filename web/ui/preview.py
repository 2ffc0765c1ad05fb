"""A form's computed fields and conditions, worked out by the engine's own code while people type.

Nothing is written: the values go through the same steps as `Records._finish` before its
checks (lookups, rollups, `engine.records.compute.compute` with the record's evaluation), and
`visible_if` / `readonly_if` run through the same evaluation.
"""
from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from engine.declarations.model import EntitySpec
from engine.errors import FormworkError
from engine.fields.values import InvalidValue, coerce
from engine.formula import Formula
from engine.records import links
from engine.records.compute import compute
from engine.records.service import EDITABLE_STATUSES, Records
from web.ui.forms import coerced


@dataclass(frozen=True)
class Evaluated:
    values: dict[str, Any]
    visible: dict[str, bool]
    readonly: dict[str, bool]


def previous_values(records: Records, entity: EntitySpec, record_id: str) -> dict[str, Any]:
    """A stored record's values as formulas see them (the caller may read it: row filters apply)."""
    return records.values_of(entity, records.visible_row(entity, record_id))


def is_editable(status: str) -> bool:
    return status in EDITABLE_STATUSES


def writable_fields(records: Records, entity: EntitySpec, previous: Mapping[str, Any] | None) -> set[str]:
    """Fields this user may type into now: the engine refuses the others (see Records._accepted_input)."""
    access = records.access(entity)
    hidden = access.hidden_fields | access.derived_refs | access.left_out_refs   # refs they cannot look up
    readonly = access.readonly_fields
    evaluation = records.evaluation(entity)
    result = set()
    for name, spec in entity.fields.items():
        if (spec.is_computed or spec.hidden or spec.readonly or spec.numbering is not None or name in hidden
                or name in readonly):
            continue
        if previous is not None and spec.readonly_if is not None and _holds(evaluation.run, spec.readonly_if,
                                                                             previous, default=False):
            continue
        result.add(name)
    return result


def shown_fields(records: Records, entity: EntitySpec) -> list[str]:
    """Fields a form or record page shows this user: those of the form's sections (`views.form.sections`, as the
    designer lays them out) in their order, then the others in declaration order; a ref the user cannot look up
    and nothing derives is left out (engine.security.reach)."""
    access = records.access(entity)
    hidden = access.hidden_fields | access.left_out_refs
    order = dict.fromkeys([*(name for section in entity.form_sections for name in section.fields), *entity.fields])
    return [name for name in order if not entity.fields[name].hidden and name not in hidden]


def evaluate(records: Records, entity: EntitySpec, data: Mapping[str, Any],
             previous: Mapping[str, Any] | None, record_id: str | None) -> Evaluated:
    """Computed values, visibility and read-only state for the form's current input."""
    values: dict[str, Any] = {name: None for name in entity.fields}
    if previous is not None:
        values.update({name: previous.get(name) for name in entity.fields})
    else:
        for name, spec in entity.fields.items():
            if spec.default is not None and not spec.is_computed:
                with suppress(InvalidValue):
                    values[name] = coerce(spec, spec.default)
    values.update(coerced(entity, data))
    evaluation = records.evaluation(entity)
    try:
        links.fill_lookups(records.work, entity, values, record_id)
        links.compute_rollups(records.work, entity, values, record_id)
    except FormworkError:
        pass  # a preview shows what it can; saving reports the problem
    compute(entity, values, evaluation)  # failures leave the field empty, as saving would report them
    visible = {name: _holds(evaluation.run, spec.visible_if, values, default=True)
               for name, spec in entity.fields.items() if spec.visible_if is not None}
    readonly = {name: _holds(evaluation.run, spec.readonly_if, values, default=False)
                for name, spec in entity.fields.items() if spec.readonly_if is not None}
    return Evaluated(values, visible, readonly)


def _holds(run: Any, formula: Formula, values: Mapping[str, Any], *, default: bool) -> bool:
    try:
        result = run(formula, values)
    except FormworkError:
        return default
    return default if result is None else result is True
