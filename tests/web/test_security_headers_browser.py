"""The Content-Security-Policy in headless Chromium: it blocks inline script, and the app's pages run under it.

The demo tenant on a loopback port. Every browser test fails on a reported violation (tests/browser.py,
tests/conftest.py); here the main pages are opened at 1366 px and drawn (charts, Gantt, BPMN modeler,
operators' console), with screenshots in tests/artifacts/csp-*.png.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.tenancy import operators
from tests.browser import ARTIFACTS, CHROMIUM, log_in, serving, take_csp_violations
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs chromium)", allow_module_level=True)

WIDE = {"width": 1366, "height": 900}
INLINE = """<!doctype html><html><head><title>untouched</title>
<script>document.title = "inline script ran";</script></head>
<body><button id="inline-handler" onclick="document.title = 'inline handler ran'">go</button>
<a id="script-url" href="javascript:document.title = 'javascript: URL ran'">go</a></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo tenant and an operator; yields the server's URL and the id of the demo's schedule plan."""
    engine = demo_engine(tmp_path_factory)
    with engine.db.platform() as session:
        operators.add(session, "ops", "operator-pw-1")
    with engine.records(tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))) as records:
        plan_id = str(records.find("schedule", "schedule_plan", limit=1).items[0]["id"])
    app = create_app(engine, SECRET_KEY="csp-browser-tests")

    @app.get("/test-only/inline")
    def inline() -> str:  # what an injected page would try: an inline script, an inline handler, a javascript: URL
        return INLINE

    with serving(app, engine) as url:
        yield url, plan_id


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_policy_blocks_inline_script_handlers_and_javascript_urls_and_the_browser_helper_reports_it(
        site: tuple[str, str], page: Any) -> None:
    base, _plan = site
    response = page.goto(base + "/test-only/inline")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    page.click("#inline-handler")
    page.click("#script-url")
    page.wait_for_timeout(200)
    assert page.title() == "untouched"
    reported = take_csp_violations()  # taken here, so the check every browser test gets does not fail this one
    assert len(reported) >= 3 and all("Content Security Policy" in message for message in reported), reported
    assert any("inline script" in message for message in reported), reported
    assert any("inline event handler" in message for message in reported), reported


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"csp-{name}.png"), full_page=True)


def test_the_dashboard_and_a_report_draw_their_charts_under_the_policy(site: tuple[str, str], page: Any) -> None:
    base, _plan = site
    log_in(page, base, DEMO_TENANT, "gm", DEMO_PASSWORD)
    page.wait_for_selector(".dash-charts .chart[data-rendered=true] canvas")
    page.locator(".dash-charts .chart canvas").first.hover()   # ECharts writes its tooltip with style attributes
    shot(page, "dashboard")
    page.goto(base + "/reports")
    page.click("a[href='/reports/labor/day_labor_by_crew_month']")
    page.select_option("#p-project", index=1)
    page.click(".report-params button[type=submit]")
    page.wait_for_selector("#report-chart[data-rendered=true] canvas")
    shot(page, "report")


def test_a_record_form_computes_and_adds_rows_under_the_policy(site: tuple[str, str], page: Any) -> None:
    base, _plan = site
    log_in(page, base, DEMO_TENANT, "alice", DEMO_PASSWORD)
    page.goto(base + "/m/expense/claim/new")
    page.fill("#f-lines-0--qty", "2")
    page.fill("#f-lines-0--price", "553.50")
    page.click("[data-add-row=lines]")
    page.locator("#f-lines-1--item").wait_for()
    page.locator("[data-out='lines[0].amount']", has_text="1,107.00").wait_for()   # computed while typing
    shot(page, "record-form")
    page.goto(base + "/m/expense/claim")
    page.locator("[data-add-condition]").click()       # the list's filter builder
    assert page.locator("[data-condition]").count() == 2
    shot(page, "list")


def test_the_gantt_draws_under_the_policy(site: tuple[str, str], page: Any) -> None:
    base, plan = site
    log_in(page, base, DEMO_TENANT, "prod", DEMO_PASSWORD)
    page.goto(f"{base}/m/schedule/schedule_plan/{plan}/gantt")
    page.wait_for_selector("#gantt[data-ready=true]")
    assert page.locator(".gantt-bar").count() >= 5 and page.locator(".gantt-links path").count() >= 5
    left = page.evaluate("getComputedStyle(document.querySelector('.gantt-bar')).left")
    assert left not in ("auto", "0px"), "the bars' inline positions were blocked"
    shot(page, "gantt")


def test_the_designer_and_the_process_modeler_work_under_the_policy(site: tuple[str, str], page: Any) -> None:
    base, _plan = site
    log_in(page, base, DEMO_TENANT, "admin", DEMO_PASSWORD)
    page.goto(base + "/designer/labor?entity=day_labor_ticket")
    page.locator("#form-preview [data-field]").first.wait_for()
    shot(page, "designer")
    page.goto(base + "/designer/labor/processes/day_labor_ticket")
    page.wait_for_selector("body[data-process-ready='true']")
    page.wait_for_selector("body[data-process-checked]")
    assert page.locator("#process-canvas .djs-element").count() > 5
    page.evaluate("""() => { const modeler = window.formworkModeler;
        modeler.get('selection').select(modeler.get('elementRegistry').get('site_sign_off')); }""")
    page.locator(".djs-context-pad .entry").first.wait_for()   # the context pad and palette draw their icons
    shot(page, "process-editor")
    page.goto(base + "/designer/users")
    shot(page, "people")


def test_the_operators_console_works_under_the_policy(site: tuple[str, str], page: Any) -> None:
    base, _plan = site
    page.goto(base + "/admin/login")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "384px"   # its stylesheet applies
    shot(page, "admin-login")
    page.fill("#name", "ops")
    page.fill("#password", "operator-pw-1")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    page.goto(base + "/admin/licenses/")
    shot(page, "admin-licenses")
