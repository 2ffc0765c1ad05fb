"""End to end in headless Chromium: a claim is filled in, computed, saved, submitted and approved.

Runs Debian's Chromium (`make test` installs it with a CJK font) through Playwright against a real
server on a loopback port, with the demo tenant in a fresh SQLite database. Screenshots of every
page, in Chinese and English and at phone width, land in tests/artifacts/.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from tests.browser import ARTIFACTS, CHROMIUM, DESKTOP, PHONE, serving
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")


if not Path(CHROMIUM).exists():
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs chromium and fonts-wqy-microhei")
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs chromium and fonts-wqy-microhei)",
                allow_module_level=True)



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo tenant on a fresh SQLite database, served from a thread."""
    engine = demo_engine(tmp_path_factory)
    app = create_app(engine, SECRET_KEY="browser-tests")
    with serving(app, engine) as url:
        yield url


class Tab:
    """One browser tab in one language; helpers for the steps a person takes."""

    def __init__(self, browser: Any, base: str, language: str, viewport: dict[str, int] = DESKTOP) -> None:
        self.context = browser.new_context(viewport=viewport, locale="zh-CN" if language == "zh" else "en-US")
        self.page = self.context.new_page()
        self.base = base
        self.language = language
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-{self.language}.png"), full_page=True)

    def log_in(self, username: str, *, shot: bool = False) -> None:
        self.open("/login")
        if shot:
            self.shot("login")
        self.page.fill("#tenant", DEMO_TENANT)
        self.page.fill("#username", username)
        self.page.fill("#password", DEMO_PASSWORD)
        self.page.click(".login-card button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def log_out(self) -> None:
        self.page.click("header form[action='/logout'] button")
        self.page.wait_for_url(self.base + "/login")

    def status(self) -> str:
        return str(self.page.locator(".page-head .badge").inner_text()).strip()

    def close(self) -> None:
        assert not self.errors, f"JavaScript errors: {self.errors}"
        self.context.close()


def fill_claim(tab: Tab, code: str) -> None:
    """A claim with two lines, the second added with the table's button."""
    page = tab.page
    page.fill("#f-code", code)
    page.select_option("#f-project", index=1)
    page.fill("#f-date", datetime.now(UTC).date().isoformat())
    page.select_option("#f-category", "travel")
    page.fill("#f-lines-0--item", "高铁票 往返")
    page.fill("#f-lines-0--qty", "2")
    page.fill("#f-lines-0--price", "553.50")
    page.click("[data-add-row=lines]")
    page.fill("#f-lines-1--item", "住宿")
    page.fill("#f-lines-1--qty", "3")
    page.fill("#f-lines-1--price", "380")


def wait_for_text(tab: Tab, selector: str, text: str) -> None:
    tab.page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.textContent || '').trim() === text",
        arg=[selector, text], timeout=10_000)


