"""Compile a module's `reports:` and `kpis:`: formulas, column labels, chart, order and thresholds."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.core.declaration_codes import Part, part
from engine.core.suggestions import closest
from engine.declarations.flow.report_running import compile_rows, compile_running
from engine.declarations.model import Chart, EntitySpec, Join, Kpi, Label, ReportSpec
from engine.declarations.module_scope import ModuleScope, Path, label_of
from engine.formula import ANY, Environment, FieldInfo, Formula, ftype_for

FIELD_PATH = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


def column_name(text: str) -> str:
    """`month(date)` -> `month_date`: a stable column name for a group-by expression."""
    cleaned = "".join(c if c.isalnum() else "_" for c in text).strip("_")
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    return cleaned or "group"


def compile_report(compiler: ModuleScope, name: str, raw: Any,
                   entities: Mapping[str, EntitySpec]) -> ReportSpec | None:
    if not isinstance(raw, dict):
        return None
    path = ("reports", name)
    what = part("decl_part_report", {"name": name})
    resolved = _resolve(compiler, (*path, "entity"), what, raw.get("entity"), entities)
    if resolved is None:
        return None
    entity, spec, env = resolved
    where = compiler.formula((*path, "where"), raw.get("where"), env, what=part("decl_part_where_report",
                                                                                {"name": name}),
                             expect=ftype_for("boolean"))
    group_by = []
    labels: dict[str, Label] = {}
    for index, item in enumerate(raw.get("group_by") or ()):
        at: Path = (*path, "group_by", index)
        named = isinstance(item, dict) and len(item) == 1   # {period: "year_month(work_date)"}: a named grouping
        column, text = next(iter(item.items())) if named else (column_name(str(item)), item)
        compiled = compiler.formula((*at, column) if named else at, text, env, what=part("decl_part_group_by_report",
                                                                                         {"name": name}))
        if compiled is not None:
            group_by.append((str(column), compiled))
            if (label := field_label(compiler, spec, str(text), entities)) is not None:
                labels[str(column)] = label
    measures = []
    for measure, text in (raw.get("measures") or {}).items():
        compiled = compiler.formula((*path, "measures", measure), text, env,
                                    what=part("decl_part_measure_report",
                                              {"measure": measure, "name": name}), aggregate=True)
        if compiled is not None:
            measures.append((str(measure), compiled))
    known = [*group_by, *measures]
    unresolved: list[str] = []
    joins = compile_joins(compiler, path, what, raw.get("join"), entities, dict(group_by), known, unresolved)
    running = compile_running(compiler, path, what, raw.get("running"), known, unresolved)
    derived = compile_derived(compiler, path, what, raw.get("derived"), known, unresolved)
    rows = compile_rows(compiler, path, what, raw.get("rows"), [c for c, _ in group_by], raw.get("join"))
    columns = [c for c, _ in known] + unresolved
    for column, label in (raw.get("labels") or {}).items():
        if column not in columns:
            compiler.problem((*path, "labels", column), "decl_report_label_unknown_column",
                             {"column": column, "name": name, "suggestion": closest(column, columns)}, key=True)
        labels[str(column)] = label_of(label, str(column))
    for column in columns:
        labels.setdefault(column, label_of(None, column))
    order = raw.get("order_by")
    order_by = []
    for index, item in enumerate([order] if isinstance(order, str) else order or ()):
        column = str(item).removeprefix("-")
        if column not in columns:
            where_at = (*path, "order_by") if isinstance(order, str) else (*path, "order_by", index)
            compiler.problem(where_at, "decl_report_order_unknown_column",
                             {"name": name, "column": column, "suggestion": closest(column, columns)})
        else:
            order_by.append((column, str(item).startswith("-")))
    limit = raw.get("limit")
    return ReportSpec(name=name, title=label_of(raw.get("title"), name), entity=entity, where=where,
                      group_by=tuple(group_by), measures=tuple(measures), labels=labels,
                      chart=_chart(compiler, path, raw.get("chart"), columns), order_by=tuple(order_by),
                      limit=limit if isinstance(limit, int) else None, joins=joins, derived=derived,
                      running=running, rows=rows)


def compile_joins(compiler: ModuleScope, path: Path, what: Part, raw: Any, entities: Mapping[str, EntitySpec],
                  groups: Mapping[str, Formula], known: list[tuple[str, Formula]],
                  unresolved: list[str]) -> tuple[Join, ...]:
    """`join:` — measures of other entities, each grouped by its `match` formulas; their columns are added to
    `known` (so later joins and derived columns may name them), or to `unresolved` when the entity is not
    found (so the one problem is not repeated at every column that names them)."""
    joins = []
    for index, item in enumerate(raw if isinstance(raw, list) else ()):
        if not isinstance(item, dict):
            continue
        at = (*path, "join", index)
        resolved = _resolve(compiler, (*at, "entity"), part("decl_part_join",
                                                            {"number": index + 1,
                                                             "what": what}), item.get("entity"), entities)
        if resolved is None:
            unresolved.extend(str(name) for name in item.get("measures") or ())
            continue
        _key, spec, env = resolved
        match = []
        for column, text in (item.get("match") or {}).items():
            if column not in groups:
                compiler.problem((*at, "match", column), "decl_join_match_unknown",
                                 {"number": index + 1, "what": what, "column": column,
                                  "suggestion": closest(column, groups)}, key=True)
                continue
            compiled = compiler.formula((*at, "match", column), text, env, expect=groups[column].type,
                                        what=part("decl_part_match_join",
                                                  {"column": column, "number": index + 1, "what": what}))
            if compiled is not None:
                match.append((str(column), compiled))
        where = compiler.formula((*at, "where"), item.get("where"), env, expect=ftype_for("boolean"),
                                 what=part("decl_part_where_join", {"number": index + 1, "what": what}))
        measures = []
        for measure, text in (item.get("measures") or {}).items():
            if _is_taken(compiler, (*at, "measures", measure), str(measure), known, what):
                continue
            compiled = compiler.formula((*at, "measures", measure), text, env, aggregate=True,
                                        what=part("decl_part_measure_join",
                                                  {"measure": measure, "number": index + 1, "what": what}))
            if compiled is not None:
                measures.append((str(measure), compiled))
                known.append((str(measure), compiled))
        joins.append(Join(entity=spec.key, match=tuple(match), measures=tuple(measures), where=where))
    return tuple(joins)


def compile_derived(compiler: ModuleScope, path: Path, what: Part, raw: Any, known: list[tuple[str, Formula]],
                    unresolved: list[str]) -> tuple[tuple[str, Formula], ...]:
    """`derived:` — formulas over the columns before them (`spi: "ev / pv"`), computed per row in SQL."""
    derived = []
    for name, text in (raw.items() if isinstance(raw, dict) else ()):
        if _is_taken(compiler, (*path, "derived", name), str(name), known, what):
            continue
        fields = {column: FieldInfo(type=ANY) for column in unresolved}
        fields.update({column: FieldInfo(type=f.type) for column, f in known})
        env = Environment(fields=fields, params=compiler.param_types)
        compiled = compiler.formula((*path, "derived", name), text, env,
                                    what=part("decl_part_derived_column_formula_columns", {"name": name, "what": what}))
        if compiled is not None:
            derived.append((str(name), compiled))
            known.append((str(name), compiled))
        else:
            unresolved.append(str(name))
    return tuple(derived)


def _is_taken(compiler: ModuleScope, path: Path, name: str, known: list[tuple[str, Formula]], what: Part) -> bool:
    if any(column == name for column, _ in known):
        compiler.problem(path, "decl_column_name_taken", {"what": what, "name": name}, key=True)
        return True
    return False


def field_label(compiler: ModuleScope, entity: EntitySpec, text: str,
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


def _chart(compiler: ModuleScope, path: Path, raw: Any, columns: list[str]) -> Chart | None:
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
                compiler.problem((*path, "chart", key), "decl_chart_unknown_column",
                                 {"axis": key, "column": column, "suggestion": closest(column, columns)})
    return Chart(type=str(raw.get("type", "bar")), x=x, y=ys, stacked=bool(raw.get("stacked")))


def compile_kpi(compiler: ModuleScope, name: str, raw: Any, entities: Mapping[str, EntitySpec],
                reports: Mapping[str, ReportSpec]) -> Kpi | None:
    if not isinstance(raw, dict):
        return None
    path = ("kpis", name)
    what = part("decl_part_kpi", {"name": name})
    report = raw.get("report")
    source = raw.get("from_report")
    if source is not None:  # one aggregate over the rows of a report of this module: its columns are the fields
        if source not in reports:
            compiler.problem((*path, "from_report"), "decl_report_source_unknown",
                             {"what": what, "report": source, "suggestion": closest(str(source), reports)})
            return None
        if raw.get("entity") is not None:
            compiler.problem((*path, "entity"), "decl_report_source_and_entity", {"what": what, "report": source})
        entity = reports[source].entity
        env = Environment(fields={c: FieldInfo(type=f.type) for c, f in reports[source].columns},
                          params=compiler.param_types)
        report = source if report is None else report
    elif raw.get("entity") is None:
        compiler.problem(path, "decl_report_needs_source", {"what": what})
        return None
    else:
        resolved = _resolve(compiler, (*path, "entity"), what, raw.get("entity"), entities)
        if resolved is None:
            return None
        entity, _spec, env = resolved
    value = compiler.formula((*path, "value"), raw.get("value"), env, what=part("decl_part_value_kpi", {"name": name}),
                             aggregate=True)
    where = compiler.formula((*path, "where"), raw.get("where"), env, what=part("decl_part_where_kpi", {"name": name}),
                             expect=ftype_for("boolean"))
    if report is not None and report not in reports:
        compiler.problem((*path, "report"), "decl_kpi_unknown_report",
                         {"name": name, "report": report, "suggestion": closest(str(report), reports)})
    bounds = {key: _threshold(compiler, (*path, key), raw.get(key)) for key in ("warn_above", "warn_below")}
    if value is None:
        return None
    return Kpi(name=name, title=label_of(raw.get("title"), name), entity=entity, value=value, where=where,
               unit=label_of(raw["unit"], "") if raw.get("unit") else None, report=report,
               warn_above=bounds["warn_above"], warn_below=bounds["warn_below"],
               from_report=str(source) if source is not None else None)


def _threshold(compiler: ModuleScope, path: Path, raw: Any) -> Decimal | str | None:
    """A number, or `params.<name>` of a numeric module parameter."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.startswith("params."):
        name = raw.removeprefix("params.")
        if name not in compiler.param_types:
            compiler.problem(path, "decl_threshold_unknown_parameter",
                             {"name": name, "suggestion": closest(name, compiler.param_types)})
        return name
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        compiler.problem(path, "decl_threshold_invalid", {"value": raw})
        return None


