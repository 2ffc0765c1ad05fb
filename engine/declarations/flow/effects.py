"""The shapes and name spaces of declared effects: per table row (`row.`), per group (`group.`), and
what an update effect reads of the record it changes (`target.`)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.core.declaration_codes import problem_at
from engine.core.suggestions import closest
from engine.declarations.module_scope import ModuleScope, Path
from engine.errors import FormulaError
from engine.formula import TEXT, Environment, FieldInfo, Formula, FType, Kind, SqlProbe

ROW = "row"
GROUP = "group"
TARGET = "target"


def effect_shape(scope: ModuleScope, path: Path, effect: Mapping[str, Any]) -> bool:
    """A trigger (`on` a status, `when` a condition, or both) and one action (`create` or `update`)."""
    if "on" not in effect and "when" not in effect:
        scope.problem(path, "decl_effect_needs_trigger")
        return False
    if "group_by" in effect and "for_each" not in effect:
        scope.problem((*path, "group_by"), "decl_effect_group_by_needs_for_each", key=True)
        return False
    if "update" in effect:
        chosen = ("records" in effect) + ("match" in effect)
        if "create" in effect:
            scope.problem(path, "decl_effect_create_and_update")
        elif chosen != 1 or not ("values" in effect or "status" in effect):
            scope.problem(path, "decl_effect_update_incomplete")
        elif "where" in effect and "match" not in effect:
            scope.problem((*path, "where"), "decl_effect_where_without_match", key=True)
        elif "group_by" in effect:
            scope.problem((*path, "group_by"), "decl_effect_group_by_on_update", key=True)
        else:
            return True
    elif "create" not in effect or "values" not in effect:
        scope.problem(path, "decl_effect_needs_action")
    elif any(key in effect for key in ("records", "status", "match", "where")):
        scope.problem(path, "decl_effect_update_keys_on_create")
    else:
        return True
    return False


def names_records(formula: Formula, wanted: FType, *, many: bool = False) -> bool:
    """Whether a formula names records of a ref's entity: a ref to it (or, with `many`, a list of them), or a
    record's own `id` (text)."""
    kinds = (wanted, FType.list_of(wanted)) if many else (wanted,)
    return any(kind.accepts(formula.type) for kind in kinds) or (
        TEXT.accepts(formula.type) and formula.dependencies <= {"id"})


def not_in_sql(formula: Formula) -> str | None:
    """Why a `where` over the target cannot become SQL (it selects the records in one query), or None."""
    try:
        formula.to_sql(SqlProbe())
    except FormulaError as error:
        return error.reason
    return None


def table_of(scope: ModuleScope, path: Path, env: Environment, name: Any) -> FieldInfo | None:
    """The table field an effect runs `for_each` row of, or a problem."""
    info = env.fields.get(str(name)) if isinstance(name, str) else None
    if info is None or info.row is None or info.type.kind is not Kind.LIST:
        tables = [n for n, i in env.fields.items() if i.row is not None and "." not in n]
        scope.problem(path, "decl_effect_for_each_not_table", {"name": name, "suggestion": closest(str(name), tables)})
        return None
    return info


def row_env(env: Environment, table: FieldInfo) -> Environment:
    """The record's fields as plain names and one row's columns as `row.<column>`."""
    assert table.row is not None
    return Environment(fields={**env.fields, **{f"{ROW}.{name}": info for name, info in table.row.items()}},
                       params=env.params)


def group_env(env: Environment, table: FieldInfo, keys: Mapping[str, Formula]) -> Environment:
    """The record's fields, the group's rows as the table `row` (`sum(row.amount)`), its keys as `group.<name>`."""
    fields = {name: info for name, info in env.fields.items() if name != ROW}
    fields[ROW] = FieldInfo.table(table.row or {})
    for name, formula in keys.items():
        fields[f"{GROUP}.{name}"] = FieldInfo(formula.type)
    return Environment(fields=fields, params=env.params)


def target_env(env: Environment, target: Environment) -> Environment:
    """What an update effect's values read: this record (and row), and the changed record as `target.<field>`."""
    fields = dict(env.fields)
    fields.update({f"{TARGET}.{name}": info for name, info in target.fields.items() if "." not in name})
    return Environment(fields=fields, params=env.params)


_ROW_AGGREGATE = re.compile(r"\b(sum|count|avg|min|max)\s*\(\s*row\.[a-z_0-9.]+\s*\)")


def explain(scope: ModuleScope, before: int, text: Any, *, per_row: bool, updates: bool, grouped: bool) -> None:
    """Say why a formula of an effect failed when it used a name space outside its place: an aggregate over
    one row's column (only grouped effects aggregate rows), `target.` in a create effect, `group.` without groups."""
    if len(scope.problems) == before or not isinstance(text, str):
        return
    code = ""
    if per_row and _ROW_AGGREGATE.search(text):
        code = "decl_formula_row_aggregate"
    elif not updates and re.search(r"\btarget\.", text):
        code = "decl_formula_target_in_create"
    elif not grouped and re.search(r"\bgroup\.", text):
        code = "decl_formula_group_without_groups"
    last = scope.problems[-1]
    if code and last.code == "decl_formula":
        scope.problems[-1] = problem_at(last.file, last.line, last.column, code, last.params, last.element)
