"""Declared reports: group-by and aggregate formulas compiled to one SQL query per request."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from engine.core.suggestions import suggest
from engine.declarations.model import Action, EntitySpec, Join, Kpi, ReportSpec, Window
from engine.errors import FormulaError, NotFound, PermissionDenied, PluginNotEnabled
from engine.fields.values import sql_number, to_json
from engine.formula import BOOL, Environment, FieldInfo, Formula, FType, Kind, compile_formula
from engine.records.service import Records
from engine.reports.grouping import GroupedColumns, read_after_grouping
from engine.reports.windows import every_group, matching, window_column
from engine.storage.columns import live_of
from engine.storage.models import Record
from engine.storage.queries import RecordQuery, ResultColumns

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str
    target: str | None = None      # the entity a ref column points at

    def as_dict(self) -> dict[str, str]:
        info = {"name": self.name, "label": self.label, "type": self.type}
        return {**info, "target": self.target} if self.target else info


@dataclass(frozen=True)
class KpiValue:
    kpi: Kpi
    value: Any                     # exact JSON: a money string, an int, a decimal string, or None
    threshold: Decimal | None      # the one crossed, if any
    is_warning: bool


def report_of(records: Records, module: str, name: str) -> tuple[ReportSpec, EntitySpec]:
    """The declared report and its entity, if the actor may run it: read access to every entity it
    reads (its joins' too, whose modules must be usable by the tenant), no hidden field used."""
    spec = records.module(module)
    report = spec.reports.get(name)
    if report is None:
        raise NotFound(f"module {module!r} has no report {name!r}" + suggest(name, spec.reports),
                       message_code="report_not_found",
                       params={"module": module, "name": name, "hint": suggest(name, spec.reports)})
    what = f"report {name!r}"
    entity = _entity(records, module, report.entity, what)
    formulas = [f for _, f in report.group_by] + [f for _, f in report.measures]
    _require(records, entity, what, [*formulas, *([report.where] if report.where else [])])
    _require_joins(records, module, report.joins, what)
    return report, entity


def entities_of(records: Records, module: str, report: ReportSpec) -> list[EntitySpec]:
    """Every entity a report reads: its own, then its joins' (exporting it needs export on each)."""
    what = f"report {report.name!r}"
    return [_entity(records, module, key, what) for key in (report.entity, *(j.entity for j in report.joins))]


def may_run(records: Records, module: str, name: str) -> bool:
    try:
        report_of(records, module, name)
    except (NotFound, PermissionDenied, PluginNotEnabled):
        return False
    return True


def _entity(records: Records, module: str, key: str, what: str) -> EntitySpec:
    """An entity a report reads: `name` of its own module, or `module.name` of another, which the tenant
    must have enabled (a license change or a disabled plugin can take it away): refused, saying which."""
    owner, _, name = key.rpartition(".")
    if owner in ("", module):
        return records.module(module).entities[name]
    try:
        return records.entity(owner, name)
    except (NotFound, PermissionDenied, PluginNotEnabled) as error:
        raise type(error)(f"{what} of module {module!r} reads {key}, which this tenant cannot use: "
                          f"{error.message}") from None


def _require(records: Records, entity: EntitySpec, what: str, formulas: list[Formula]) -> None:
    records.access(entity).require(Action.READ)
    records.reader().require(entity, formulas, what)


def _require_joins(records: Records, module: str, joins: tuple[Join, ...], what: str) -> None:
    for join in joins:
        formulas = [f for _, f in (*join.match, *join.measures)] + ([join.where] if join.where else [])
        _require(records, _entity(records, module, join.entity, what), f"{what} (over {join.entity})", formulas)


def run_report(records: Records, module: str, name: str, *, q: str | None = None) -> dict[str, Any]:
    """Run a declared report for the actor: their row filters apply, hidden fields may not be used."""
    report, entity = report_of(records, module, name)
    statement = _statement(records, module, entity, report.where, q, report.group_by, report.measures,
                           report.joins, report.derived, running=report.running, every=report.rows == "any",
                           order_by=report.order_by, limit=report.limit)
    columns = _columns(report, entity, records.language)
    kinds = [f.type for _, f in report.columns]
    rows = [[_value(value, kind) for value, kind in zip(row, kinds, strict=True)]
            for row in records.session.execute(statement)]
    return {"columns": [c.name for c in columns], "column_info": [c.as_dict() for c in columns], "rows": rows,
            "title": report.title.get(records.language)}


Columns = tuple[tuple[str, Formula], ...]


def _statement(records: Records, module: str, entity: EntitySpec, where: Formula | None, q: str | None,
               group_by: Columns, measures: Columns, joins: tuple[Join, ...] = (), derived: Columns = (), *,
               running: tuple[Window, ...] = (), every: bool = False,
               order_by: tuple[tuple[str, bool], ...] = (), limit: int | None = None,
               now: datetime | None = None) -> Select[Any]:
    """One SQL statement: the entity's groups and measures; with joins, each joined entity grouped by its
    match keys in a subquery and left-joined on them (`every`: onto the union of all their groups), then the
    running columns (windows over those rows) and the derived columns over the result."""
    later = _filter_after(entity, group_by, q) if running else None
    query, statement = _query(records, module, entity, where, None if later is not None else q, now)
    after = read_after_grouping(entity, group_by) if not joins and not derived and not running else set()
    groups = [query.sql(f).label(column) for column, f in group_by if column not in after]
    aggregates = [query.sql(f).label(column) for column, f in measures]
    statement = statement.add_columns(*groups, *aggregates)
    if groups:
        statement = statement.group_by(*groups)
    if after:
        return _read_after_grouping(query, statement, group_by, measures, after, order_by, limit)
    if not joins and not derived and not running:
        selected: dict[str, ColumnElement[Any]] = {c.name: c for c in [*groups, *aggregates]}
        return _ordered(statement, selected, [*groups], order_by, limit)
    main = statement.subquery("main")
    sides = []
    for index, join in enumerate(joins):
        joined = _entity(records, module, join.entity, "report")
        join_query, join_statement = _query(records, module, joined, join.where, None)
        keys = [join_query.sql(f).label(f"{column}__key") for column, f in join.match]
        join_statement = join_statement.add_columns(*keys, *(join_query.sql(f).label(column)
                                                             for column, f in join.measures))
        if keys:
            join_statement = join_statement.group_by(*keys)
        sides.append((join_statement.subquery(f"joined_{index}"), [column for column, _ in join.measures]))
    names = [column for column, _ in group_by]
    source: Any = main
    rows: Any = main
    if every and names:  # a row per group of any entity: the union of the groups, each entity left-joined
        rows = every_group(main, names, sides)
        source = rows.outerjoin(main, matching(rows, main, [(n, n) for n in names], nulls_match=True))
    selected = {column: rows.c[column] for column in names}
    selected.update({column: main.c[column] for column, _ in measures})
    for (side, measured), join in zip(sides, joins, strict=True):
        # Plain equality (hash-joinable): a row whose grouping is empty gets no joined values.
        pairs = [(column, f"{column}__key") for column, _ in join.match]
        source = source.outerjoin(side, matching(rows, side, pairs, nulls_match=every))
        selected.update({column: side.c[column] for column in measured})
    for window in running:  # over the user's grouped rows only: the subqueries hold the rows they may read
        selected[window.name] = window_column(window, selected)
    target = ResultColumns(selected)
    for column, formula in derived:
        selected[column] = _over_columns(records, module, formula, target)
    labelled = {column: expression.label(column) for column, expression in selected.items()}
    outer = select(*labelled.values()).select_from(source)
    if later is None:
        return _ordered(outer, labelled, [rows.c[column] for column in names], order_by, limit)
    # The page's parameters pick rows after the windows ran: a month's 期初 counts the months before it.
    windowed = outer.subquery("windowed")
    final = {column: windowed.c[column] for column in labelled}
    chosen = select(*final.values()).where(_over_columns(records, module, later, ResultColumns(final)))
    return _ordered(chosen, final, [windowed.c[column] for column in names], order_by, limit)


def _read_after_grouping(query: RecordQuery, statement: Select[Any], group_by: Columns, measures: Columns,
                         after: set[str], order_by: tuple[tuple[str, bool], ...], limit: int | None) -> Select[Any]:
    """The groupings in `after` (fields of grouped references) read once per group over the grouped rows."""
    grouped = statement.add_columns(Record.tenant_id.label("tenant_id")).group_by(Record.tenant_id).subquery("grouped")
    target, evaluation = GroupedColumns(query.columns.dialect, grouped), query.evaluation
    selected: dict[str, ColumnElement[Any]] = {
        column: (f.to_sql(target, params=evaluation.params, user_name=evaluation.user_name,
                          user_roles=evaluation.user_roles, now=evaluation.now) if column in after
                 else grouped.c[column]).label(column) for column, f in group_by}
    selected.update({column: grouped.c[column].label(column) for column, _ in measures})
    return _ordered(select(*selected.values()), selected, [selected[c] for c, _ in group_by], order_by, limit)


def _filter_after(entity: EntitySpec, group_by: Columns, q: str | None) -> Formula | None:
    """A user's `q` over the groupings that are fields of the entity or named ones (the page's parameters), to filter a
    report's rows after its running columns are computed; None when it names anything else (it then filters
    the records, as without running columns). The groupings are fields the report may already read."""
    if not q or not q.strip():
        return None
    plain = {column: FieldInfo(type=f.type) for column, f in group_by  # the field itself, or a named grouping
             if f.text.strip() == column or column not in entity.fields}
    try:
        return compile_formula(q, Environment(fields=plain), expect=BOOL)
    except FormulaError:
        return None


def _ordered(statement: Select[Any], columns: Mapping[str, ColumnElement[Any]], groups: list[ColumnElement[Any]],
             order_by: tuple[tuple[str, bool], ...], limit: int | None) -> Select[Any]:
    order = [columns[c].desc() if descending else columns[c].asc() for c, descending in order_by]
    statement = statement.order_by(*order, *groups)
    return statement.limit(limit) if limit else statement


def documents(records: Records, module: str, entity_name: str, *, q: str, sort: str,
              fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every visible record matching `q` as {id, field: value} in one query, for a view that draws them
    all (a plan's Gantt); the actor's row filters apply and hidden fields come back as None."""
    entity = records.entity(module, entity_name)
    query, statement = _query(records, module, entity, None, q)
    access = records.access(entity)
    statement = statement.add_columns(Record.id, Record.data).order_by(*query.ordering(sort))
    return [{"id": row_id, **{name: shown.get(name) for name in fields}}
            for row_id, data in records.session.execute(statement) for shown in [access.shown(data) or {}]]


def run_kpi(records: Records, module: str, name: str, *, q: str | None = None,
            now: datetime | None = None) -> KpiValue:
    """One dashboard figure for the actor, computed in SQL over the records they may read (and `q`, the
    dashboard's project and period); `now` is the clock of its `today()` (a past month's last day)."""
    spec = records.modules.get(module)
    kpi = spec.kpis.get(name) if spec is not None else None
    if spec is None or kpi is None:
        raise NotFound(f"module {module!r} has no kpi {name!r}",
                       message_code="kpi_not_found", params={"module": module, "name": name})
    if kpi.from_report is not None:
        raw = _over_report(records, module, kpi, q, now)
    else:
        entity = _entity(records, module, kpi.entity, f"kpi {name!r}")
        _require(records, entity, f"kpi {name!r}", [kpi.value, *([kpi.where] if kpi.where else [])])
        query, statement = _query(records, module, entity, kpi.where, q, now)
        raw = records.session.execute(statement.add_columns(query.sql(kpi.value))).scalar()
    value = _value(raw, kpi.value.type)
    number = None if value is None else sql_number(value)
    for bound, is_over in ((kpi.warn_above, True), (kpi.warn_below, False)):
        limit = _bound(records, module, bound)
        if number is not None and limit is not None and (number > limit if is_over else number < limit):
            return KpiValue(kpi, value, limit, True)
    return KpiValue(kpi, value, None, False)


def _over_report(records: Records, module: str, kpi: Kpi, q: str | None, now: datetime | None) -> Any:
    """A kpi's aggregate over the rows of a report (joins and derived columns included), in one statement."""
    assert kpi.from_report is not None
    report, entity = report_of(records, module, kpi.from_report)
    rows = _statement(records, module, entity, report.where, q, report.group_by, report.measures,
                      report.joins, report.derived, running=report.running,
                      every=report.rows == "any", now=now).subquery("report_rows")
    target = ResultColumns({column: rows.c[column] for column, _ in report.columns})
    statement = select(_over_columns(records, module, kpi.value, target)).select_from(rows)
    if kpi.where is not None:
        statement = statement.where(_over_columns(records, module, kpi.where, target))
    return records.session.execute(statement).scalar()


def _over_columns(records: Records, module: str, formula: Formula, target: ResultColumns) -> ColumnElement[Any]:
    return formula.to_sql(target, params=records.params_of(module), user_name=records.actor.username,
                          user_roles=tuple(sorted(records.actor.roles)))


def _bound(records: Records, module: str, bound: Decimal | str | None) -> Decimal | None:
    """A threshold: a number, or the tenant's value of a module parameter."""
    if bound is None or isinstance(bound, Decimal):
        return bound
    raw = records.params_of(module).get(bound)
    return None if raw is None else sql_number(raw)


def _query(records: Records, module: str, entity: EntitySpec, where: Formula | None,
           q: str | None, now: datetime | None = None) -> tuple[RecordQuery, Select[Any]]:
    """A select over the entity's live records the actor may see, with no columns yet.

    A report may read another module's entity: its formulas' `params.` are the report's module's. `now`, when
    given, is the clock of their `today()`."""
    access = records.access(entity)
    evaluation = records.evaluation(entity)
    if now is not None:
        evaluation = replace(evaluation, now=now)
    if module != entity.module:
        evaluation = replace(evaluation, params={**evaluation.params, **records.params_of(module)})
    query = RecordQuery(records.session, entity, evaluation, reader=records.reader())
    statement = select().select_from(Record).where(live_of(Record, entity.module, entity.name))
    statement = query.visible(statement, access.row_filters)
    if where is not None:
        statement = statement.where(query.sql(where))
    if q and q.strip():
        statement = statement.where(query.filter_sql(q))
    return query, statement


def _columns(report: ReportSpec, entity: EntitySpec, language: str) -> list[Column]:
    return [Column(name, report.labels[name].get(language) if name in report.labels else name,
                   f.type.kind.value, _target(entity, name, f)) for name, f in report.columns]


def _target(entity: EntitySpec, name: str, formula: Formula) -> str | None:
    """The entity a ref column points at: from its type, else from the field it is."""
    if formula.type.kind is not Kind.REF:
        return None
    spec = entity.fields.get(name) if formula.dependencies == {name} else None
    return formula.type.entity or (spec.target if spec is not None else None)


def _value(value: Any, kind: FType) -> Any:
    """Exact JSON for a cell: money to cents (SQLite sums in binary floats), counts as integers."""
    if value is None:
        return None
    if kind.kind is Kind.MONEY:
        return to_json(sql_number(value).quantize(CENT, rounding=ROUND_HALF_UP))
    if kind.kind is Kind.NUMBER:
        number = sql_number(value)
        return int(number) if number == number.to_integral_value() else to_json(number.normalize())
    return to_json(value)
