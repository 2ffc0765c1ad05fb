"""The 挣值分析 module (modules/earned_value): PV, EV, AC, SV, CV, SPI, CPI and EAC per project.

Plans, tasks and actual cost entries are created through the REST API; the expected figures are computed
here from the budgets, dates, percentages and amounts this test typed — never read back from computed
fields — and compared with the report over REST, the kpis and the report page.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.errors import NotFound
from engine.reports.service import run_kpi, run_report
from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, login, new_project
from tests.modules.helpers_finance import post, report, setup_world
from tests.web.conftest import sign_in

STATUS_DATE = date(2024, 6, 20)
CENT = Decimal("0.01")
# project -> tasks (wbs code, type, planned start, planned finish, % complete, BAC or None)
TASKS: dict[str, list[tuple[str, str, str, str, str, str | None]]] = {
    "XM-0001": [
        ("1", "summary", "2024-06-01", "2024-07-31", "0", "999999.00"),   # summaries are left out
        ("1.1", "task", "2024-06-01", "2024-06-10", "100", "120000.00"),
        ("1.2", "task", "2024-06-11", "2024-06-30", "40", "200000.00"),
        ("1.3", "task", "2024-07-01", "2024-07-31", "0", "53000.00"),
        ("1.4", "task", "2024-06-01", "2024-06-30", "50", None),             # no budget: not counted
    ],
    "XM-0002": [
        ("1", "task", "2024-06-05", "2024-06-24", "30", "80000.00"),
        ("2", "milestone", "2024-06-15", "2024-06-15", "100", "10000.00"),
    ],
    "XM-0003": [],                                                          # actual cost but no tasks
}
COSTS = {"XM-0001": ["150000.00", "37123.45"], "XM-0002": ["41000.00"], "XM-0003": ["5000.00"]}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def planned_pct(start: date, finish: date) -> Decimal:
    """domain.md §1.2 planned_pct_to_date: linear between the planned dates, clamped to 0–100."""
    if start > STATUS_DATE:
        return Decimal(0)
    if finish <= STATUS_DATE:
        return Decimal(100)
    return cents(Decimal(((STATUS_DATE - start).days + 1) * 100) / Decimal((finish - start).days + 1))


def expected_rows() -> dict[str, dict[str, Decimal | None]]:
    """What the report must say per project code, from the inputs above."""
    result: dict[str, dict[str, Decimal | None]] = {}
    for code, tasks in TASKS.items():
        counted = [t for t in tasks if t[1] != "summary" and t[5] is not None]
        if not counted:
            continue
        bac = sum((Decimal(t[5] or 0) for t in counted), Decimal(0))
        pv = sum((cents(Decimal(t[5] or 0) * planned_pct(date.fromisoformat(t[2]), date.fromisoformat(t[3])) / 100)
                  for t in counted), Decimal(0))
        ev = sum((cents(Decimal(t[5] or 0) * Decimal(t[4]) / 100) for t in counted), Decimal(0))
        ac = sum((Decimal(a) for a in COSTS[code]), Decimal(0))
        result[code] = {"bac": bac, "pv": pv, "ev": ev, "ac": ac, "sv": ev - pv, "cv": ev - ac,
                        "spi": cents(ev / pv), "cpi": cents(ev / ac), "eac": cents(bac * (ac / ev))}
    return result


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    """Three projects: two with a budgeted plan and actual cost, one with actual cost only."""
    world = setup_world(engine, tenant, client)
    create = api_creator(world["users"]["ann"])
    projects = {"XM-0001": world["project"], "XM-0002": new_project(create, "XM-0002"),
                "XM-0003": new_project(create, "XM-0003")}
    prod, cost = world["users"]["prod"], world["users"]["cost"]
    plans = {}
    for code, tasks in TASKS.items():
        plan = plans[code] = post(prod, "schedule", "schedule_plan", {
            "plan_code": f"JH-{code}", "plan_name": f"总控计划 {code}", "project": projects[code]["id"],
            "plan_level": "master", "status_date": STATUS_DATE.isoformat()})
        for wbs, kind, start, finish, pct, bac in tasks:
            body: dict[str, Any] = {"plan": plan["id"], "wbs_code": wbs, "task_name": f"任务 {wbs}",
                                    "task_type": kind, "planned_start": start, "planned_finish": finish,
                                    "baseline_start": start, "baseline_finish": finish,
                                    "responsible_user": "prod", "percent_complete": pct}
            if bac is not None:
                body["budget_at_completion"] = bac
            if pct != "0" and kind != "summary":
                body["actual_start"] = start
            if pct == "100":
                body["actual_finish"] = finish
            post(prod, "schedule", "wbs_task", body)
        for number, amount in enumerate(COSTS[code], 1):
            post(cost, "cost", "actual_cost_entry", {
                "project": projects[code]["id"], "cost_account": world["accounts"]["0201"]["id"],
                "occurred_date": "2024-06-10", "amount": amount, "source_no": f"LY-{code}-{number}"})
    return {**world, "projects": projects, "codes": {p["id"]: code for code, p in projects.items()}, "plans": plans}


def by_code(world: dict[str, Any], result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {world["codes"][row[0]]: dict(zip(result["columns"], row, strict=True)) for row in result["rows"]}


def test_the_report_joins_actual_cost_to_the_tasks_by_project(world: dict[str, Any]) -> None:
    result = report(world["users"]["gm"], "earned_value", "earned_value_by_project")
    assert result["columns"] == ["project", "project_project_name", "bac", "pv", "ev", "ac", "sv", "cv", "spi",
                                 "cpi", "eac", "light"]
    rows = by_code(world, result)
    expected = expected_rows()
    assert set(rows) == set(expected) == {"XM-0001", "XM-0002"}     # rows are the groups of the tasks
    for code, figures in expected.items():
        got = {name: Decimal(str(rows[code][name])) for name in figures}
        assert got == figures, code
    assert rows["XM-0001"]["project_project_name"] == "Project XM-0001"
    assert expected["XM-0002"]["spi"] < Decimal("0.90") and rows["XM-0002"]["light"] == "red"
    info = {c["name"]: c for c in result["column_info"]}
    assert info["ac"]["label"] == "Actual cost (AC)" and info["ac"]["type"] == "money"
    assert info["spi"]["type"] == "number" and info["project"]["target"] == "base.project"


def test_the_s_curve_gives_cumulative_pv_ev_and_ac_per_month(world: dict[str, Any]) -> None:
    """PV in the month of the planned finish, EV in the month of the actual finish (work under way: this month),
    AC in the month it occurred; cumulated per project in month order, the SPI and CPI of each month to date."""
    result = report(world["users"]["gm"], "earned_value", "s_curve_by_project_month")
    now = date.today().strftime("%Y-%m")
    names = ["pv", "ev", "ac", "pv_to_date", "ev_to_date", "ac_to_date", "spi", "cpi"]
    rows = sorted((world["codes"][row[0]], row[1], *(row[result["columns"].index(n)] for n in names))
                  for row in result["rows"])
    assert rows == [
        # 1.1 and 1.2 planned in June, 1.1 finished in June; 187,123.45 spent in June
        ("XM-0001", "2024-06", "320000.00", "120000.00", "187123.45", "320000.00", "120000.00", "187123.45",
         "0.38", "0.64"),
        ("XM-0001", "2024-07", "53000.00", None, None, "373000.00", "120000.00", "187123.45", "0.32", "0.64"),
        # 1.2 is 40 % done: 80,000 earned so far, counted in this month
        ("XM-0001", now, None, "80000.00", None, "373000.00", "200000.00", "187123.45", "0.54", "1.07"),
        ("XM-0002", "2024-06", "90000.00", "10000.00", "41000.00", "90000.00", "10000.00", "41000.00", "0.11",
         "0.24"),
        ("XM-0002", now, None, "24000.00", None, "90000.00", "34000.00", "41000.00", "0.38", "0.83"),
        # actual cost but no budgeted task: a row of its own with `rows: any`
        ("XM-0003", "2024-06", None, None, "5000.00", None, "0.00", "5000.00", None, 0),
    ]
    assert result["columns"][:2] == ["project", "period"]
    plan = sorted((world["codes"][row[0]], row[1], row[result["columns"].index("pv_to_date")],
                   row[result["columns"].index("ev_to_date")]) for row in result["rows"])
    by_plan = report(world["users"]["gm"], "schedule", "s_curve_by_plan")
    first = [row for row in by_plan["rows"] if row[0] == world["plans"]["XM-0001"]["id"]]
    columns = by_plan["columns"]
    assert [(r[1], r[columns.index("pv_to_date")], r[columns.index("ev_to_date")]) for r in first] == [
        (period, pv, ev) for code, period, pv, ev in plan if code == "XM-0001"]   # the plan's curve is the project's


def test_the_s_curve_page_draws_a_line_chart(client: FlaskClient, tenant: str, world: dict[str, Any]) -> None:
    html = sign_in(client, tenant, "gm", language="zh").text("/reports/earned_value/s_curve_by_project_month")
    assert "S曲线(按项目×月)" in html and "累计计划价值(PV)" in html and 'class="chart-data"' in html
    assert "2024-07" in html and "373,000.00" in html
    july = sign_in(client, tenant, "gm", language="zh").text(
        "/reports/earned_value/s_curve_by_project_month?period=2024-07")
    table = july.split("<tbody>")[1].split("</tbody>")[0]
    # the month picker chooses rows after the running sums: July's cumulative PV carries June's
    assert "2024-07" in table and "2024-06" not in table and "373,000.00" in table
    assert 'type="month"' in july


def test_kpis_aggregate_the_reports_rows(engine: Formwork, tenant: str, world: dict[str, Any]) -> None:
    expected = expected_rows()
    ev = sum((row["ev"] or Decimal(0) for row in expected.values()), Decimal(0))
    pv = sum((row["pv"] or Decimal(0) for row in expected.values()), Decimal(0))
    ac = sum((row["ac"] or Decimal(0) for row in expected.values()), Decimal(0))  # XM-0003 has no row
    gm = tenancy.Actor(tenant, "gm", frozenset({"general_manager"}))
    with engine.records(gm) as records:
        spi, cpi = run_kpi(records, "earned_value", "spi"), run_kpi(records, "earned_value", "cpi")
    assert Decimal(str(spi.value)) == cents(ev / pv) and Decimal(str(cpi.value)) == cents(ev / ac)
    assert spi.is_warning == (cents(ev / pv) < Decimal("0.95"))
    assert cpi.is_warning == (cents(ev / ac) < Decimal("0.95"))


def test_a_tenant_parameter_moves_the_light_and_the_kpi_threshold(engine: Formwork, tenant: str,
                                                                  world: dict[str, Any]) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.set_parameter(session, tenant, "earned_value", "spi_red_below", "0.10", engine.catalog.modules())
        tenancy.set_parameter(session, tenant, "earned_value", "spi_yellow_below", "0.20", engine.catalog.modules())
        tenancy.set_parameter(session, tenant, "earned_value", "cpi_red_below", "0.10", engine.catalog.modules())
        tenancy.set_parameter(session, tenant, "earned_value", "cpi_yellow_below", "0.20", engine.catalog.modules())
    rows = by_code(world, report(world["users"]["gm"], "earned_value", "earned_value_by_project"))
    assert {row["light"] for row in rows.values()} == {"green"}
    gm = tenancy.Actor(tenant, "gm", frozenset({"general_manager"}))
    with engine.records(gm) as records:
        assert not run_kpi(records, "earned_value", "spi").is_warning


def test_row_filters_of_the_joined_entity_apply(engine: Formwork, tenant: str, client: FlaskClient,
                                                world: dict[str, Any]) -> None:
    """The project manager reads actual cost of his own projects only (cost's row filter): elsewhere AC is empty."""
    create = api_creator(world["users"]["ann"])
    other = new_project(create, "XM-0009", manager="pm2")
    post(world["users"]["cost"], "cost", "actual_cost_entry", {
        "project": other["id"], "cost_account": world["accounts"]["0201"]["id"], "occurred_date": "2024-06-10",
        "amount": "777.00", "source_no": "LY-9"})
    plan = post(world["users"]["prod"], "schedule", "schedule_plan", {
        "plan_code": "JH-9", "plan_name": "计划 9", "project": other["id"], "plan_level": "master",
        "status_date": STATUS_DATE.isoformat()})
    post(world["users"]["prod"], "schedule", "wbs_task", {
        "plan": plan["id"], "wbs_code": "1", "task_name": "任务", "planned_start": "2024-06-01",
        "planned_finish": "2024-06-30", "responsible_user": "prod", "budget_at_completion": "1000.00"})
    rows = {row[0]: row for row in report(world["users"]["pm"], "earned_value", "earned_value_by_project")["rows"]}
    assert other["id"] not in rows                  # not a member: neither its tasks nor its actual cost
    assert Decimal(rows[world["project"]["id"]][5]) == sum(Decimal(a) for a in COSTS["XM-0001"])
    gm_rows = {row[0]: row for row in report(world["users"]["gm"], "earned_value", "earned_value_by_project")["rows"]}
    assert gm_rows[other["id"]][5] == "777.00"


def test_roles_that_may_not_read_actual_cost_may_not_run_it(world: dict[str, Any]) -> None:
    site = world["users"]["site"]       # reads tasks without their money, and no actual cost at all
    response = site.get("/reports/earned_value/earned_value_by_project")
    assert response.status_code == 403
    assert "budget_at_completion" in response.get_json()["error"]["message"]
    prod = world["users"]["prod"]       # reads tasks, not actual cost entries
    response = prod.get("/reports/earned_value/earned_value_by_project")
    assert response.status_code == 403, response.get_json()


def test_a_module_the_tenant_cannot_use_is_named_in_the_refusal(engine: Formwork, tenant: str,
                                                                world: dict[str, Any]) -> None:
    """Cost taken away (here: out of the tenant's modules) leaves the report refusing, naming what it needs."""
    gm = tenancy.Actor(tenant, "gm", frozenset({"general_manager"}))
    with engine.records(gm) as records:
        records.modules = {name: spec for name, spec in records.modules.items() if name != "cost"}
        with pytest.raises(NotFound, match=r"reads cost\.actual_cost_entry, which this tenant cannot use: "
                                           r"module 'cost' is not enabled"):
            run_report(records, "earned_value", "earned_value_by_project")


def test_the_report_page_renders_the_table_totals_and_chart(engine: Formwork, tenant: str, client: FlaskClient,
                                                            world: dict[str, Any]) -> None:
    page = sign_in(client, tenant, "gm", language="zh")
    html = page.text("/reports/earned_value/earned_value_by_project")
    expected = expected_rows()
    assert "挣值分析(按项目)" in html and "费用绩效指数(CPI)" in html and "Project XM-0002" in html
    footer = html.split("<tfoot>")[1].split("</tfoot>")[0]
    ac_total = sum((row["ac"] or Decimal(0) for row in expected.values()), Decimal(0))
    assert f"{ac_total:,.2f}" in footer                    # the joined sum is totalled too
    assert 'class="chart-data"' in html
    assert page.get("/reports").get_data(as_text=True).count("/reports/earned_value/earned_value_by_project") == 1
    dashboard = page.text("/")
    assert "进度绩效指数SPI" in dashboard and "费用绩效指数CPI" in dashboard


def test_a_tenant_without_tasks_gets_no_rows(client: FlaskClient, tenant: str, engine: Formwork) -> None:
    add_user(engine, tenant, "someone", "general_manager")
    api = login(client, tenant, "someone")
    assert api.get("/reports/earned_value/earned_value_by_project").get_json()["rows"] == []


def test_plans_roll_up_their_earned_value_and_the_schedule_reports_it_by_plan(world: dict[str, Any]) -> None:
    expected = expected_rows()
    gm = world["users"]["gm"]
    plans = {p["data"]["plan_code"]: p for p in gm.get("/records/schedule/schedule_plan").get_json()["items"]}
    first = plans["JH-XM-0001"]["data"]
    assert (Decimal(first["planned_value"]), Decimal(first["earned_value"])) == (expected["XM-0001"]["pv"],
                                                                                expected["XM-0001"]["ev"])
    assert Decimal(first["spi"]) == expected["XM-0001"]["spi"]
    result = report(gm, "schedule", "earned_value_by_plan")
    assert result["columns"] == ["project", "plan", "plan_plan_name", "bac", "pv", "ev", "sv", "spi"]
    rows = {world["codes"][row[0]]: row for row in result["rows"]}
    assert set(rows) == {"XM-0001", "XM-0002"}
    for code, row in rows.items():
        assert [Decimal(v) for v in row[3:]] == [expected[code][k] for k in ("bac", "pv", "ev", "sv", "spi")]


def test_cost_compares_bid_revenue_with_target_and_dynamic_cost(world: dict[str, Any]) -> None:
    """中标收入 (the income contracts' amount excl. tax, base module) beside the budget lines (cost module)."""
    cost, project = world["users"]["cost"], world["project"]
    budget = post(cost, "cost", "cost_budget", {"project": project["id"],
                                                "budget_type": "target_cost", "revenue_amount": "9000000.00"})
    for code, amount in (("0201", "6000000.00"), ("0202", "1500000.00")):
        post(cost, "cost", "cost_budget_line", {"budget": budget["id"], "cost_account": world["accounts"][code]["id"],
                                                "manual_amount": amount})
    contracts = world["users"]["ann"].get("/records/base/contract").get_json()["items"]
    revenue = sum(Decimal(c["data"]["amount_excl_tax"]) for c in contracts
                  if c["data"]["direction"] == "income" and c["data"]["project"] == project["id"])
    assert revenue == cents(Decimal("10000000.00") / Decimal("1.09"))
    lines = cost.get("/records/cost/cost_budget_line").get_json()["items"]
    target = sum(Decimal(line["data"]["target_amount"]) for line in lines)
    dynamic = sum(Decimal(line["data"]["dynamic_cost"]) for line in lines)
    result = report(world["users"]["costdept"], "cost", "cost_comparison_by_project")
    (row,) = [dict(zip(result["columns"], r, strict=True)) for r in result["rows"]]
    assert row["project"] == project["id"] and Decimal(row["bid_revenue"]) == revenue
    assert (Decimal(row["target_cost"]), Decimal(row["dynamic_cost"])) == (target, dynamic)
    assert Decimal(row["target_profit"]) == revenue - target
    assert Decimal(row["dynamic_margin"]) == cents((revenue - dynamic) / revenue * 100)


def test_the_demo_shows_earned_value(demo_formwork: Formwork) -> None:
    client = create_app(demo_formwork, TESTING=True).test_client()   # its own copy of the demo
    admin = Api(client, client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": "admin",
                                                                "password": DEMO_PASSWORD}).get_json()["token"])
    result = admin.get("/reports/earned_value/earned_value_by_project").get_json()
    (row,) = [dict(zip(result["columns"], r, strict=True)) for r in result["rows"]]
    entries = admin.get("/records/cost/actual_cost_entry", query_string={"limit": 500}).get_json()["items"]
    assert Decimal(row["ac"]) == sum(Decimal(e["data"]["amount"]) for e in entries
                                     if e["data"]["project"] == row["project"])
    # earned by the tasks' % complete, which the approved progress reports moved (nobody typed it)
    tasks = admin.get("/records/schedule/wbs_task", query_string={"limit": 500}).get_json()["items"]
    assert Decimal(row["ev"]) == sum(Decimal(t["data"]["budget_at_completion"]) * Decimal(t["data"]["percent_complete"])
                                     / 100 for t in tasks if t["data"].get("budget_at_completion")
                                     and t["data"]["project"] == row["project"])
    assert row["spi"] is not None and row["cpi"] is not None


