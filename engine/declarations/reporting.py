"""Compile a module's `reports:` and `kpis:`: formulas, column labels, chart, order and thresholds."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.declarations.compiler import ModuleCompiler, label_of, suggest
from engine.declarations.model import Chart, EntitySpec, Kpi, Label, ReportSpec
from engine.formula import Environment, ftype_for

FIELD_PATH = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


def column_name(text: str) -> str:
    """`month(date)` -> `month_date`: a stable column name for a group-by expression."""
    cleaned = "".join(c if c.isalnum() else "_" for c in text).strip("_")
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    return cleaned or "group"


def compile_report(compiler: ModuleCompiler, name: str, raw: Any,
                   entities: Mapping[str, EntitySpec]) -> ReportSpec | None:
    if not isinstance(raw, dict):
        return None
    path = ("reports", name)
    entity = str(raw.get("entity", ""))
    env = _entity_env(compiler, path, f"report {name!r}", entity, entities)
    if env is None:
        return None
    where = compiler.formula((*path, "where"), raw.get("where"), env, what=f"where of report {name!r}",
                             expect=ftype_for("boolean"))
    group_by = []
    labels: dict[str, Label] = {}
    for index, text in enumerate(raw.get("group_by") or ()):
        compiled = compiler.formula((*path, "group_by", index), text, env, what=f"group_by of report {name!r}")
        if compiled is not None:
            column = column_name(str(text))
            group_by.append((column, compiled))
            if (label := field_label(compiler, entities[entity], str(text), entities)) is not None:
                labels[column] = label
    measures = []
    for measure, text in (raw.get("measures") or {}).items():
        compiled = compiler.formula((*path, "measures", measure), text, env,
                                    what=f"measure {measure!r} of report {name!r}", aggregate=True)
        if compiled is not None:
            measures.append((str(measure), compiled))
    columns = [c for c, _ in group_by] + [c for c, _ in measures]
    for column, label in (raw.get("labels") or {}).items():
        if column not in columns:
            compiler.problem((*path, "labels", column), f"label for unknown column {column!r} of report {name!r}"
                             + suggest(column, columns), key=True)
        labels[str(column)] = label_of(label, str(column))
    for column in columns:
        labels.setdefault(column, label_of(None, column))
    order = raw.get("order_by")
    order_by = []
    for index, item in enumerate([order] if isinstance(order, str) else order or ()):
        column = str(item).removeprefix("-")
        if column not in columns:
            where_at = (*path, "order_by") if isinstance(order, str) else (*path, "order_by", index)
            compiler.problem(where_at, f"report {name!r} cannot order by unknown column {column!r}"
                             + suggest(column, columns))
        else:
            order_by.append((column, str(item).startswith("-")))
    limit = raw.get("limit")
    return ReportSpec(name=name, title=label_of(raw.get("title"), name), entity=entity, where=where,
                      group_by=tuple(group_by), measures=tuple(measures), labels=labels,
                      chart=_chart(compiler, path, raw.get("chart"), columns), order_by=tuple(order_by),
                      limit=limit if isinstance(limit, int) else None)


def field_label(compiler: ModuleCompiler, entity: EntitySpec, text: str,
                entities: Mapping[str, EntitySpec]) -> Label | None:
    """The label of a group-by that is a field (`crew`) or one hop through a ref (`crew.crew_name`)."""
    if not FIELD_PATH.match(text):
        return None
    first, _, second = text.partition(".")
    spec = entity.fields.get(first)
    if spec is None:
        return None
    if not second:
        return spec.label
    module, _, target_name = (spec.target or "").partition(".")
    target = entities.get(target_name) if module == compiler.name else (
        compiler.available[module].entities.get(target_name) if module in compiler.available else None)
    hop = target.fields.get(second) if target is not None else None
    return hop.label if hop is not None else None


def _chart(compiler: ModuleCompiler, path: tuple[str, ...], raw: Any, columns: list[str]) -> Chart | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Chart(type=raw)
    if not isinstance(raw, dict):
        return None
    y = raw.get("y")
    ys = tuple(str(v) for v in ([y] if isinstance(y, str) else y or ()))
    x = str(raw["x"]) if raw.get("x") else None
    for key, names in (("x", (x,) if x else ()), ("y", ys)):
        for column in names:
            if column not in columns:
                compiler.problem((*path, "chart", key), f"chart {key} names unknown column {column!r}"
                                 + suggest(column, columns))
    return Chart(type=str(raw.get("type", "bar")), x=x, y=ys, stacked=bool(raw.get("stacked")))


def compile_kpi(compiler: ModuleCompiler, name: str, raw: Any, entities: Mapping[str, EntitySpec],
                reports: Mapping[str, ReportSpec]) -> Kpi | None:
    if not isinstance(raw, dict):
        return None
    path = ("kpis", name)
    entity = str(raw.get("entity", ""))
    env = _entity_env(compiler, path, f"kpi {name!r}", entity, entities)
    if env is None:
        return None
    value = compiler.formula((*path, "value"), raw.get("value"), env, what=f"value of kpi {name!r}",
                             aggregate=True)
    where = compiler.formula((*path, "where"), raw.get("where"), env, what=f"where of kpi {name!r}",
                             expect=ftype_for("boolean"))
    report = raw.get("report")
    if report is not None and report not in reports:
        compiler.problem((*path, "report"), f"kpi {name!r} links to unknown report {report!r}"
                         + suggest(str(report), reports))
    bounds = {key: _threshold(compiler, (*path, key), raw.get(key)) for key in ("warn_above", "warn_below")}
    if value is None:
        return None
    return Kpi(name=name, title=label_of(raw.get("title"), name), entity=entity, value=value, where=where,
               unit=label_of(raw["unit"], "") if raw.get("unit") else None, report=report,
               warn_above=bounds["warn_above"], warn_below=bounds["warn_below"])


def _threshold(compiler: ModuleCompiler, path: tuple[str, ...], raw: Any) -> Decimal | str | None:
    """A number, or `params.<name>` of a numeric module parameter."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.startswith("params."):
        name = raw.removeprefix("params.")
        if name not in compiler.param_types:
            compiler.problem(path, f"threshold names unknown parameter {name!r}" + suggest(name, compiler.param_types))
        return name
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        compiler.problem(path, f"threshold must be a number or params.<name>, not {raw!r}")
        return None


def _entity_env(compiler: ModuleCompiler, path: tuple[str, str], what: str, entity: str,
                entities: Mapping[str, EntitySpec]) -> Environment | None:
    """What the formulas of a report or kpi over `entity` may name, or a problem when there is no such entity."""
    if entity not in entities:
        compiler.problem((*path, "entity"), f"{what} names unknown entity {entity!r}" + suggest(entity, entities))
        return None
    return Environment(fields=compiler.field_infos[entity], params=compiler.param_types)
