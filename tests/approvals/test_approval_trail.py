"""GET /records/<m>/<e>/<id>/approval: the steps an approval took and with whom it waits, for readers only."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.runtime import Formwork
from engine.storage.models import User
from tests.conftest import Api, add_user, api_creator, decide, login, new_project, tasks
from tests.modules.helpers_finance import post, route, setup_world, submit
from tests.modules.test_cost import budget_with_lines, change_body, line_body


@pytest.fixture
def people(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    for name, role in (("alice", "applicant"), ("bob", "applicant"), ("pm", "project_manager"),
                       ("pm2", "project_manager"), ("gone", "project_manager"), ("fin", "finance"),
                       ("boss", "admin")):
        add_user(engine, tenant, name, role)
    with engine.db.tenant(tenant) as session:
        session.scalars(select(User).where(User.username == "gone")).one().is_active = False
    return {name: login(client, tenant, name) for name in ("alice", "bob", "pm", "pm2", "fin", "boss")}


def submitted_claim(people: dict[str, Api], amount: str = "100") -> dict[str, Any]:
    project = new_project(api_creator(people["boss"]), "TR-1", members=[   # the project roles' members take its tasks
        {"user": name, "position": "project_manager"} for name in ("pm", "pm2", "gone")])
    claim = post(people["alice"], "expense", "claim", {"code": "BX-9", "project": project["id"], "date": "2024-05-01",
                                                       "lines": [{"item": "taxi", "qty": 1, "price": amount}]})
    submit(people["alice"], "expense", "claim", claim["id"])
    return claim


def approval(api: Api, record_id: str) -> Any:
    return api.get(f"/records/expense/claim/{record_id}/approval")


def test_a_submitted_record_waits_on_the_active_holders_of_the_steps_role(people: dict[str, Api]) -> None:
    claim = submitted_claim(people)
    response = approval(people["alice"], claim["id"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["steps"] == []
    [pending] = body["pending"]
    assert set(pending) == {"task_id", "title", "candidates", "due_at"}
    assert pending["title"] == "Project manager review" and pending["due_at"] is None
    assert pending["candidates"] == ["pm", "pm2"]                 # not the deactivated 'gone', not the admin
    assert pending["task_id"] == tasks(people["pm"], claim["id"])[0]["id"]


def test_a_decided_step_names_its_actor_decision_comment_and_time_and_the_next_step_waits(
        people: dict[str, Api]) -> None:
    claim = submitted_claim(people, amount="9000")                 # large: finance reviews after the manager
    decide(people["pm"], claim["id"], "approve", "同意报销")
    body = approval(people["alice"], claim["id"]).get_json()
    [step] = body["steps"]
    assert (step["title"], step["actor"], step["actor_name"], step["decision"], step["comment"]) == (
        "Project manager review", "pm", "pm", "approve", "同意报销")
    assert step["time"].endswith("+00:00")
    [pending] = body["pending"]
    assert (pending["title"], pending["candidates"]) == ("Finance review", ["fin"])
    decide(people["fin"], claim["id"], "approve")
    done = approval(people["alice"], claim["id"]).get_json()
    assert [s["actor"] for s in done["steps"]] == ["pm", "fin"] and done["pending"] == []


def test_a_claimed_task_waits_on_its_assignee_only(people: dict[str, Api]) -> None:
    claim = submitted_claim(people)
    [task] = tasks(people["pm2"], claim["id"])
    assert people["pm2"].post(f"/tasks/{task['id']}/claim").status_code == 200
    [pending] = approval(people["alice"], claim["id"]).get_json()["pending"]
    assert pending["candidates"] == ["pm2"]


def test_who_may_not_read_the_record_gets_404_as_for_the_record_itself(people: dict[str, Api]) -> None:
    claim = submitted_claim(people)
    other = approval(people["bob"], claim["id"])                    # an applicant: only their own claims
    assert other.status_code == 404 == people["bob"].get(f"/records/expense/claim/{claim['id']}").status_code
    assert "candidates" not in str(other.get_json())
    missing = approval(people["alice"], "no-such-record")
    assert missing.status_code == 404


# --- a role whose rows are filtered: only its holders who may read the record are waited on ---------------


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    built = setup_world(engine, tenant, client)
    add_user(engine, tenant, "pm_elsewhere", "project_manager")    # a project manager, not a member of the project
    built["users"]["pm_elsewhere"] = login(client, tenant, "pm_elsewhere")
    return built


def test_holders_of_a_role_who_may_not_read_the_record_are_not_waited_on(world: dict[str, Any]) -> None:
    budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    users = world["users"]
    order = post(users["site"], "cost", "change_order", change_body(world))
    submit(users["site"], "cost", "change_order", order["id"])
    route(world, order["id"], "cost", data={"cost": {"approved_amount": "6000.00"}})
    body = users["site"].get(f"/records/cost/change_order/{order['id']}/approval").get_json()
    [pending] = body["pending"]
    assert pending["candidates"] == ["pm"]                          # not pm_elsewhere, who cannot read it
    assert not tasks(users["pm_elsewhere"], order["id"])
    assert [(s["actor"], s["decision"]) for s in body["steps"]] == [("cost", "approve")]
    assert "6000" not in str(body)                                  # no field values travel with the trail
    outsider = users["pm_elsewhere"].get(f"/records/cost/change_order/{order['id']}/approval")
    assert outsider.status_code == 404
