"""Exports of what a list or report shows, to .xlsx and CSV: all matching rows, the visible columns only."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

from engine.declarations.model import NUMERIC_TYPES, Action, EntitySpec
from engine.errors import BadRequest, FormulaError
from engine.records.service import MAX_LIMIT, Records
from engine.reports.service import entities_of, report_of, run_report
from formwork_excel import Column, write_csv, write_workbook
from web.pages.blueprint import pages
from web.pages.records.listing import list_query
from web.ui.display import Formatter, as_decimal, display_zone, label_of, parse_moment, type_of
from web.ui.services import approvals, formatter
from web.uploads import file_response

MAX_EXPORT_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
REPORT_KINDS = {"money": "money", "number": "decimal", "date": "date", "datetime": "datetime"}


def cell_kind(kind: str) -> str:
    """The Excel format family of a field type."""
    return kind if kind in NUMERIC_TYPES or kind in ("date", "datetime") else "text"


def typed_value(entity: EntitySpec, name: str, raw: Any, fmt: Formatter) -> Any:
    """A stored value as a typed cell: numbers as Decimal, dates as dates, everything else as people read it."""
    if raw is None or raw == "" or raw == []:
        return None
    kind = type_of(entity, name)
    if kind in NUMERIC_TYPES:
        return as_decimal(raw)
    if kind == "date":
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    if kind == "datetime":
        moment = parse_moment(raw)
        return moment.astimezone(display_zone()).replace(tzinfo=None) if moment else None
    return fmt.value(entity.fields.get(name), raw, name)


def _all_items(records: Records, entity: EntitySpec, q: str | None, sort: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while len(items) < MAX_EXPORT_ROWS:
        page = records.find(entity.module, entity.name, q=q, sort=sort, limit=MAX_LIMIT, offset=len(items))
        items += page.items
        if len(page.items) < MAX_LIMIT or len(items) >= page.total:
            break
    return items


def _file(columns: list[Column], rows: Iterator[list[Any]] | list[list[Any]], title: str, stem: str,
          extension: str, language: str) -> Response:
    if extension == "csv":
        return file_response(write_csv(columns, rows, language=language), CSV, f"{stem}.csv", inline=False)
    return file_response(write_workbook(columns, rows, title=title, language=language), XLSX, f"{stem}.xlsx",
                         inline=False)


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
        return _file(columns, rows, title, stem, extension, language)


@pages.get("/reports/<module>/<report>/export.<any(xlsx, csv):extension>")
def export_report(module: str, report: str, extension: str) -> Response:
    """A declared report's table (`q` narrows it as on its page), for people who may export its entity."""
    with approvals() as service:
        records = service.records
        result = run_report(records, module, report, q=request.args.get("q"))
        spec, entity = report_of(records, module, report)
        for read in entities_of(records, module, spec):
            records.access(read).require(Action.EXPORT)
        grouped = {name for name, _ in spec.group_by}
        columns = [Column(c["name"], label_of(entity, c["name"], records.language)
                          if c["name"] in grouped and c["name"] in entity.fields else c["label"],
                          REPORT_KINDS.get(c["type"], "text")) for c in result["column_info"]]
        rows = [[_report_value(value, column.kind) for value, column in zip(row, columns, strict=True)]
                for row in result["rows"]]
        stem = f"{result['title']}-{date.today().isoformat()}"
        return _file(columns, rows, result["title"], stem, extension, records.language)


def _report_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("money", "decimal"):
        return Decimal(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    if kind == "datetime":
        moment = parse_moment(value)
        return moment.astimezone(display_zone()).replace(tzinfo=None) if isinstance(moment, datetime) else value
    return value