def _resolve(compiler: ModuleScope, path: Path, what: Part, raw: Any,
             entities: Mapping[str, EntitySpec]) -> tuple[str, EntitySpec, Environment] | None:
    """The entity a report, kpi or join reads: `name` of this module or `module.name` of a required one.

    Returns (the key as stored: a plain name for this module's entities, else `module.name`; the entity;
    what its formulas may name — its fields and this module's parameters), or a problem and None."""
    text = str(raw or "")
    module, _, name = text.rpartition(".")
    if module in ("", compiler.name):
        if name not in entities:
            choices = [*entities, *(f"{m}.{e}" for m in compiler.requires if m in compiler.available
                                    for e in compiler.available[m].entities)]
            compiler.problem(path, "decl_report_entity_unknown",
                             {"what": what, "text": text, "suggestion": closest(text, choices)})
            return None
        return name, entities[name], Environment(fields=compiler.field_infos[name], params=compiler.param_types)
    if module not in compiler.available:
        compiler.problem(path, "decl_report_entity_module_missing",
                         {"what": what, "text": text, "module": module,
                          "suggestion": closest(module, compiler.available)})
        return None
    if module not in compiler.requires:
        compiler.problem(path, "decl_report_entity_not_required", {"what": what, "text": text, "module": module})
        return None
    spec = compiler.available[module].entities.get(name)
    if spec is None or spec.environment is None:
        compiler.problem(path, "decl_report_entity_no_entity",
                         {"what": what, "text": text, "module": module, "name": name,
                          "suggestion": closest(name, compiler.available[module].entities)})
        return None
    return spec.key, spec, Environment(fields=spec.environment.fields, params=compiler.param_types)
