"""Approvals over HTTP with the expense module: submit, inbox, decide, thresholds, races, timers."""
from __future__ import annotations

import threading

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, login, new_project


@pytest.fixture
def people(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    for name, role in (("alice", "applicant"), ("pm", "project_manager"), ("pm2", "project_manager"),
                       ("fin", "finance"), ("boss", "admin")):
        add_user(engine, tenant, name, role)
    return {name: login(client, tenant, name) for name in ("alice", "pm", "pm2", "fin", "boss")}


def new_claim(people: dict[str, Api], amount: str = "100", code: str = "BX-1") -> dict:
    existing = people["boss"].get("/records/base/project").get_json()["items"]
    project = existing[0] if existing else new_project(api_creator(people["boss"]), "AP-1", members=[
        {"user": name, "position": "project_manager"} for name in ("pm", "pm2")])   # both take its tasks
    response = people["alice"].post("/records/expense/claim", {
        "code": code, "project": project["id"], "date": "2024-05-01",
        "lines": [{"item": "taxi", "qty": 1, "price": amount}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def only_task(api: Api) -> dict:
    items = api.get("/tasks").get_json()["items"]
    assert len(items) == 1, items
    return items[0]


def test_small_claim_is_approved_by_the_project_manager(people: dict[str, Api]) -> None:
    claim = new_claim(people)
    submitted = people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "in_review"
    assert people["fin"].get("/tasks").get_json()["items"] == []
    task = only_task(people["pm"])
    assert task["record"]["title"] == "BX-1" and task["candidate_roles"] == ["project_manager"]
    locked = people["alice"].patch(f"/records/expense/claim/{claim['id']}",
                                   {"version": submitted.get_json()["version"], "data": {"note": "x"}})
    assert locked.status_code == 409
    done = people["pm"].post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "ok"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "approved"
    assert people["pm"].get("/tasks").get_json()["items"] == []
    history = people["alice"].get(f"/records/expense/claim/{claim['id']}/history").get_json()["items"]
    trail = [(h["action"], h["actor"]) for h in history]
    assert ("task.complete", "pm") in trail and ("process.start", "alice") in trail
    assert any(h["note"] == "Project manager review: approve — ok" for h in history)


def test_large_claims_also_need_finance_and_the_threshold_is_a_parameter(
        engine: Formwork, tenant: str, people: dict[str, Api]) -> None:
    claim = new_claim(people, amount="6000")
    people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    approved = people["pm"].post(f"/tasks/{only_task(people['pm'])['id']}/complete", {"decision": "approve"})
    assert approved.status_code == 200, approved.get_json()
    finance_task = only_task(people["fin"])
    assert finance_task["title"] == "Finance review"
    result = people["fin"].post(f"/tasks/{finance_task['id']}/complete", {"decision": "reject", "comment": "no"})
    assert result.get_json()["status"] == "rejected"
    with engine.db.tenant(tenant) as session:
        tenancy.set_parameter(session, tenant, "expense", "review_threshold", "10000", engine.catalog.modules())
    second = new_claim(people, amount="6000", code="BX-2")
    people["alice"].post(f"/records/expense/claim/{second['id']}/submit")
    result = people["pm"].post(f"/tasks/{only_task(people['pm'])['id']}/complete", {"decision": "approve"})
    assert result.get_json()["status"] == "approved"


def test_only_candidates_may_decide_and_decisions_are_checked(people: dict[str, Api]) -> None:
    claim = new_claim(people)
    people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    task = only_task(people["pm"])
    assert people["fin"].post(f"/tasks/{task['id']}/complete", {"decision": "approve"}).status_code == 403
    bad = people["pm"].post(f"/tasks/{task['id']}/complete", {"decision": "maybe"})
    assert bad.status_code == 400 and "approve, reject, return" in bad.get_json()["error"]["message"]
    assert people["pm"].post("/tasks/nope/complete", {"decision": "approve"}).status_code == 404


def test_two_people_completing_the_same_task_exactly_one_wins(people: dict[str, Api], client: FlaskClient,
                                                              tenant: str) -> None:
    claim = new_claim(people)
    people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    task = only_task(people["pm"])
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def decide(name: str) -> None:
        api = login(client, tenant, name)
        barrier.wait()
        statuses.append(api.post(f"/tasks/{task['id']}/complete", {"decision": "approve"}).status_code)

    threads = [threading.Thread(target=decide, args=(n,)) for n in ("pm", "pm2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]


def test_withdraw_while_no_one_has_acted(people: dict[str, Api]) -> None:
    claim = new_claim(people)
    people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    assert people["pm"].post(f"/records/expense/claim/{claim['id']}/withdraw").status_code in (403, 404)
    withdrawn = people["alice"].post(f"/records/expense/claim/{claim['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert people["pm"].get("/tasks").get_json()["items"] == []
    edited = people["alice"].patch(f"/records/expense/claim/{claim['id']}",
                                   {"version": withdrawn.get_json()["version"], "data": {"note": "fixed"}})
    assert edited.status_code == 200
    again = people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    assert again.get_json()["status"] == "in_review"
    people["pm"].post(f"/tasks/{only_task(people['pm'])['id']}/complete", {"decision": "reject"})
    assert people["alice"].post(f"/records/expense/claim/{claim['id']}/withdraw").status_code == 409


def test_delegate_and_claim(people: dict[str, Api]) -> None:
    claim = new_claim(people)
    people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    task = only_task(people["pm"])
    delegated = people["pm"].post(f"/tasks/{task['id']}/delegate", {"to": "fin", "comment": "on leave"})
    assert delegated.status_code == 200 and delegated.get_json()["assignee"] == "fin"
    assert people["pm"].get("/tasks").get_json()["items"] == []
    assert only_task(people["fin"])["id"] == task["id"]
    assert people["fin"].post(f"/tasks/{task['id']}/delegate", {"to": "ghost"}).status_code == 400
    done = people["fin"].post(f"/tasks/{task['id']}/complete", {"decision": "approve"})
    assert done.get_json()["status"] == "approved"
