"""Reports, charts, dashboard figures, the plan Gantt and the labor calendar in headless Chromium.

The demo tenant (its signed day-labor tickets) plus one small schedule plan, served on a loopback
port; zh and en, desktop and phone. Screenshots land in tests/artifacts/ (git-ignored).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_TENANT
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, PHONE, serving
from tests.demo_copy import demo_engine
from tests.web.test_browser import Tab

playwright_api = pytest.importorskip("playwright.sync_api")


def add_plan(engine: Formwork, tasks: int = 12) -> str:
    """A schedule plan of the demo's first project: a summary, `tasks` chained tasks and a key milestone."""
    admin = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))
    start = date.today() - timedelta(days=40)
    with engine.records(admin) as records:
        project = records.find("base", "project", limit=1).items[0]
        plan = records.create("schedule", "schedule_plan", {
            "plan_code": "JH-DEMO", "plan_name": "主体结构施工计划", "project": project["id"], "plan_level": "monthly",
            "status_date": date.today().isoformat()})
        common = {"plan": plan["id"], "responsible_user": "prod"}
        summary = records.create("schedule", "wbs_task", {**common, "wbs_code": "1", "task_name": "主体结构",
                                                          "task_type": "summary", "planned_start": start.isoformat(),
                                                          "planned_finish": (start + timedelta(days=80)).isoformat()})
        previous = None
        for n in range(1, tasks + 1):
            first = start + timedelta(days=5 * (n - 1))
            body = {**common, "wbs_code": f"1.{n:02d}", "task_name": f"{n}层 钢筋绑扎与浇筑", "parent": summary["id"],
                    "planned_start": first.isoformat(), "planned_finish": (first + timedelta(days=6)).isoformat(),
                    "baseline_start": (first - timedelta(days=2)).isoformat(),
                    "baseline_finish": (first + timedelta(days=4)).isoformat()}
            if first + timedelta(days=6) < date.today():
                body.update(actual_start=first.isoformat(), actual_finish=(first + timedelta(days=6)).isoformat(),
                            percent_complete="100")
            if previous is not None:
                body["predecessors"] = [{"predecessor": previous, "dep_type": "finish_to_start"}]
            previous = records.create("schedule", "wbs_task", body)["id"]
        records.create("schedule", "wbs_task", {
            **common, "wbs_code": "2", "task_name": "主体封顶", "task_type": "milestone", "is_contract_node": True,
            "penalty_per_day": "20000", "planned_start": (start + timedelta(days=80)).isoformat(),
            "planned_finish": (start + timedelta(days=80)).isoformat()})
        return str(plan["id"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, plan id): the demo tenant with a plan, served from a thread."""
    engine = demo_engine(tmp_path_factory)
    plan_id = add_plan(engine)
    app = create_app(engine, SECRET_KEY="report-browser-tests")
    with serving(app, engine) as url:
        yield url, plan_id


def watched(tab: Tab) -> Tab:
    """Console errors count as failures too, not only uncaught exceptions."""
    tab.page.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    return tab


def fits_the_screen(tab: Tab) -> None:
    widths = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_report_with_parameters_draws_its_chart(site: tuple[str, str], browser: Any, language: str) -> None:
    base, _plan = site
    tab = watched(Tab(browser, base, language))
    tab.log_in("gm")
    tab.open("/reports")
    tab.page.click("a[href='/reports/labor/day_labor_by_crew_month']")
    tab.page.select_option("#p-project", index=1)
    tab.page.click(".report-params button[type=submit]")
    tab.page.wait_for_selector("#report-chart[data-rendered=true] canvas")
    assert "project=" in tab.page.url
    assert tab.page.locator(".report-table tbody tr").count() >= 1
    total = tab.page.inner_text(".report-table tfoot")
    assert ("合计" if language == "zh" else "Total") in total and "," in total       # thousand separators
    export = str(tab.page.get_attribute("a[data-export]", "href"))
    assert export.startswith("/reports/labor/day_labor_by_crew_month/export.xlsx?project=")
    tab.shot("report")
    tab.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_dashboard_shows_figure_cards_and_charts(site: tuple[str, str], browser: Any, language: str) -> None:
    base, _plan = site
    tab = watched(Tab(browser, base, language))
    tab.log_in("gm")
    tab.page.wait_for_selector(".dash-charts .chart[data-rendered=true] canvas")
    cards = tab.page.locator(".figure-card")
    assert cards.count() >= 6
    labor = tab.page.locator(".figure-card", has_text="本月点工工日" if language == "zh" else "man-days this month")
    assert labor.locator(".figure-unit").inner_text().strip() == ("工日" if language == "zh" else "man-days")
    assert tab.page.locator(".figure-card.is-warning").count() >= 1                    # the demo plan has delays
    tab.shot("dashboard-figures")
    tab.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_plan_gantt_draws_bars_links_and_zooms(site: tuple[str, str], browser: Any, language: str) -> None:
    base, plan = site
    tab = watched(Tab(browser, base, language))
    tab.log_in("prod")
    tab.open(f"/m/schedule/schedule_plan/{plan}")
    tab.page.click("[data-gantt-link]")
    tab.page.wait_for_selector("#gantt[data-ready=true]")
    assert tab.page.locator(".gantt-names .gantt-row").count() == 14
    assert tab.page.locator(".gantt-bar").count() == 13 and tab.page.locator(".gantt-base").count() == 12
    assert tab.page.locator(".gantt-milestone.is-key").count() == 1
    assert tab.page.locator(".gantt-links path").count() == 11 and tab.page.locator(".gantt-status").count() == 1
    week = tab.page.evaluate("document.querySelector('.gantt-chart .gantt-body').offsetWidth")
    tab.page.click("[data-zoom=day]")
    assert tab.page.evaluate("document.querySelector('.gantt-chart .gantt-body').offsetWidth") == week * 4
    tab.shot("gantt")
    tab.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_plan_gantt_marks_the_critical_path(site: tuple[str, str], browser: Any, language: str) -> None:
    """The 12 chained tasks end 3 days after the milestone: they and their 11 links are the critical path."""
    base, plan = site
    tab = watched(Tab(browser, base, language))
    tab.log_in("prod")
    tab.open(f"/m/schedule/schedule_plan/{plan}/gantt")
    tab.page.wait_for_selector("#gantt[data-ready=true]")
    legend = tab.page.inner_text(".gantt-legend")
    assert ("关键路径" if language == "zh" else "Critical path") in legend
    assert tab.page.locator(".gantt-bar[data-critical=true]").count() == 12
    assert tab.page.locator(".gantt-milestone[data-critical=false]").count() == 1    # 3 days of float
    assert tab.page.locator(".gantt-names .gantt-row.is-critical").count() == 12
    assert tab.page.locator(".gantt-links path.is-critical").count() == 11
    red = "rgb(196, 50, 10)"
    background = "getComputedStyle(document.querySelector('.gantt-bar[data-critical=true]')).backgroundColor"
    assert tab.page.evaluate(background) == red
    tab.shot("gantt-critical")
    tab.page.uncheck("#gantt-critical")                                           # the toggle hides it
    assert tab.page.evaluate(background) != red
    assert tab.page.locator(".gantt-bar[data-critical=true]").count() == 12       # still marked for readers
    tab.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_labor_calendar_grid(site: tuple[str, str], browser: Any, language: str) -> None:
    base, _plan = site
    tab = watched(Tab(browser, base, language))
    tab.log_in("labor")
    tab.open("/reports")
    tab.page.click("a[href='/labor/calendar']")
    tab.page.wait_for_selector(".calendar-grid")
    days = tab.page.locator(".calendar-grid thead th").count() - 2
    assert 28 <= days <= 31
    assert tab.page.locator(".calendar-grid tbody tr").count() >= 1
    assert tab.page.inner_text(".calendar-grid tfoot").strip()
    tab.shot("labor-calendar")
    tab.close()


def test_on_a_phone_cards_stack_and_tables_scroll_inside_the_page(site: tuple[str, str], browser: Any) -> None:
    base, _plan = site
    tab = watched(Tab(browser, base, "zh", viewport=PHONE))
    tab.log_in("gm")
    lefts = tab.page.evaluate("[...document.querySelectorAll('.figure-card')].map(c => c.getBoundingClientRect().left)")
    assert len(set(lefts)) == 1, f"the figure cards do not stack: {lefts}"
    fits_the_screen(tab)
    tab.page.screenshot(path=str(ARTIFACTS / "dashboard-figures-phone-zh.png"), full_page=True)
    tab.open("/labor/calendar")
    fits_the_screen(tab)
    scroll = tab.page.evaluate("(() => { const s = document.querySelector('.table-scroll'); "
                               "return [s.scrollWidth, s.clientWidth]; })()")
    assert scroll[0] > scroll[1], "the calendar should scroll sideways inside its box"
    tab.page.screenshot(path=str(ARTIFACTS / "labor-calendar-phone-zh.png"), full_page=True)
    tab.open("/reports/labor/day_labor_by_crew_month")
    tab.page.wait_for_selector("#report-chart[data-rendered=true] canvas")
    fits_the_screen(tab)
    tab.page.screenshot(path=str(ARTIFACTS / "report-phone-zh.png"), full_page=True)
    tab.close()
