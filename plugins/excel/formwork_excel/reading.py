"""A workbook read back as sheets of header + rows, with cells as Python values (dates as dates)."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

MAX_ROWS = 20000


class UnreadableWorkbook(ValueError):
    """The upload is not an .xlsx workbook, or has more rows than we take; the message says which."""


@dataclass(frozen=True)
class Sheet:
    """One sheet: the first non-empty row is the header; `numbers` are the rows' numbers in Excel."""

    name: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


def read_workbook(data: bytes, *, max_rows: int = MAX_ROWS) -> list[Sheet]:
    """Every sheet of an .xlsx; empty rows are skipped, formulas give their last computed value."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableWorkbook(f"this is not an Excel .xlsx workbook ({type(error).__name__})") from None
    try:
        return [_sheet(worksheet, max_rows) for worksheet in book.worksheets]
    finally:
        book.close()


def _sheet(worksheet: Any, max_rows: int) -> Sheet:
    header: list[str] | None = None
    rows: list[list[Any]] = []
    numbers: list[int] = []
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = [_value(cell) for cell in cells]
        if all(v is None or v == "" for v in values):
            continue
        if header is None:
            header = [str(v).strip() if v is not None else "" for v in values]
            while header and not header[-1]:
                header.pop()
            continue
        if len(rows) >= max_rows:
            raise UnreadableWorkbook(f"sheet {worksheet.title!r} has more than {max_rows} rows; split the file")
        width = len(header)
        values = (values + [None] * width)[:width]
        rows.append(values)
        numbers.append(number)
    return Sheet(worksheet.title, header or [], rows, numbers)


def _value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)).normalize() if value != int(value) else int(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date | int | Decimal) or value is None:
        return value
    return str(value)
