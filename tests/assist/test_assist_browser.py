"""In headless Chromium at phone size (390x844, zh-CN): the "说一句话填单" box fills a new ticket's form for the
person to check, and a list's phrase box writes the formula filter. Screenshots in tests/artifacts/assist-*.png."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "plugins" / "assist"))  # whether or not it is pip-installed

from formwork_assist import plugin
from formwork_assist.service import today

from app import create_app
from demo.data import DEMO_TENANT
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.browser import ARTIFACTS, all_steps, serving
from tests.web.test_browser import Tab

playwright_api = pytest.importorskip("playwright.sync_api")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(demo_formwork: Formwork) -> Iterator[str]:
    if "assist" not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    with demo_formwork.db.tenant(DEMO_TENANT) as session:
        plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True)
    app = create_app(demo_formwork, SECRET_KEY="assist-browser-tests")
    with serving(app, demo_formwork) as url:
        yield url


def test_a_sentence_fills_the_new_ticket_form_on_a_phone(site: str, browser: Any) -> None:
    phone = Tab(browser, site, "zh", PHONE)
    phone.log_in("site")
    phone.open("/m/labor/day_labor_ticket/new")
    all_steps(phone.page)
    box = phone.page.locator(".assist-box")
    assert "说一句话填单" in box.inner_text()
    phone.page.fill("#assist-text", "今天木工一班5个人在3号楼5层支模，每人一天，加班2小时，天气很热")
    phone.page.click("[data-assist-fill]")
    status = phone.page.locator("[data-assist-status]")
    status.filter(has_text="请核对").wait_for()
    assert "天气" in status.inner_text()
    crew = phone.page.locator("select[name=crew]")
    assert crew.locator("option:checked").inner_text().strip() == "木工一班"
    assert phone.page.input_value("input[name=headcount]") == "5"
    assert phone.page.input_value("input[name=work_date]") == today().isoformat()
    assert phone.page.input_value("input[name=location]") == "3号楼5层"
    assert phone.page.input_value("input[name=overtime_hours]") == "2"
    notes = phone.page.locator("[data-field=crew] .assist-note").inner_text()
    assert "木工一班" in notes and "把握" in notes
    widths = phone.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    phone.page.screenshot(path=str(ARTIFACTS / "assist-parse-390-zh.png"), full_page=True)

    phone.open("/m/labor/day_labor_ticket")
    phone.page.click("[data-filter-toggle]")   # on a phone the filters sit in a sheet behind 筛选
    phone.page.fill("#assist-phrase", "木工一班本周的点工单")
    phone.page.click("[data-assist-make]")
    phone.page.locator("[data-assist-filter-status]").filter(has_text="已生成").wait_for()
    assert "crew.crew_name == '木工一班'" in phone.page.input_value("#q")
    phone.page.click("#filter-form .form-actions button[type=submit]")
    phone.page.wait_for_load_state()
    assert "crew.crew_name" in phone.page.locator(".active-filter").inner_text()
    phone.close()
