"""Report pages, the dashboard's key indicators and the day-labor calendar, through the Flask test client.

The figures are checked against sums this test computes from the tickets it created; roles that
may not see amounts get neither the report nor the figure nor the chart data.
"""
# ruff: noqa: F811 - `world`, the labor module tests' fixture, is imported once and requested by name
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import add_user
from tests.modules.test_labor import create_ticket, sign, ticket_body, world  # noqa: F401
from tests.web.conftest import Visitor, sign_in

TODAY = date.today()
MONTH = TODAY.strftime("%Y-%m")
CHART = re.compile(r'<script type="application/json" class="chart-data">(.*?)</script>', re.S)


@pytest.fixture
def tickets(world: dict[str, Any]) -> list[dict[str, Any]]:
    """Four signed tickets this month (two crews) and one still a draft, which no report counts."""
    cost = world["users"]["cost"]
    days = [TODAY - timedelta(days=n) for n in (0, 1, 1, 2) if (TODAY - timedelta(days=n)).month == TODAY.month]
    days += [TODAY] * (4 - len(days))          # early in the month: all on today
    specs = [("a", 3, "1", "420"), ("a", 2, "0.5", "1234.56"), ("b", 5, "1", "260"), ("b", 1, "1", "1500")]
    signed = []
    for number, ((crew, headcount, per_person, price), work_date) in enumerate(zip(specs, days, strict=True), 1):
        body = ticket_body(world, number, work_date=work_date.isoformat(), crew=world["crews"][crew]["id"],
                           headcount=headcount, days_per_person=per_person, unit_price=price)
        ticket = sign(world, create_ticket(cost, body))
        signed.append(cost.get(f"/records/labor/day_labor_ticket/{ticket['id']}").get_json())  # with its amount
    create_ticket(cost, ticket_body(world, 9, work_date=TODAY.isoformat(), headcount=7, unit_price="999"))
    return signed


def visitor(client: FlaskClient, world: dict[str, Any], tenant: str, username: str, language: str = "en") -> Visitor:
    return sign_in(client, tenant, username, language=language)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def charts(html: str) -> list[dict[str, Any]]:
    return [json.loads(match) for match in CHART.findall(html)]


