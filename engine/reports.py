"""Declared reports: group-by and aggregate formulas compiled to one SQL query per request."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from engine.declarations.compiler import suggest
from engine.declarations.model import Action, ReportSpec
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

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label, "type": self.type}


def run_report(records: Records, module: str, name: str, *, q: str | None = None) -> dict[str, Any]:
    """Run a declared report for the actor: their row filters apply, hidden fields may not be used."""
    spec = records.module(module)
    report = spec.reports.get(name)
    if report is None:
        raise NotFound(f"module {module!r} has no report {name!r}" + suggest(name, spec.reports))
    entity = spec.entities[report.entity]
    access = records.access(entity)
    access.require(Action.READ)
    formulas = [f for _, f in report.group_by] + [f for _, f in report.measures] + ([report.where] if report.where
                                                                                     else [])
    used = set().union(*(f.dependencies for f in formulas)) & access.hidden_fields
    if used:
        raise PermissionDenied(f"report {name!r} uses {', '.join(sorted(used))}, which your roles may not see")
    query = RecordQuery(records.session, entity, records.evaluation(entity), hidden=access.hidden_fields)
    groups = [query.sql(f).label(column) for column, f in report.group_by]
    measures = [query.sql(f).label(column) for column, f in report.measures]
    statement = select(*groups, *measures).select_from(Record).where(
        Record.module == entity.module, Record.entity == entity.name, Record.deleted_at.is_(None))
    statement = query.visible(statement, access.row_filters)
    if report.where is not None:
        statement = statement.where(query.sql(report.where))
    if q and q.strip():
        statement = statement.where(query.sql(query.filter_formula(q)))
    if groups:
        statement = statement.group_by(*groups).order_by(*groups)
    columns = _columns(report)
    kinds = [f.type for _, f in report.group_by] + [f.type for _, f in report.measures]
    rows = [[_value(value, kind) for value, kind in zip(row, kinds, strict=True)]
            for row in records.session.execute(statement)]
    return {"columns": [c.name for c in columns], "column_info": [c.as_dict() for c in columns], "rows": rows,
            "title": report.title.get(records.language)}


def _columns(report: ReportSpec) -> list[Column]:
    return ([Column(name, name, _type_name(f)) for name, f in report.group_by]
            + [Column(name, name, _type_name(f)) for name, f in report.measures])


def _type_name(formula: Formula) -> str:
    return formula.type.kind.value


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
