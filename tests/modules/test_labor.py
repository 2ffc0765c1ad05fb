"""The 点工汇总中心 module (modules/labor) over the REST API: tickets, rates, summaries, approvals, reports."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import (
    Api,
    add_user,
    api_creator,
    assert_only_members_see,
    decide,
    errors_of,
    login,
    new_project,
    outsider,
    tasks,
)

TODAY = date.today()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
ID_NO = "510321198503121234"
USERS = {"ann": "system_admin", "clerk": "labor_clerk", "cost": "project_cost_engineer", "site": "site_engineer",
         "cost2": "project_cost_engineer",   # decides what `cost` submits (separation of duties)
         "prod": "production_manager", "pm": "project_manager", "costdept": "cost_manager",
         "fin": "finance_manager", "vgm": "vice_gm", "lead": "crew_leader", "lead2": "crew_leader",
         "engdept": "engineering_dept", "cash": "cashier"}


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    """Users of every labor role, a project with two crews (each with its leader's login) and trades."""
    for name, role in USERS.items():
        add_user(engine, tenant, name, role)
    users = {name: login(client, tenant, name) for name in USERS}
    create = api_creator(users["ann"])
    project = new_project(create, "XM-0001", members=[
        {"user": "pm", "position": "project_manager"}, {"user": "site", "position": "site_engineer"},
        {"user": "prod", "position": "production_manager"}, {"user": "cost", "position": "project_cost_engineer"},
        {"user": "cost2", "position": "project_cost_engineer"}, {"user": "clerk", "position": "labor_clerk"}])
    other = new_project(create, "XM-0002")
    labor_company = create("party", {"party_name": "鑫源劳务", "party_type": ["labor_company"],
                                     "credit_code": "91350105MA31ABCD5X"})
    carpenter = create("trade", {"trade_key": "carpenter", "trade_name": "木工", "skill_level": "skilled",
                                 "guide_price": "400"})
    laborer = create("trade", {"trade_key": "general_laborer", "trade_name": "普工", "skill_level": "unskilled",
                               "guide_price": "260"})

    def crew(name: str, leader: str, on: dict[str, Any]) -> dict[str, Any]:
        return create("crew", {"project": on["id"], "crew_name": name, "crew_leader_name": f"{name}班组长",
                               "crew_leader_phone": "13800000001", "crew_leader_id_no": ID_NO,
                               "leader_user": leader, "labor_company": labor_company["id"],
                               "main_trade": carpenter["id"]})

    crews = {"a": crew("木工一班", "lead", project), "b": crew("杂工班", "lead2", project),
             "other": crew("外项目班组", "lead2", other)}
    day_labor_account = create("cost_account", {"account_code": "0102", "account_name": "点工/零星用工",
                                                "cost_element": "labor"})
    workers = [create("worker", {"name": name, "id_no": id_no, "phone": "13900000001", "crew": crews["a"]["id"],
                                 "trade": carpenter["id"], "bank_card": "6228480000000000011"})
               for name, id_no in (("陈木生", "510321198101011121"), ("黄志强", "510321198202022232"))]
    return {"users": users, "project": project, "other": other, "crews": crews, "carpenter": carpenter,
            "laborer": laborer, "workers": workers, "labor_company": labor_company,
            "day_labor_account": day_labor_account}


def ticket_body(world: dict[str, Any], number: int = 1, **extra: Any) -> dict[str, Any]:
    """A valid ticket; `number` only tells tickets apart in tests (ticket_no is numbered on create)."""
    work_date = extra.get("work_date", YESTERDAY)
    return {"project": world["project"]["id"], "work_date": work_date, "crew": world["crews"]["a"]["id"],
            "trade": world["carpenter"]["id"],
            "location": "3#楼 5层 东侧", "reason_type": "cleanup", "reason": "模板拆除后楼层垃圾清理外运",
            "work_content": "清理5层楼面建筑垃圾并吊运至地面", "headcount": 2, "days_per_person": "1",
            "photos": ["uploads/p1.jpg", "uploads/p2.jpg"], "crew_leader_signature": "uploads/sign.png", **extra}


def create_ticket(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/records/labor/day_labor_ticket", body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def submit(api: Api, entity: str, record_id: str) -> dict[str, Any]:
    response = api.post(f"/records/labor/{entity}/{record_id}/submit")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def sign(world: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    """Submit a ticket and approve every step its process routes it through, until it is signed."""
    users = world["users"]
    record = submit(users["cost"], "day_labor_ticket", ticket["id"])
    while record["status"] == "in_review":
        actor = next(users[name] for name in ("site", "prod", "cost", "cost2") if tasks(users[name], ticket["id"]))
        record = decide(actor, ticket["id"])
    assert record["status"] == "signed", record
    return record


# --- tickets: computed figures and validation -------------------------------------------------------------

def test_man_days_are_headcount_times_days_plus_overtime_over_eight_and_amount_rounds_to_cents(
        world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    data = create_ticket(cost, ticket_body(world, 1, headcount=3, overtime_hours="6", unit_price="420"))["data"]
    assert (data["man_days"], data["amount"]) == ("3.75", "1575.00")
    assert data["crew_leader"] == "木工一班班组长" and data["price_source"] == "agreement"
    assert data["period"] == YESTERDAY[:7] and data["late_entry"] is False
    assert data["is_billable_to_owner"] is False and data["days_per_person"] == "1.0"
    data = create_ticket(cost, ticket_body(world, 2, headcount=4, days_per_person="0.5", overtime_hours="3",
                                           unit_price="385.50"))["data"]
    assert (data["man_days"], data["amount"]) == ("2.38", "917.49")  # 2 + 3/8 = 2.375 -> 2.38; 2.38 × 385.50
    data = create_ticket(cost, ticket_body(world, 3, headcount=7, unit_price="333.33"))["data"]
    assert (data["man_days"], data["amount"]) == ("7.00", "2333.31")
    no_price = create_ticket(cost, ticket_body(world, 4, reason_type="owner_visa_work"))["data"]
    assert no_price["man_days"] == "2.00" and "amount" not in no_price and no_price["is_billable_to_owner"] is True


def test_worker_rows_replace_the_headcount_formula(world: dict[str, Any]) -> None:
    workers = world["workers"]
    body = ticket_body(world, headcount=2, overtime_hours="8", unit_price="400", workers=[
        {"worker": workers[0]["id"], "days": "1", "ot_hours": "2"}, {"worker": workers[1]["id"], "days": "0.5"}])
    data = create_ticket(world["users"]["cost"], body)["data"]
    assert [row["man_days"] for row in data["workers"]] == ["1.25", "0.50"]
    assert (data["man_days"], data["amount"]) == ("1.75", "700.00")  # the rows win over headcount and overtime


def test_ticket_errors_come_back_field_by_field(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    response = cost.post("/records/labor/day_labor_ticket", {"ticket_no": "DG-1", "project": world["project"]["id"]})
    assert errors_of(response)["ticket_no"].startswith("is read-only: it is numbered automatically")
    missing = errors_of(cost.post("/records/labor/day_labor_ticket", {"project": world["project"]["id"]}))
    assert {f for f, m in missing.items() if m == "is required"} == {
        "work_date", "crew", "trade", "location", "reason_type", "reason", "work_content", "headcount", "photos",
        "crew_leader_signature"}
    assert missing["ticket_no"] == "is numbered from work_date: fill it in first"
    too_much = ticket_body(world, headcount=0, days_per_person="1.5", reason="太短",
                           photos=[f"uploads/{n}.jpg" for n in range(10)])
    errors = errors_of(cost.post("/records/labor/day_labor_ticket", too_much))
    assert errors == {"headcount": "must be at least 1", "days_per_person": "must be at most 1",
                      "reason": "must be at least 10 characters"}
    rules = ticket_body(world, days_per_person="0.7", crew=world["crews"]["other"]["id"],
                        work_date=(TODAY + timedelta(days=1)).isoformat(), reason_type="rework",
                        photos=[f"uploads/{n}.jpg" for n in range(10)],
                        workers=[{"worker": world["workers"][0]["id"], "days": "1"}], headcount=3)
    assert errors_of(cost.post("/records/labor/day_labor_ticket", rules)) == {
        "work_date": "The work date cannot be in the future",
        "crew": "The crew must belong to this project",
        "days_per_person": "Days per person go in steps of 0.5",
        "headcount": "The headcount must equal the number of worker rows",
        "photos": "At most 9 site photos"}   # a rework ticket is charged to the crew's labor company unless told
    first, second = create_ticket(cost, ticket_body(world, 1)), create_ticket(cost, ticket_body(world, 2))
    day = YESTERDAY.replace("-", "")
    assert [first["data"]["ticket_no"], second["data"]["ticket_no"]] == [f"DG-XM-0001-{day}-001",
                                                                        f"DG-XM-0001-{day}-002"]


def test_a_ticket_entered_after_the_window_is_a_late_entry(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    three_days = (TODAY - timedelta(days=3)).isoformat()
    four_days = (TODAY - timedelta(days=4)).isoformat()
    assert create_ticket(cost, ticket_body(world, 1, work_date=three_days))["data"]["late_entry"] is False
    assert create_ticket(cost, ticket_body(world, 2, work_date=four_days))["data"]["late_entry"] is True


def headcount_rule_number() -> int:
    """The 1-based position of the ticket's headcount warning among its declared rules (warnings name it)."""
    spec = yaml.safe_load((Path(__file__).parents[2] / "modules/labor/module.yaml").read_text(encoding="utf-8"))
    rules = spec["entities"]["day_labor_ticket"]["rules"]
    return next(i for i, rule in enumerate(rules, 1)
                if rule.get("severity") == "warning" and rule.get("field") == "headcount")


def test_a_headcount_above_the_crews_registered_workers_warns_and_the_ticket_is_saved(
        world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    crew = cost.get(f"/records/base/crew/{world['crews']['a']['id']}").get_json()
    assert crew["data"]["headcount_registered"] == 2            # the two workers of the fixture, on site
    within = cost.post("/records/labor/day_labor_ticket", ticket_body(world, 1, headcount=2))
    assert within.status_code == 201 and within.get_json()["warnings"] == []
    above = cost.post("/records/labor/day_labor_ticket", ticket_body(world, 2, headcount=3, location="3#楼 6层"))
    assert above.status_code == 201, above.get_json()
    assert above.get_json()["warnings"] == [{
        "rule": headcount_rule_number(), "field": "headcount",
        "message": "The headcount is above the crew's registered workers on site (real-name roster)"}]
    saved = cost.get(f"/records/labor/day_labor_ticket/{above.get_json()['id']}").get_json()
    assert saved["data"]["headcount"] == 3 and saved["status"] == "draft"
    chinese = cost.client.post("/api/v1/records/labor/day_labor_ticket", json=ticket_body(world, 3, headcount=5,
                                                                                   location="3#楼 7层"),
                               headers={**cost.headers, "Accept-Language": "zh"})
    assert chinese.status_code == 201
    assert [w["message"] for w in chinese.get_json()["warnings"]] == ["人数超过班组在场登记人数(实名制花名册)"]
    fixed = cost.patch(f"/records/labor/day_labor_ticket/{above.get_json()['id']}",
                       {"version": above.get_json()["version"], "data": {"headcount": 2}})
    assert fixed.status_code == 200 and fixed.get_json()["warnings"] == []


def test_a_crew_without_registered_workers_never_warns_on_the_headcount(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    crew_b = world["crews"]["b"]
    assert cost.get(f"/records/base/crew/{crew_b['id']}").get_json()["data"]["headcount_registered"] == 0
    response = cost.post("/records/labor/day_labor_ticket", ticket_body(world, 1, crew=crew_b["id"], headcount=12))
    assert response.status_code == 201 and response.get_json()["warnings"] == []


def test_a_retired_worker_lowers_the_headcount_a_ticket_may_have_without_warning(world: dict[str, Any]) -> None:
    ann, cost = world["users"]["ann"], world["users"]["cost"]
    worker = world["workers"][0]
    exited = ann.patch(f"/records/base/worker/{worker['id']}",
                       {"version": worker["version"], "data": {"worker_status": "exited"}})
    assert exited.status_code == 200, exited.get_json()
    assert cost.get(f"/records/base/crew/{world['crews']['a']['id']}").get_json()["data"]["headcount_registered"] == 1
    response = cost.post("/records/labor/day_labor_ticket", ticket_body(world, 1, headcount=2))
    assert response.status_code == 201 and [w["field"] for w in response.get_json()["warnings"]] == ["headcount"]


def test_a_ticket_refuses_a_cost_account_with_child_accounts(world: dict[str, Any]) -> None:
    ann, cost = world["users"]["ann"], world["users"]["cost"]
    labor = api_creator(ann)("cost_account", {"account_code": "01", "account_name": "人工费", "cost_element": "labor"})
    day_labor = world["day_labor_account"]
    linked = ann.patch(f"/records/base/cost_account/{day_labor['id']}",
                       {"version": day_labor["version"], "data": {"parent": labor["id"]}})
    assert linked.status_code == 200, linked.get_json()
    refused = cost.post("/records/labor/day_labor_ticket", ticket_body(world, 1, cost_account=labor["id"]))
    assert errors_of(refused) == {"cost_account": "Day-labor tickets take leaf accounts only: choose a leaf account "
                                                  "such as 0102, not one with child accounts"}
    posted = create_ticket(cost, ticket_body(world, 2))          # left empty: the parameter's 0102, a leaf
    assert posted["data"]["cost_account"] == day_labor["id"]


# --- field-level permissions ----------------------------------------------------------------------------

def test_the_site_engineer_never_sees_the_unit_price_or_the_amount(world: dict[str, Any]) -> None:
    site, cost = world["users"]["site"], world["users"]["cost"]
    refused = site.post("/records/labor/day_labor_ticket", ticket_body(world, 1, unit_price="420"))
    assert errors_of(refused) == {"unit_price": "is hidden for your roles and cannot be written"}
    own = create_ticket(site, ticket_body(world, 1))
    assert not {"unit_price", "amount", "price_source"} & set(own["data"]) and own["data"]["man_days"] == "2.00"
    priced = create_ticket(cost, ticket_body(world, 2, unit_price="420"))
    assert priced["data"]["amount"] == "840.00"
    seen = site.get(f"/records/labor/day_labor_ticket/{priced['id']}").get_json()["data"]
    assert "unit_price" not in seen and "amount" not in seen and seen["man_days"] == "2.00"
    listed = site.get("/records/labor/day_labor_ticket").get_json()["items"]
    assert len(listed) == 2 and all("amount" not in item["data"] for item in listed)
    assert site.get("/records/labor/day_labor_ticket", query_string={"q": "amount > 0"}).status_code == 400
    assert site.get("/reports/labor/day_labor_by_crew_month").status_code == 403
    history = site.get(f"/records/labor/day_labor_ticket/{priced['id']}/history").get_json()["items"]
    assert all("unit_price" not in (entry["after"] or {}) for entry in history)
    engdept = world["users"]["engdept"].get(f"/records/labor/day_labor_ticket/{priced['id']}").get_json()["data"]
    assert "unit_price" not in engdept and engdept["amount"] == "840.00"  # totals, no unit prices


def test_crew_leaders_log_their_own_crews_tickets_and_see_but_cannot_set_the_price(world: dict[str, Any]) -> None:
    lead, lead2 = world["users"]["lead"], world["users"]["lead2"]
    assert errors_of(lead.post("/records/labor/day_labor_ticket", ticket_body(world, 1, unit_price="500"))) == {
        "unit_price": "is read-only for your roles"}
    own = create_ticket(lead, ticket_body(world, 1))
    priced = create_ticket(world["users"]["cost"], ticket_body(world, 2, unit_price="420"))
    other_crew = create_ticket(world["users"]["cost"], ticket_body(world, 3, crew=world["crews"]["b"]["id"]))
    mine = lead.get("/records/labor/day_labor_ticket", query_string={"sort": "ticket_no"}).get_json()
    assert [t["id"] for t in mine["items"]] == [own["id"], priced["id"]]
    assert mine["items"][1]["data"]["amount"] == "840.00"  # a crew leader sees the amounts of the own crew
    assert lead2.get(f"/records/labor/day_labor_ticket/{own['id']}").status_code == 404
    assert [t["id"] for t in lead2.get("/records/labor/day_labor_ticket").get_json()["items"]] == [other_crew["id"]]
    path = f"/records/labor/day_labor_ticket/{priced['id']}"
    changed = lead.patch(path, {"version": priced["version"], "data": {"unit_price": "480"}})
    assert errors_of(changed) == {"unit_price": "is read-only"}


def test_only_the_cost_engineer_prices_by_hand_and_says_why(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    approved_rate(world)
    ticket = create_ticket(cost, ticket_body(world))
    assert (ticket["data"]["unit_price"], ticket["data"]["price_source"]) == ("420.00", "agreement")
    path = f"/records/labor/day_labor_ticket/{ticket['id']}"
    assert errors_of(cost.patch(path, {"version": ticket["version"], "data": {"unit_price": "450"}})) == {
        "price_adjust_reason": "A price set by hand needs its reason"}
    response = cost.patch(path, {"version": ticket["version"], "data": {
        "unit_price": "450", "price_adjust_reason": "夜间抢工，经项目经理同意上浮"}})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["data"]["amount"], response.get_json()["data"]["price_source"]) == ("900.00", "manual")
    assert world["users"]["clerk"].post("/records/labor/day_labor_ticket", ticket_body(world, 9)).status_code == 403


# --- 点工单签认 (§2.4-A) -------------------------------------------------------------------------------

def test_a_small_ticket_is_signed_by_the_site_engineer_alone(world: dict[str, Any]) -> None:
    users = world["users"]
    ticket = create_ticket(users["lead"], ticket_body(world))
    submitted = submit(users["lead"], "day_labor_ticket", ticket["id"])
    assert submitted["status"] == "in_review"
    [task] = tasks(users["site"], ticket["id"])
    assert task["title"] == "施工员签认" and task["candidate_roles"] == ["site_engineer"]
    due = datetime.fromisoformat(task["due_at"])
    due = due if due.tzinfo else due.replace(tzinfo=UTC)  # SQLite hands the stored UTC time back without a zone
    assert timedelta(hours=23) < due - datetime.now(UTC) <= timedelta(hours=24)
    assert tasks(users["prod"]) == [] and tasks(users["lead"]) == []
    assert users["lead"].patch(f"/records/labor/day_labor_ticket/{ticket['id']}", {
        "version": submitted["version"], "data": {"location": "x"}}).status_code == 409  # in review: locked
    signed = decide(users["site"], ticket["id"], comment="现场核实无误")
    assert signed["status"] == "signed"
    assert signed["data"]["site_engineer"] == "site"  # the actor and time of the sign-off, written by the engine
    assert abs(datetime.now(UTC) - datetime.fromisoformat(signed["data"]["signed_at"])) < timedelta(minutes=1)
    assert Decimal(signed["data"]["sign_delay_hours"]) < 1
    assert tasks(users["prod"]) == [] and tasks(users["cost"]) == []


@pytest.mark.parametrize("extra", [
    {"headcount": 5, "unit_price": "400"},                           # 2,000.00 元: at the amount threshold
    {"headcount": 10, "unit_price": "150"},                          # 10 工日, 1,500 元
    {"work_date": (TODAY - timedelta(days=5)).isoformat()},          # late entry
    {"price_adjust_reason": "夜间施工上浮", "unit_price": "450"},     # above the agreed 420: by hand
], ids=["amount", "man_days", "late_entry", "manual_price"])
def test_large_late_or_hand_priced_tickets_add_the_production_manager(world: dict[str, Any],
                                                                      extra: dict[str, Any]) -> None:
    users = world["users"]
    if "price_adjust_reason" in extra:
        approved_rate(world)
    ticket = create_ticket(users["cost"], ticket_body(world, **extra))
    submit(users["cost"], "day_labor_ticket", ticket["id"])
    assert decide(users["site"], ticket["id"])["status"] == "in_review"
    [task] = tasks(users["prod"], ticket["id"])
    assert task["title"] == "生产经理审核"
    assert decide(users["prod"], ticket["id"])["status"] == "signed"


def test_just_under_both_thresholds_the_site_engineer_signs_alone(world: dict[str, Any]) -> None:
    users = world["users"]
    ticket = create_ticket(users["cost"], ticket_body(world, headcount=9, overtime_hours="7.5", unit_price="200"))
    assert (ticket["data"]["man_days"], ticket["data"]["amount"]) == ("9.94", "1988.00")  # 9 + 7.5/8 = 9.9375
    submit(users["cost"], "day_labor_ticket", ticket["id"])
    assert decide(users["site"], ticket["id"])["status"] == "signed"


def test_the_thresholds_are_tenant_parameters(engine: Formwork, tenant: str, world: dict[str, Any]) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.set_parameter(session, tenant, "labor", "production_review_amount", "5000", engine.catalog.modules())
    users = world["users"]
    ticket = create_ticket(users["cost"], ticket_body(world, headcount=8, unit_price="400"))  # 3,200 元
    submit(users["cost"], "day_labor_ticket", ticket["id"])
    assert decide(users["site"], ticket["id"])["status"] == "signed"


def correct_headcount(world: dict[str, Any]) -> dict[str, Any]:
    """A 1,800 元 ticket whose site engineer finds 7 people on site instead of 6 (2,100 元)."""
    users = world["users"]
    ticket = create_ticket(users["cost"], ticket_body(world, headcount=6, unit_price="300"))
    submit(users["cost"], "day_labor_ticket", ticket["id"])
    [task] = tasks(users["site"], ticket["id"])
    refused = users["site"].post(f"/tasks/{task['id']}/complete", {"decision": "approve",
                                                                  "data": {"unit_price": "100"}})
    assert refused.status_code == 400 and "may not change unit_price" in refused.get_json()["error"]["message"]
    corrected = decide(users["site"], ticket["id"], comment="现场实到7人", data={"headcount": 7})
    assert "amount" not in corrected["data"]
    return ticket


def test_the_site_engineer_may_correct_the_headcount_at_sign_off(world: dict[str, Any]) -> None:
    ticket = correct_headcount(world)
    record = world["users"]["cost"].get(f"/records/labor/day_labor_ticket/{ticket['id']}").get_json()
    assert (record["data"]["headcount"], record["data"]["man_days"], record["data"]["amount"]) == (
        7, "7.00", "2100.00")


def test_a_corrected_headcount_routes_by_the_corrected_amount(world: dict[str, Any]) -> None:
    ticket = correct_headcount(world)
    assert [t["title"] for t in tasks(world["users"]["prod"], ticket["id"])] == ["生产经理审核"]


def test_return_sends_the_ticket_back_to_its_submitter_and_reject_ends_it(world: dict[str, Any]) -> None:
    users = world["users"]
    ticket = create_ticket(users["lead"], ticket_body(world))
    submit(users["lead"], "day_labor_ticket", ticket["id"])
    returned = decide(users["site"], ticket["id"], "return", "照片看不清部位，请补拍")
    assert returned["status"] == "returned"
    [own] = tasks(users["lead"], ticket["id"])
    assert own["title"] == "修改后重新提交" and own["assignee"] == "lead"
    path = f"/records/labor/day_labor_ticket/{ticket['id']}"
    edited = users["lead"].patch(path, {"version": returned["version"],
                                        "data": {"photos": ["uploads/p3.jpg"], "location": "3#楼 5层 东侧楼梯间"}})
    assert edited.status_code == 200, edited.get_json()
    assert submit(users["lead"], "day_labor_ticket", ticket["id"])["status"] == "in_review"
    assert decide(users["site"], ticket["id"], "reject", "重复报单")["status"] == "rejected"
    notes = [h["note"] for h in users["lead"].get(path + "/history").get_json()["items"]]
    assert "施工员签认: return — 照片看不清部位，请补拍" in notes and "施工员签认: reject — 重复报单" in notes


def test_chargeable_work_goes_to_the_cost_engineer_who_records_the_visa(world: dict[str, Any]) -> None:
    users = world["users"]
    ticket = create_ticket(users["lead"], ticket_body(world, reason_type="owner_visa_work"))
    submit(users["lead"], "day_labor_ticket", ticket["id"])
    decide(users["site"], ticket["id"])
    [task] = tasks(users["cost"], ticket["id"])
    assert task["title"] == "商务关联现场签证"
    signed = decide(users["cost"], ticket["id"], data={"change_order_no": "QZ-2024-015"})
    assert signed["status"] == "signed" and signed["data"]["change_order_no"] == "QZ-2024-015"


def test_rework_goes_to_the_cost_engineer_who_confirms_the_back_charge(world: dict[str, Any]) -> None:
    users = world["users"]
    body = ticket_body(world, reason_type="rework", back_charge_crew=world["crews"]["b"]["id"])
    ticket = create_ticket(users["lead"], body)
    submit(users["lead"], "day_labor_ticket", ticket["id"])
    decide(users["site"], ticket["id"])
    [task] = tasks(users["cost"], ticket["id"])
    assert task["title"] == "商务确认返工扣款"
    signed = decide(users["cost"], ticket["id"], data={"back_charge_party": world["labor_company"]["id"]})
    assert signed["status"] == "signed" and signed["data"]["back_charge_party"] == world["labor_company"]["id"]


def test_an_unsigned_ticket_escalates_to_the_production_manager(engine: Formwork, world: dict[str, Any]) -> None:
    users = world["users"]
    ticket = create_ticket(users["lead"], ticket_body(world))
    submit(users["lead"], "day_labor_ticket", ticket["id"])
    engine.run_jobs(datetime.now(UTC) + timedelta(hours=71))
    assert [t["title"] for t in tasks(users["site"], ticket["id"])] == ["施工员签认"]
    engine.run_jobs(datetime.now(UTC) + timedelta(hours=73))
    assert tasks(users["site"], ticket["id"]) == []
    [task] = tasks(users["prod"], ticket["id"])
    assert task["title"] == "生产经理代签(签认超时)"
    assert decide(users["prod"], ticket["id"])["status"] == "signed"


# --- 点工单价协议 (§2.4-C) ------------------------------------------------------------------------------

def rate_body(world: dict[str, Any], number: int = 1, **extra: Any) -> dict[str, Any]:
    return {"rate_no": f"DJ-XM-0001-{number:02d}", "project": world["project"]["id"], "crew": world["crews"]["a"]["id"],
            "trade": world["carpenter"]["id"], "unit_price": "420", "valid_from": "2024-01-01",
            "valid_to": "2024-12-31", **extra}


def approved_rate(world: dict[str, Any], number: int = 1, **extra: Any) -> dict[str, Any]:
    """A rate of crew a's carpentry at 420 (unless `extra` says otherwise) in force from a month ago to a month
    ahead, approved by the project manager and the cost department."""
    users = world["users"]
    body = rate_body(world, number, **{"valid_from": (TODAY - timedelta(days=30)).isoformat(),
                                       "valid_to": (TODAY + timedelta(days=30)).isoformat(), **extra})
    response = users["clerk"].post("/records/labor/day_labor_rate", body)
    assert response.status_code == 201, response.get_json()
    rate: dict[str, Any] = response.get_json()
    submit(users["clerk"], "day_labor_rate", rate["id"])
    decide(users["pm"], rate["id"])
    record: dict[str, Any] = decide(users["costdept"], rate["id"])
    assert record["status"] == "approved", record
    return record


def test_a_rate_compares_itself_with_the_guide_price(world: dict[str, Any]) -> None:
    clerk = world["users"]["clerk"]
    response = clerk.post("/records/labor/day_labor_rate", rate_body(world))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["guide_price"], data["over_guide_pct"], data["effective_overtime_hour_price"]) == (
        "400.00", "5.00", "52.50")
    given = clerk.post("/records/labor/day_labor_rate", rate_body(
        world, 2, overtime_hour_price="60", valid_from="2025-01-01", valid_to="2025-12-31")).get_json()
    assert given["data"]["effective_overtime_hour_price"] == "60.00"
    errors = errors_of(clerk.post("/records/labor/day_labor_rate", rate_body(
        world, 3, crew=world["crews"]["other"]["id"], valid_to="2023-12-31", unit_price="0")))
    assert errors == {"unit_price": "must be at least 0.01"}
    errors = errors_of(clerk.post("/records/labor/day_labor_rate", rate_body(
        world, 3, crew=world["crews"]["other"]["id"], valid_to="2023-12-31")))
    assert errors == {"crew": "The crew must belong to this project",
                      "valid_to": "The end of validity cannot be before its start"}
    assert errors_of(clerk.post("/records/labor/day_labor_rate", rate_body(world, 4, crew=None))) == {
        "crew": "Give the crew or the labor company"}
    by_company = clerk.post("/records/labor/day_labor_rate", rate_body(
        world, 4, crew=None, labor_company=world["labor_company"]["id"]))
    assert by_company.status_code == 201, by_company.get_json()


def test_a_rate_within_the_guide_is_approved_by_the_project_manager_and_the_cost_department(
        world: dict[str, Any]) -> None:
    users = world["users"]
    rate = users["clerk"].post("/records/labor/day_labor_rate", rate_body(world)).get_json()
    submit(users["clerk"], "day_labor_rate", rate["id"])
    assert [t["title"] for t in tasks(users["pm"], rate["id"])] == ["项目经理审批"]
    assert decide(users["pm"], rate["id"])["status"] == "in_review"
    assert [t["title"] for t in tasks(users["costdept"], rate["id"])] == ["公司成本部审核(对比指导价)"]
    assert decide(users["costdept"], rate["id"])["status"] == "approved"
    assert tasks(users["vgm"]) == []


def test_a_rate_far_above_the_guide_needs_the_vice_general_manager(world: dict[str, Any]) -> None:
    users = world["users"]
    rate = users["clerk"].post("/records/labor/day_labor_rate", rate_body(world, unit_price="461")).get_json()
    assert rate["data"]["over_guide_pct"] == "15.25"
    submit(users["clerk"], "day_labor_rate", rate["id"])
    decide(users["pm"], rate["id"])
    assert decide(users["costdept"], rate["id"])["status"] == "in_review"
    assert decide(users["vgm"], rate["id"], "reject", "超公司指导价过多")["status"] == "rejected"


def test_rates_of_one_crew_and_trade_may_not_overlap_unless_rejected(world: dict[str, Any]) -> None:
    users = world["users"]
    rates = "/records/labor/day_labor_rate"
    first = users["clerk"].post(rates, rate_body(world)).get_json()
    errors = errors_of(users["clerk"].post(rates, rate_body(world, 2, valid_from="2024-12-31", valid_to="2025-06-30")))
    assert errors == {"project": "Another rate of this project, crew (or labor company) and trade is in force in "
                                 f"this period ('DJ-XM-0001-01' (id {first['id']}))"}
    for number, extra in enumerate([{"valid_from": "2025-01-01", "valid_to": "2025-06-30"},   # the day after
                                    {"trade": world["laborer"]["id"]},
                                    {"crew": world["crews"]["b"]["id"]},
                                    {"crew": None, "labor_company": world["labor_company"]["id"]}], start=3):
        response = users["clerk"].post(rates, rate_body(world, number, **extra))
        assert response.status_code == 201, response.get_json()
    high = users["clerk"].post(rates, rate_body(world, 7, unit_price="461", valid_from="2023-01-01",
                                                valid_to="2023-12-31")).get_json()
    submit(users["clerk"], "day_labor_rate", high["id"])
    decide(users["pm"], high["id"])
    decide(users["costdept"], high["id"])
    assert decide(users["vgm"], high["id"], "reject", "超公司指导价过多")["status"] == "rejected"
    again = users["clerk"].post(rates, rate_body(world, 8, valid_from="2023-01-01", valid_to="2023-12-31"))
    assert again.status_code == 201, again.get_json()


def test_a_second_ticket_of_the_crew_day_and_area_warns_but_is_saved(world: dict[str, Any]) -> None:
    users = world["users"]
    first = create_ticket(users["lead"], ticket_body(world))
    assert first["warnings"] == []
    submit(users["lead"], "day_labor_ticket", first["id"])
    assert decide(users["site"], first["id"], "reject", "重复报单")["status"] == "rejected"
    second = create_ticket(users["lead"], ticket_body(world, 2))     # the rejected one does not count
    assert second["warnings"] == []
    third = create_ticket(users["cost"], ticket_body(world, 3))
    number = second["data"]["ticket_no"]
    assert third["warnings"] == [{"rule": None, "conflict": 1, "field": "crew", "message": (
        "Possible duplicate: the crew already has a ticket for this day and work area "
        f"({number!r} (id {second['id']}))")}]
    assert create_ticket(users["cost"], ticket_body(world, 4, location="3#楼 6层"))["warnings"] == []


# --- 点工月度汇总 (§2.4-B) ------------------------------------------------------------------------------

def summary_body(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A summary of crew a for May 2024: its number and its lines (the signed tickets) are the engine's."""
    return {"project": world["project"]["id"], "crew": world["crews"]["a"]["id"], "period": "2024-05", **extra}


def may_tickets(world: dict[str, Any], first_headcount: int = 3, first_price: str = "420") -> list[dict[str, Any]]:
    """Three signed tickets of crew a in May 2024 (3,771 元 with the defaults)."""
    cost = world["users"]["cost"]
    made = [create_ticket(cost, ticket_body(world, n, work_date=day, headcount=headcount, unit_price=price,
                                            reason_type=reason))
            for n, (day, headcount, price, reason) in enumerate([
                ("2024-05-06", first_headcount, first_price, "extra_work"), ("2024-05-18", 4, "420", "owner_visa_work"),
                ("2024-05-27", 2, "415.50", "cleanup")], start=1)]
    for ticket in made:
        sign(world, ticket)
    return [cost.get(f"/records/labor/day_labor_ticket/{t['id']}").get_json() for t in made]


def test_a_summary_totals_its_tickets_less_deductions(world: dict[str, Any]) -> None:
    clerk = world["users"]["clerk"]
    may_tickets(world)
    body = summary_body(world, deductions=[
        {"deduction_type": "advance", "amount": "500", "note": "借支生活费"},
        {"deduction_type": "penalty", "amount": "200.50", "note": "未戴安全帽"}])
    response = clerk.post("/records/labor/day_labor_summary", body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["ticket_count"], data["total_man_days"], data["gross_amount"]) == (3, "9.00", "3771.00")
    assert (data["deduction_amount"], data["payable_amount"], data["billable_amount"]) == (
        "700.50", "3070.50", "1680.00")
    assert data["crew_leader_user"] == "lead" and data["summary_no"] == "HZ-XM-0001-2024-05-01"
    supplementary = clerk.post("/records/labor/day_labor_summary", summary_body(world))  # takes no ticket
    assert supplementary.status_code == 201, supplementary.get_json()
    assert supplementary.get_json()["data"]["supplementary"] is True
    assert supplementary.get_json()["data"]["summary_no"] == "HZ-XM-0001-2024-05-02"
    too_much = {**body, "deductions": [{"deduction_type": "rework", "amount": "4000"}]}
    assert errors_of(clerk.post("/records/labor/day_labor_summary", too_much)) == {
        "deductions": "The deductions cannot exceed the gross amount"}
    wrong = {**body, "period": "2024-13", "crew": world["crews"]["other"]["id"]}
    assert set(errors_of(clerk.post("/records/labor/day_labor_summary", wrong))) == {"period"}


def test_a_summary_goes_from_the_crew_leader_through_the_project_to_finance(world: dict[str, Any]) -> None:
    users = world["users"]
    may_tickets(world)
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world)).get_json()
    submit(users["clerk"], "day_labor_summary", summary["id"])
    assert tasks(users["lead2"]) == []  # the confirmation is assigned to this crew's leader only
    [task] = tasks(users["lead"], summary["id"])
    assert (task["title"], task["assignee"]) == ("班组长对账确认", "lead")
    confirmed = decide(users["lead"], summary["id"], "approve", "无异议",
                       data={"crew_signature": "uploads/lead-sign.png"})
    assert confirmed["data"]["crew_signature"] == "uploads/lead-sign.png"
    confirmed_at = datetime.fromisoformat(confirmed["data"]["crew_confirmed_at"])  # the task's completion time
    assert abs(datetime.now(UTC) - confirmed_at) < timedelta(minutes=1)
    decide(users["prod"], summary["id"])
    [check] = tasks(users["cost"], summary["id"])
    assert check["title"] == "商务核对(0102预算、扣款)"
    checked = decide(users["cost"], summary["id"], data={"deductions": [{"deduction_type": "rework", "amount": "100"}]})
    assert checked["data"]["payable_amount"] == "3671.00"
    decide(users["pm"], summary["id"])
    assert tasks(users["costdept"]) == []  # under 50,000 元 the company cost department is not asked
    assert [t["title"] for t in tasks(users["fin"], summary["id"])] == ["财务审核"]
    assert decide(users["fin"], summary["id"])["status"] == "approved"
    assert [s["id"] for s in users["cash"].get("/records/labor/day_labor_summary").get_json()["items"]] == [
        summary["id"]]  # the cashier reads approved summaries only


def test_an_approved_summary_posts_its_cost_once_and_marks_its_tickets_summarized(
        engine: Formwork, tenant: str, world: dict[str, Any]) -> None:
    users = world["users"]
    tickets = may_tickets(world)
    draft = create_ticket(users["cost"], ticket_body(world, 9, work_date="2024-05-28", unit_price="420"))
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world)).get_json()
    submit(users["clerk"], "day_labor_summary", summary["id"])
    for name in ("lead", "prod", "cost", "pm", "fin"):
        decide(users[name], summary["id"])
    entries = users["cost"].get("/records/cost/actual_cost_entry?q=source_id == '" + summary["id"] + "'")
    [entry] = entries.get_json()["items"]
    expected = sum(Decimal(t["data"]["amount"]) for t in tickets)
    assert (entry["data"]["amount"], entry["data"]["cost_account"], entry["data"]["source_type"]) == (
        f"{expected:.2f}", world["day_labor_account"]["id"], "day_labor_summary")
    assert entry["data"]["occurred_date"] == "2024-05-27"  # the last work date of the summary
    statuses = {t["id"]: users["cost"].get(f"/records/labor/day_labor_ticket/{t['id']}").get_json()["status"]
                for t in [*tickets, draft]}
    assert statuses == {**{t["id"]: "summarized" for t in tickets}, draft["id"]: "draft"}
    path = f"/records/labor/day_labor_ticket/{tickets[0]['id']}"
    version = users["cost"].get(path).get_json()["version"]
    assert users["cost"].patch(path, {"version": version, "data": {"remark": "late"}}).status_code == 409
    with engine.records(Actor(tenant_id=tenant, username="system", roles=frozenset({"admin"}))) as records:
        entity = records.entity("labor", "day_labor_summary")
        row = records.row(entity, summary["id"])
        records.set_status(entity, row, "in_review")
        records.set_status(entity, row, "approved")   # reaching approved again posts nothing new
    assert users["cost"].get("/records/cost/actual_cost_entry?q=source_id == '" + summary["id"] + "'"
                             ).get_json()["total"] == 1


def test_a_large_summary_adds_the_company_cost_department(world: dict[str, Any]) -> None:
    users = world["users"]
    may_tickets(world, first_headcount=100, first_price="500")
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world)).get_json()
    assert summary["data"]["payable_amount"] == "52511.00"  # 50,000 + 1,680 + 831
    submit(users["clerk"], "day_labor_summary", summary["id"])
    for name in ("lead", "prod", "cost", "pm"):
        decide(users[name], summary["id"])
    assert [t["title"] for t in tasks(users["costdept"], summary["id"])] == ["公司成本部审核"]
    decide(users["costdept"], summary["id"])
    assert decide(users["fin"], summary["id"])["status"] == "approved"
    assert users["cash"].get("/records/labor/day_labor_summary").get_json()["total"] == 1


def test_a_crew_dispute_returns_the_summary_to_the_labor_clerk(world: dict[str, Any]) -> None:
    users = world["users"]
    may_tickets(world)
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world)).get_json()
    submit(users["clerk"], "day_labor_summary", summary["id"])
    returned = decide(users["lead"], summary["id"], "return", "5月27日的单子少算了人数，扣款也不对")
    assert returned["status"] == "returned"
    [task] = tasks(users["clerk"], summary["id"])
    assert task["title"] == "劳务员修改后重新提交"
    path = f"/records/labor/day_labor_summary/{summary['id']}"
    fixed = users["clerk"].patch(path, {"version": returned["version"],
                                        "data": {"deductions": [{"deduction_type": "advance", "amount": "831"}]}})
    assert fixed.status_code == 200 and fixed.get_json()["data"]["payable_amount"] == "2940.00"
    submit(users["clerk"], "day_labor_summary", summary["id"])
    assert [t["title"] for t in tasks(users["lead"], summary["id"])] == ["班组长对账确认"]