def test_a_module_without_entities_is_at_home_on_every_page(engine: Formwork, tenant: str, client: FlaskClient,
                                                            world: dict[str, Any]) -> None:
    add_user(engine, tenant, "boss", "admin")
    described = login(client, tenant, "boss").get("/modules").get_json()["modules"]
    (module,) = [m for m in described if m["name"] == "earned_value"]
    assert module["requires"] == ["base", "cost", "schedule"] and module["entities"] == {}
    assert module["reports"]["earned_value_by_project"]["entity"] == "schedule.wbs_task"
    page = sign_in(client, tenant, "boss")
    for path in ("/", "/reports", "/designer/", "/designer/earned_value",
                 "/reports/earned_value/earned_value_by_project", "/reports/schedule/earned_value_by_plan",
                 "/reports/cost/cost_comparison_by_project"):
        assert page.get(path).status_code == 200, path


def test_the_report_exports_for_who_may_export_every_entity_it_reads(engine: Formwork, tenant: str,
                                                                     client: FlaskClient,
                                                                     world: dict[str, Any]) -> None:
    gm = sign_in(client, tenant, "gm")        # export on tasks and on actual cost entries
    response = gm.get("/reports/earned_value/earned_value_by_project/export.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Actual cost (AC)" in text.splitlines()[0] and "Project XM-0001" in text
    pm = sign_in(client, tenant, "pm")        # reads both, exports tasks and cost entries of his projects
    assert pm.get("/reports/earned_value/earned_value_by_project/export.csv").status_code == 200
    fin = sign_in(client, tenant, "fin")      # reads tasks, may not export them
    assert fin.get("/reports/earned_value/earned_value_by_project").status_code == 200
    assert fin.get("/reports/earned_value/earned_value_by_project/export.csv").status_code == 403
