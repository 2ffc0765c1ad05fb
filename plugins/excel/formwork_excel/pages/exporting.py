"""Exports of what a list or report shows, to .xlsx and CSV, as people read them.

Every matching row in the visible columns only: options by their labels, references by the titles of the records
the reader may read (the others are never named), people by name, times in the tenant's zone, numbers as numbers
with their formats. A workbook starts with what it is: the list's or report's title, the filters or parameters it
was exported with and when. A report's workbook has a subtotal per first grouping (when it groups by two or more)
and a total row; its CSV stays plain: a header, the rows and a total line.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

from engine.declarations.model import NUMERIC_TYPES, Action, EntitySpec, ReportSpec
from engine.errors import BadRequest, FormulaError
from engine.records.service import MAX_LIMIT, Records
from engine.reports.service import entities_of, report_of, run_report
from formwork_excel import Column, write_csv, write_workbook
from web.pages.blueprint import pages
from web.pages.records.listing import ListQuery, list_query
from web.pages.reporting.report_data import SUM, build_table, parameters_of, query_of
from web.ui.display import Formatter, as_decimal, display_zone, label_of, parse_moment, type_of
from web.ui.i18n import translate
from web.ui.services import approvals, formatter
from web.uploads import file_response

MAX_EXPORT_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
REPORT_KINDS = {"money": "money", "number": "decimal", "date": "date", "datetime": "datetime"}
COUNT = re.compile(r"^\s*count\(\s*\)\s*$")


def cell_kind(kind: str) -> str:
    """The Excel format family of a field type."""
    return kind if kind in NUMERIC_TYPES or kind in ("date", "datetime") else "text"


def local_time(raw: Any) -> datetime | None:
    """A stored moment as the cell shows it: in the display zone, without a zone (Excel has none)."""
    moment = parse_moment(raw)
    return moment.astimezone(display_zone()).replace(tzinfo=None) if moment else None


def typed_value(entity: EntitySpec, name: str, raw: Any, fmt: Formatter) -> Any:
    """A stored value as a typed cell: numbers as Decimal, dates as dates, everything else as people read it;
    a reference the reader may not read is never named (nor shown by its id)."""
    if raw is None or raw == "" or raw == []:
        return None
    kind = type_of(entity, name)
    if kind in NUMERIC_TYPES:
        return as_decimal(raw)
    if kind == "date":
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    if kind == "datetime":
        return local_time(raw)
    if kind == "ref" and str(raw) not in fmt.titles:
        return translate("value.no_access", fmt.language)
    return fmt.value(entity.fields.get(name), raw, name)


def _all_items(records: Records, entity: EntitySpec, q: str | None, sort: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while len(items) < MAX_EXPORT_ROWS:
        page = records.find(entity.module, entity.name, q=q, sort=sort, limit=MAX_LIMIT, offset=len(items))
        items += page.items
        if len(page.items) < MAX_LIMIT or len(items) >= page.total:
            break
    return items


def exported_at(language: str) -> str:
    """When, in the tenant's zone."""
    return translate("export.exported_at", language,
                     at=datetime.now(display_zone()).strftime("%Y-%m-%d %H:%M"))


def filters_line(query: ListQuery, language: str) -> str:
    """The list's filters in words: each condition as `label operator value` (options by label), then the
    formula typed in the search box."""
    fields = {f.name: f for f in query.fields}
    parts = []
    for condition in query.conditions:
        field = fields.get(condition.name)
        if field is None:
            continue
        value = dict(field.options).get(condition.value, condition.value)
        operator = translate(f"op.{condition.operator}", language)
        parts.append(f"{field.label} {operator} {value}".strip())
    if query.free:
        parts.append(query.free)
    if not parts:
        return translate("export.no_filters", language)
    return translate("export.filters", language, filters=("；" if language == "zh" else "; ").join(parts))


def _file(columns: list[Column], rows: Iterator[list[Any]] | list[list[Any]], title: str, stem: str,
          extension: str, language: str, preamble: Sequence[str] = (), bold_rows: Sequence[int] = ()) -> Response:
    if extension == "csv":
        return file_response(write_csv(columns, rows, language=language), CSV, f"{stem}.csv", inline=False)
    return file_response(write_workbook(columns, rows, title=title, language=language, preamble=preamble,
                                        bold_rows=frozenset(bold_rows)), XLSX, f"{stem}.xlsx", inline=False)


@pages.get("/m/<module>/<entity>/export.<any(xlsx, csv):extension>")
def export_list(module: str, entity: str, extension: str) -> Response:
    """Every record the list shows with these parameters (all pages), in its columns and order."""
    with approvals() as service:
        records = service.records
        spec = records.entity(module, entity)
        access = records.access(spec)
        access.require(Action.READ)
        access.require(Action.EXPORT)
        query = list_query(records, spec, request.args)
        if query.problems:
            raise BadRequest("; ".join(query.problems))
        try:
            items = _all_items(records, spec, query.q, query.sort)
        except FormulaError as error:
            raise BadRequest(error.message) from None
        fmt = formatter(records, spec, [item["data"] for item in items])
        language = records.language
        columns = [Column(name, label_of(spec, name, language), cell_kind(type_of(spec, name)))
                   for name in query.columns]
        rows = [[typed_value(spec, name, item["data"].get(name) if name in spec.fields else item.get(name), fmt)
                 for name in query.columns] for item in items]
        title = spec.title.get(language)
        stem = f"{title}-{date.today().isoformat()}"
        preamble = [title, filters_line(query, language), exported_at(language)]
        return _file(columns, rows, title, stem, extension, language, preamble)


