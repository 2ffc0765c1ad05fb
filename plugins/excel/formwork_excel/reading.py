"""A workbook read back as sheets of header + rows, with cells as Python values (dates as dates).

An upload is untrusted: a small .xlsx can unzip to gigabytes (a zip bomb), declare a row far past
Excel's last one, or show one long shared string in a million cells. Reading stops at `Limits`:
the zip's members are measured (as declared, then as really inflated) before openpyxl parses
anything, and the rows, cells, text and time of the parse are counted as it goes.
"""
from __future__ import annotations

import io
import itertools
import math
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

MAX_ROWS = 20000
EXCEL_LAST_ROW = 1_048_576
TITLE_LINES = 3          # an export's lines above its table (title, when, filters), skipped on import
EXCEL_CELL_TEXT = 32_767          # the most characters Excel itself puts in a cell
MB = 1024 * 1024
INFLATE_CHUNK = MB


@dataclass(frozen=True)
class Limits:
    """How much of a workbook is read; past any of these the workbook is refused, not read on."""

    uncompressed_bytes: int = 64 * MB   # all members of the zip together, as declared and as inflated
    members: int = 1000                 # files in the zip (a workbook has a dozen or so)
    rows: int = MAX_ROWS                # data rows of one sheet
    cells: int = 1_000_000              # cells openpyxl hands over, the empty ones it fills in included
    text: int = 16_000_000              # characters of text in all cells together
    seconds: float = 20.0               # the whole read, measured between rows


class UnreadableWorkbook(ValueError):
    """The upload is not an .xlsx workbook, or is more than we read; `reason` says which (for translations):
    unreadable, uncompressed, members, rows, cells, text, cell_text or seconds; `limit` is the limit passed."""

    def __init__(self, message: str, reason: str = "unreadable", limit: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.limit = limit


@dataclass(frozen=True)
class Sheet:
    """One sheet: the first non-empty row is the header; `numbers` are the rows' numbers in Excel."""

    name: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


def read_workbook(data: bytes, *, max_rows: int | None = None, limits: Limits | None = None) -> list[Sheet]:
    """Every sheet of an .xlsx; empty rows are skipped, formulas give their last computed value."""
    limits = limits or Limits()
    if max_rows is not None:
        limits = replace(limits, rows=max_rows)
    budget = _Budget(limits)
    try:
        _check_archive(data, limits, budget)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except UnreadableWorkbook:
        raise
    except (InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, RuntimeError,
            NotImplementedError, ParseError, ValueError, TypeError) as error:
        raise _unreadable(error) from None
    try:
        budget.tick()
        return [_sheet(worksheet, budget) for worksheet in book.worksheets]
    except UnreadableWorkbook:
        raise
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ParseError, ValueError, TypeError) as error:
        raise _unreadable(error) from None   # openpyxl reads a read-only sheet's XML only now
    finally:
        book.close()


def _unreadable(error: Exception) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"this is not an Excel .xlsx workbook ({type(error).__name__})")


