"""The designer in headless Chromium: problems appear while typing, the preview follows, publish from the page."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, CHROMIUM, log_in, serving
from tests.conftest import PASSWORD
from tests.overlays.test_designer_pages import SIMPLE

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test`", allow_module_level=True)
TENANT = "designer-browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A tenant with every module and an administrator, served from a thread on a fresh SQLite file."""
    engine = Formwork(f"sqlite:///{tmp_path_factory.mktemp('designer') / 'formwork.db'}")
    engine.initialise()
    installed = engine.catalog.modules()
    with engine.db.tenant(TENANT) as session:
        tenancy.create_tenant(session, TENANT, plan="enterprise")
        for name in installed:
            tenancy.set_module_enabled(session, TENANT, name, True, installed)
        tenancy.add_user(session, TENANT, "boss", PASSWORD, ["admin"])
    with serving(create_app(engine, SECRET_KEY="designer-browser"), engine) as url:
        yield url


def test_an_administrator_adjusts_a_form_in_the_browser(server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server, TENANT, "boss", PASSWORD)
    page.click("a[href='/designer/']")
    page.click("a[href='/designer/labor']")
    page.wait_for_load_state()  # the editor's script listens once loaded: a change before that sends nothing
    page.select_option("#preview-entity", "day_labor_ticket")
    page.fill("#overlay-text", SIMPLE.replace("location: {label", "locaton: {label"))
    problem = page.locator("#problem-list li").first
    problem.wait_for()
    assert problem.inner_text().startswith("第 8 行第 7 列")
    assert "您是否要写 'location'" in problem.inner_text()
    page.fill("#overlay-text", SIMPLE)
    page.locator("#form-preview [data-field='weather']").wait_for()
    assert page.locator("#problem-list li").count() == 0
    assert "作业部位" in page.locator("#form-preview").inner_text()
    page.screenshot(path=str(ARTIFACTS / "designer-zh.png"), full_page=True)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#publish")
    page.locator("tr[data-version='1.6.0+t1']").wait_for()
    assert "1.6.0+t1" in page.locator(".page-head").inner_text()
    assert not errors, errors
    context.close()
