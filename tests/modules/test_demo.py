"""The demo tenant `make run` opens: a living month of a contractor, checked over the REST API as its administrator."""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT, create_demo
from engine.runtime import Formwork
from engine.security import audit
from tests.conftest import Api


def sign_in(client: FlaskClient, username: str = "admin") -> Api:
    response = client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": username,
                                                       "password": DEMO_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return Api(client, response.get_json()["token"])


@pytest.fixture(scope="module")
def client(demo_formwork: Formwork) -> FlaskClient:
    """The app on this module's own copy of the demo (tests/demo_copy.py), not on the shared `engine`."""
    return create_app(demo_formwork, TESTING=True).test_client()


@pytest.fixture
def admin(client: FlaskClient) -> Api:
    return sign_in(client)


def every(api: Api, module: str, entity: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        response = api.get(f"/records/{module}/{entity}", query_string={"limit": 500, "offset": len(found)})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        found += body["items"]
        if len(found) >= body["total"] or not body["items"]:
            return found


def statuses(api: Api, module: str, entity: str) -> Counter[str]:
    return Counter(item["status"] for item in every(api, module, entity))


def test_the_demo_is_a_month_of_three_projects_with_hundreds_of_tickets(admin: Api) -> None:
    assert len(every(admin, "base", "project")) >= 3
    tickets = every(admin, "labor", "day_labor_ticket")
    assert len(tickets) >= 300
    periods = Counter(t["data"]["period"] for t in tickets)
    this_month, last_month = f"{date.today():%Y-%m}", sorted(periods)[0]
    assert set(periods) == {last_month, this_month}
    assert len({t["data"]["crew"] for t in tickets}) >= 9 and len({t["data"]["work_date"] for t in tickets}) >= 20
    assert all(t["data"].get("workers") and len(t["data"]["workers"]) == t["data"]["headcount"] for t in tickets)
    # the crew leaders wrote them (without a price: the agreed rate applies), the site engineer signed them
    assert {t["created_by"] for t in tickets} == {f"crew{n}" for n in range(1, 10)}
    assert Counter(t["status"] for t in tickets)["signed"] + Counter(t["status"] for t in tickets)["summarized"] > 250
    rates = every(admin, "labor", "day_labor_rate")
    crews = {c["id"]: c["data"] for c in every(admin, "base", "crew")}
    agreed = {(r["data"].get("crew"), r["data"].get("labor_company"), r["data"]["trade"])
              for r in rates if r["status"] == "approved"}
    for ticket in tickets:   # every ticket has a rate in force: its crew's, or its labor company's
        data = ticket["data"]
        crew = crews[data["crew"]]
        assert ((data["crew"], None, data["trade"]) in agreed
                or (None, crew["labor_company"], data["trade"]) in agreed), data["ticket_no"]


def test_the_demo_has_summaries_cost_funds_and_progress(admin: Api) -> None:
    summaries = every(admin, "labor", "day_labor_summary")
    assert len(summaries) >= 9 and statuses(admin, "labor", "day_labor_summary")["approved"] >= 5
    assert every(admin, "cost", "cost_budget") and every(admin, "cost", "change_order")
    assert every(admin, "cost", "actual_cost_entry")
    for entity in ("fund_account", "fund_plan", "fund_plan_line", "receipt", "payment_request", "payment",
                   "cash_ledger", "contract_ledger", "owner_measurement"):
        assert every(admin, "funds", entity), entity
    ledger = every(admin, "funds", "cash_ledger")
    assert {row["data"]["source_type"] for row in ledger} >= {"receipt", "payment", "bank_charge"}
    assert statuses(admin, "funds", "payment")["approved"] >= 3
    assert every(admin, "schedule", "wbs_task") and statuses(admin, "schedule", "progress_report")["approved"] >= 4
    assert every(admin, "base", "alert")   # raised by the cost and schedule rules


def test_the_demo_has_approvals_in_every_state(admin: Api, client: FlaskClient) -> None:
    states: Counter[str] = Counter()
    for module, entity in (("labor", "day_labor_rate"), ("labor", "day_labor_ticket"), ("labor", "day_labor_summary"),
                           ("cost", "cost_budget"), ("cost", "change_order"), ("funds", "fund_plan"),
                           ("funds", "payment_request"), ("funds", "payment"), ("schedule", "progress_report")):
        states += statuses(admin, module, entity)
    assert {"draft", "in_review", "returned", "approved", "rejected"} <= set(states)
    # what is in review waits in the inbox of the user its process names
    site = sign_in(client, "site")
    waiting = {task["record_id"] for task in site.get("/tasks").get_json()["items"]}
    assert {t["id"] for t in every(admin, "labor", "day_labor_ticket") if t["status"] == "in_review"} <= waiting


def test_the_demo_loads_twice_without_duplicates(demo_formwork: Formwork, admin: Api) -> None:
    before = {entity: len(every(admin, module, entity)) for module, entity in (
        ("labor", "day_labor_ticket"), ("funds", "payment"), ("base", "project"))}
    assert "already exists" in create_demo(demo_formwork)
    assert before == {entity: len(every(admin, module, entity)) for module, entity in (
        ("labor", "day_labor_ticket"), ("funds", "payment"), ("base", "project"))}


def test_the_demo_offers_a_project_role_task_to_members_only_and_keeps_duties_apart(admin: Api,
                                                                                     client: FlaskClient) -> None:
    projects = {p["data"]["project_code"]: p["id"] for p in every(admin, "base", "project")}
    only_project = projects["XM-2024-002"]   # site2 is a member of 滨江大道 only
    tickets = [t for t in every(admin, "labor", "day_labor_ticket") if t["status"] == "in_review"]
    elsewhere = [t["id"] for t in tickets if t["data"]["project"] != only_project]
    assert elsewhere and any(t["data"]["project"] == only_project for t in tickets)
    site, site2 = sign_in(client, "site"), sign_in(client, "site2")
    offered = {task["record_id"]: task for task in site.get("/tasks").get_json()["items"]}
    seen_by_site2 = {task["record_id"] for task in site2.get("/tasks").get_json()["items"]}
    assert not seen_by_site2 & set(elsewhere) and seen_by_site2 <= {t["id"] for t in tickets}
    sign_off = offered[elsewhere[0]]
    refused = site2.post(f"/tasks/{sign_off['id']}/complete", {"decision": "approve"})
    assert refused.status_code == 403 and refused.get_json()["error"]["message_code"] == "task_project_members_only"
    assert site.post(f"/tasks/{sign_off['id']}/complete", {"decision": "approve"}).status_code == 200
    # alice's own change order waits at the cost engineers' pricing: bob prices it, not alice
    [own] = [c for c in every(admin, "cost", "change_order") if c["created_by"] == "alice"]
    alice, bob = sign_in(client, "alice"), sign_in(client, "bob")
    assert own["id"] not in {task["record_id"] for task in alice.get("/tasks").get_json()["items"]}
    [pricing] = [task for task in bob.get("/tasks").get_json()["items"] if task["record_id"] == own["id"]]
    refused = alice.post(f"/tasks/{pricing['id']}/complete", {"decision": "approve"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "separation_of_duties"
    waiting = alice.get(f"/records/cost/change_order/{own['id']}/approval").get_json()["pending"]
    assert [(p["task_id"], p["candidates"]) for p in waiting] == [(pricing["id"], ["bob"])]   # not its submitter
    done = bob.post(f"/tasks/{pricing['id']}/complete", {"decision": "approve", "data": {"approved_amount": "3840"}})
    assert done.status_code == 200, done.get_json()


def test_a_copy_of_the_demo_keeps_its_audit_chain_verifying(demo_formwork: Formwork, admin: Api) -> None:
    """The copy (tests/demo_copy.py) was built maybe by another worker: under this run's one instance key its
    anchors verify as a fresh build's do, after what this module's tests changed too."""
    with demo_formwork.db.tenant(DEMO_TENANT) as session:
        assert audit.verify(session, DEMO_TENANT) == []
