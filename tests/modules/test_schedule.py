"""The 综合进度管控 module (modules/schedule) over the REST API: plans, WBS tasks, roll-ups, approvals, reports."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import (
    Api,
    add_user,
    api_creator,
    assert_only_members_see,
    decide,
    errors_of,
    login,
    members_of,
    new_project,
    outsider,
)

STATUS_DATE = "2024-06-20"
USERS = {"ann": "system_admin", "prod": "production_manager", "chief": "chief_engineer", "pm": "project_manager",
         "eng": "engineering_dept", "vgm": "vice_gm", "gm": "general_manager", "cost": "project_cost_engineer",
         "site": "site_engineer", "owner": "owner_rep", "lead": "crew_leader"}


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    """Users of every schedule role and a project managed by `pm`."""
    for name, role in USERS.items():
        add_user(engine, tenant, name, role)
    users = {name: login(client, tenant, name) for name in USERS}
    project = new_project(api_creator(users["ann"]), "XM-0001", members=members_of(USERS))
    return {"users": users, "project": project}


def create(api: Api, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/records/schedule/{entity}", body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def a_plan(world: dict[str, Any], code: str = "JH-01", **extra: Any) -> dict[str, Any]:
    return create(world["users"]["prod"], "schedule_plan", {
        "plan_code": code, "plan_name": f"计划 {code}", "project": world["project"]["id"], "plan_level": "monthly",
        "status_date": STATUS_DATE, **extra})


def a_task(world: dict[str, Any], plan: dict[str, Any], code: str, start: str, finish: str,
           **extra: Any) -> dict[str, Any]:
    body = {"plan": plan["id"], "wbs_code": code, "task_name": f"任务 {code}", "planned_start": start,
            "planned_finish": finish, "baseline_start": start, "baseline_finish": finish, "responsible_user": "prod",
            **extra}
    return create(world["users"]["prod"], "wbs_task", body)


def read(api: Api, entity: str, record_id: str) -> dict[str, Any]:
    response = api.get(f"/records/schedule/{entity}/{record_id}")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def patch(api: Api, entity: str, record: dict[str, Any], **changes: Any) -> Any:
    current = read(api, entity, record["id"])
    return api.patch(f"/records/schedule/{entity}/{record['id']}", {"version": current["version"], **changes})


def tasks(api: Api, record_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/tasks").get_json()["items"]
    return [t for t in items if t["record_id"] == record_id]


def submit(api: Api, entity: str, record_id: str) -> dict[str, Any]:
    response = api.post(f"/records/schedule/{entity}/{record_id}/submit")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


# --- WBS tasks: computed figures ------------------------------------------------------------------------

def test_durations_planned_percent_forecast_and_delay_of_a_task_in_progress(world: dict[str, Any]) -> None:
    plan = a_plan(world)
    data = a_task(world, plan, "1", "2024-06-01", "2024-06-30", actual_start="2024-06-03",
                  percent_complete="35")["data"]
    assert (data["planned_duration"], data["baseline_duration"], data["status_date"]) == (30, 30, STATUS_DATE)
    assert data["planned_pct_to_date"] == "66.67"          # 20 of 30 days
    assert data["elapsed_days"] == 18                      # 06-03 .. 06-20
    # the critical path method: 65 % of 30 days is ceil(19.5) = 20 days left after the status date
    assert (data["forecast_start"], data["forecast_finish"]) == ("2024-06-03", "2024-07-10")
    assert (data["total_float"], data["is_critical"], data["is_key"]) == (0, True, True)   # alone: critical
    assert data["delay_days"] == 10 and data["light"] == "red" and data["task_status"] == "delayed"
    assert (data["progress"], data["progress_deviation"], data["start_delay_days"]) == ("35.00", "-31.67", 2)
    assert data["effective_weight"] == "30.0000" and data["finish_period"] == "2024-06"


def test_milestones_finished_tasks_and_tasks_not_started(world: dict[str, Any]) -> None:
    plan = a_plan(world)
    milestone = a_task(world, plan, "2", "2024-06-15", "2024-06-15", task_type="milestone", is_contract_node=True,
                       penalty_per_day="10000")["data"]
    assert (milestone["planned_duration"], milestone["planned_pct_to_date"]) == (1, "100.00")
    # not reached by the status date: at the earliest the day after it
    assert (milestone["forecast_finish"], milestone["delay_days"]) == ("2024-06-21", 5)
    assert milestone["light"] == "yellow"                  # a key task: ≥ 3 days yellow, ≥ 10 red
    assert (milestone["milestone_status"], milestone["penalty_to_date"]) == ("missed", "50000.00")
    done = a_task(world, plan, "3", "2024-05-01", "2024-05-10", actual_start="2024-05-02",
                  actual_finish="2024-05-12", percent_complete="100")["data"]
    assert (done["forecast_finish"], done["delay_days"], done["light"]) == ("2024-05-12", 2, "green")
    assert (done["task_status"], done["finished_on_time"]) == ("completed", False)
    assert "milestone_status" not in done
    later = a_task(world, plan, "4", "2024-07-01", "2024-07-10")["data"]
    assert (later["planned_pct_to_date"], later["forecast_finish"], later["delay_days"]) == ("0.00", "2024-07-10", 0)
    assert (later["task_status"], later["light"]) == ("not_started", "green")
    unbaselined = a_task(world, plan, "5", "2024-06-01", "2024-06-10", baseline_start=None,
                         baseline_finish=None)["data"]
    assert unbaselined["reference_finish"] == "2024-06-10" and unbaselined["delay_days"] == 10
    by_quantity = a_task(world, plan, "6", "2024-06-01", "2024-06-30", actual_start="2024-06-01",
                         planned_qty="800", completed_qty="200", unit="m³")["data"]
    assert by_quantity["progress"] == "25.00"              # 200 / 800
    # each task that turned yellow or red raised one alert for the project manager, with its figures
    alerts = world["users"]["pm"].get("/records/base/alert", query_string={"sort": "source_no"}).get_json()["items"]
    assert [(a["data"]["source_no"], a["data"]["level"], a["data"]["value"], a["data"]["threshold"])
            for a in alerts] == [("2", "yellow", "5.00", "3.00"), ("5", "yellow", "10.00", "7.00"),
                                 ("6", "yellow", "13.00", "7.00")]   # 25 % done: 23 days left after 06-20


def test_task_errors_come_back_field_by_field(world: dict[str, Any]) -> None:
    prod = world["users"]["prod"]
    plan = a_plan(world)
    missing = errors_of(prod.post("/records/schedule/wbs_task", {"plan": plan["id"]}))
    assert {f for f, m in missing.items() if m == "is required"} == {
        "wbs_code", "task_name", "planned_start", "planned_finish", "responsible_user"}
    body = {"plan": plan["id"], "wbs_code": "1.a", "task_name": "x", "planned_start": "2024-06-10",
            "planned_finish": "2024-06-01", "responsible_user": "prod", "percent_complete": "120"}
    errors = errors_of(prod.post("/records/schedule/wbs_task", body))
    assert errors["wbs_code"] == "has the wrong format, e.g. 1"  # an example, never the pattern
    assert errors["percent_complete"] == "must be a percentage between 0 and 100"
    body.update(wbs_code="1", percent_complete="30", baseline_start="2024-06-01", task_type="milestone",
                actual_finish="2099-01-01")
    assert errors_of(prod.post("/records/schedule/wbs_task", body)) == {
        "planned_finish": "A milestone starts and finishes on the same day",
        "baseline_finish": "Give both baseline dates or neither",
        "actual_start": "A started task needs its actual start",
        "percent_complete": "A task with an actual finish is 100 % complete",
        "actual_finish": "The actual finish cannot be in the future"}
    body = {"plan": plan["id"], "wbs_code": "2", "task_name": "y", "planned_start": "2024-06-10",
            "planned_finish": "2024-06-01", "responsible_user": "prod", "percent_complete": "100",
            "actual_start": "2024-06-05", "actual_finish": "2024-06-04", "is_contract_node": True}
    assert errors_of(prod.post("/records/schedule/wbs_task", body)) == {
        "planned_finish": "The planned finish cannot be before the planned start",
        "actual_finish": "The actual finish cannot be before the actual start",
        "penalty_per_day": "A contract node needs its penalty per day"}
    leaf = a_task(world, plan, "3", "2024-06-01", "2024-06-10", task_type="summary")
    other_plan = a_plan(world, "JH-02")
    assert errors_of(prod.post("/records/schedule/wbs_task", {
        "plan": other_plan["id"], "wbs_code": "3.1", "task_name": "z", "planned_start": "2024-06-01",
        "planned_finish": "2024-06-02", "responsible_user": "prod", "parent": leaf["id"]})) == {
        "parent": "The parent task must belong to the same plan"}
    assert "already has a task with this WBS code" in errors_of(prod.post("/records/schedule/wbs_task", {
        "plan": plan["id"], "wbs_code": "3", "task_name": "dup", "planned_start": "2024-06-01",
        "planned_finish": "2024-06-02", "responsible_user": "prod"}))["wbs_code"]   # unique: [plan, wbs_code]
    a_task(world, other_plan, "3", "2024-06-01", "2024-06-10")  # the same code in another plan is fine


# --- roll-up of % complete ----------------------------------------------------------------------------

def test_percent_complete_rolls_up_by_weight_to_the_summary_task_and_the_plan(world: dict[str, Any]) -> None:
    prod = world["users"]["prod"]
    plan = a_plan(world)
    summary = a_task(world, plan, "1", "2024-06-01", "2024-06-30", task_type="summary", weight="3")
    x = a_task(world, plan, "1.1", "2024-06-01", "2024-06-10", parent=summary["id"], weight="2",
               actual_start="2024-06-01", percent_complete="50")
    y = a_task(world, plan, "1.2", "2024-06-11", "2024-06-20", parent=summary["id"],  # weight = 10 days
               actual_start="2024-06-11", percent_complete="20")
    a_task(world, plan, "2", "2024-06-01", "2024-06-30", weight="1", actual_start="2024-06-02",
           percent_complete="60")
    rolled = read(prod, "wbs_task", summary["id"])["data"]
    assert (rolled["child_count"], rolled["child_weight"], rolled["progress"]) == (2, "12.0000", "25.00")  # 300/12
    assert read(prod, "schedule_plan", plan["id"])["data"]["progress"] == "33.75"  # (3 × 25 + 1 × 60) / 4
    assert patch(prod, "wbs_task", y, percent_complete="80").status_code == 200
    assert read(prod, "wbs_task", summary["id"])["data"]["progress"] == "75.00"  # (2 × 50 + 10 × 80) / 12
    plan_data = read(prod, "schedule_plan", plan["id"])["data"]
    assert (plan_data["progress"], plan_data["task_count"], plan_data["total_weight"]) == ("71.25", 4, "4.0000")
    assert patch(prod, "wbs_task", x, actual_finish="2024-06-10", percent_complete="100").status_code == 200
    plan_data = read(prod, "schedule_plan", plan["id"])["data"]
    assert (plan_data["completed_count"], plan_data["progress"]) == (1, "77.50")  # S 83.33: (249.99 + 60) / 4
    assert patch(prod, "wbs_task", x, parent=None).status_code == 200  # x leaves the summary
    assert read(prod, "wbs_task", summary["id"])["data"]["progress"] == "80.00"  # only y is left under S
    assert errors_of(patch(prod, "wbs_task", summary, task_type="task")) == {
        "task_type": "A task with child tasks must be a summary task"}


# --- the plan approval (§2.2-A) and the baseline lock --------------------------------------------------

def test_a_plan_without_tasks_or_baselines_is_rejected_at_once(world: dict[str, Any]) -> None:
    prod = world["users"]["prod"]
    empty = a_plan(world)
    assert submit(prod, "schedule_plan", empty["id"])["status"] == "rejected"
    plan = a_plan(world, "JH-02")
    a_task(world, plan, "1", "2024-06-01", "2024-06-30", baseline_start=None, baseline_finish=None)
    assert read(prod, "schedule_plan", plan["id"])["data"]["tasks_without_baseline"] == 1
    assert submit(prod, "schedule_plan", plan["id"])["status"] == "rejected"


def test_a_monthly_plan_stops_at_the_project_manager_and_locks_the_baseline(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    assert submit(users["prod"], "schedule_plan", plan["id"])["status"] == "in_review"
    assert tasks(users["pm"], plan["id"]) == []
    assert decide(users["chief"], plan["id"])["status"] == "in_review"
    assert decide(users["pm"], plan["id"])["status"] == "approved"
    assert errors_of(patch(users["prod"], "wbs_task", task, baseline_finish="2024-07-10")) == {
        "baseline_finish": "is read-only"}
    moved = patch(users["prod"], "wbs_task", task, planned_finish="2024-07-10")
    assert moved.status_code == 200, moved.get_json()
    data = moved.get_json()["data"]
    assert (data["baseline_finish"], data["planned_finish"], data["planned_duration"]) == ("2024-06-30",
                                                                                          "2024-07-10", 40)
    assert patch(users["prod"], "schedule_plan", plan, plan_name="x").status_code == 409


def test_a_master_plan_goes_to_the_engineering_department_and_the_vice_gm(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world, plan_level="master")
    a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    submit(users["prod"], "schedule_plan", plan["id"])
    assert decide(users["chief"], plan["id"], "return", "工期偏紧")["status"] == "returned"
    assert patch(users["prod"], "schedule_plan", plan, description="已调整").status_code == 200
    assert submit(users["prod"], "schedule_plan", plan["id"])["status"] == "in_review"
    for name in ("chief", "pm", "eng"):
        assert decide(users[name], plan["id"])["status"] == "in_review"
    assert decide(users["vgm"], plan["id"])["status"] == "approved"
    rejected = a_plan(world, "JH-02", plan_level="milestone")
    a_task(world, rejected, "1", "2024-06-01", "2024-06-01", task_type="milestone")
    submit(users["prod"], "schedule_plan", rejected["id"])
    for name in ("chief", "pm"):
        decide(users[name], rejected["id"])
    assert decide(users["eng"], rejected["id"], "reject", "节点不合理")["status"] == "rejected"


# --- progress reports (§2.2-B) --------------------------------------------------------------------------

def report_body(world: dict[str, Any], plan: dict[str, Any], task: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"report_no": "TB-001", "plan": plan["id"], "report_type": "daily", "report_date": STATUS_DATE,
            "weather": "sunny", "manpower_on_site": 35,
            "lines": [{"task": task["id"], "pct_to_date": "40", "actual_start": "2024-06-03"}], **extra}


def test_progress_reports_are_checked_and_daily_ones_stop_at_the_production_manager(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    site = users["site"]
    bad = report_body(world, plan, task, report_date="2099-01-01",
                      lines=[{"task": task["id"], "pct_to_date": "100", "actual_start": "2024-06-05"}])
    assert errors_of(site.post("/records/schedule/progress_report", bad)) == {
        "report_date": "The report date cannot be in the future",
        "lines": "A task reported 100 % complete needs its actual finish"}
    bad = report_body(world, plan, task, lines=[{"task": task["id"], "pct_to_date": "50",
                                                 "actual_start": "2024-06-05", "actual_finish": "2024-06-04"}])
    assert errors_of(site.post("/records/schedule/progress_report", bad)) == {
        "lines": "An actual finish cannot be before its actual start"}
    report = create(site, "progress_report", report_body(world, plan, task))
    assert report["data"]["project"] == world["project"]["id"] and report["data"]["line_count"] == 1
    assert "already has a report of this type" in errors_of(site.post(
        "/records/schedule/progress_report", report_body(world, plan, task, report_no="TB-002")))["report_date"]
    submit(site, "progress_report", report["id"])
    assert decide(users["prod"], report["id"])["status"] == "approved"
    weekly = create(site, "progress_report", report_body(world, plan, task, report_no="TB-003", report_type="weekly"))
    submit(site, "progress_report", weekly["id"])
    assert decide(users["prod"], weekly["id"])["status"] == "in_review"
    assert decide(users["pm"], weekly["id"])["status"] == "approved"


# --- schedule changes / extensions (§2.2-C) ---------------------------------------------------------------

def change_body(plan: dict[str, Any], task: dict[str, Any], new_finish: str, *, node: bool = False,
                number: int = 1) -> dict[str, Any]:
    return {"change_no": f"TZ-{number:03d}", "plan": plan["id"], "reason": "weather", "description": "连续降雨停工",
            "lines": [{"task": task["id"], "old_start": "2024-06-01", "old_finish": "2024-06-30",
                       "new_start": "2024-06-01", "new_finish": new_finish, "is_contract_node": node}]}


def run_change(world: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    users = world["users"]
    change = create(users["prod"], "schedule_change", body)
    submit(users["prod"], "schedule_change", change["id"])
    record = change
    for name in ("chief", "pm", "eng"):
        record = decide(users[name], change["id"])
    return record


def test_short_extensions_end_at_the_engineering_department(world: dict[str, Any]) -> None:
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    body = change_body(plan, task, "2024-07-07")
    body["lines"].append({"task": task["id"], "old_start": "2024-06-01", "old_finish": "2024-06-30",
                          "new_start": "2024-06-01", "new_finish": "2024-06-25"})
    record = run_change(world, body)
    assert (record["data"]["extension_days"], record["data"]["affects_contract_node"]) == (7, False)
    assert record["data"]["new_project_finish"] == "2024-07-07" and record["status"] == "approved"
    bad = change_body(plan, task, "2024-05-01", number=2)
    assert errors_of(world["users"]["prod"].post("/records/schedule/schedule_change", bad)) == {
        "lines": "A new finish cannot be before its new start"}


def test_longer_extensions_need_the_vice_gm_and_the_threshold_is_a_parameter(
        engine: Formwork, tenant: str, world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    record = run_change(world, change_body(plan, task, "2024-07-08"))
    assert (record["data"]["extension_days"], record["status"]) == (8, "in_review")
    assert decide(users["vgm"], record["id"])["status"] == "approved"
    with engine.db.tenant(tenant) as session:
        tenancy.set_parameter(session, tenant, "schedule", "change_engineering_max_days", "10",
                              engine.catalog.modules())
    assert run_change(world, change_body(plan, task, "2024-07-08", number=2))["status"] == "approved"


def test_moving_a_contract_node_needs_the_general_manager_and_the_cost_engineer_together(
        world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30", is_contract_node=True, penalty_per_day="1000")
    record = run_change(world, change_body(plan, task, "2024-07-02", node=True))
    assert (record["data"]["extension_days"], record["data"]["affects_contract_node"]) == (2, True)
    decide(users["vgm"], record["id"])
    assert len(tasks(users["gm"], record["id"])) == 1 and len(tasks(users["cost"], record["id"])) == 1
    assert decide(users["gm"], record["id"])["status"] == "in_review"
    assert decide(users["cost"], record["id"], comment="准备工期索赔")["status"] == "approved"
    # the approved change moved the task to 07-02: the second asks two days more
    second = run_change(world, change_body(plan, task, "2024-07-04", node=True, number=2))
    decide(users["vgm"], second["id"])
    decide(users["gm"], second["id"], "reject", "不同意顺延合同节点")
    assert decide(users["cost"], second["id"])["status"] == "rejected"


# --- delay risks (§2.2-D) ---------------------------------------------------------------------------------

def risk_body(task: dict[str, Any], level: str, number: int = 1, **extra: Any) -> dict[str, Any]:
    return {"risk_no": f"FX-{number:03d}", "task": task["id"], "risk_source": "material", "level": level,
            "predicted_delay_days": 5 * number, "description": "钢筋供应不足", "owner": "site",
            "due_date": "2024-06-25", **extra}


def test_delay_risks_are_handled_by_their_owner_and_confirmed_by_the_project_manager(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    assert errors_of(users["prod"].post("/records/schedule/delay_risk", risk_body(task, "yellow",
                                                                                  risk_status="closed"))) == {
        "measures": "Give the measures before closing the risk", "closed_on": "A closed risk needs its closing date"}
    yellow = create(users["prod"], "delay_risk", risk_body(task, "yellow"))
    assert yellow["data"]["project"] == world["project"]["id"] and yellow["data"]["is_overdue"] is True
    submit(users["prod"], "delay_risk", yellow["id"])
    assert tasks(users["pm"], yellow["id"]) == []
    decide(users["site"], yellow["id"], data={"measures": "协调第二供应商", "risk_status": "handling"})
    assert decide(users["pm"], yellow["id"])["status"] == "closed"
    red = create(users["prod"], "delay_risk", risk_body(task, "red", 2))
    submit(users["prod"], "delay_risk", red["id"])
    decide(users["site"], red["id"], data={"measures": "夜间加班", "risk_status": "handling"})
    assert decide(users["pm"], red["id"])["status"] == "in_review"
    assert decide(users["site"], red["id"])["status"] == "in_review"  # still open: back to its owner
    done = decide(users["site"], red["id"], data={"risk_status": "closed", "closed_on": STATUS_DATE})
    assert (done["status"], done["data"]["risk_status"]) == ("closed", "closed")


# --- reports --------------------------------------------------------------------------------------------

def test_reports_deviation_on_time_rate_milestones_and_risks(world: dict[str, Any]) -> None:
    users = world["users"]
    project = world["project"]["id"]
    plan = a_plan(world)
    a_task(world, plan, "1", "2024-05-01", "2024-05-10", actual_start="2024-05-01", actual_finish="2024-05-10",
           percent_complete="100", weight="1")
    a_task(world, plan, "2", "2024-05-01", "2024-05-10", actual_start="2024-05-01", actual_finish="2024-05-13",
           percent_complete="100", weight="1")
    a_task(world, plan, "3", "2024-06-01", "2024-06-30", actual_start="2024-06-03", percent_complete="35",
           weight="2")
    m1 = a_task(world, plan, "4", "2024-06-15", "2024-06-15", task_type="milestone", weight="0")
    a_task(world, plan, "5", "2024-07-15", "2024-07-15", task_type="milestone", is_contract_node=True,
           penalty_per_day="5000", weight="0")
    a_task(world, plan, "6", "2024-05-20", "2024-05-20", task_type="milestone", actual_start="2024-05-20",
           actual_finish="2024-05-20", percent_complete="100", weight="0")
    pm = users["pm"]
    deviation = pm.get("/reports/schedule/schedule_deviation_by_project").get_json()
    assert deviation["columns"] == ["project", "project_project_name", "tasks", "delayed", "red", "yellow",
                                    "overdue_start", "total_delay_days", "max_delay_days", "progress",
                                    "planned_progress"]
    # delays: 0, 3, 10 (20 days left after 06-20; 15 days of float, not key: yellow), 5 (key: yellow), 0, 0
    # → 18; progress (100 + 100 + 2 × 35) / 4 = 67.5; planned (100 + 100 + 2 × 66.67) / 4 = 83.335 → 83.34
    [row] = deviation["rows"]
    assert row[:9] == [project, "Project XM-0001", 6, 3, 0, 2, 0, 18, 10]
    assert (Decimal(row[9]), Decimal(row[10])) == (Decimal("67.5"), Decimal("83.34"))
    on_time = pm.get("/reports/schedule/on_time_completion_rate").get_json()
    assert on_time["columns"] == ["project", "project_project_name", "finished", "on_time", "rate"]
    assert on_time["rows"] == [[project, "Project XM-0001", 3, 2, "66.67"]]
    milestones = pm.get("/reports/schedule/milestones_due_by_month").get_json()
    assert [row[1:] for row in milestones["rows"]] == [["2024-05", 1, 1, 1, 0, 0, 0],
                                                       ["2024-06", 1, 0, 0, 1, 0, 0],
                                                       ["2024-07", 1, 0, 0, 0, 0, 1]]
    create(users["prod"], "delay_risk", risk_body(m1, "red", 1))
    create(users["prod"], "delay_risk", risk_body(m1, "red", 2, measures="加班", risk_status="closed",
                                                   closed_on=STATUS_DATE))
    create(users["prod"], "delay_risk", risk_body(m1, "yellow", 3, due_date="2099-01-01"))
    risks = pm.get("/reports/schedule/delay_risks_by_level").get_json()
    assert risks["columns"] == ["level", "risks", "open", "overdue", "predicted_delay_days",
                                "max_predicted_delay_days"]
    # task 3 was red (10 days late) while it was the critical path: the system raised a red risk of 10 days
    raised = [r["data"] for r in pm.get("/records/schedule/delay_risk?q=auto_generated").get_json()["items"]]
    assert [(r["level"], r["predicted_delay_days"], r["owner"]) for r in raised] == [("red", 10, "prod")]
    assert {row[0]: row[1:] for row in risks["rows"]} == {"red": [3, 2, 1, 25, 10], "yellow": [1, 1, 0, 15, 15]}


# --- permissions ----------------------------------------------------------------------------------------

def test_roles_see_and_do_what_section_4_allows(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-15", "2024-06-15", task_type="milestone", is_contract_node=True,
                  penalty_per_day="10000", budget_at_completion="500000")
    a_task(world, plan, "2", "2024-06-01", "2024-06-30")
    assert users["site"].post("/records/schedule/schedule_plan", {"plan_code": "JH-9"}).status_code == 403
    assert users["site"].post("/records/schedule/wbs_task", {}).status_code == 403
    seen = read(users["site"], "wbs_task", task["id"])["data"]
    assert "penalty_per_day" not in seen and "budget_at_completion" not in seen and seen["delay_days"] == 5
    assert users["gm"].get("/records/schedule/wbs_task").get_json()["total"] == 2
    assert users["owner"].get("/records/schedule/wbs_task").get_json()["total"] == 0  # the plan is not approved
    submit(users["prod"], "schedule_plan", plan["id"])
    decide(users["chief"], plan["id"])
    decide(users["pm"], plan["id"])
    owner_sees = users["owner"].get("/records/schedule/wbs_task").get_json()["items"]
    assert [item["id"] for item in owner_sees] == [task["id"]]  # milestones of approved plans only
    assert "budget_at_completion" not in owner_sees[0]["data"]
    assert users["lead"].get("/records/schedule/wbs_task").get_json()["total"] == 0  # no task of the crew
    assert users["chief"].patch(f"/records/schedule/wbs_task/{task['id']}", {"version": 1}).status_code == 403


# --- row scope: project roles see only their projects (domain.md §4.3) ---------------------------------

@pytest.mark.parametrize("user, role", [("prod", "production_manager"), ("chief", "chief_engineer"),
                                        ("site", "site_engineer"), ("cost", "project_cost_engineer")])
def test_project_roles_see_only_the_schedule_records_of_their_projects(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient, user: str, role: str) -> None:
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    member, stranger = world["users"][user], outsider(engine, client, tenant, role)
    assert_only_members_see(member, stranger, "schedule", "schedule_plan", plan["id"])
    report = "schedule_deviation_by_project" if role != "site_engineer" else None
    assert_only_members_see(member, stranger, "schedule", "wbs_task", task["id"], report=report)
    # company roles still see every project
    assert world["users"]["eng"].get(f"/records/schedule/wbs_task/{task['id']}").status_code == 200
