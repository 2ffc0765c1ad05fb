"""Declared reports: group-by and aggregate formulas compiled to one SQL query per request."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, select

from engine.declarations.compiler import suggest
from engine.declarations.model import Action, EntitySpec, Kpi, ReportSpec
from engine.errors import NotFound, PermissionDenied
from engine.formula import Formula, FType, Kind
from engine.records import Records
from engine.storage.models import Record
from engine.storage.queries import RecordQuery
from engine.values import sql_number, to_json

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
    """The declared report and its entity, if the actor may run it: read access, no hidden field used."""
    spec = records.module(module)
    report = spec.reports.get(name)
    if report is None:
        raise NotFound(f"module {module!r} has no report {name!r}" + suggest(name, spec.reports))
    entity = spec.entities[report.entity]
    formulas = [f for _, f in report.group_by] + [f for _, f in report.measures]
    _require(records, entity, f"report {name!r}", [*formulas, *([report.where] if report.where else [])])
    return report, entity


def may_run(records: Records, module: str, name: str) -> bool:
    try:
        report_of(records, module, name)
    except (NotFound, PermissionDenied):
        return False
    return True


def _require(records: Records, entity: EntitySpec, what: str, formulas: list[Formula]) -> None:
    access = records.access(entity)
    access.require(Action.READ)
    used = set().union(*(f.dependencies for f in formulas)) & access.unreadable_fields
    if used:
        raise PermissionDenied(f"{what} uses {', '.join(sorted(used))}, which your roles may not see")


def run_report(records: Records, module: str, name: str, *, q: str | None = None) -> dict[str, Any]:
    """Run a declared report for the actor: their row filters apply, hidden fields may not be used."""
    report, entity = report_of(records, module, name)
    query, statement = _query(records, entity, report.where, q)
    groups = [query.sql(f).label(column) for column, f in report.group_by]
    measures = [query.sql(f).label(column) for column, f in report.measures]
    statement = statement.add_columns(*groups, *measures)
    by_name = {column.name: column for column in [*groups, *measures]}
    order = [by_name[c].desc() if descending else by_name[c].asc() for c, descending in report.order_by]
    if groups:
        statement = statement.group_by(*groups)
    statement = statement.order_by(*order, *groups)
    if report.limit:
        statement = statement.limit(report.limit)
    columns = _columns(report, entity, records.language)
    kinds = [f.type for _, f in report.group_by] + [f.type for _, f in report.measures]
    rows = [[_value(value, kind) for value, kind in zip(row, kinds, strict=True)]
            for row in records.session.execute(statement)]
    return {"columns": [c.name for c in columns], "column_info": [c.as_dict() for c in columns], "rows": rows,
            "title": report.title.get(records.language)}


def documents(records: Records, module: str, entity_name: str, *, q: str, sort: str,
              fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every visible record matching `q` as {id, field: value} in one query, for a view that draws them
    all (a plan's Gantt); the actor's row filters apply and hidden fields come back as None."""
    entity = records.entity(module, entity_name)
    query, statement = _query(records, entity, None, q)
    access = records.access(entity)
    statement = statement.add_columns(Record.id, Record.data).order_by(*query.ordering(sort))
    return [{"id": row_id, **{name: shown.get(name) for name in fields}}
            for row_id, data in records.session.execute(statement) for shown in [access.shown(data) or {}]]


def run_kpi(records: Records, module: str, name: str) -> KpiValue:
    """One dashboard figure for the actor, computed in SQL over the records they may read."""
    spec = records.modules.get(module)
    kpi = spec.kpis.get(name) if spec is not None else None
    if spec is None or kpi is None:
        raise NotFound(f"module {module!r} has no kpi {name!r}")
    entity = spec.entities[kpi.entity]
    _require(records, entity, f"kpi {name!r}", [kpi.value, *([kpi.where] if kpi.where else [])])
    query, statement = _query(records, entity, kpi.where, None)
    value = _value(records.session.execute(statement.add_columns(query.sql(kpi.value))).scalar(), kpi.value.type)
    number = None if value is None else sql_number(value)
    for bound, is_over in ((kpi.warn_above, True), (kpi.warn_below, False)):
        limit = _bound(records, module, bound)
        if number is not None and limit is not None and (number > limit if is_over else number < limit):
            return KpiValue(kpi, value, limit, True)
    return KpiValue(kpi, value, None, False)


def _bound(records: Records, module: str, bound: Decimal | str | None) -> Decimal | None:
    """A threshold: a number, or the tenant's value of a module parameter."""
    if bound is None or isinstance(bound, Decimal):
        return bound
    raw = records.params_of(module).get(bound)
    return None if raw is None else sql_number(raw)


def _query(records: Records, entity: EntitySpec, where: Formula | None,
           q: str | None) -> tuple[RecordQuery, Select[Any]]:
    """A select over the entity's live records the actor may see, with no columns yet."""
    access = records.access(entity)
    query = RecordQuery(records.session, entity, records.evaluation(entity), hidden=access.unreadable_fields)
    statement = select().select_from(Record).where(
        Record.module == entity.module, Record.entity == entity.name, Record.deleted_at.is_(None))
    statement = query.visible(statement, access.row_filters)
    if where is not None:
        statement = statement.where(query.sql(where))
    if q and q.strip():
        statement = statement.where(query.sql(query.filter_formula(q)))
    return query, statement


def _columns(report: ReportSpec, entity: EntitySpec, language: str) -> list[Column]:
    return [Column(name, report.labels[name].get(language) if name in report.labels else name,
                   f.type.kind.value, _target(entity, name, f)) for name, f in [*report.group_by, *report.measures]]


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