def test_a_claim_is_filled_computed_submitted_and_approved(server: str, browser: Any) -> None:
    code = f"BX-E2E-{datetime.now(UTC):%H%M%S}"

    alice = Tab(browser, server, "zh")
    alice.log_in("alice", shot=True)
    assert "李工" in alice.page.inner_text("header")
    alice.shot("dashboard")
    group = alice.page.locator("nav.sidenav details.nav-group", has_text="费用报销")
    if group.get_attribute("open") is None:
        group.locator("summary").click()  # many modules: their groups start folded
    group.locator("a", has_text="报销单").click()
    alice.page.click("text=新建")
    fill_claim(alice, code)
    wait_for_text(alice, "[data-out='lines[0].amount']", "1,107.00")
    wait_for_text(alice, "[data-out='lines[1].amount']", "1,140.00")
    wait_for_text(alice, "[data-out='total']", "2,247.00")  # computed while typing, before saving
    alice.shot("form")
    alice.page.click(".form-actions button.button-primary")
    alice.page.wait_for_selector("text=已创建。")
    assert alice.status() == "草稿"
    alice.page.click("text=提交审批")
    alice.page.wait_for_selector("text=已提交审批。")
    assert alice.status() == "审批中"
    record_url = alice.page.url
    alice.log_out()

    pm = Tab(browser, server, "zh")
    pm.log_in("pm")
    assert pm.page.inner_text(".tasks-link .count-badge").strip() != "0"
    pm.page.click(".tasks-link")
    row = pm.page.locator(".task-item", has_text=code)
    assert "2,247.00" in row.inner_text()
    pm.shot("inbox")
    row.locator("input[name=comment]").fill("情况属实，同意")
    row.locator("button[value=approve]").click()
    pm.page.wait_for_selector("text=已同意。")
    assert pm.page.locator(".task-item", has_text=code).count() == 0
    pm.close()

    alice.log_in("alice")
    alice.open(record_url.removeprefix(server))
    assert alice.status() == "已通过"
    trail = alice.page.inner_text(".timeline")
    assert "情况属实，同意" in trail and "王经理" in trail
    alice.shot("record")

    alice.open("/m/expense/claim")
    alice.page.select_option(".condition [data-role=field]", "code")
    alice.page.select_option(".condition [data-role=operator]", "contains")
    alice.page.fill(".condition [data-role=value]", code.lower())
    alice.page.click(".filter-form button[type=submit]")
    alice.page.wait_for_selector(".active-filter")
    rows = alice.page.locator(".data-table tbody tr")
    assert rows.count() == 1 and code in rows.first.inner_text() and "已通过" in rows.first.inner_text()
    alice.shot("list")
    alice.close()


def test_pages_in_english_and_on_a_phone(server: str, browser: Any) -> None:
    code = f"BX-EN-{datetime.now(UTC):%H%M%S}"
    alice = Tab(browser, server, "en")
    alice.log_in("alice", shot=True)
    assert "Dashboard" in alice.page.inner_text("nav.sidenav")
    alice.shot("dashboard")
    alice.open("/m/expense/claim/new")
    fill_claim(alice, code)
    wait_for_text(alice, "[data-out='total']", "2,247.00")
    alice.shot("form")
    alice.page.click(".form-actions button.button-primary")
    alice.page.wait_for_selector("text=Created.")
    alice.page.click("text=Submit for approval")
    alice.page.wait_for_selector("text=Submitted for approval.")
    alice.shot("record")
    alice.open("/m/expense/claim")
    alice.shot("list")
    alice.close()

    pm = Tab(browser, server, "en")
    pm.log_in("pm")
    pm.open("/tasks")
    assert pm.page.locator(".task-item", has_text=code).count() == 1
    pm.shot("inbox")
    pm.close()

    phone = Tab(browser, server, "zh", viewport=PHONE)
    phone.log_in("alice")
    phone.open("/m/expense/claim/new")
    fill_claim(phone, f"{code}-M")
    wait_for_text(phone, "[data-out='total']", "2,247.00")
    widths = phone.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways on a phone: {widths}"
    columns = phone.page.evaluate("getComputedStyle(document.querySelector('.form-grid')).gridTemplateColumns")
    assert len(columns.split()) == 1, f"the form is not one column on a phone: {columns}"
    phone.page.screenshot(path=str(ARTIFACTS / "form-phone-zh.png"), full_page=True)
    phone.close()


def test_language_toggle_and_keyboard_focus(server: str, browser: Any) -> None:
    tab = Tab(browser, server, "en")
    tab.log_in("finance")
    tab.page.click("header .lang-form button[value=zh]")
    tab.page.wait_for_selector("text=工作台")
    assert tab.page.get_attribute("html", "lang") == "zh-CN"
    tab.open("/tasks")
    assert "我的待办" in tab.page.inner_text("main")  # the choice outlives the page it was made on
    tab.page.keyboard.press("Tab")
    focused = tab.page.evaluate("document.activeElement.className")
    outline = tab.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert "skip-link" in focused and outline != "none"
    tab.close()

