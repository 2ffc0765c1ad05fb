"""In headless Chromium: an Excel file imported through the pages, a saved view, an export, an attachment.

Runs Debian's Chromium through Playwright against a real server on a loopback port (see
tests/web/test_browser.py); screenshots land in tests/artifacts/.
"""
from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, DESKTOP, log_in, serving
from tests.conftest import PASSWORD
from tests.excel.conftest import SHEETSHOP, USERS, sheet_rows, workbook

playwright_api = pytest.importorskip("playwright.sync_api")
TENANT = "sheets"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGUlEQVR4nGM4EaDxnxLMMGrAqAGjBgwXAwAC"
                       "AD8fscHNawAAAABJRU5ErkJggg==")  # 16 x 16, orange


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the sheetshop tenant on a fresh SQLite database, served from a thread."""
    folder = tmp_path_factory.mktemp("excel-browser")
    engine = Formwork(f"sqlite:///{folder / 'formwork.db'}")
    engine.initialise()
    engine.catalog.install(SHEETSHOP)
    installed = engine.catalog.modules()
    with engine.db.tenant(TENANT) as session:
        tenancy.create_tenant(session, TENANT, name="表格测试", plan="enterprise")
        tenancy.set_module_enabled(session, TENANT, "sheetshop", True, installed)
        for username, (name, roles) in USERS.items():
            tenancy.add_user(session, TENANT, username, PASSWORD, roles, display_name=name)
    with engine.records(tenancy.Actor(TENANT, "boss", frozenset({"admin"}))) as records:
        for name, code in (("Acme 建材", "S-01"), ("Beta Steel", "S-02")):
            records.create("sheetshop", "supplier", {"name": name, "code": code})
    app = create_app(engine, SECRET_KEY="excel-browser", FORMWORK_UPLOADS=str(folder / "uploads"))
    with serving(app, engine) as url:
        yield url


def signed_in(browser: Any, server: str, language: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN" if language == "zh" else "en-US",
                                  accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server, TENANT, "clerk", PASSWORD)
    return context, page, errors


def test_an_excel_file_is_imported_through_the_pages(server: str, browser: Any, tmp_path: Path) -> None:
    rows = [[f"PO-{n:03d}", "Acme 建材" if n % 2 else "S-02", date(2024, 5, n % 28 + 1), "服务" if n % 3 else "货物",
             f"{n},000.50", "文员小王", "x"] for n in range(1, 121)]
    rows.append(["PO-BAD", "Nobody", "someday", "货物", "abc", "", ""])
    source = tmp_path / "订单.xlsx"
    source.write_bytes(workbook(["订单号", "供应商", "下单日期", "类型", "金额", "采购员", "备注"], rows))
    context, page, errors = signed_in(browser, server, "zh")
    page.goto(server + "/m/sheetshop/order")
    page.click("text=导入")
    page.set_input_files("#import-file", str(source))
    page.screenshot(path=str(ARTIFACTS / "import-upload-zh.png"), full_page=True)
    page.click(".import-upload button[type=submit]")
    page.wait_for_selector(".mapping-table")
    assert page.input_value("#col0") == "number" and page.input_value("#col6") == ""
    page.select_option("#col6", "")                       # the remarks column stays out
    page.screenshot(path=str(ARTIFACTS / "import-mapping-zh.png"), full_page=True)
    page.click(".import-mapping button[type=submit]")
    page.wait_for_selector(".preview-table", timeout=120_000)
    assert "120 行可导入" in page.inner_text(".import-summary") and "1 行有错误" in page.inner_text(".import-summary")
    bad = page.locator("tr.has-error").first
    assert "PO-BAD" in bad.inner_text() and "供应商：找不到名为 'Nobody' 的供应商" in bad.inner_text()
    page.screenshot(path=str(ARTIFACTS / "import-preview-zh.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=下载错误报告")
    report = sheet_rows(Path(download.value.path()).read_bytes())
    assert report[1][0] == "PO-BAD" and "供应商" in report[1][-1]
    page.click("#import-run button")
    page.wait_for_selector("text=已导入 120 条记录。", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "import-done-zh.png"), full_page=True)
    page.click("text=查看列表")
    page.wait_for_selector(".data-table tbody tr")
    assert "第 1–25 条，共 120 条" in page.inner_text(".table-meta")
    assert "PO-001" in page.inner_text(".data-table tbody")
    context.close()
    assert not errors, errors


def test_a_view_is_saved_and_the_list_exported(server: str, browser: Any) -> None:
    context, page, errors = signed_in(browser, server, "en")
    page.goto(server + "/m/sheetshop/order?f=kind&op=eq&v=goods&sort=-amount")
    page.click(".views-menu summary")
    page.fill("#view-name", "Goods by amount")
    page.click(".view-save button")
    page.wait_for_selector("text=View 'Goods by amount' saved.")
    page.goto(server + "/m/sheetshop/order")
    page.click(".views-menu summary")
    page.screenshot(path=str(ARTIFACTS / "saved-views-en.png"), full_page=True)
    page.click(".views-list a:has-text('Goods by amount')")
    page.wait_for_selector(".active-filter")
    assert "kind == 'goods'" in page.inner_text(".active-filter")
    page.click(".export-menu summary")
    with page.expect_download() as download:
        page.click("text=Export to Excel")
    rows = sheet_rows(Path(download.value.path()).read_bytes())
    assert rows[0][0] == "Order number" and {r[3] for r in rows[1:]} == {"Goods"}
    context.close()
    assert not errors, errors


def test_an_attachment_is_uploaded_and_previewed(server: str, browser: Any, tmp_path: Path) -> None:
    photo = tmp_path / "site.png"
    photo.write_bytes(PNG)
    context, page, errors = signed_in(browser, server, "en")
    page.goto(server + "/m/sheetshop/order/new")
    page.fill("#f-number", "PO-PHOTO")
    page.select_option("#f-supplier", label="Beta Steel")
    page.fill("#f-ordered_on", "2024-06-01")
    page.set_input_files("#f-photos", [str(photo)])
    page.click(".form-actions button.button-primary")
    page.wait_for_selector("text=Created.")
    thumb = page.locator("img.thumb")
    assert thumb.count() == 1
    # loaded (or failed): then look. A property check, not wait_for_function: the page's CSP forbids eval.
    expect(thumb).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('img.thumb').naturalWidth") == 16
    page.screenshot(path=str(ARTIFACTS / "attachment-record-en.png"), full_page=True)
    page.click("text=Edit")
    page.wait_for_selector("input[type=checkbox][name=photos]")
    page.screenshot(path=str(ARTIFACTS / "attachment-form-en.png"), full_page=True)
    context.close()
    assert not errors, errors
