"""A workbook (.xlsx) or CSV file read as a header and numbered rows, streaming.

An upload is untrusted: an .xlsx is a zip that can inflate to gigabytes, so its members are measured as
declared before openpyxl (read-only mode, row by row) opens it, and rows past MAX_ROWS are refused.
"""
from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from engine.errors import BadRequest

MAX_ROWS = 100_000
TITLE_LINES = 3                    # an export's lines above its table (title, when, filters), skipped on import
MAX_INFLATED = 256 * 1024 * 1024   # all members of an .xlsx zip together, as declared
ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFile(BadRequest):
    """The file is not a workbook or CSV file we read, or it is larger than we read."""

    code = "import_unreadable"


@dataclass
class Sheet:
    """The first non-empty row is the header; `rows` yields (row number in the file, cells)."""

    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    header_row: int = 1


def read_sheet(data: bytes, filename: str = "") -> Sheet:
    """The first sheet of an .xlsx workbook, or a CSV file (UTF-8, with or without BOM, else GB18030)."""
    if data.startswith(ZIP_MAGIC):
        return _xlsx(data)
    if filename.lower().endswith(".xlsx"):
        raise _unreadable("the file is not an .xlsx workbook", "import_not_xlsx")
    return _csv(data)


def _unreadable(why: str, code: str) -> UnreadableFile:
    """`code` names the reason (engine/core/codes/scale_codes.py), so it reads in the user's language too."""
    return UnreadableFile(f"cannot read the file: {why}", message_code=code, params={"why": why})


def _xlsx(data: bytes) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_INFLATED:
                raise _unreadable("it unpacks to more than 256 MB", "import_unpacks_too_large")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise _unreadable(str(error) or type(error).__name__, "import_damaged_workbook") from None
    rows = (list(cells) for cells in book.worksheets[0].iter_rows(values_only=True))
    return _with_header(rows, book.close)


def _csv(data: bytes) -> Sheet:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable("it is neither UTF-8 nor GB18030 text", "import_not_text")
    if "\x00" in text:
        raise _unreadable("it holds NUL characters: not a CSV file", "import_nul_characters")
    rows = ([cell if cell.strip() else None for cell in cells] for cells in csv.reader(io.StringIO(text)))
    return _with_header(rows, lambda: None)


def _with_header(rows: Iterator[list[Any]], close: Any) -> Sheet:
    filled = ((n, c) for n, c in enumerate(rows, start=1) if any(_filled(x) for x in c))
    first = list(itertools.islice(filled, TITLE_LINES + 2))
    first = first[title_lines(first):]
    header: list[str] = []
    header_row = 1
    if first:
        header_row, cells = first[0]
        header = [str(cell).strip() if cell is not None else "" for cell in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        close()
        raise _unreadable("it has no header row (the first filled row names the columns)", "import_no_header")

    def data() -> Iterator[tuple[int, list[Any]]]:
        try:
            for count, (number, cells) in enumerate(itertools.chain(first[1:], filled), start=1):
                if count > MAX_ROWS:
                    raise UnreadableFile(f"the file has more than {MAX_ROWS} rows; split it",
                                         message_code="import_too_many_rows", params={"limit": MAX_ROWS})
                yield number, cells[:len(header)]
        finally:
            close()

    return Sheet(header, data(), header_row)


def title_lines(first: list[tuple[int, list[Any]]]) -> int:
    """How many of the first filled rows (numbered) are an export's title lines: at most TITLE_LINES rows of one cell
    in the first column, then a blank row; an exported workbook imports back as it is."""
    for count, ((number, cells), (following, _cells)) in enumerate(itertools.pairwise(first), start=1):
        if count > TITLE_LINES or sum(_filled(c) for c in cells) != 1 or not cells or not _filled(cells[0]):
            return 0
        if following > number + 1:
            return count
    return 0


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())
