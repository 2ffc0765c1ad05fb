"""Typed rows to a workbook people open in Excel: numbers as numbers, dates as dates, a frozen header.

Text is only ever text: a cell never becomes a formula because of what someone typed into a record
(CSV injection, OWASP). In .xlsx a text cell has the string type, whatever it starts with; in CSV,
which has no types, text a spreadsheet would take for a formula gets a leading single quote.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMATS = {"money": "#,##0.00", "integer": "#,##0", "decimal": "#,##0.00", "percent": "0.00%",
           "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
MIN_WIDTH, MAX_WIDTH = 8, 50
SHEET_TITLE_LENGTH = 31          # Excel's limit
FORBIDDEN_IN_TITLES = str.maketrans({c: " " for c in "[]:*?/\\"})
# What makes a spreadsheet read a cell as a formula: OWASP's CSV injection list (= + - @ tab CR),
# with line feed and NUL as ASVS 1.2.10 adds.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take this text for a formula."""
    return text.startswith(FORMULA_STARTS)


def neutralised(text: str) -> str:
    """Text as CSV must carry it: a leading single quote before what would start a formula."""
    return "'" + text if is_formula_like(text) else text


@dataclass(frozen=True)
class Column:
    """One column: `label` is a text or a {zh, en} mapping; `kind` picks the cell format (see FORMATS)."""

    key: str
    label: str | Mapping[str, str]
    kind: str = "text"

    def heading(self, language: str) -> str:
        if isinstance(self.label, str):
            return self.label
        return self.label.get(language) or self.label.get("en") or self.key


def write_workbook(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1",
                   language: str = "en", preamble: Sequence[str] = (), bold_rows: Collection[int] = ()) -> bytes:
    """An .xlsx with one sheet: the `preamble` lines (a title, when and how it was exported) above a bold frozen
    header, formatted cells, widths fitted to the content; `bold_rows` (0-based among `rows`) are totals."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = (title.translate(FORBIDDEN_IN_TITLES).strip() or "Sheet1")[:SHEET_TITLE_LENGTH]
    for number, line in enumerate(preamble, start=1):
        cell = sheet.cell(row=number, column=1)
        _put(cell, line)
        cell.font = Font(bold=True, size=14) if number == 1 else Font(color="555555")
    top = len(preamble) + 2 if preamble else 1          # the header row: a blank row below the preamble
    headings = [c.heading(language) for c in columns]
    for position, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=top, column=position)
        _put(cell, heading)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF5")
        cell.alignment = Alignment(vertical="center")
    widths = [_width(h) for h in headings]
    for index, values in enumerate(rows):
        for position, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = sheet.cell(row=top + 1 + index, column=position)
            _put(cell, _cell(column, value))
            if index in bold_rows:
                cell.font = Font(bold=True)
            widths[position - 1] = max(widths[position - 1], _width(_shown(value)))
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, widths[position - 1] + 2))
        number_format = FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=top + 1, min_col=position, max_col=position):
                cell.number_format = number_format
    sheet.freeze_panes = f"A{top + 1}"
    if columns:
        sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{max(top, sheet.max_row)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, language: str = "en") -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel in Chinese opens it without garbling."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralised(c.heading(language)) for c in columns])
    for values in rows:
        writer.writerow([_csv_cell(value) for value in values])
    return "\ufeff".encode() + text.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str:
    """A value as CSV text: numbers and dates as they are (a negative amount is a number), anything else as text."""
    if value is None or isinstance(value, bool | int | float | Decimal | date):
        return _shown(value)
    return neutralised(_shown(value))


def _put(cell: Cell, value: Any) -> None:
    """Store a value in its type; text is stored as text (never a formula, whatever it starts with)."""
    if not isinstance(value, str):
        cell.value = value
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)   # control characters an .xlsx cannot hold
    cell.data_type = "s"
    if is_formula_like(value):
        cell.quotePrefix = True   # and Excel keeps it text when someone edits the cell


def _cell(column: Column, value: Any) -> Any:
    """What openpyxl stores: exact Decimals, naive dates (Excel has no time zones), text otherwise."""
    if column.kind == "percent" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)) / 100    # stored as 12.5 for 12.5 %: Excel's 0.00% format shows a fraction
    if value is None or isinstance(value, bool | int | Decimal | str):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return str(value)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _width(text: str) -> int:
    """Characters as Excel lays them out: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text[:MAX_WIDTH * 2])
