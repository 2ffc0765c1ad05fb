"""The built-in modules use the calendar, check-digit, text, list and period functions and table-row formulas
that read their record (`parent.x`) and their refs: over the REST API, on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, errors_of, login, members_of, new_project, new_tenant_id
from tests.modules.helpers_finance import post as finance_post
from tests.modules.helpers_finance import setup_world

USERS = {"ann": "system_admin", "prod": "production_manager", "site": "site_engineer", "clerk": "labor_clerk",
         "cost": "project_cost_engineer", "pm": "project_manager"}
VALID_ID = "11010519491231002X"      # the check character of GB 11643's own example
WRONG_CHECK = "110105194912310021"


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    for name, role in USERS.items():
        add_user(engine, tenant, name, role)
    users = {name: login(client, tenant, name) for name in USERS}
    project = new_project(api_creator(users["ann"]), "XM-0001", members=members_of(USERS))
    return {"users": users, "project": project}


def create(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/records/{path}", body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def read(api: Api, path: str, record_id: str) -> dict[str, Any]:
    response = api.get(f"/records/{path}/{record_id}")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def patch(api: Api, path: str, record: dict[str, Any], **changes: Any) -> Any:
    current = read(api, path, record["id"])
    return api.patch(f"/records/{path}/{record['id']}", {"version": current["version"], **changes})


def a_plan(world: dict[str, Any], code: str = "JH-01", **extra: Any) -> dict[str, Any]:
    return create(world["users"]["prod"], "schedule/schedule_plan", {
        "plan_code": code, "plan_name": f"计划 {code}", "project": world["project"]["id"], "plan_level": "monthly",
        "status_date": "2025-10-09", **extra})


def a_task(world: dict[str, Any], plan: dict[str, Any], code: str, start: str, finish: str,
           **extra: Any) -> dict[str, Any]:
    return create(world["users"]["prod"], "schedule/wbs_task", {
        "plan": plan["id"], "wbs_code": code, "task_name": f"任务 {code}", "planned_start": start,
        "planned_finish": finish, "responsible_user": "prod", **extra})


# --- working-day calendars ---------------------------------------------------------------------------------

def test_the_seeded_national_calendar_holds_the_2025_and_2026_holidays_and_make_up_days(engine: Formwork) -> None:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
    engine.enable_module(tenant_id, "base")
    admin = add_user(engine, tenant_id, "ann", "admin")
    with engine.records(admin) as records:
        found = records.find("base", "work_calendar", limit=10).items
    assert [c["data"]["calendar_name"] for c in found] == ["全国法定节假日"]
    days = {d["date"]: d["kind"] for d in found[0]["data"]["special_days"]}
    assert days["2025-10-01"] == days["2026-02-17"] == "holiday"
    assert days["2025-09-28"] == days["2026-02-14"] == "workday"    # 调休: a Sunday, a Saturday worked
    assert sum(1 for kind in days.values() if kind == "workday") == 11 and len(days) == 72


def national(api: Api) -> dict[str, Any]:
    """The national days of the autumn of 2025, as the seed has them."""
    holidays = [{"date": f"2025-10-0{day}", "kind": "holiday", "note": "国庆节、中秋节"} for day in range(1, 9)]
    return create(api, "base/work_calendar", {"calendar_name": "全国法定节假日", "special_days": [
        *holidays, {"date": "2025-09-28", "kind": "workday"}, {"date": "2025-10-11", "kind": "workday"}]})


def test_planned_durations_count_working_days_of_the_project_calendar(world: dict[str, Any]) -> None:
    ann = world["users"]["ann"]
    base = national(ann)
    # the project's own calendar: the national days, a site holiday on Friday 2025-10-17 and a make-up
    # Saturday 2025-10-18 (抢工)
    own = create(ann, "base/work_calendar", {
        "calendar_name": "XM-0001 日历", "project": world["project"]["id"], "based_on": base["id"],
        "special_days": [{"date": "2025-10-17", "kind": "holiday", "note": "停电停工"},
                         {"date": "2025-10-18", "kind": "workday", "note": "抢工"}]})
    plan = a_plan(world, calendar="working_days")
    assert plan["data"]["work_calendar"] == own["id"]                  # the project's calendar, looked up
    # 2025-09-26 (Fri) .. 2025-10-20 (Mon): 17 weekdays, less the 6 national holidays on weekdays (10-01 .. 10-08),
    # plus the national make-up days 09-28 (Sun) and 10-11 (Sat), less the site holiday, plus the site Saturday
    task = a_task(world, plan, "1", "2025-09-26", "2025-10-20")
    assert task["data"]["planned_duration"] == 17 - 6 + 2 - 1 + 1
    assert task["data"]["planned_pct_to_date"] == "38.46"    # 5 of 13 working days by the status date 10-09
    calendar_days = a_plan(world, "JH-02")
    assert a_task(world, calendar_days, "1", "2025-09-26", "2025-10-20")["data"]["planned_duration"] == 25
    plain = create(ann, "base/work_calendar", {"calendar_name": "周一至周五"})   # no special days
    monday_to_friday = a_plan(world, "JH-03", calendar="working_days", work_calendar=plain["id"])
    assert a_task(world, monday_to_friday, "1", "2025-09-26", "2025-10-20")["data"]["planned_duration"] == 17


def test_a_calendar_lists_a_date_once_and_a_loop_of_calendars_ends(world: dict[str, Any]) -> None:
    ann = world["users"]["ann"]
    twice = {"calendar_name": "重复", "special_days": [{"date": "2025-10-17", "kind": "holiday"},
                                                      {"date": "2025-10-17", "kind": "workday"}]}
    assert errors_of(ann.post("/records/base/work_calendar", twice)) == {
        "special_days": "A date can be listed only once"}
    first = create(ann, "base/work_calendar", {"calendar_name": "甲", "special_days": [
        {"date": "2025-10-17", "kind": "holiday"}]})
    second = create(ann, "base/work_calendar", {"calendar_name": "乙", "based_on": first["id"], "special_days": [
        {"date": "2025-10-18", "kind": "workday"}]})
    assert patch(ann, "base/work_calendar", first, based_on=second["id"]).status_code == 200   # a loop
    plan = a_plan(world, calendar="working_days", work_calendar=first["id"])
    # 10-13 .. 10-19: five weekdays, less the holiday of 甲, plus the Saturday of 乙 (read once each)
    assert a_task(world, plan, "1", "2025-10-13", "2025-10-19")["data"]["planned_duration"] == 5


# --- schedule: WBS codes, links and lines that read their tasks ----------------------------------------------

def test_a_child_wbs_code_extends_its_parents_and_a_parent_keeps_its_code(world: dict[str, Any]) -> None:
    prod = world["users"]["prod"]
    plan = a_plan(world)
    summary = a_task(world, plan, "1", "2025-06-02", "2025-06-30", task_type="summary")
    body = {"plan": plan["id"], "wbs_code": "12.1", "task_name": "x", "planned_start": "2025-06-02",
            "planned_finish": "2025-06-03", "responsible_user": "prod", "parent": summary["id"]}
    assert errors_of(prod.post("/records/schedule/wbs_task", body)) == {
        "wbs_code": "A child task's WBS code extends its parent's code with '.' (1.2 → 1.2.1)"}
    child = create(prod, "schedule/wbs_task", {**body, "wbs_code": "1.1"})
    assert patch(prod, "schedule/wbs_task", summary, wbs_code="2").status_code == 422   # it has a child
    assert patch(prod, "schedule/wbs_task", child, wbs_code="1.2").status_code == 200


def test_links_are_checked_against_the_predecessors_planned_dates(world: dict[str, Any]) -> None:
    prod = world["users"]["prod"]
    plan = a_plan(world)
    first = a_task(world, plan, "1", "2025-06-02", "2025-06-10")
    late = a_task(world, plan, "2", "2025-06-09", "2025-06-20", predecessors=[
        {"predecessor": first["id"], "dep_type": "finish_to_start", "lag_days": 0}])
    assert [row["logic_ok"] for row in late["data"]["predecessors"]] == [False]
    warned = prod.post("/records/schedule/wbs_task", {
        "plan": plan["id"], "wbs_code": "3", "task_name": "y", "planned_start": "2025-06-12",
        "planned_finish": "2025-06-20", "responsible_user": "prod",
        "predecessors": [{"predecessor": first["id"], "dep_type": "finish_to_start", "lag_days": 2}]})
    assert warned.status_code == 201
    assert [w["message"] for w in warned.get_json()["warnings"]] == [
        "The planned dates do not follow a predecessor's link (with its lag)"]
    fine = a_task(world, plan, "4", "2025-06-13", "2025-06-20", predecessors=[
        {"predecessor": first["id"], "dep_type": "finish_to_start", "lag_days": 2},
        {"predecessor": first["id"], "dep_type": "start_to_start", "lag_days": 11}])
    assert [row["logic_ok"] for row in fine["data"]["predecessors"]] == [True, True]
    elsewhere = a_task(world, a_plan(world, "JH-02"), "1", "2025-06-01", "2025-06-01")
    assert errors_of(prod.post("/records/schedule/wbs_task", {
        "plan": plan["id"], "wbs_code": "5", "task_name": "z", "planned_start": "2025-06-12",
        "planned_finish": "2025-06-20", "responsible_user": "prod",
        "predecessors": [{"predecessor": elsewhere["id"]}]})) == {
        "predecessors": "A predecessor must belong to the same plan"}


def test_progress_lines_and_change_lines_read_their_tasks(world: dict[str, Any]) -> None:
    site, prod = world["users"]["site"], world["users"]["prod"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2025-06-02", "2025-06-30", actual_start="2025-06-02", percent_complete="30",
                  planned_qty="100", completed_qty="25", is_contract_node=True, penalty_per_day="1000")
    body = {"report_no": "TB-001", "plan": plan["id"], "report_type": "daily", "report_date": "2025-06-10",
            "lines": [{"task": task["id"], "pct_to_date": "45", "qty_this_period": "10"}]}
    line = create(site, "schedule/progress_report", body)["data"]["lines"][0]
    assert (line["previous_pct"], line["pct_this_period"], line["qty_to_date"]) == ("30.00", "15.00", "35.000")
    body.update(report_no="TB-002", report_date="2025-06-11", lines=[{"task": task["id"], "pct_to_date": "20"}])
    assert errors_of(site.post("/records/schedule/progress_report", body)) == {
        "lines": "A task reported below its previous % complete needs a remark saying why"}
    body["lines"][0]["remark"] = "返工拆除"
    create(site, "schedule/progress_report", body)
    other_plan_task = a_task(world, a_plan(world, "JH-02"), "1", "2025-06-02", "2025-06-30")
    body.update(report_no="TB-003", report_date="2025-06-12",
                lines=[{"task": other_plan_task["id"], "pct_to_date": "10"}])
    assert errors_of(site.post("/records/schedule/progress_report", body)) == {
        "lines": "Every task reported must belong to this plan"}
    change = create(prod, "schedule/schedule_change", {
        "change_no": "TZ-001", "plan": plan["id"], "reason": "weather", "description": "连续降雨停工",
        "lines": [{"task": task["id"], "new_start": "2025-06-02", "new_finish": "2025-07-03"}]})["data"]
    assert (change["lines"][0]["old_start"], change["lines"][0]["old_finish"]) == ("2025-06-02", "2025-06-30")
    assert (change["extension_days"], change["affects_contract_node"]) == (3, True)


# --- base: parent.<field> in rows, check digits -----------------------------------------------------------------

def test_cost_split_ratios_read_the_contract_amount_and_ids_are_checked(world: dict[str, Any]) -> None:
    ann = world["users"]["ann"]
    create_ = api_creator(ann)
    labor = create_("party", {"party_name": "鑫源劳务", "party_type": ["labor_company"],
                              "credit_code": "91350105MA31ABCD5X"})
    root = create_("cost_account", {"account_code": "91", "account_name": "人工", "cost_element": "labor"})
    leaf = create_("cost_account", {"account_code": "9101", "account_name": "劳务分包", "cost_element": "labor",
                                    "parent": root["id"]})
    refused = ann.post("/records/base/cost_account", {"account_code": "0910", "account_name": "x",
                                                      "cost_element": "labor", "parent": root["id"]})
    assert "account_code" in errors_of(refused)    # 0910 holds 91, but does not start with it
    contract = create(ann, "base/contract", {
        "contract_code": "ZC-LW-001", "contract_name": "主体劳务分包", "project": world["project"]["id"],
        "direction": "expense", "contract_category": "labor_sub", "party": labor["id"], "sign_date": "2025-02-01",
        "pricing_mode": "unit_price", "amount_incl_tax": "1200000", "tax_rate": "0.03", "retention_rate": "3",
        "progress_pay_rate": "85",
        "cost_splits": [{"cost_account": leaf["id"], "amount": "1000000"},
                        {"cost_account": leaf["id"], "amount": "200000"}]})
    assert [row["ratio"] for row in contract["data"]["cost_splits"]] == ["83.33", "16.67"]
    crew = ann.post("/records/base/crew", {
        "project": world["project"]["id"], "crew_name": "木工一班", "crew_leader_name": "张三",
        "crew_leader_phone": "13800000001", "crew_leader_id_no": WRONG_CHECK, "labor_company": labor["id"],
        "main_trade": create_("trade", {"trade_key": "carpenter_x", "trade_name": "木工X",
                                        "skill_level": "skilled"})["id"]})
    assert crew.status_code == 201
    assert [(w["field"], w["message"]) for w in crew.get_json()["warnings"]] == [
        ("crew_leader_id_no", "The ID number's check character is wrong (GB 11643)")]
    fixed = patch(ann, "base/crew", crew.get_json(), crew_leader_id_no=VALID_ID)
    assert fixed.status_code == 200 and fixed.get_json()["warnings"] == []


# --- funds: the opening balance of a month is last month's actual closing ------------------------------------

def test_a_fund_plan_opens_with_the_previous_months_actual_closing(engine: Formwork, tenant: str,
                                                                   client: FlaskClient) -> None:
    found = setup_world(engine, tenant, client)
    cost, project = found["users"]["cost"], found["project"]["id"]
    finance_post(cost, "funds", "fund_plan", {"doc_no": "ZJ-001", "project": project, "period": "2025-12",
                                              "opening_balance": "200000", "min_balance": "150000"})
    january = finance_post(cost, "funds", "fund_plan", {"doc_no": "ZJ-002", "project": project, "period": "2026-01"})
    assert (january["data"]["opening_balance"], january["data"]["actual_closing"]) == ("200000.00", "200000.00")
    first = cost.post("/records/funds/fund_plan", {"doc_no": "ZJ-003", "project": project, "period": "2025-06"})
    assert errors_of(first) == {"opening_balance": "is required"}