@pages.get("/reports/<module>/<report>/export.<any(xlsx, csv):extension>")
def export_report(module: str, report: str, extension: str) -> Response:
    """A declared report's table with the parameters of its page (and `q`), for people who may export its
    entities: groupings by their titles and labels, subtotals and a total row (see the module)."""
    with approvals() as service:
        records = service.records
        spec, entity = report_of(records, module, report)
        for read in entities_of(records, module, spec):
            records.access(read).require(Action.EXPORT)
        parameters = parameters_of(records, spec, entity, request.args)
        problems = [p.problem for p in parameters if p.problem]
        if problems:
            raise BadRequest("; ".join(problems))
        q = " and ".join(f"({part})" for part in (query_of(parameters), request.args.get("q", "").strip()) if part)
        result = run_report(records, module, report, q=q or None)
        language = records.language
        table = build_table(records, spec, entity, result)
        columns = [Column(c["name"], c["label"], _report_kind(c["type"], [row[i] for row in result["rows"]]))
                   for i, c in enumerate(result["column_info"])]
        rows = [[_report_value(value, text, info, column.kind, language)
                 for value, text, info, column in zip(values, texts, result["column_info"], columns, strict=True)]
                for values, texts in zip(result["rows"], table.rows, strict=True)]
        additive = [index for index, column in enumerate(columns) if _is_additive(spec, column.key)]
        groups = [index for index, c in enumerate(columns) if c.key in {name for name, _ in spec.group_by}]
        shown: list[list[Any]]
        bold: list[int]
        if extension == "csv":
            shown, bold = rows + ([_total(rows, additive, columns, language)] if rows and additive else []), []
        else:
            shown, bold = _with_subtotals(rows, groups, additive, columns, language)
        chosen = [f"{p.label}：{dict(p.options).get(p.value, p.value)}" + (f" ~ {p.value_to}" if p.value_to else "")
                  for p in parameters if p.value or p.value_to]
        preamble = [result["title"], (("；" if language == "zh" else "; ").join(chosen) if chosen
                                      else translate("export.no_filters", language)), exported_at(language)]
        stem = f"{result['title']}-{date.today().isoformat()}"
        return _file(columns, shown, result["title"], stem, extension, language, preamble, bold)


def _report_kind(kind: str, values: Sequence[Any]) -> str:
    """A column's format family; a number column of whole numbers only (a count) has no decimals."""
    if kind == "number" and all(isinstance(v, int) and not isinstance(v, bool) for v in values if v is not None):
        return "integer"
    return REPORT_KINDS.get(kind, "text")


def _is_additive(report: ReportSpec, name: str) -> bool:
    """A sum or a count: its rows add up to the group's (an average or a rate does not)."""
    return any(column == name and (SUM.match(formula.text.strip()) or COUNT.match(formula.text))
               for column, formula in report.aggregates)


def _report_value(value: Any, text: str, info: dict[str, Any], kind: str, language: str) -> Any:
    """Numbers and dates typed; everything else as the report page shows it (titles, labels), and a record the
    reader may not read not by its id."""
    if value is None:
        return None
    if kind in ("money", "decimal"):
        return Decimal(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    if kind == "datetime":
        return local_time(value) or value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if info.get("target") and text == str(value):   # no title: a record the reader may not read
        return translate("value.no_access", language)
    return text


def _sum(rows: Sequence[Sequence[Any]], index: int) -> Any:
    total = sum((Decimal(str(row[index])) for row in rows if isinstance(row[index], int | float | Decimal)),
                Decimal(0))
    return int(total) if all(isinstance(row[index], int) for row in rows if row[index] is not None) else total


def _total(rows: Sequence[Sequence[Any]], additive: Sequence[int], columns: Sequence[Column], language: str,
           label: str = "") -> list[Any]:
    line: list[Any] = [None] * len(columns)
    for index in additive:
        line[index] = _sum(rows, index)
    first = next((index for index in range(len(columns)) if index not in additive), None)
    if first is not None:
        line[first] = label or translate("export.total", language)
    return line


def _with_subtotals(rows: list[list[Any]], groups: Sequence[int], additive: Sequence[int],
                    columns: Sequence[Column], language: str) -> tuple[list[list[Any]], list[int]]:
    """The rows, a subtotal after each value of the first grouping (when there are two or more groupings), then
    the total; and which of them are bold."""
    if not rows or not additive:
        return rows, []
    shown: list[list[Any]] = []
    bold: list[int] = []
    if len(groups) >= 2:
        first = groups[0]
        order: dict[Any, list[list[Any]]] = {}
        for row in rows:
            order.setdefault(row[first], []).append(row)
        for value, block in order.items():
            shown += block
            bold.append(len(shown))
            shown.append(_total(block, additive, columns, language,
                                translate("export.subtotal", language, group=value if value is not None else "—")))
    else:
        shown = list(rows)
    bold.append(len(shown))
    shown.append(_total(rows, additive, columns, language))
    return shown, bold
