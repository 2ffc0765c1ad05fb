"""Compile a table field's `gather:` (docs/modules.md, "Gathering rows from other records")."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.declaration_codes import part
from engine.core.suggestions import closest
from engine.declarations.model import Gather
from engine.declarations.module_scope import ModuleScope, Path
from engine.errors import FormulaError
from engine.formula import Environment, Formula, Kind, SqlProbe, ftype_for


def compile_gather(scope: ModuleScope, path: Path, raw: Mapping[str, Any], kind: str, env: Environment,
                   name: str) -> Gather | None:
    """The `gather` of field `name` (a table), or None; every problem is reported at its line and column."""
    spec = raw.get("gather")
    if not isinstance(spec, dict):
        return None  # absent; the schema reports a wrong shape
    path = (*path, "gather")
    if kind != "table":
        scope.problem(path, "decl_gather_not_table", {"name": name, "type": kind}, key=True)
        return None
    linked = scope.linked_env((*path, "entity"), spec.get("entity"))
    if linked is None:
        return None
    key, source = linked
    is_sound = True
    match: list[tuple[str, Formula]] = []
    for field, text in (spec.get("match") or {}).items():
        if field not in source.fields:
            scope.problem((*path, "match", field), "decl_gather_match_unknown",
                          {"field": field, "entity": key, "suggestion": closest(field, source.fields)}, key=True)
            is_sound = False
            continue
        formula = scope.formula((*path, "match", field), text, env, what=part("decl_part_gather_match",
                                                                              {"field": field}),
                                expect=source.fields[field].type)
        if formula is None:
            is_sound = False
        else:
            match.append((str(field), formula))
    where = scope.formula((*path, "where"), spec.get("where"), source, what=part("decl_part_gather_where"),
                          expect=ftype_for("boolean"))
    if spec.get("where") is not None and where is None:
        is_sound = False
    elif where is not None and (reason := not_in_sql(where)) is not None:
        scope.problem((*path, "where"), "decl_gather_where_not_sql", {"reason": reason})
        is_sound = False
    columns = env.fields[name].row or {}
    raw_columns: Mapping[str, Any] = raw["fields"] if isinstance(raw.get("fields"), dict) else {}
    row = str(spec.get("row", ""))
    info = columns.get(row)
    if info is None or info.target_entity != key:
        scope.problem((*path, "row"), "decl_gather_row_not_ref",
                      {"row": row, "name": name, "target": key,
                       "suggestion": "" if info is not None else closest(row, columns)})
        is_sound = False
    values: list[tuple[str, Formula]] = []
    for column, text in (spec.get("values") or {}).items():
        if column not in columns or column == row:
            if column == row:
                scope.problem((*path, "values", column), "decl_gather_value_is_row", {"column": column}, key=True)
            else:
                scope.problem((*path, "values", column), "decl_gather_value_unknown",
                              {"column": column, "name": name, "suggestion": closest(column, columns)}, key=True)
            is_sound = False
            continue
        declared = raw_columns.get(column)
        if isinstance(declared, dict) and declared.get("formula") is not None:
            scope.problem((*path, "values", column), "decl_gather_value_computed", {"column": column}, key=True)
            is_sound = False
            continue
        formula = scope.formula((*path, "values", column), text, source, what=part("decl_part_gather_value",
                                                                                   {"column": column}),
                                expect=columns[column].type)
        if formula is None:
            is_sound = False
        else:
            values.append((str(column), formula))
    order_by = tuple(str(f) for f in spec.get("order_by") or ())
    for index, field in enumerate(order_by):
        if field not in source.fields or source.fields[field].type.kind is Kind.LIST:
            scope.problem((*path, "order_by", index), "decl_gather_order_by_invalid",
                          {"field": field, "entity": key,
                           "suggestion": "" if field in source.fields else closest(field, source.fields)})
            is_sound = False
    if not is_sound:
        return None
    return Gather(source=key, match=tuple(match), row=row, values=tuple(values), where=where, order_by=order_by)


def not_in_sql(formula: Formula) -> str | None:
    """Why `formula` cannot become SQL (the sources are found in the database), or None."""
    try:
        formula.to_sql(SqlProbe())
    except FormulaError as error:
        return error.reason
    return None