def _check_archive(data: bytes, limits: Limits, budget: _Budget) -> None:
    """Refuse a zip that holds more than `limits.uncompressed_bytes`, by its directory and then by inflating it.

    The directory is the attacker's to write, so each member is also inflated (and its CRC checked)
    here, counting the bytes, before openpyxl gets to read any of it.
    """
    too_big = UnreadableWorkbook(f"the workbook is more than {limits.uncompressed_bytes // MB} MB once unzipped; "
                                 "split the file", "uncompressed", limits.uncompressed_bytes // MB)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > limits.members:
            raise UnreadableWorkbook(f"the workbook holds more than {limits.members} files", "members",
                                     limits.members)
        if sum(member.file_size for member in members) > limits.uncompressed_bytes:
            raise too_big
        inflated = 0
        for member in members:
            with archive.open(member) as stream:
                while chunk := stream.read(INFLATE_CHUNK):
                    inflated += len(chunk)
                    if inflated > limits.uncompressed_bytes:
                        raise too_big
                    budget.tick()


class _Budget:
    """What is left of the limits while one workbook is read."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.cells = 0
        self.text = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise UnreadableWorkbook(f"reading the workbook took more than {self.limits.seconds:g} seconds; "
                                     "split the file", "seconds", self.limits.seconds)

    def take(self, title: str, values: tuple[Any, ...]) -> None:
        """Count one row's cells as openpyxl gave them (it fills in the empty ones up to the last)."""
        self.cells += len(values)
        if self.cells > self.limits.cells:
            raise UnreadableWorkbook(f"the workbook has more than {self.limits.cells} cells; split the file",
                                     "cells", self.limits.cells)
        for value in values:
            if isinstance(value, str):
                if len(value) > EXCEL_CELL_TEXT:
                    raise UnreadableWorkbook(f"a cell of sheet {title!r} holds more than {EXCEL_CELL_TEXT} "
                                             "characters, more than Excel allows", "cell_text", EXCEL_CELL_TEXT)
                self.text += len(value)
        if self.text > self.limits.text:
            raise UnreadableWorkbook(f"the workbook holds more than {self.limits.text} characters of text; "
                                     "split the file", "text", self.limits.text)


def _rows(worksheet: Any, budget: _Budget) -> Iterator[tuple[int, tuple[Any, ...]]]:
    # The sheet's own <dimension> is not believed: openpyxl would pad every row to its width.
    worksheet.reset_dimensions()
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > EXCEL_LAST_ROW:   # openpyxl yields every missing row up to the next one it finds
            raise UnreadableWorkbook(f"sheet {worksheet.title!r} has a row past Excel's last row ({EXCEL_LAST_ROW})",
                                     "rows", EXCEL_LAST_ROW)
        if number % 4096 == 0:
            budget.tick()
        if values:
            budget.take(worksheet.title, values)
            yield number, values


def _sheet(worksheet: Any, budget: _Budget) -> Sheet:
    header: list[str] | None = None
    rows: list[list[Any]] = []
    numbers: list[int] = []
    max_rows = budget.limits.rows
    top: list[tuple[int, list[Any]]] | None = []   # the first filled rows, until it is known which one is the header

    def take(number: int, values: list[Any]) -> None:
        nonlocal header
        if header is None:
            header = [str(v).strip() if v is not None else "" for v in values]
            while header and not header[-1]:
                header.pop()
            return
        if len(rows) >= max_rows:
            raise UnreadableWorkbook(f"sheet {worksheet.title!r} has more than {max_rows} rows; split the file",
                                     "rows", max_rows)
        width = len(header)
        rows.append((values + [None] * width)[:width])
        numbers.append(number)

    for number, cells in _rows(worksheet, budget):
        values = [_value(cell) for cell in cells]
        if all(v is None or v == "" for v in values):
            continue
        if top is not None:
            top.append((number, values))
            if len(top) < TITLE_LINES + 2:
                continue
            for line in top[title_lines(top):]:
                take(*line)
            top = None
            continue
        take(number, values)
    for line in (top or [])[title_lines(top or []):]:
        take(*line)
    budget.tick()
    return Sheet(worksheet.title, header or [], rows, numbers)


def title_lines(first: list[tuple[int, list[Any]]]) -> int:
    """How many of the first filled rows (numbered) are an export's title lines: at most TITLE_LINES rows of one cell
    in the first column, then a blank row (writing.write_workbook's preamble); an export imports back as it is."""
    for count, ((number, cells), (following, _cells)) in enumerate(itertools.pairwise(first), start=1):
        filled = sum(1 for cell in cells if cell is not None and cell != "")
        if count > TITLE_LINES or filled != 1 or not cells or cells[0] in (None, ""):
            return 0
        if following > number + 1:
            return count
    return 0


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, float):
        return Decimal(repr(value)).normalize() if value != int(value) else int(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == clock(0) else value
    if isinstance(value, date | int | Decimal) or value is None:
        return value
    return str(value)
