"""A task exists for a user only if the user may read its record under the row filters of their roles."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import add_user, decide, login, tasks
from tests.modules.test_labor import create_ticket, submit, ticket_body
from tests.modules.test_labor import world as labor_world  # noqa: F401  (the labor fixture, used by name)
from tests.web.conftest import sign_in


@pytest.fixture
def world(labor_world: dict[str, Any], engine: Formwork, tenant: str,  # noqa: F811
          client: FlaskClient) -> dict[str, Any]:
    """The labor world (`site` is a member of project XM-0001 only) with a ticket of each project waiting for
    the site engineer's sign-off; XM-0002 has no site engineer, so its task is an incident the administrator sees."""
    add_user(engine, tenant, "boss", "admin")
    users = labor_world["users"]
    users["boss"] = login(client, tenant, "boss")
    own = create_ticket(users["cost"], ticket_body(labor_world, 1, unit_price="400"))
    foreign = create_ticket(users["lead2"], ticket_body(labor_world, 2, project=labor_world["other"]["id"],
                                                        crew=labor_world["crews"]["other"]["id"]))
    submit(users["cost"], "day_labor_ticket", own["id"])
    submit(users["lead2"], "day_labor_ticket", foreign["id"])
    [foreign_task] = [t for t in users["boss"].get("/tasks/incidents").get_json()["items"]
                      if t["record_id"] == foreign["id"]]
    assert foreign_task["candidate_roles"] == ["site_engineer"] and foreign_task["incident"] == "no_candidate"
    return {**labor_world, "own": own, "foreign": foreign, "foreign_task": foreign_task}


def test_a_task_of_a_record_outside_my_row_filter_is_not_listed(world: dict[str, Any]) -> None:
    site = world["users"]["site"]
    assert site.get(f"/records/labor/day_labor_ticket/{world['foreign']['id']}").status_code == 404
    listed = site.get("/tasks").get_json()
    assert [t["record_id"] for t in listed["items"]] == [world["own"]["id"]] and listed["total"] == 1


def test_a_task_of_a_record_outside_my_row_filter_cannot_be_completed_claimed_or_delegated(
        world: dict[str, Any]) -> None:
    site, task_id = world["users"]["site"], world["foreign_task"]["id"]
    for path, body in ((f"/tasks/{task_id}/complete", {"decision": "approve"}), (f"/tasks/{task_id}/claim", None),
                       (f"/tasks/{task_id}/delegate", {"to": "site"})):
        response = site.post(path, body)   # a site engineer, but not on that project: told so, shown nothing
        assert response.status_code == 403, (path, response.get_json())
        assert response.get_json()["error"]["message_code"] == "task_project_members_only"
        assert world["foreign"]["data"]["ticket_no"] not in str(response.get_json())
        assert "data" not in response.get_json()
    outsider = world["users"]["lead"].post(f"/tasks/{task_id}/complete", {"decision": "approve"})
    assert outsider.status_code == 404   # no role of the task: as if it did not exist
    assert outsider.get_json()["error"]["message"] == f"task {task_id!r} does not exist"
    incidents = world["users"]["boss"].get("/tasks/incidents").get_json()["items"]
    assert [t for t in incidents if t["id"] == task_id] == [world["foreign_task"]]   # untouched
    assert world["users"]["boss"].get(f"/records/labor/day_labor_ticket/{world['foreign']['id']}"
                                      ).get_json()["status"] == "in_review"


def test_a_decided_task_of_an_unreadable_record_does_not_say_who_decided_it(world: dict[str, Any]) -> None:
    task_id = world["foreign_task"]["id"]
    boss = world["users"]["boss"]
    assert boss.post(f"/tasks/{task_id}/reassign", {"users": ["costdept"]}).status_code == 200
    assert decide(world["users"]["costdept"], world["foreign"]["id"], "reject")["status"] == "rejected"
    again = world["users"]["site"].post(f"/tasks/{task_id}/complete", {"decision": "approve"})
    assert again.status_code == 403 and "costdept" not in again.get_json()["error"]["message"]


def test_the_tasks_i_may_see_carry_only_the_fields_i_may_read(world: dict[str, Any]) -> None:
    site = world["users"]["site"]
    [task] = tasks(site, world["own"]["id"])
    assert "amount" not in task["record"]["summary"] and "unit_price" not in task["record"]["summary"]
    signed = decide(site, world["own"]["id"])
    assert "amount" not in signed["data"] and "unit_price" not in signed["data"]
    assert signed["data"]["headcount"] == 2


def test_a_task_is_not_delegated_to_someone_who_may_not_read_its_record(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "site_out", "site_engineer")   # a site engineer of no project
    site = world["users"]["site"]
    [task] = tasks(site, world["own"]["id"])
    refused = site.post(f"/tasks/{task['id']}/delegate", {"to": "site_out"})
    assert refused.status_code == 400 and "site_out" in refused.get_json()["error"]["message"]
    assert tasks(login(client, tenant, "site_out")) == []
    assert site.post(f"/tasks/{task['id']}/delegate", {"to": "prod"}).status_code == 200   # a member of XM-0001


def test_the_inbox_pages_and_counts_leave_out_tasks_of_unreadable_records(world: dict[str, Any],
                                                                          client: FlaskClient, tenant: str) -> None:
    visitor = sign_in(client, tenant, "site")
    inbox = visitor.text("/tasks")
    assert "1 open tasks" in inbox
    assert world["own"]["data"]["ticket_no"] in inbox and world["foreign"]["data"]["ticket_no"] not in inbox
    assert world["foreign_task"]["id"] not in visitor.text("/")
    done = visitor.post(f"/tasks/{world['foreign_task']['id']}/complete", {"decision": "approve"})
    assert done.status_code == 302
    assert world["users"]["boss"].get(f"/records/labor/day_labor_ticket/{world['foreign']['id']}"
                                      ).get_json()["status"] == "in_review"
