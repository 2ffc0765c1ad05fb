"""In headless Chromium: tick a list's rows (or the page's select-all box), press 批量打印, get one PDF of them;
the record page's 打印 opens the record's PDF."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, CHROMIUM, log_in, serving
from tests.conftest import PASSWORD

pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists() or shutil.which("pdftotext") is None:
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"{CHROMIUM} or pdftotext is missing: `make test` installs them")
    pytest.skip("chromium or pdftotext is missing: run `make test`", allow_module_level=True)

TENANT = "printshop"
FORMSHOP = Path(__file__).parent / "fixtures" / "formshop"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}   # what the page's own request sends (the context's locale)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The form shop with three orders of the clerk, served from a thread on a fresh SQLite file."""
    engine = Formwork(f"sqlite:///{tmp_path_factory.mktemp('print') / 'formwork.db'}")
    engine.initialise()
    engine.catalog.install(FORMSHOP)
    with engine.db.tenant(TENANT) as session:
        tenancy.create_tenant(session, TENANT, plan="enterprise")
        tenancy.set_module_enabled(session, TENANT, "formshop", True, engine.catalog.modules())
        tenancy.add_user(session, TENANT, "clerk", PASSWORD, ["clerk"], display_name="文员小王")
    with engine.records(tenancy.Actor(TENANT, "clerk", frozenset({"clerk"}))) as records:
        supplier = records.create("formshop", "supplier", {"name": "Acme 建材"})["id"]
        ids = [records.create("formshop", "order", {
            "number": f"PO-{n}", "supplier": supplier, "ordered_on": f"2024-05-0{n}",
            "items": [{"item": "螺纹钢", "qty": str(n), "price": "1000.00"}]})["id"] for n in (1, 2, 3)]
    with serving(create_app(engine, SECRET_KEY="print-browser"), engine) as url:
        yield url, ids


def pdf_text(response: Any) -> str:
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    run = subprocess.run(["pdftotext", "-", "-"], input=response.body(), capture_output=True, check=True)
    return run.stdout.decode()


def test_a_lists_ticked_rows_print_in_one_pdf(server: tuple[str, list[str]], browser: Any) -> None:
    url, ids = server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, url, TENANT, "clerk", PASSWORD)
    page.goto(url + "/m/formshop/order")
    page.check(f"input[name=ids][value='{ids[0]}']")
    page.check(f"input[name=ids][value='{ids[2]}']")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "print-list-zh.png"), full_page=True)
    with context.expect_page() as opened:
        page.click("#print-form button[type=submit]")
    printed = opened.value.url
    assert ids[0] in printed and ids[2] in printed and ids[1] not in printed
    text = pdf_text(context.request.get(printed, headers=ZH))
    assert "PO-1" in text and "PO-3" in text and "PO-2" not in text and "采购订单" in text

    page.check("input[data-select-all='print-form']")   # the whole page
    assert page.locator("input[name=ids]:checked").count() == 3
    with context.expect_page() as opened:
        page.click("#print-form button[type=submit]")
    assert all(i in opened.value.url for i in ids)

    page.goto(url + f"/m/formshop/order/{ids[1]}")
    page.screenshot(path=str(ARTIFACTS / "print-record-zh.png"))
    link = page.locator("a", has_text="打印")
    assert link.get_attribute("target") == "_blank"
    text = pdf_text(context.request.get(url + str(link.get_attribute("href")), headers=ZH))
    assert "PO-2" in text and "贰仟元整" in text   # the payable: 2 x 1,000.00
    assert not errors, errors
    context.close()
