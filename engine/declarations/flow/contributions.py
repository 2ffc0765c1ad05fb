"""Compile what crosses module lines: contributions to another module's field, rollups over table rows,
and the optional refs to modules a tenant may leave out."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.declaration_codes import part
from engine.core.suggestions import closest
from engine.declarations.model import Contribution
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Environment, FieldInfo, FType, ftype_for

PARENT = "parent"  # in a table-row rollup, the document that holds the row


def optional_module_of(scope: ModuleScope, raw: Any) -> str | None:
    """The optional module a raw ref field points into (`schedule` for `entity: schedule.wbs_task`), or None."""
    if not isinstance(raw, Mapping) or raw.get("type") != "ref":
        return None
    module = str(raw.get("entity") or "").rpartition(".")[0]
    return module if module and module != scope.name and module in scope.optional else None


def is_absent(scope: ModuleScope, raw: Any) -> bool:
    """A ref to an optional module that is not in the catalog: the field is left out of the compiled module."""
    module = optional_module_of(scope, raw)
    return module is not None and module not in scope.available


def check_optional(scope: ModuleScope, raw: Any) -> tuple[str, ...]:
    """The top-level `optional` list: modules this one may point at without requiring them."""
    names = tuple(str(name) for name in raw) if isinstance(raw, list) else ()
    for index, name in enumerate(names):
        if name in scope.requires:
            scope.problem(("optional", index), "decl_module_required_and_optional", {"name": name})
        elif name == scope.name:
            scope.problem(("optional", index), "decl_module_optional_to_itself")
    return names


def contributions(scope: ModuleScope, base: Path, raw: Any, entity: str, env: Environment) -> tuple[Contribution, ...]:
    """An entity's `contributes:` list: each adds an aggregate of its records to a field of a required module's
    entity, through a ref of this entity."""
    found: list[Contribution] = []
    for index, item in enumerate(raw if isinstance(raw, list) else ()):
        if isinstance(item, Mapping) and (made := _contribution(scope, (*base, "contributes", index), item,
                                                               entity, env)) is not None:
            found.append(made)
    return tuple(found)


def _contribution(scope: ModuleScope, path: Path, raw: Mapping[str, Any], entity: str,
                  env: Environment) -> Contribution | None:
    text = str(raw.get("to", ""))
    parts = text.split(".")
    if len(parts) != 3:
        scope.problem((*path, "to"), "decl_contribution_target_shape", {"text": text})
        return None
    module, target_name, field_name = parts
    if module not in scope.requires and module not in scope.optional:
        scope.problem((*path, "to"), "decl_contribution_target_not_required", {"text": text, "module": module})
        return None
    if module not in scope.available:
        if module not in scope.optional:
            scope.problem((*path, "to"), "decl_contribution_target_module_missing", {"text": text, "module": module})
        return None  # an optional module that is not in the catalog: nothing to add to
    target = scope.available[module].entities.get(target_name)
    if target is None:
        scope.problem((*path, "to"), "decl_contribution_target_no_entity",
                      {"text": text, "module": module, "entity": target_name,
                       "suggestion": closest(target_name, scope.available[module].entities)})
        return None
    spec = target.fields.get(field_name)
    if spec is None:
        scope.problem((*path, "to"), "decl_contribution_target_no_field",
                      {"text": text, "entity": target.key, "field": field_name,
                       "suggestion": closest(field_name, target.fields)})
        return None
    if spec.is_computed or spec.lookup is not None or spec.required or spec.type in ("table", "ref"):
        scope.problem((*path, "to"), "decl_contribution_target_not_plain", {"text": text})
        return None
    via = str(raw.get("via", ""))
    info = env.fields.get(via)
    if info is None or info.target_entity != target.key:
        scope.problem((*path, "via"), "decl_contribution_via_not_ref",
                      {"via": via, "module": scope.name, "entity": entity, "target": target.key,
                       "suggestion": "" if via in env.fields else closest(via, env.fields)})
    expect = ftype_for(spec.type)
    measure = scope.formula((*path, "measure"), raw.get("measure"), env, what=part("decl_part_contribution_measure"),
                            expect=expect, aggregate=True)
    where = scope.formula((*path, "where"), raw.get("where"), env, what=part("decl_part_contribution_where"),
                          expect=ftype_for("boolean"))
    if measure is None:
        return None
    return Contribution(source=f"{scope.name}.{entity}", target=target.key, field=field_name, via=via,
                        measure=measure, where=where)


def row_environment(source: Environment, table: str, source_key: str) -> Environment | None:
    """What a table-row rollup's measure reads: the row's columns, and the document's fields as `parent.x`."""
    info = source.fields.get(table)
    if info is None or info.row is None:
        return None
    fields: dict[str, FieldInfo] = dict(info.row)
    flat = {name: FieldInfo(type=f.type) for name, f in source.fields.items() if f.row is None}
    fields[PARENT] = FieldInfo(type=FType.ref(source_key), target=flat, target_entity=source_key)
    return Environment(fields=fields, params=source.params)


def table_via(scope: ModuleScope, path: Path, via: str, source: Environment, source_key: str,
              this: str) -> Environment | None:
    """Check a table-row rollup's `via: table.column` (a ref column pointing at `this`); its rows' environment."""
    table, _, column = via.partition(".")
    row_env = row_environment(source, table, source_key)
    if row_env is None:
        scope.problem((*path, "via"), "decl_rollup_via_not_table",
                      {"via": via, "table": table, "entity": source_key,
                       "suggestion": closest(table, [n for n, f in source.fields.items() if f.row is not None])})
        return None
    info = row_env.fields.get(column)
    if column == PARENT or info is None or info.target_entity != this:
        scope.problem((*path, "via"), "decl_rollup_via_not_ref_column",
                      {"via": via, "column": column, "table": table, "target": this,
                       "suggestion": "" if info is not None else closest(column, set(row_env.fields) - {PARENT})})
        return None
    return row_env
