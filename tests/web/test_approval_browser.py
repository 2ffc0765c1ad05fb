"""In headless Chromium: the 商务核价 step of a demo change order decided on its record page with the approved
amount typed into the task panel (a refused amount first, shown beside its field), at desk and phone width.

Screenshots land in tests/artifacts/approval-*.png (git-ignored) for people to look at.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_TENANT
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, serving
from tests.web.test_browser import Tab

playwright_api = pytest.importorskip("playwright.sync_api")

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ADMIN = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))


@pytest.fixture
def site(demo_formwork: Formwork) -> Iterator[str]:
    """The demo tenant served from a thread (this module's own copy of it, on each backend: tests/demo_copy.py)."""
    app = create_app(demo_formwork, SECRET_KEY="approval-browser-tests")
    with serving(app, demo_formwork) as url:
        yield url


def submitted_draft_order(engine: Formwork) -> tuple[str, str]:
    """(id, number) of the demo's draft change order (a 4,800.00 claim), submitted now by its site engineer."""
    with engine.records(ADMIN, reading=True) as records:
        drafts = records.find("cost", "change_order", q="status == 'draft'", limit=1).items
    if not drafts:
        pytest.skip("the demo's draft change order was submitted by an earlier run on this database")
    record = drafts[0]
    with engine.approvals(tenancy.Actor(DEMO_TENANT, "site", frozenset({"site_engineer"}))) as approvals:
        approvals.submit("cost", "change_order", record["id"])
    return str(record["id"]), str(record["data"]["doc_no"])


def shot(tab: Tab, name: str, *, full_page: bool = True) -> None:
    tab.page.screenshot(path=str(ARTIFACTS / f"approval-{name}.png"), full_page=full_page)


def fits_the_screen(tab: Tab) -> None:
    widths = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def test_the_cost_engineer_sets_the_approved_amount_in_the_task_panel(site: str, demo_formwork: Formwork,
                                                                        browser: Any) -> None:
    record_id, number = submitted_draft_order(demo_formwork)
    path = f"/m/cost/change_order/{record_id}"

    phone = Tab(browser, site, "zh", PHONE)                 # the same panel on a phone, its fields stacked
    phone.log_in("alice")
    phone.open(path)
    fits_the_screen(phone)
    inputs = phone.page.locator(".task-panel .step-fields input[name=approved_amount]").bounding_box()
    assert inputs is not None and inputs["width"] >= 250
    phone.page.locator(".task-panel .step-fields").scroll_into_view_if_needed()
    shot(phone, "fields-390-zh", full_page=False)
    phone.close()

    alice = Tab(browser, site, "zh", DESK)
    alice.log_in("alice")
    alice.open(path)
    panel = alice.page.locator(".task-panel")
    assert "商务核价" in panel.inner_text() and "4,800.00" in panel.locator(".decide-amounts").inner_text()
    assert "当前等待：李工" in alice.page.inner_text(".waiting-banner")
    amount = panel.locator("input[name=approved_amount]")
    amount.fill("-1")
    panel.locator("textarea[name=comment]").fill("按现场核实工程量审定")
    panel.locator("button[value=approve]").click()
    alice.page.wait_for_load_state()
    error = alice.page.locator("[data-field=approved_amount] .error")
    assert error.is_visible() and error.inner_text()
    assert alice.page.locator("input[name=approved_amount]").input_value() == "-1"
    assert alice.page.locator("textarea[name=comment]").input_value() == "按现场核实工程量审定"
    shot(alice, "refused-1366-zh")
    alice.page.locator("input[name=approved_amount]").fill("4500")
    shot(alice, "panel-1366-zh")
    alice.page.locator(".task-panel button[value=approve]").click()
    alice.page.wait_for_url(site + path)
    assert alice.page.locator(".task-panel").count() == 0
    progress = alice.page.inner_text(".approval-progress")
    assert "商务核价" in progress and "李工" in progress and "按现场核实工程量审定" in progress
    assert "王经理" in alice.page.inner_text(".waiting-banner")              # the project manager approves next
    shot(alice, "decided-1366-zh")
    alice.open("/m/cost/change_order")
    row = alice.page.locator("tbody tr", has_text=number)
    assert "王经理" in row.inner_text()                                      # the list's 待审批人 column
    alice.page.locator(".table-card .table-scroll").evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    row.scroll_into_view_if_needed()
    shot(alice, "list-1366-zh", full_page=False)
    alice.close()

    with demo_formwork.records(ADMIN, reading=True) as records:
        stored = records.get("cost", "change_order", record_id)
    assert stored["data"]["approved_amount"] == "4500.00" and stored["status"] == "in_review"

    pm = Tab(browser, site, "zh", PHONE)
    pm.log_in("pm")
    pm.open(path)
    fits_the_screen(pm)
    amounts = pm.page.inner_text(".task-panel .decide-amounts")
    assert "4,500.00" in amounts and "4,800.00" in amounts
    buttons = pm.page.locator(".task-panel .decision-buttons .button")
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300   # stacked, easy to tap
    shot(pm, "panel-390-zh")
    shot(pm, "panel-390-zh-screen", full_page=False)   # what the phone shows first
    pm.close()

    submitter = Tab(browser, site, "zh", PHONE)
    submitter.log_in("site")
    submitter.open("/my/submissions")
    fits_the_screen(submitter)
    row = submitter.page.locator("tr", has_text=number)
    assert "王经理" in row.inner_text() and "项目经理审批" in row.inner_text()
    shot(submitter, "submissions-390-zh", full_page=False)
    submitter.open("/m/cost/change_order")
    assert "待审批人" in submitter.page.inner_text("thead")
    submitter.close()
