"""What a report page shows: parameters derived from the report's groupings, the formatted table, the chart.

Parameters are not declared separately: every grouping that is a plain field of the report's
entity becomes a filter control chosen by the field's type — a ref a select over the records
the user may read, an enum a select of its options, a date a from/to range, a text field named
`period` (or `..._period`, the modules' YYYY-MM months) a month picker, any other text a box.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine.declarations.model import EntitySpec, FieldSpec, ReportSpec
from engine.declarations.module_scope import ANY_ENTITY
from engine.records.service import Records
from web.ui.display import Formatter, as_decimal, format_moment
from web.ui.i18n import t
from web.ui.services import copied, path_field, quoted, readable, record_title, target_of, titles_of, users

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
NUMERIC_KINDS = frozenset({"money", "number"})
MAX_OPTIONS = 500
SUM = re.compile(r"^sum\((?:[^()]|\([^()]*(?:\([^()]*\)[^()]*)*\))*\)$")   # one sum(...) around the whole formula


@dataclass
class Parameter:
    name: str
    label: str
    kind: str                                   # select | month | date_range | text
    value: str = ""
    value_to: str = ""                          # the end of a date range
    options: list[tuple[str, str]] = field(default_factory=list)
    problem: str = ""

    @property
    def formula(self) -> str:
        """The filter this parameter adds, in the formula language ('' when empty)."""
        if self.kind != "date_range":
            return f"{self.name} == {quoted(self.value)}" if self.value else ""
        parts = [f"{self.name} >= date({quoted(self.value)})" if self.value else "",
                 f"{self.name} <= date({quoted(self.value_to)})" if self.value_to else ""]
        return " and ".join(p for p in parts if p)


def parameters_of(records: Records, report: ReportSpec, entity: EntitySpec,
                  args: Mapping[str, str]) -> list[Parameter]:
    """One control per grouping that is a plain field, filled from the query string and checked."""
    result = []
    for column, formula in report.group_by:
        spec = entity.fields.get(column)
        if spec is None and report.running and _is_month(column) and formula.type.kind.value == "text":
            # a named month (`period: year_month(...)`) of a report with running columns: picked after the windows
            parameter = Parameter(column, report.labels[column].get(records.language), "month")
        elif spec is None or formula.dependencies != {column} or spec.type not in ("ref", "enum", "date", "text"):
            continue
        else:  # a text field copying an enum (cost_element) is picked from that enum's options
            source = copied(records.modules, entity.fields, spec)
            parameter = _control(records, source if source.type == "enum" else spec, column)
            parameter.label = spec.label.get(records.language)
        parameter.value = args.get(column, "").strip()
        parameter.value_to = args.get(f"{column}_to", "").strip()
        parameter.problem = _problem(parameter)
        result.append(parameter)
    return result


def _is_month(name: str) -> bool:
    return name == "period" or name.endswith("_period")


def _control(records: Records, spec: FieldSpec, name: str) -> Parameter:
    label = spec.label.get(records.language)
    if spec.type == "enum":
        return Parameter(name, label, "select", options=[(k, v.get(records.language)) for k, v in spec.options.items()])
    if spec.type == "date":
        return Parameter(name, label, "date_range")
    if spec.type == "text":
        return Parameter(name, label, "month" if _is_month(name) else "text")
    target = target_of(records, spec.target)
    if target is None or not readable(records, target):
        return Parameter(name, label, "text")
    items = records.find(target.module, target.name, limit=MAX_OPTIONS).items
    options = sorted(((item["id"], record_title(target, item)) for item in items), key=lambda o: o[1])
    return Parameter(name, label, "select", options=options)


def _problem(parameter: Parameter) -> str:
    if parameter.kind == "month" and parameter.value and not MONTH.match(parameter.value):
        return t("report.bad_month", label=parameter.label, value=parameter.value)
    if parameter.kind == "date_range":
        for value in (parameter.value, parameter.value_to):
            try:
                date.fromisoformat(value) if value else None
            except ValueError:
                return t("report.bad_date", label=parameter.label, value=value)
    if parameter.kind == "select" and parameter.value and parameter.value not in dict(parameter.options):
        return t("report.bad_choice", label=parameter.label, value=parameter.value)
    return ""


def query_of(parameters: list[Parameter]) -> str:
    return " and ".join(p.formula for p in parameters if p.formula)


@dataclass
class ReportColumn:
    name: str
    label: str
    kind: str

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class ReportTable:
    columns: list[ReportColumn]
    rows: list[list[str]]                     # display texts
    values: list[list[Any]]                   # the exact JSON values, for the chart
    totals: dict[str, str]                    # money column -> its formatted sum


def build_table(records: Records, report: ReportSpec, entity: EntitySpec, result: Mapping[str, Any]) -> ReportTable:
    """Cells as people read them: titles not ids (also of a ref reached by a path, `cost_account.parent`), option
    labels not keys (also of an enum reached by a path, `cost_account.cost_element`), money with separators,
    times in the tenant's zone. The totals row sums the money columns that are sums themselves (an average or
    a rate is not additive)."""
    columns = [ReportColumn(c["name"], c["label"], c["type"]) for c in result["column_info"]]
    formulas = dict(report.columns)
    specs = {c.name: _field_of(records, entity, c.name, formulas.get(c.name)) for c in columns}
    titles: dict[str, str] = {}
    for index, info in enumerate(result["column_info"]):
        if info["type"] == "ref":
            spec = specs[info["name"]]
            target = info.get("target") or (spec.target if spec is not None else None) or ANY_ENTITY
            titles.update(titles_of(records, target, (row[index] for row in result["rows"])))
    names = {login: name for login, name, _active in users(records.session)}
    formatter = Formatter(records.language, users=names, titles=titles)
    rows = [[_text(formatter, specs[c.name], c.kind, value) for c, value in zip(columns, row, strict=True)]
            for row in result["rows"]]
    additive = {name for name, formula in report.aggregates if SUM.match(formula.text.strip())}
    totals = {}
    for index, column in enumerate(columns):
        if column.kind == "money" and column.name in additive:
            total = sum((as_decimal(row[index]) or Decimal(0) for row in result["rows"]), Decimal(0))
            totals[column.name] = f"{total:,.2f}"
    return ReportTable(columns, rows, [list(row) for row in result["rows"]], totals)


def _field_of(records: Records, entity: EntitySpec, name: str, formula: Any) -> FieldSpec | None:
    """The field a grouping column shows: the field itself, or the one its path of refs ends at."""
    text = formula.text.strip() if formula is not None else name
    found = entity.fields.get(text) if text in entity.fields else path_field(records.modules, entity.fields, text)
    same = entity.fields.get(name)  # a column computed again under its field's name (alert_level): its options
    found = found or (same if same is not None and same.type == "enum" else None)
    return copied(records.modules, entity.fields, found) if found is not None else None


def _text(formatter: Formatter, spec: FieldSpec | None, kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"{as_decimal(value) or Decimal(0):,.2f}"
    if kind == "number":
        number = as_decimal(value)
        return f"{number:,f}" if number is not None else str(value)
    if kind == "ref":
        return formatter.titles.get(str(value), str(value))
    if kind == "bool":
        return t("value.yes") if value else t("value.no")
    if kind == "datetime":
        return format_moment(value)
    if spec is not None and spec.type in ("enum", "multi_enum", "user", "date", "datetime"):
        return formatter.value(spec, value)
    return str(value)


def chart_of(report: ReportSpec, table: ReportTable, language: str) -> dict[str, Any] | None:
    """The chart's data: declared `chart:`, else a bar of the first money column by the first varying
    grouping. Rows with the same x are summed (the declared y columns are additive measures)."""
    numeric = [i for i, c in enumerate(table.columns) if c.is_numeric]
    groups = [i for i, c in enumerate(table.columns) if not c.is_numeric]
    names = [c.name for c in table.columns]
    declared = report.chart
    if declared is not None and declared.x in names:
        x: int | None = names.index(declared.x)
    else:
        varying = [i for i in groups if len({row[i] for row in table.rows}) > 1]
        x = next(iter(varying or groups), None)
    if declared is not None and declared.y:
        ys = [names.index(y) for y in declared.y if y in names]
    else:
        money = [i for i in numeric if table.columns[i].kind == "money"]
        ys = (money or numeric)[:1]
    if not ys or not table.rows:
        return None
    sums: dict[str, list[Decimal]] = {}
    for text, value in zip(table.rows, table.values, strict=True):
        category = text[x] if x is not None else report.title.get(language)
        totals = sums.setdefault(category or "—", [Decimal(0)] * len(ys))
        for k, index in enumerate(ys):
            totals[k] += as_decimal(value[index]) or Decimal(0)
    return {"type": declared.type if declared is not None else "bar",
            "stacked": bool(declared and declared.stacked),
            "x": table.columns[x].label if x is not None else "",
            "categories": list(sums),
            "series": [{"name": table.columns[index].label, "data": [str(v[k]) for v in sums.values()]}
                       for k, index in enumerate(ys)]}
