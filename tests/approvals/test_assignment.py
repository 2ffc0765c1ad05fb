"""Who is offered a task (issue 16): project roles go to the members of the record's project, company roles
company-wide, a task nobody holds is an incident the administrator reassigns; separation of duties; the
administrator does not approve; out-of-office delegation. Over the REST API and the pages, with the expense module
(project_manager is a project role there, finance a company role)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from formwork_notify import plugin

from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.conftest import Api, add_user, api_creator, login, new_project, tasks
from tests.web.conftest import sign_in

USERS = {"alice": ("applicant",), "pm": ("project_manager", "applicant"), "pm2": ("project_manager", "applicant"),
         "outsider": ("project_manager",), "fin": ("finance",), "finpm": ("finance", "project_manager"),
         "boss": ("admin",), "clerk": ("applicant",)}
TODAY = date.today()


@pytest.fixture
def people(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    for name, roles in USERS.items():
        add_user(engine, tenant, name, *roles)
    found = {name: login(client, tenant, name) for name in USERS}
    create = api_creator(found["boss"])
    found["project"] = new_project(create, "AP-1", members=[   # type: ignore[assignment]
        {"user": name, "position": "project_manager"} for name in ("pm", "pm2", "finpm")])
    found["empty"] = new_project(create, "AP-2", manager="alice", members=[   # type: ignore[assignment]
        {"user": "alice", "position": "document_clerk"}])   # nobody holds project_manager on it
    return found


def claim(people: dict[str, Any], by: str = "alice", amount: str = "100", project: str = "project",
          code: str = "BX-1") -> dict[str, Any]:
    """A submitted expense claim (finance reviews it too from 5000 on)."""
    response = people[by].post("/records/expense/claim", {
        "code": code, "project": people[project]["id"], "date": "2024-05-01",
        "lines": [{"item": "taxi", "qty": 1, "price": amount}]})
    assert response.status_code == 201, response.get_json()
    submitted = people[by].post(f"/records/expense/claim/{response.get_json()['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    result: dict[str, Any] = submitted.get_json()
    return result


def complete(api: Api, task_id: str, decision: str = "approve") -> Any:
    return api.post(f"/tasks/{task_id}/complete", {"decision": decision, "comment": "ok"})


def put_delegation(client: FlaskClient, api: Api, body: dict[str, Any]) -> Any:
    return client.put("/api/v1/me/delegation", headers=api.headers, json=body)


# -- project-scoped roles -----------------------------------------------------------------------------------------

def test_a_project_role_task_is_offered_only_to_members_who_hold_the_role(people: dict[str, Any]) -> None:
    record = claim(people)
    [task] = tasks(people["pm"], record["id"])
    assert task["candidate_roles"] == ["project_manager"] and task["incident"] is None
    assert [t["id"] for t in tasks(people["pm2"])] == [task["id"]]
    assert tasks(people["outsider"]) == [] and people["outsider"].get("/tasks").get_json()["total"] == 0
    refused = complete(people["outsider"], task["id"])   # holds the role, not on the project: 403, told why
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["message_code"] == "task_project_members_only" and "project_manager" in error["message"]
    assert "BX-1" not in str(refused.get_json())
    assert people["outsider"].post(f"/tasks/{task['id']}/claim").status_code == 403
    assert people["outsider"].post(f"/tasks/{task['id']}/delegate", {"to": "outsider"}).status_code == 403
    assert complete(people["pm2"], task["id"]).get_json()["status"] == "approved"


def test_the_inbox_page_and_its_count_leave_out_a_non_members_task(people: dict[str, Any], client: FlaskClient,
                                                                    tenant: str) -> None:
    claim(people)
    assert "0 open tasks" in sign_in(client, tenant, "outsider").text("/tasks")
    member = sign_in(client, tenant, "pm2").text("/tasks")
    assert "1 open tasks" in member and "BX-1" in member


def test_a_company_role_stays_company_wide(people: dict[str, Any]) -> None:
    record = claim(people, amount="9000")
    [task] = tasks(people["pm"], record["id"])
    complete(people["pm"], task["id"])
    [review] = tasks(people["fin"], record["id"])   # finance is not on the project: a company role
    assert review["candidate_roles"] == ["finance"]
    assert complete(people["fin"], review["id"]).get_json()["status"] == "approved"


def test_a_task_nobody_on_the_project_holds_is_an_incident_the_administrator_reassigns(
        people: dict[str, Any]) -> None:
    record = claim(people, project="empty", code="BX-2")
    assert all(tasks(people[name]) == [] for name in ("pm", "pm2", "outsider", "finpm", "boss"))
    assert people["pm"].get("/tasks/incidents").status_code == 403
    [incident] = people["boss"].get("/tasks/incidents").get_json()["items"]
    assert incident["record_id"] == record["id"] and incident["incident"] == "no_candidate"
    refused = complete(people["boss"], incident["id"])   # the administrator may do everything but approve
    assert refused.status_code == 403 and refused.get_json()["error"]["message_code"] == "admin_not_approver"
    assert people["pm"].post(f"/tasks/{incident['id']}/reassign", {"users": ["pm"]}).status_code == 403
    for bad in ({"users": []}, {"users": "pm"}, {"users": ["nobody"]}, {}):
        assert people["boss"].post(f"/tasks/{incident['id']}/reassign", bad).status_code == 400, bad
    unreadable = people["boss"].post(f"/tasks/{incident['id']}/reassign", {"users": ["clerk"]})
    assert unreadable.status_code == 400 and "clerk" in unreadable.get_json()["error"]["message"]
    moved = people["boss"].post(f"/tasks/{incident['id']}/reassign", {"users": ["outsider"]})
    assert moved.status_code == 200 and moved.get_json()["incident"] is None
    assert people["boss"].get("/tasks/incidents").get_json()["items"] == []
    assert [t["id"] for t in tasks(people["outsider"])] == [incident["id"]]
    assert complete(people["outsider"], incident["id"]).get_json()["status"] == "approved"
    history = people["boss"].get(f"/records/expense/claim/{record['id']}/history").get_json()["items"]
    assert any(h["action"] == "task.reassign" and h["actor"] == "boss" for h in history)


def test_the_incidents_page_lets_the_administrator_reassign(people: dict[str, Any], client: FlaskClient,
                                                            tenant: str) -> None:
    claim(people, project="empty", code="BX-2")
    boss = sign_in(client, tenant, "boss")
    page = boss.text("/tasks")
    assert "Tasks nobody was offered" in page and "Role needed: project_manager" in page
    [incident] = people["boss"].get("/tasks/incidents").get_json()["items"]
    assert boss.post(f"/tasks/{incident['id']}/reassign", {"users": "outsider"}).status_code == 302
    assert [t["id"] for t in tasks(people["outsider"])] == [incident["id"]]
    assert "Tasks nobody was offered" not in sign_in(client, tenant, "pm").text("/tasks")


def test_the_administrator_does_not_approve_what_is_not_offered_to_them(people: dict[str, Any]) -> None:
    record = claim(people)
    assert tasks(people["boss"]) == []
    [task] = tasks(people["pm"], record["id"])
    for path, body in (("complete", {"decision": "approve"}), ("claim", None), ("delegate", {"to": "boss"})):
        refused = people["boss"].post(f"/tasks/{task['id']}/{path}", body)
        assert refused.status_code == 403, (path, refused.get_json())
    assert people["boss"].get(f"/records/expense/claim/{record['id']}").get_json()["status"] == "in_review"


# -- separation of duties -----------------------------------------------------------------------------------------

def test_the_submitter_does_not_approve_their_own_claim_another_member_does(people: dict[str, Any]) -> None:
    record = claim(people, by="pm")
    assert tasks(people["pm"]) == []   # the inbox does not offer it
    [task] = tasks(people["pm2"], record["id"])
    refused = complete(people["pm"], task["id"])
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "separation_of_duties" and error["message_code"] == "sod_own_submission"
    assert "you submitted this" in error["message"]
    assert people["pm"].post(f"/tasks/{task['id']}/claim").get_json()["error"]["code"] == "separation_of_duties"
    assert complete(people["pm2"], task["id"]).get_json()["status"] == "approved"


def test_one_person_does_not_approve_two_steps_of_the_same_approval(people: dict[str, Any]) -> None:
    record = claim(people, amount="9000")
    [first] = tasks(people["finpm"], record["id"])
    assert complete(people["finpm"], first["id"]).status_code == 200
    assert tasks(people["finpm"], record["id"]) == []   # finance review: finpm holds finance, but approved step 1
    [second] = tasks(people["fin"], record["id"])
    refused = complete(people["finpm"], second["id"])
    assert refused.status_code == 403 and refused.get_json()["error"]["message_code"] == "sod_other_step"
    assert "Project manager review" in refused.get_json()["error"]["message"]
    assert complete(people["fin"], second["id"]).get_json()["status"] == "approved"


# -- out-of-office delegation -------------------------------------------------------------------------------------

def test_a_delegate_sees_and_decides_on_behalf_of_the_absent_colleague(people: dict[str, Any],
                                                                       client: FlaskClient) -> None:
    record = claim(people)
    assert put_delegation(client, people["pm"], {"to": "fin", "from": TODAY.isoformat(),
                                                 "until": (TODAY + timedelta(days=3)).isoformat()}).status_code == 200
    mine = people["pm"].get("/me/delegation").get_json()["delegation"]
    assert mine == {"to": "fin", "from": TODAY.isoformat(), "until": (TODAY + timedelta(days=3)).isoformat(),
                    "active": True}
    [task] = tasks(people["fin"], record["id"])
    assert task["on_behalf_of"] == "pm"
    assert [t["on_behalf_of"] for t in tasks(people["pm"])] == [None]   # still offered to pm too
    assert complete(people["fin"], task["id"]).get_json()["status"] == "approved"
    history = people["alice"].get(f"/records/expense/claim/{record['id']}/history").get_json()["items"]
    [done] = [h for h in history if h["action"] == "task.complete"]
    assert done["actor"] == "fin" and "(on behalf of pm)" in done["note"]


def test_a_delegation_applies_only_on_its_days_and_ends_when_deleted(people: dict[str, Any],
                                                                     client: FlaskClient) -> None:
    record = claim(people)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert put_delegation(client, people["pm"], {"to": "fin", "from": tomorrow, "until": tomorrow}).status_code == 200
    assert people["pm"].get("/me/delegation").get_json()["delegation"]["active"] is False
    assert tasks(people["fin"], record["id"]) == []
    [task] = tasks(people["pm"], record["id"])
    assert complete(people["fin"], task["id"]).status_code == 403
    put_delegation(client, people["pm"], {"to": "fin", "until": tomorrow})   # from: today by default
    assert len(tasks(people["fin"], record["id"])) == 1
    assert client.delete("/api/v1/me/delegation", headers=people["pm"].headers).status_code == 204
    assert people["pm"].get("/me/delegation").get_json()["delegation"] is None
    assert tasks(people["fin"], record["id"]) == []


@pytest.mark.parametrize("body, code", [
    ({"to": "pm", "until": "2099-01-01"}, "delegation_self"),
    ({"to": "nobody", "until": "2099-01-01"}, "delegation_bad_user"),
    ({"to": ["fin"], "until": "2099-01-01"}, "delegation_bad_user"),
    ({"to": "fin", "until": "soon"}, "delegation_bad_date"),
    ({"to": "fin"}, "delegation_bad_date"),
    ({"to": "fin", "from": "2099-01-05", "until": "2099-01-01"}, "delegation_dates_order"),
    ({"to": "fin", "from": "2000-01-01", "until": "2000-01-02"}, "delegation_in_past"),
])
def test_a_bad_delegation_is_refused_with_a_clear_400(people: dict[str, Any], client: FlaskClient,
                                                      body: dict[str, Any], code: str) -> None:
    refused = put_delegation(client, people["pm"], body)
    assert refused.status_code == 400 and refused.get_json()["error"]["message_code"] == code
    assert people["pm"].get("/me/delegation").get_json()["delegation"] is None


def test_a_delegate_does_not_approve_their_own_submission(people: dict[str, Any], client: FlaskClient) -> None:
    record = claim(people, by="pm2")
    put_delegation(client, people["pm"], {"to": "pm2", "until": TODAY.isoformat()})
    assert tasks(people["pm2"], record["id"]) == []
    [task] = tasks(people["pm"], record["id"])
    refused = complete(people["pm2"], task["id"])
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "separation_of_duties"


def test_nobody_approves_on_behalf_of_the_submitter(people: dict[str, Any], client: FlaskClient) -> None:
    record = claim(people, by="pm")
    put_delegation(client, people["pm"], {"to": "fin", "until": TODAY.isoformat()})
    assert tasks(people["fin"], record["id"]) == []
    [task] = tasks(people["pm2"], record["id"])
    refused = complete(people["fin"], task["id"])
    assert refused.status_code == 403 and refused.get_json()["error"]["message_code"] == "sod_principal"


def test_the_inbox_page_says_on_whose_behalf_and_sets_a_delegation(people: dict[str, Any], client: FlaskClient,
                                                                   tenant: str) -> None:
    claim(people)
    pm = sign_in(client, tenant, "pm", language="zh")
    assert "外出委托" in pm.text("/tasks")
    saved = pm.post("/tasks/delegation", {"to": "fin", "from": "", "until": TODAY.isoformat()})
    assert saved.status_code == 302
    assert people["pm"].get("/me/delegation").get_json()["delegation"]["to"] == "fin"
    fin = sign_in(client.application.test_client(), tenant, "fin", language="zh")   # a browser of its own
    assert "代 pm 审批" in fin.text("/tasks")
    refused = pm.post("/tasks/delegation", {"to": "pm", "until": TODAY.isoformat()})
    assert refused.status_code == 302 and "不能委托给自己" in pm.text("/tasks")
    assert pm.post("/tasks/delegation/end", {}).status_code == 302
    assert people["pm"].get("/me/delegation").get_json()["delegation"] is None


def test_a_new_tasks_notice_goes_to_the_members_it_is_offered_to_not_to_every_holder(
        engine: Formwork, tenant: str, people: dict[str, Any]) -> None:
    if plugin.name not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    with engine.db.tenant(tenant) as session:
        plugin_registry.set_enabled(session, tenant, "notify", True, settings={})
    record = claim(people)
    engine.run_jobs()
    store = engine.plugins.store("notify", tenant)
    assert store.list("notifications", owner=["role:project_manager"], limit=10) == []
    notices = store.list("notifications", owner=["pm", "pm2", "outsider", "finpm"], limit=10)
    assert sorted(n["owner"] for n in notices if n["record_id"] == record["id"]) == ["finpm", "pm", "pm2"]
    assert people["outsider"].get("/notifications").get_json()["items"] == []
    assert [n["record_id"] for n in people["pm2"].get("/notifications").get_json()["items"]] == [record["id"]]
