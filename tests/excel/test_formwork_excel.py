"""The formwork_excel package on its own: typed cells out, the same values back in."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from formwork_excel import Column, UnreadableWorkbook, read_workbook, write_csv, write_workbook
from openpyxl import load_workbook

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
