"""What schedule documents write when they are approved: a progress report moves its tasks, a plan's
approval copies the baseline and bumps the version (over the REST API)."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import add_user, api_creator, decide, errors_of, login, members_of, new_project, new_tenant_id
from tests.modules.helpers_finance import items
from tests.modules.test_schedule import (
    USERS,
    a_plan,
    a_task,
    change_body,
    create,
    read,
    run_change,
    submit,
    world,
)

__all__ = ["world"]


def test_approving_a_progress_report_moves_its_tasks(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    first = a_task(world, plan, "1", "2024-06-01", "2024-06-30", planned_qty="100", completed_qty="20",
                   actual_start="2024-06-02", percent_complete="10")
    second = a_task(world, plan, "2", "2024-06-01", "2024-06-15")
    report = create(users["site"], "progress_report", {
        "report_no": "TB-001", "plan": plan["id"], "report_type": "daily", "report_date": "2024-06-20",
        "lines": [{"task": first["id"], "pct_to_date": "45", "actual_start": "2024-06-05", "qty_this_period": "25"},
                  {"task": second["id"], "pct_to_date": "100", "actual_start": "2024-06-03",
                   "actual_finish": "2024-06-14"}]})
    assert read(users["prod"], "wbs_task", first["id"])["data"]["percent_complete"] == "10.00"  # not before
    submit(users["site"], "progress_report", report["id"])
    assert decide(users["prod"], report["id"])["status"] == "approved"
    moved = read(users["prod"], "wbs_task", first["id"])["data"]
    assert (moved["percent_complete"], moved["actual_start"], moved.get("actual_finish"), moved["completed_qty"]) == (
        "45.00", "2024-06-02", None, "45.000")   # the first actual start stays; the quantity adds up
    done = read(users["prod"], "wbs_task", second["id"])["data"]
    assert (done["percent_complete"], done["actual_start"], done["actual_finish"], done["task_status"]) == (
        "100.00", "2024-06-03", "2024-06-14", "completed")
    history = users["prod"].get(f"/records/schedule/wbs_task/{second['id']}/history").get_json()
    notes = [h["note"] for h in history["items"] if h["action"] == "record.effect"]
    assert len(notes) == 1 and "schedule.progress_report TB-001" in notes[0] and report["id"] in notes[0]


def test_approving_a_plan_copies_its_baseline_and_bumps_its_version(world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30", baseline_start="2024-05-20",
                  baseline_finish="2024-06-20")
    other_plan = a_plan(world, "JH-02")
    other = a_task(world, other_plan, "1", "2024-06-01", "2024-06-30", baseline_start="2024-05-20",
                   baseline_finish="2024-06-20")
    assert read(users["prod"], "schedule_plan", plan["id"])["data"]["version"] == 1
    submit(users["prod"], "schedule_plan", plan["id"])
    decide(users["chief"], plan["id"])
    assert decide(users["pm"], plan["id"])["status"] == "approved"
    assert read(users["prod"], "schedule_plan", plan["id"])["data"]["version"] == 2
    data = read(users["prod"], "wbs_task", task["id"])["data"]
    assert (data["baseline_start"], data["baseline_finish"]) == ("2024-06-01", "2024-06-30")
    untouched = read(users["prod"], "wbs_task", other["id"])["data"]
    assert (untouched["baseline_start"], untouched["baseline_finish"]) == ("2024-05-20", "2024-06-20")


def test_a_flagged_report_raises_a_risk_and_a_second_approval_writes_nothing_more(
        engine: Formwork, tenant: str, world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30", planned_qty="100")
    body = {"report_no": "TB-009", "plan": plan["id"], "report_type": "daily", "report_date": "2024-06-20",
            "lines": [{"task": task["id"], "pct_to_date": "30", "actual_start": "2024-06-04", "qty_this_period": "30"}],
            "raise_risk": True, "risk_task": task["id"]}
    refused = users["site"].post("/records/schedule/progress_report", body)
    assert refused.get_json()["error"]["details"][0]["field"] == "risk_task"   # the issue is not described
    report = create(users["site"], "progress_report", {**body, "issues": "塔吊故障停工两天"})
    raised = "/records/schedule/delay_risk?q=not auto_generated"   # the task is late: the system raised its own
    assert users["prod"].get(raised).get_json()["total"] == 0  # not before approval
    submit(users["site"], "progress_report", report["id"])
    decide(users["prod"], report["id"])
    [risk] = users["prod"].get(raised).get_json()["items"]
    assert (risk["data"]["risk_no"], risk["data"]["task"], risk["data"]["description"], risk["data"]["owner"],
            risk["data"]["due_date"]) == ("R-TB-009", task["id"], "塔吊故障停工两天", "prod", "2024-06-22")
    with engine.records(Actor(tenant_id=tenant, username="system", roles=frozenset({"admin"}))) as records:
        entity = records.entity("schedule", "progress_report")
        row = records.row(entity, report["id"])
        records.set_status(entity, row, "withdrawn")
        records.set_status(entity, row, "approved")   # approved again: the quantity is not added twice
    assert read(users["prod"], "wbs_task", task["id"])["data"]["completed_qty"] == "30.000"
    assert users["prod"].get(raised).get_json()["total"] == 1


def test_an_approved_schedule_change_moves_its_tasks_and_their_baseline(world: dict[str, Any]) -> None:
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    other = a_task(world, plan, "2", "2024-06-01", "2024-06-30")
    body = change_body(plan, task, "2024-07-05")
    body["lines"][0]["new_start"] = "2024-06-03"
    assert run_change(world, body)["status"] == "approved"
    data = read(world["users"]["prod"], "wbs_task", task["id"])["data"]
    assert (data["planned_start"], data["planned_finish"], data["baseline_start"], data["baseline_finish"]) == (
        "2024-06-03", "2024-07-05", "2024-06-03", "2024-07-05")
    assert read(world["users"]["prod"], "wbs_task", other["id"])["data"]["planned_finish"] == "2024-06-30"
    assert read(world["users"]["prod"], "schedule_plan", plan["id"])["data"]["version"] == 2


def test_an_approved_report_writes_each_lines_reason_onto_its_task_for_the_plan_execution_report(
        world: dict[str, Any]) -> None:
    users = world["users"]
    plan = a_plan(world)
    late = a_task(world, plan, "1", "2024-06-01", "2024-06-30", percent_complete="40", actual_start="2024-06-02")
    fine = a_task(world, plan, "2", "2024-06-01", "2024-06-30")

    def report(no: str, date: str, lines: list[dict[str, Any]]) -> None:
        made = create(users["site"], "progress_report", {"report_no": no, "plan": plan["id"], "report_type": "daily",
                                                         "report_date": date, "lines": lines})
        submit(users["site"], "progress_report", made["id"])
        assert decide(users["prod"], made["id"])["status"] == "approved"

    report("TB-101", "2024-06-18", [{"task": late["id"], "pct_to_date": "30", "remark": "暴雨停工三天"},
                                    {"task": fine["id"], "pct_to_date": "60", "actual_start": "2024-06-03"}])
    assert (read(users["prod"], "wbs_task", late["id"])["data"]["deviation_reason"],
            read(users["prod"], "wbs_task", fine["id"])["data"].get("deviation_reason")) == ("暴雨停工三天", None)
    report("TB-102", "2024-06-19", [{"task": late["id"], "pct_to_date": "35"}])   # no remark: the reason stays
    assert read(users["prod"], "wbs_task", late["id"])["data"]["deviation_reason"] == "暴雨停工三天"
    result = users["pm"].get("/reports/schedule/plan_execution_report").get_json()
    assert result["columns"][:4] == ["plan", "wbs_code", "task_name", "deviation_reason"]
    rows = [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]
    assert [(r["wbs_code"], r["deviation_reason"], r["progress"]) for r in rows] == [
        ("1", "暴雨停工三天", 35), ("2", None, 60)]


def owner_contract(world: dict[str, Any]) -> dict[str, Any]:
    project = world["project"]
    return api_creator(world["users"]["ann"])("contract", {
        "contract_code": "SR-001", "contract_name": "施工总承包合同", "project": project["id"], "direction": "income",
        "contract_category": "main", "party": project["data"]["owner_party"], "sign_date": "2024-01-10",
        "pricing_mode": "unit_price", "amount_incl_tax": "10000000", "progress_pay_rate": "80"})


def claim_body(world: dict[str, Any]) -> dict[str, Any]:
    plan = a_plan(world)
    task = a_task(world, plan, "1", "2024-06-01", "2024-06-30")
    return {**change_body(plan, task, "2024-07-07"), "claim_to_owner": True, "claim_photos": ["uploads/rain.jpg"]}


def test_an_approved_claim_to_the_owner_opens_a_draft_change_order_in_cost(world: dict[str, Any]) -> None:
    prod = world["users"]["prod"]
    body = claim_body(world)
    assert errors_of(prod.post("/records/schedule/schedule_change", body)) == {
        "claim_to_owner": "The project has no main income contract to claim under"}
    contract = owner_contract(world)
    assert errors_of(prod.post("/records/schedule/schedule_change", {**body, "claim_photos": []})) == {
        "claim_photos": "A claim to the owner needs at least one site photo"}
    record = run_change(world, body)
    assert record["status"] == "approved"
    [claim] = items(world["users"]["cost"], "cost", "change_order", "doc_no == 'SP-TZ-001'")
    assert claim["status"] == "draft"
    assert {k: claim["data"].get(k) for k in ("project", "contract", "change_type", "visa_category", "side",
                                              "reason_category", "schedule_impact_days", "photos")} == {
        "project": world["project"]["id"], "contract": contract["id"], "change_type": "claim",
        "visa_category": "schedule", "side": "income_side", "reason_category": "site_condition",
        "schedule_impact_days": 7, "photos": ["uploads/rain.jpg"]}
    assert claim["data"]["description"] == "工期索赔 TZ-001: 连续降雨停工"
    other_plan = a_plan(world, "JH-02")
    plain = run_change(world, change_body(other_plan, a_task(world, other_plan, "1", "2024-06-01", "2024-06-30"),
                                          "2024-07-03", number=2))
    assert plain["status"] == "approved"
    assert len(items(world["users"]["cost"], "cost", "change_order")) == 1   # no claim, no change order


def test_a_tenant_without_cost_approves_the_claim_and_writes_no_change_order(
        engine: Formwork, client: FlaskClient) -> None:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
    engine.enable_module(tenant_id, "schedule")           # with base, which it requires; not cost
    for name, role in USERS.items():
        add_user(engine, tenant_id, name, role)
    users = {name: login(client, tenant_id, name) for name in USERS}
    world = {"users": users, "project": new_project(api_creator(users["ann"]), "XM-0001", members=members_of(USERS))}
    owner_contract(world)
    record = run_change(world, claim_body(world))
    assert record["status"] == "approved" and record["data"]["claim_to_owner"] is True
    history = users["prod"].get(f"/records/schedule/schedule_change/{record['id']}/history").get_json()["items"]
    assert [h for h in history if h["action"] == "record.create" and "change_order" in (h.get("note") or "")] == []
    assert users["ann"].get("/records/cost/change_order").status_code == 404