# --- reports (§3.4, §6) ---------------------------------------------------------------------------------

def test_day_labor_reports_group_signed_tickets_by_crew_project_and_month(world: dict[str, Any]) -> None:
    users = world["users"]
    cost, b = users["cost"], world["crews"]["b"]["id"]
    specs = [("2024-05-06", "a", 3, "420", "extra_work"), ("2024-05-18", "a", 4, "420", "rework"),
             ("2024-05-20", "b", 6, "260", "cleanup"), ("2024-06-03", "a", 2, "415.50", "owner_visa_work")]
    for number, (day, crew, headcount, price, reason) in enumerate(specs, start=1):
        extra = {"back_charge_crew": b} if reason == "rework" else {}
        ticket = create_ticket(cost, ticket_body(world, number, work_date=day, crew=world["crews"][crew]["id"],
                                                 headcount=headcount, unit_price=price, reason_type=reason, **extra))
        sign(world, ticket)
    create_ticket(cost, ticket_body(world, 9, work_date="2024-05-07", headcount=50, unit_price="420"))  # a draft
    project, crew_a = world["project"]["id"], world["crews"]["a"]["id"]
    by_crew = cost.get("/reports/labor/day_labor_by_crew_month").get_json()
    assert by_crew["columns"] == ["project", "crew", "crew_crew_name", "period", "tickets", "man_days", "amount",
                                  "avg_unit_price"]
    rows = {(r[1], r[3]): r[2:] for r in by_crew["rows"]}
    assert rows == {
        (crew_a, "2024-05"): ["木工一班", "2024-05", 2, 7, "2940.00", "420.00"],
        (b, "2024-05"): ["杂工班", "2024-05", 1, 6, "1560.00", "260.00"],
        (crew_a, "2024-06"): ["木工一班", "2024-06", 1, 2, "831.00", "415.50"]}
    by_project = cost.get("/reports/labor/day_labor_by_project_month").get_json()
    # no labour actual cost posted yet: the share of it is empty
    assert by_project["rows"] == [[project, "Project XM-0001", "2024-05", 3, 13, "4500.00", "346.15", None, None],
                                  [project, "Project XM-0001", "2024-06", 1, 2, "831.00", "415.50", None, None]]
    kpis = cost.get("/reports/labor/day_labor_kpis").get_json()
    assert kpis["columns"][2:] == ["tickets", "amount", "rework_amount", "rework_share", "billable_amount",
                                   "late_entries", "late_entry_rate", "sign_off_timeliness", "last_month_amount",
                                   "mom_growth"]
    assert kpis["rows"][0] == [project, "2024-05", 3, "4500.00", "1680.00", "37.33", "0.00", 3, 100, 100, None, None]
    assert kpis["rows"][1][6] == "831.00"  # chargeable to the owner in June
    assert kpis["rows"][1][-2:] == ["4500.00", "-81.53"]  # 831 / 4500 - 1, month over month
    by_reason = cost.get("/reports/labor/day_labor_by_reason", query_string={"q": "period == '2024-05'"}).get_json()
    assert [(r[2], r[5]) for r in by_reason["rows"]] == [("cleanup", "1560.00"), ("extra_work", "1260.00"),
                                                         ("rework", "1680.00")]
    calendar = cost.get("/reports/labor/day_labor_calendar", query_string={"q": f"crew == '{crew_a}'"}).get_json()
    assert [(r[3], r[4]) for r in calendar["rows"]] == [("2024-05-06", 3), ("2024-05-18", 4), ("2024-06-03", 2)]
    company = users["pm"].get("/reports/labor/day_labor_company_month").get_json()
    assert company["rows"] == [["2024-05", 3, 13, "4500.00"], ["2024-06", 1, 2, "831.00"]]
    trades = cost.get("/reports/labor/day_labor_by_trade_month").get_json()
    assert {(r[2], r[3]) for r in trades["rows"]} == {("木工", "2024-05"), ("木工", "2024-06")}
    assert users["lead2"].get("/reports/labor/day_labor_by_crew_month").get_json()["rows"] == [
        [project, b, "杂工班", "2024-05", 1, 6, "1560.00", "260.00"]]  # a crew leader's row filter applies


