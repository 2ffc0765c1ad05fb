"""Every approval idiom over the REST API, with a module of YAML + BPMN the engine has never seen."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.workflow_models import Job
from tests.cli.test_cli import run
from tests.conftest import Api, add_user, login

PEOPLE = {"sam": ("director",), "mia": ("manager",), "max": ("manager",), "fay": ("finance",),
          "dan": ("director",), "ann": ("admin",), "rob": ("manager",)}


@pytest.fixture
def api(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    for name, roles in PEOPLE.items():
        add_user(engine, tenant, name, *roles)
    add_user(engine, tenant, "sub", "manager")  # submits; also a manager, so tasks must not leak to others
    return {name: login(client, tenant, name) for name in [*PEOPLE, "sub"]}


def create(api: dict[str, Api], entity: str, **data: object) -> dict:
    body = {"code": f"V-{entity}", "total": "100", **data}
    response = api["sub"].post(f"/records/visa/{entity}", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def submit(api: dict[str, Api], entity: str, **data: object) -> dict:
    record = create(api, entity, **data)
    response = api["sub"].post(f"/records/visa/{entity}/{record['id']}/submit")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def tasks(user: Api) -> list[dict]:
    return user.get("/tasks").get_json()["items"]


def decide(user: Api, decision: str = "approve", comment: str = "") -> dict:
    [task] = tasks(user)
    response = user.post(f"/tasks/{task['id']}/complete", {"decision": decision, "comment": comment})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_amount_threshold_adds_finance(api: dict[str, Api]) -> None:
    submit(api, "by_amount", total="9000")
    assert decide(api["mia"])["status"] == "in_review"
    assert [t["title"] for t in tasks(api["fay"])] == ["Finance review"]
    assert decide(api["fay"])["status"] == "approved"
    small = submit(api, "by_amount", code="V-small", total="10")
    assert small["status"] == "in_review"
    assert decide(api["mia"])["status"] == "approved"


def test_return_to_the_submitter_who_edits_and_resubmits(api: dict[str, Api]) -> None:
    record = submit(api, "returnable")
    returned = decide(api["mia"], "return", "add the photos")
    assert returned["status"] == "returned"
    assert tasks(api["mia"]) == []
    [own] = tasks(api["sub"])
    assert own["assignee"] == "sub" and own["title"] == "Revise and resubmit"
    path = f"/records/visa/returnable/{record['id']}"
    edited = api["sub"].patch(path, {"version": returned["version"], "data": {"note": "photos attached"}})
    assert edited.status_code == 200, edited.get_json()
    again = api["sub"].post(path + "/submit")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["status"] == "in_review"
    assert decide(api["max"])["status"] == "approved"
    notes = [h["note"] for h in api["sub"].get(path + "/history").get_json()["items"]]
    assert "Manager approval: return — add the photos" in notes


def test_return_is_refused_where_the_process_has_no_way_back(api: dict[str, Api]) -> None:
    submit(api, "by_amount")
    [task] = tasks(api["mia"])
    response = api["mia"].post(f"/tasks/{task['id']}/complete", {"decision": "return"})
    assert response.status_code == 400


def test_countersign_needs_everyone_and_one_rejection_rejects(api: dict[str, Api]) -> None:
    submit(api, "countersigned", approvers=["mia", "max", "rob"])
    assert {t["assignee"] for name in ("mia", "max", "rob", "ann") for t in tasks(api[name])} == {"mia", "max", "rob"}
    assert decide(api["mia"])["status"] == "in_review"
    assert decide(api["max"])["status"] == "in_review"
    assert decide(api["rob"])["status"] == "approved"
    submit(api, "countersigned", code="V-2", approvers=["mia", "max", "rob"])
    decide(api["mia"])
    assert decide(api["max"], "reject", "too expensive")["status"] == "rejected"
    assert tasks(api["rob"]) == []  # the remaining signature is no longer asked for


def test_or_sign_first_approval_wins(api: dict[str, Api]) -> None:
    submit(api, "or_signed", approvers=["mia", "max"])
    assert len(tasks(api["mia"]) + tasks(api["max"])) == 2 and tasks(api["ann"]) == []   # the admin approves nothing
    assert decide(api["max"])["status"] == "approved"
    assert tasks(api["mia"]) == []


def test_assignment_to_the_creator_a_user_field_and_the_submitter(api: dict[str, Api]) -> None:
    submit(api, "assigned", reviewer="fay")
    assert [t["title"] for t in tasks(api["sub"])] == ["Creator confirms"]
    assert tasks(api["fay"]) == []
    decide(api["sub"])
    assert [t["assignee"] for t in tasks(api["fay"])] == ["fay"]
    decide(api["fay"])
    assert decide(api["sub"])["status"] == "done"


def test_call_activity_runs_the_called_process(api: dict[str, Api]) -> None:
    submit(api, "called")
    decide(api["mia"])
    assert [t["title"] for t in tasks(api["fay"])] == ["Finance check"]
    assert decide(api["fay"])["status"] == "approved"


def test_timer_escalation_fires_from_the_worker(engine: Formwork, tenant: str, api: dict[str, Api]) -> None:
    record = create(api, "escalating")  # workflow.start is on_create
    assert record["status"] == "in_review"
    assert [t["title"] for t in tasks(api["mia"])] == ["Manager approval"]
    assert engine.run_jobs() == (0, 0)  # nothing is due yet
    with engine.db.tenant(tenant) as session:  # the director's own deadline is a module parameter
        tenancy.set_parameter(session, tenant, "visa", "escalate_after", "PT10H", engine.catalog.modules())
    in_five_hours = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S%z")
    result = run(engine, "worker", "--once", "--at", in_five_hours)
    ran = re.fullmatch(r"jobs run: (\d+), failed: 0\n", result.stdout)   # other tenants' jobs may be due too
    assert ran is not None and int(ran.group(1)) >= 1, result.stdout
    assert tasks(api["mia"]) == []
    assert [t["title"] for t in tasks(api["sam"])] == ["Director approval (escalated)"]
    assert decide(api["sam"])["status"] == "approved"
    history = api["sub"].get(f"/records/visa/escalating/{record['id']}/history").get_json()["items"]
    assert "process.timer" in [h["action"] for h in history]


def queued_timers(engine: Formwork, tenant: str) -> list[str]:
    with engine.db.tenant(tenant) as session:
        return list(session.scalars(select(Job.key).where(Job.kind == "process.timer", Job.state == "queued")))


def test_a_decision_in_time_cancels_the_timer_and_one_without_timers_touches_no_job(
        engine: Formwork, tenant: str, api: dict[str, Api]) -> None:
    """A run that waited on a timer has its job cancelled when it moves on; a run that never had a timer (nor a
    service task to retry) has no job to cancel, and its decisions do not look for one."""
    create(api, "escalating")
    [instance] = queued_timers(engine, tenant)
    assert decide(api["mia"])["status"] == "approved"
    assert instance not in queued_timers(engine, tenant)
    submit(api, "called")
    seen: list[str] = []

    def listen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine.db.engine, "before_cursor_execute", listen)
    try:
        decide(api["mia"])
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", listen)
    assert [s for s in seen if "jobs" in s.split(" WHERE")[0]] == []


def test_a_step_may_change_the_fields_its_process_allows(api: dict[str, Api]) -> None:
    record = submit(api, "adjustable", total="9000")
    [task] = tasks(api["mia"])
    refused = api["mia"].post(f"/tasks/{task['id']}/complete",
                              {"decision": "approve", "data": {"note": "x", "total": "4000"}})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["message"] == "this task may not change note; it may change total"
    done = api["mia"].post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "trimmed",
                                                             "data": {"total": "4000"}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "approved"  # under the threshold now: no finance step
    assert done.get_json()["data"]["total"] == "4000.00"
    history = api["sub"].get(f"/records/visa/adjustable/{record['id']}/history").get_json()["items"]
    change = next(h for h in history if h["action"] == "record.update")
    assert (change["actor"], change["before"]["total"], change["after"]["total"]) == ("mia", "9000.00", "4000.00")