def test_a_report_page_shows_labels_money_totals_and_a_chart_that_match_the_tickets(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    page = visitor(browser_client, world, tenant, "cost", "zh")
    html = page.text(f"/reports/labor/day_labor_by_crew_month?period={MONTH}&project={world['project']['id']}")
    amounts = {crew: sum((Decimal(t["data"]["amount"]) for t in tickets
                          if t["data"]["crew"] == world["crews"][crew]["id"]), Decimal(0)) for crew in ("a", "b")}
    total = amounts["a"] + amounts["b"]
    assert total == Decimal("420") * 3 + Decimal("1234.56") + Decimal("260") * 5 + Decimal("1500")
    assert "点工汇总表(按班组×月)" in html and "<th scope=\"col\" class=\"num\">金额</th>" in html
    assert "木工一班" in html and "杂工班" in html and world["crews"]["a"]["id"] not in html.split("<tbody>")[1]
    assert money(amounts["a"]) in html and money(amounts["b"]) in html
    footer = html.split("<tfoot>")[1].split("</tfoot>")[0]
    assert money(total) in footer and "合计" in footer
    assert "平均单价" in html and footer.count("<strong>") == 2     # the average price is not summed
    (chart,) = charts(html)
    assert chart["type"] == "bar" and sorted(chart["categories"]) == ["木工一班", "杂工班"]
    assert sum(Decimal(v) for v in chart["series"][0]["data"]) == total
    assert f'href="/reports/labor/day_labor_by_crew_month/export.xlsx?period={MONTH}&amp;project=' in html
    assert 'src="/assets/vendor/echarts/echarts.min.js"' in html


def test_parameters_are_the_reports_groupings_and_filter_the_rows(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    page = visitor(browser_client, world, tenant, "cost")
    html = page.text("/reports/labor/day_labor_by_crew_month")
    assert '<select id="p-project" name="project">' in html and '<select id="p-crew" name="crew">' in html
    assert '<input type="month" id="p-period" name="period"' in html
    assert world["project"]["data"]["project_name"] in html
    only_b = page.text(f"/reports/labor/day_labor_by_crew_month?crew={world['crews']['b']['id']}")
    body = only_b.split("<tbody>")[1]
    assert "杂工班" in body and "木工一班" not in body
    assert money(Decimal("2800")) in only_b                       # 5 × 260 + 1500
    empty = page.text("/reports/labor/day_labor_by_crew_month?period=1999-01")
    assert "No data for these parameters." in empty and "chart-data" not in empty


@pytest.mark.parametrize(("query", "message"), [
    ("period=2024-13", "Period must be a month like 2024-05, not &#39;2024-13&#39;"),
    ("crew=nope", "&#39;nope&#39; is not a choice for Crew"),
])
def test_bad_parameters_are_explained_with_a_400_not_a_500(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], query: str, message: str) -> None:
    page = visitor(browser_client, world, tenant, "cost")
    response = page.get(f"/reports/labor/day_labor_by_crew_month?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_date_range_parameters_filter_a_date_grouping(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    page = visitor(browser_client, world, tenant, "cost")
    html = page.text("/reports/labor/day_labor_calendar")
    assert 'name="work_date"' in html and 'name="work_date_to"' in html
    first = min(t["data"]["work_date"] for t in tickets)
    narrow = page.text(f"/reports/labor/day_labor_calendar?work_date={first}&work_date_to={first}")
    expected = sum((Decimal(t["data"]["man_days"]) for t in tickets if t["data"]["work_date"] == first), Decimal(0))
    rows = narrow.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == len({t["data"]["crew"] for t in tickets if t["data"]["work_date"] == first})
    assert sum(Decimal(v) for v in re.findall(r'<td class="num">([\d.,]+)</td>', rows)) == expected
    assert page.get("/reports/labor/day_labor_calendar?work_date=2024-02-30").status_code == 400


def test_the_index_lists_the_reports_each_role_may_run(
        engine: Formwork, browser_client: FlaskClient, tenant: str, world: dict[str, Any]) -> None:
    cost = visitor(browser_client, world, tenant, "cost").text("/reports")
    assert "Day labor by crew and month" in cost and "Day-labor calendar" in cost
    assert 'href="/reports"' in cost                                   # the navigation entry
    site = sign_in(browser_client.application.test_client(), tenant, "site").text("/reports")
    assert "Day labor by crew and month" not in site                  # it sums the amount, hidden from 施工员
    assert "Day-labor calendar (crew by day)" in site                 # man-days only
    add_user(engine, tenant, "chief", "chief_engineer")               # no role in the labor module
    chief = sign_in(browser_client.application.test_client(), tenant, "chief")
    assert "Day labor" not in chief.text("/reports")
    assert chief.get("/reports/labor/day_labor_calendar").status_code == 403
    assert chief.get("/labor/calendar").status_code == 403
    assert chief.get("/reports/labor/no_such_report").status_code == 404


def test_hidden_amounts_never_reach_a_report_a_figure_or_a_chart(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    site = visitor(browser_client, world, tenant, "site")
    assert site.get("/reports/labor/day_labor_by_crew_month").status_code == 403
    dashboard = site.text("/")
    total = sum((Decimal(t["data"]["amount"]) for t in tickets), Decimal(0))
    man_days = sum((Decimal(t["data"]["man_days"]) for t in tickets), Decimal(0))
    assert "Day-labor man-days this month" in dashboard and "Day-labor cost this month" not in dashboard
    assert money(total) not in dashboard
    plotted = {series["name"] for chart in charts(dashboard) for series in chart["series"]}
    assert not plotted & {"Amount", "Average unit price"}
    assert f"{man_days.normalize():f}" in dashboard


def test_the_dashboard_shows_figures_with_units_and_keeps_tasks_and_modules(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    html = visitor(browser_client, world, tenant, "cost", "zh").text("/")
    total = sum((Decimal(t["data"]["amount"]) for t in tickets), Decimal(0))
    man_days = sum((Decimal(t["data"]["man_days"]) for t in tickets), Decimal(0))
    card = html.split("本月点工费用")[1].split("</a>")[0]
    assert money(total) in card and "元" in card and "is-warning" not in html.split("本月点工费用")[0][-300:]
    assert f"{man_days.normalize():f}" in html.split("本月点工工日")[1].split("</a>")[0]
    assert 'href="/reports/labor/day_labor_by_project_month"' in html
    assert "我的待办" in html and "我的模块" in html and "数据概览" in html      # the existing dashboard stays
    labor_chart = [c for c in charts(html) if "木工一班" in c["categories"]]
    assert labor_chart and sum(Decimal(v) for v in labor_chart[0]["series"][0]["data"]) == total


def test_row_filters_apply_to_reports_and_the_calendar(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    lead = visitor(browser_client, world, tenant, "lead")            # leader of crew a only
    html = lead.text(f"/labor/calendar?month={MONTH}")
    assert "木工一班" in html and "杂工班" not in html
    own = sum((Decimal(t["data"]["man_days"]) for t in tickets if t["data"]["crew"] == world["crews"]["a"]["id"]),
              Decimal(0))
    assert f"<strong>{own.normalize():f}</strong>" in html.split("<tfoot>")[1]


def test_the_calendar_grid_has_a_cell_per_crew_and_day_with_totals(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    page = visitor(browser_client, world, tenant, "clerk", "zh")
    html = page.text(f"/labor/calendar?project={world['project']['id']}&month={MONTH}")
    assert "点工日历" in html and "班组" in html
    grid = html.split("<tbody>")[1].split("</tbody>")[0]
    for crew in ("a", "b"):
        row = grid.split(world["crews"][crew]["data"]["crew_name"])[1].split("</tr>")[0]
        cells = re.findall(r"<td class=\"num[^\"]*\">([^<]*)", row)
        expected: dict[int, Decimal] = {}
        for ticket in tickets:
            if ticket["data"]["crew"] == world["crews"][crew]["id"]:
                day = int(ticket["data"]["work_date"][8:])
                expected[day] = expected.get(day, Decimal(0)) + Decimal(ticket["data"]["man_days"])
        assert {n + 1: Decimal(text) for n, text in enumerate(cells) if text} == expected
        assert Decimal(re.findall(r"<strong>([\d.]+)</strong>", row)[0]) == sum(expected.values())
    grand = sum((Decimal(t["data"]["man_days"]) for t in tickets), Decimal(0))
    assert f"<strong>{grand.normalize():f}</strong>" in html.split("<tfoot>")[1]
    # a project the clerk is no member of is not his to pick; the company cost department sees it, empty
    assert page.get(f"/labor/calendar?project={world['other']['id']}&month={MONTH}").status_code == 400
    company = visitor(browser_client, world, tenant, "costdept", "zh")
    other = company.text(f"/labor/calendar?project={world['other']['id']}&month={MONTH}")
    assert "本月没有已签认的点工。" in other
    assert page.get("/labor/calendar?month=2024-5").status_code == 400
    assert page.get("/labor/calendar?project=nope").status_code == 400