def test_the_day_labor_share_of_the_labour_accounts_actual_cost(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    sign(world, create_ticket(cost, ticket_body(world, 1, work_date="2024-05-06", headcount=2, unit_price="420")))
    for number, (account, day, amount) in enumerate(((world["day_labor_account"], "2024-05-20", "1500.00"),
                                                     (world["day_labor_account"], "2024-05-31", "600.00"),
                                                     (world["day_labor_account"], "2024-06-01", "999.00")), 1):
        response = cost.post("/records/cost/actual_cost_entry", {
            "project": world["project"]["id"], "cost_account": account["id"], "occurred_date": day,
            "amount": amount, "source_no": f"RG-{number}"})
        assert response.status_code == 201, response.get_json()
    rows = cost.get("/reports/labor/day_labor_by_project_month").get_json()
    # the labour accounts' actual cost of the same project and month: 1,500 + 600; 840 of it is day labour
    assert [r[2:] for r in rows["rows"]] == [["2024-05", 1, 2, "840.00", "420.00", "2100.00", 40]]
def test_day_labor_per_output_across_labor_and_funds(world: dict[str, Any]) -> None:
    """modules/labor_output: the signed tickets' amount over the approved measurements' confirmed output."""
    users, create = world["users"], api_creator(world["users"]["ann"])
    income = create("contract", {
        "contract_code": "HT-IN-001", "contract_name": "总包合同", "project": world["project"]["id"],
        "direction": "income", "contract_category": "main", "party": world["project"]["data"]["owner_party"],
        "sign_date": "2024-01-10", "pricing_mode": "unit_price", "amount_incl_tax": "10000000.00", "tax_rate": "0.09",
        "progress_pay_rate": "80", "retention_rate": "3"})
    for number, (period, confirmed) in enumerate((("2024-05", "42000"), ("2024-06", "8000")), start=1):
        response = users["cost"].post("/records/funds/owner_measurement", {
            "doc_no": f"JL-00{number}", "contract": income["id"], "period": period, "reported_output": confirmed,
            "confirmed_output": confirmed})
        assert response.status_code == 201, response.get_json()
        measurement = response.get_json()
        assert users["cost"].post(f"/records/funds/owner_measurement/{measurement['id']}/submit").status_code == 200
        decide(users["pm"], measurement["id"])
        assert decide(users["costdept"], measurement["id"])["status"] == "approved"
    for number, (day, headcount) in enumerate((("2024-05-06", 2), ("2024-05-18", 3)), start=1):
        ticket = create_ticket(users["cost"], ticket_body(world, number, work_date=day, headcount=headcount,
                                                          unit_price="420"))
        sign(world, ticket)
    result = users["cost"].get("/reports/labor_output/day_labor_per_output").get_json()
    names = ["amount", "output", "amount_to_date", "output_to_date", "per_output", "per_output_to_date"]
    assert [(r[1], *(r[result["columns"].index(n)] for n in names)) for r in result["rows"]] == [
        ("2024-05", "2100.00", "42000.00", "2100.00", "42000.00", 5, 5),
        ("2024-06", None, "8000.00", "2100.00", "50000.00", 0, "4.2"),     # output but no tickets: rows: any
    ]


def test_the_summary_report_sums_approved_summaries_and_funds_pays_them(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> None:
    users = world["users"]
    may_tickets(world)
    body = summary_body(world, deductions=[{"deduction_type": "advance", "amount": "771"}])
    summary = users["clerk"].post("/records/labor/day_labor_summary", body).get_json()
    assert users["cost"].get("/reports/labor/day_labor_summary_by_crew_month").get_json()["rows"] == []
    submit(users["clerk"], "day_labor_summary", summary["id"])
    for name in ("lead", "prod", "cost", "pm", "fin"):
        decide(users[name], summary["id"])
    report = users["fin"].get("/reports/labor/day_labor_summary_by_crew_month").get_json()
    assert report["rows"] == [[world["project"]["id"], world["crews"]["a"]["id"], "木工一班", "2024-05", 1, 3, 9,
                               "3771.00", "771.00", "3000.00", "1680.00", "0.00", "3000.00"]]   # nothing paid yet
    # funds pays it: a payment request names the summary, the cashier's approved payment counts as paid
    for name, role in (("fd", "finance_director"), ("gm", "general_manager")):
        add_user(engine, tenant, name, role)
        users[name] = login(client, tenant, name)
    payee = api_creator(users["ann"])("party", {"party_name": "鑫源劳务收款", "party_type": ["labor_company"],
                                                "credit_code": "91350100M000100Y43", "bank_name": "工商银行",
                                                "bank_account": "6222020000005678", "account_name": "鑫源劳务"})
    account = users["fin"].post("/records/funds/fund_account", {
        "account_name": "项目一般户", "account_type": "general", "bank_name": "建设银行",
        "account_no": "3305 0000 2222", "project": world["project"]["id"], "opening_balance": "100000.00"}).get_json()
    request = users["cost"].post("/records/funds/payment_request", {
        "doc_no": "FK-DG-01", "project": world["project"]["id"], "payment_type": "expense", "party": payee["id"],
        "applied_amount": "1000.00", "day_labor_summary": summary["id"]}).get_json()
    assert request["data"]["day_labor_summary"] == summary["id"], request
    assert users["cost"].post(f"/records/funds/payment_request/{request['id']}/submit").status_code == 200
    for _ in range(8):
        holder = next((api for api in users.values() if tasks(api, request["id"])), None)
        if holder is None:
            break
        decide(holder, request["id"])
    payment = users["cash"].post("/records/funds/payment", {
        "doc_no": "P-DG-01", "request": request["id"], "pay_date": YESTERDAY, "amount": "1000.00",
        "account": account["id"], "bank_serial_no": "DG0001"}).get_json()
    assert users["cash"].post(f"/records/funds/payment/{payment['id']}/submit").status_code == 200
    assert decide(users["fin"], payment["id"])["status"] == "approved"
    paid = users["fin"].get(f"/records/labor/day_labor_summary/{summary['id']}").get_json()["data"]
    assert (paid["paid_amount"], paid["unpaid_amount"]) == ("1000.00", "2000.00")


# --- the demo ------------------------------------------------------------------------------------------

def test_the_demo_tenant_has_master_data_rates_tickets_and_a_summary(demo_formwork: Formwork) -> None:
    client = create_app(demo_formwork, TESTING=True).test_client()   # its own copy of the demo
    token = client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": "admin",
                                                    "password": DEMO_PASSWORD}).get_json()["token"]
    admin = Api(client, token)
    counts = {entity: admin.get(f"/records/base/{entity}").get_json()["total"]
              for entity in ("org_unit", "party", "project", "contract", "crew", "trade", "worker", "cost_account")}
    assert counts == {"org_unit": 2, "party": 8, "project": 3, "contract": 8, "crew": 9, "trade": 14, "worker": 67,
                      "cost_account": 23}
    # every budget line, split and posting of the demo goes to a leaf of the seeded account tree
    accounts = {a["id"]: a["data"] for a in admin.get("/records/base/cost_account?limit=100").get_json()["items"]}
    used = {line["data"]["cost_account"] for entity in ("cost_budget_line", "actual_cost_entry")
            for line in admin.get(f"/records/cost/{entity}?limit=500").get_json()["items"]}
    used |= {split["cost_account"] for contract in admin.get("/records/base/contract").get_json()["items"]
             for split in contract["data"].get("cost_splits", [])}
    tickets = admin.get("/records/labor/day_labor_ticket", query_string={"limit": 500}).get_json()["items"]
    used |= {t["data"]["cost_account"] for t in tickets}
    assert used and all(accounts[account]["is_leaf"] for account in used)
    assert sorted(a["account_code"] for a in accounts.values() if not a["is_leaf"]) == [
        "01", "02", "03", "05", "06", "07"]
    rates = admin.get("/records/labor/day_labor_rate").get_json()["items"]
    assert sorted(r["status"] for r in rates) == ["approved"] * 9 + ["draft", "in_review", "rejected"]
    assert len(tickets) >= 300 and {t["status"] for t in tickets} >= {"signed", "summarized", "in_review"}
    summaries = admin.get("/records/labor/day_labor_summary").get_json()["items"]
    assert len(summaries) == 9 and [s["status"] for s in summaries].count("approved") == 6
    for summary in summaries:   # the deductions the labor clerk typed come off what the crew is owed
        data = summary["data"]
        assert Decimal(data["payable_amount"]) == Decimal(data["gross_amount"]) - Decimal(data["deduction_amount"])
    assert admin.get("/reports/labor/day_labor_by_project_month").get_json()["rows"]
    # day one on the dashboard: the material line over its target (red); the late 5th floor pushes the
    # contract milestone and the critical path behind it (yellow), the masonry beside it uses up its float
    alerts = admin.get("/records/base/alert", query_string={"sort": "kpi", "limit": 100}).get_json()["items"]
    assert {(a["data"]["kpi"], a["data"]["level"], a["data"]["owner"]) for a in alerts} >= {
        ("cost.variance_rate", "red", "pm"), ("schedule.delay_days", "yellow", "pm")}
    [plan] = admin.get("/records/schedule/schedule_plan",
                       query_string={"q": "status == 'approved'"}).get_json()["items"]
    plan_tasks = admin.get("/records/schedule/wbs_task", query_string={
        "sort": "wbs_code", "q": f"plan == '{plan['id']}'"}).get_json()["items"]
    late = {a["data"]["source_no"] for a in alerts if a["data"]["kpi"] == "schedule.delay_days"
            and a["data"].get("source_id") in {t["id"] for t in plan_tasks}}
    critical = {t["data"]["wbs_code"] for t in plan_tasks if t["data"]["is_critical"]}
    assert critical == {"1", "2", "3", "4", "5", "8", "9"} and "2" in late and critical <= late


# --- row scope: project roles see only their projects (domain.md §4.3) ---------------------------------

@pytest.mark.parametrize("user, role", [("clerk", "labor_clerk"), ("pm", "project_manager"),
                                        ("cost", "project_cost_engineer")])
def test_project_roles_see_only_the_labor_records_crews_and_workers_of_their_projects(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient, user: str, role: str) -> None:
    ticket = sign(world, create_ticket(world["users"]["cost"], ticket_body(world)))
    member, stranger = world["users"][user], outsider(engine, client, tenant, role)
    assert_only_members_see(member, stranger, "labor", "day_labor_ticket", ticket["id"],
                            report="day_labor_by_crew_month")
    assert_only_members_see(member, stranger, "base", "crew", world["crews"]["a"]["id"])
    assert_only_members_see(member, stranger, "base", "worker", world["workers"][0]["id"])
    if user != "pm":   # pm manages the other project too
        assert member.get(f"/records/base/crew/{world['crews']['other']['id']}").status_code == 404
    # company roles still see every project
    assert world["users"]["costdept"].get(f"/records/base/crew/{world['crews']['other']['id']}").status_code == 200
