"""What the designer's formula editor shows while an administrator types: the names a formula of an entity may
use, and the type and problems of the formula typed so far.

Formulas are parsed and type-checked by the engine's own checker against the entity's environment (the one its
declared formulas — rules, computed fields, row permissions — are compiled with); nothing is run as Python.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.declarations.model import EntitySpec, FieldSpec, ModuleSpec
from engine.errors import FormulaError, NotFound
from engine.formula import Environment, FieldInfo, Formula, FType, compile_formula
from engine.formula.types import Kind

EXPECTED: dict[str, Kind] = {"boolean": Kind.BOOL, "number": Kind.NUMBER, "text": Kind.TEXT, "date": Kind.DATE}


@dataclass(frozen=True)
class ProbeProblem:
    message: str          # the checker's reason, English (the page puts it in the reader's language)
    line: int
    column: int
    expected: str | None = None   # set for a formula of the wrong type: the expected kind ...
    found: str | None = None      # ... and the kind it has
    reason: Mapping[str, Any] | None = None  # the reason by its code and params (engine.core.codes.formula_codes)


@dataclass(frozen=True)
class Probed:
    formula: Formula | None
    type: FType | None
    problems: list[ProbeProblem] = field(default_factory=list)


def environment(entity: EntitySpec, row_table: str | None = None) -> Environment:
    """The names of the entity's formulas, or of the row formulas of its table `row_table` (with `parent.`)."""
    env = entity.environment
    assert env is not None, "every compiled entity has a formula environment"
    if row_table is None:
        return env
    table = env.fields.get(row_table)
    if table is None or table.row is None:
        raise NotFound(f"{entity.key} has no table {row_table!r}", message_code="formula_table_not_found",
                       params={"entity": entity.key, "table": row_table})
    return Environment(fields={"parent": FieldInfo.parent(env.fields), **table.row}, params=env.params)


def probe(text: str, env: Environment, expect: str | None = None) -> Probed:
    """The formula's type and problems; a formula of another type than `expect` is a problem at its start."""
    try:
        formula = compile_formula(text, env)
    except FormulaError as error:
        return Probed(None, None, [ProbeProblem(error.reason, error.line, error.column, reason=error.reason_part)])
    wanted = EXPECTED.get(expect or "")
    if wanted is not None and not FType(wanted).accepts(formula.type):
        offset = len(text) - len(text.lstrip())
        return Probed(formula, formula.type, [ProbeProblem(
            f"expected a {FType(wanted)} formula, found {formula.type}", 1, offset + 1,
            expected=wanted.value, found=formula.type.kind.value)])
    return Probed(formula, formula.type, [])


def vocabulary(modules: Mapping[str, ModuleSpec], entity: EntitySpec, row_table: str | None = None
               ) -> dict[str, Any]:
    """The fields (a ref's target fields, a table's columns: two levels), parameters a formula may read."""
    env = environment(entity, row_table)
    specs = entity.fields if row_table is None else entity.fields[row_table].fields
    fields = [_field(modules, key, info, specs.get(key), depth=2) for key, info in env.fields.items()]
    module = modules.get(entity.module)
    parameters = [{"key": f"params.{name}", "name": name, "type": kind.kind.value,
                   "label": (module.parameters[name].label.as_dict() if module and name in module.parameters
                             else {"zh": name, "en": name})} for name, kind in env.params.items()]
    return {"fields": fields, "parameters": parameters}


def _entity(modules: Mapping[str, ModuleSpec], key: str | None) -> EntitySpec | None:
    if not key or "." not in key:
        return None
    module, name = key.split(".", 1)
    spec = modules.get(module)
    return spec.entities.get(name) if spec is not None else None


def _field(modules: Mapping[str, ModuleSpec], key: str, info: FieldInfo, spec: FieldSpec | None, *,
           depth: int) -> dict[str, Any]:
    """One name: key, label, formula type; with `depth` left, a ref's target fields or a table's columns."""
    label = spec.label.as_dict() if spec is not None else {"zh": key, "en": key}
    result: dict[str, Any] = {"key": key, "label": label, "type": info.type.kind.value,
                              "field_type": spec.type if spec is not None else None, "target": info.target_entity}
    if depth <= 0:
        return result
    if info.target is not None:
        target = _entity(modules, info.target_entity)
        specs = target.fields if target is not None else (spec.fields if spec is not None else {})
        result["fields"] = [_field(modules, k, i, specs.get(k), depth=depth - 1) for k, i in info.target.items()]
    elif info.row is not None:
        specs = spec.fields if spec is not None else {}
        result["fields"] = [_field(modules, k, i, specs.get(k), depth=depth - 1) for k, i in info.row.items()]
    return result
