"""The approval idioms of issue 16 over the REST API: 退回 to the previous or any completed step, 加签 before and
after a step, 抄送 (cc) with its read grant, and 催办 (remind) at most once an hour — and what each must refuse."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.workflow_models import ProcessInstance
from engine.tenancy import plugin_registry
from tests.conftest import Api, add_user, login, new_tenant_id

PEOPLE = {"sub": ("clerk",), "kim": ("clerk",), "mia": ("manager",), "max": ("manager",), "rob": ("manager",),
          "dan": ("director",), "fay": ("finance",), "cat": ("visitor",), "aud": ("auditor",), "ann": ("admin",)}
BASE = "/records/signoff/chain"


@pytest.fixture
def api(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "signoff", True, engine.catalog.modules())
    for name, roles in PEOPLE.items():
        add_user(engine, tenant, name, *roles)
    return {name: login(client, tenant, name) for name in PEOPLE}


@pytest.fixture
def notify(engine: Formwork, tenant: str) -> Iterator[None]:
    """The notify plugin on for the tenant; its hook jobs left at the end are run (other tests count jobs)."""
    if "notify" not in plugin_registry.loaded():
        pytest.skip("the notify plugin is not installed (make install installs it)")
    with engine.db.tenant(tenant) as session:
        plugin_registry.set_enabled(session, tenant, "notify", True, settings={})
    yield
    engine.run_jobs()


def submit(api: dict[str, Api], who: str = "sub", **data: Any) -> dict[str, Any]:
    body = {"code": f"S-{len(data)}-{who}", "total": "100", "secret": "88", **data}
    created = api[who].post(BASE, body)
    assert created.status_code == 201, created.get_json()
    response = api[who].post(f"{BASE}/{created.get_json()['id']}/submit")
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def tasks(user: Api) -> list[dict[str, Any]]:
    return list(user.get("/tasks").get_json()["items"])


def task_of(user: Api, title: str | None = None) -> dict[str, Any]:
    found = [t for t in tasks(user) if title is None or t["title"] == title]
    assert len(found) == 1, tasks(user)
    return found[0]


def decide(user: Api, body: dict[str, Any], title: str | None = None, status: int = 200) -> dict[str, Any]:
    response = user.post(f"/tasks/{task_of(user, title)['id']}/complete", body)
    assert response.status_code == status, response.get_json()
    return dict(response.get_json())


def history(user: Api, record_id: str) -> list[dict[str, Any]]:
    return list(user.get(f"{BASE}/{record_id}/history").get_json()["items"])


# -- 退回 ---------------------------------------------------------------------------------------------------------


def test_return_to_previous_reopens_the_step_for_whoever_did_it(api: dict[str, Api]) -> None:
    record = submit(api)
    decide(api["mia"], {"decision": "approve"})
    returned = decide(api["dan"], {"decision": "return", "to": "previous", "comment": "补充说明"})
    assert returned["status"] == "in_review"
    assert tasks(api["dan"]) == [] and tasks(api["max"]) == []
    again = task_of(api["mia"])
    assert (again["title"], again["assignee"]) == ("Manager approval", "mia")
    changed = decide(api["mia"], {"decision": "approve", "data": {"note": "说明已补充"}})
    assert changed["data"]["note"] == "说明已补充"
    assert task_of(api["dan"])["title"] == "Director approval"   # the steps after it run again
    decide(api["dan"], {"decision": "approve"})
    assert decide(api["fay"], {"decision": "approve"})["status"] == "approved"
    entry = next(h for h in history(api["sub"], record["id"]) if h["action"] == "task.return")
    assert entry["actor"] == "dan" and "退回到「Manager approval」" in entry["note"] and "补充说明" in entry["note"]
    assert entry["after"]["to"] == "manager_approve"


def test_return_to_any_completed_step_then_back_through_the_steps_that_follow(api: dict[str, Api]) -> None:
    submit(api)
    decide(api["max"], {"decision": "approve"})
    decide(api["dan"], {"decision": "approve"})
    decide(api["fay"], {"decision": "return", "to": "manager_approve"})
    assert task_of(api["max"])["assignee"] == "max"
    assert tasks(api["mia"]) == [] and tasks(api["fay"]) == []
    decide(api["max"], {"decision": "approve"})
    decide(api["dan"], {"decision": "approve"})
    assert decide(api["fay"], {"decision": "approve"})["status"] == "approved"


def test_return_to_the_submitters_step_makes_the_record_theirs_to_edit(api: dict[str, Api]) -> None:
    record = submit(api)
    path = f"{BASE}/{record['id']}"
    decide(api["mia"], {"decision": "return", "to": "previous"})   # nothing done before: back to the submitter
    assert api["sub"].get(path).get_json()["status"] == "returned"
    assert api["sub"].post(f"{path}/submit").status_code == 200
    decide(api["mia"], {"decision": "approve"})
    back = decide(api["dan"], {"decision": "return", "to": "resubmit"})
    assert back["status"] == "returned"
    assert task_of(api["sub"])["title"] == "Revise and resubmit"
    current = api["sub"].get(path).get_json()
    edited = api["sub"].patch(path, {"version": current["version"], "data": {"note": "改好了"}})
    assert edited.status_code == 200, edited.get_json()
    assert api["sub"].post(f"{path}/submit").get_json()["status"] == "in_review"
    assert task_of(api["mia"])["title"] == "Manager approval"


def test_return_to_a_step_not_done_or_unknown_is_refused(api: dict[str, Api]) -> None:
    record = submit(api)
    decide(api["mia"], {"decision": "approve"})
    for to, code in (("finance_review", "return_target_not_done"), ("resubmit", "return_target_not_done"),
                     ("nope", "return_target_unknown"), (7, "return_target_unknown")):
        error = decide(api["dan"], {"decision": "return", "to": to}, status=400)["error"]
        assert error["message_code"] == code, error
    assert api["sub"].get(f"{BASE}/{record['id']}").get_json()["status"] == "in_review"
    assert task_of(api["dan"])["title"] == "Director approval"   # nothing moved
    task = task_of(api["dan"])
    refused = api["mia"].post(f"/tasks/{task['id']}/complete", {"decision": "return", "to": "previous"})
    assert refused.status_code == 403   # not mia's step to return


# -- 加签 ---------------------------------------------------------------------------------------------------------


def test_add_signer_before_the_step_then_it_comes_back_to_its_performer(api: dict[str, Api]) -> None:
    record = submit(api)
    step = task_of(api["mia"])
    added = decide(api["mia"], {"decision": "add_signer", "users": ["rob"], "position": "before",
                                "comment": "请先看看"})
    assert added["status"] == "in_review"
    assert tasks(api["mia"]) == [] and tasks(api["max"]) == []
    waiting = api["mia"].post(f"/tasks/{step['id']}/complete", {"decision": "approve"})
    assert waiting.status_code == 409 and waiting.get_json()["error"]["message_code"] == "task_waiting_signers"
    signer = task_of(api["rob"])
    assert (signer["title"], signer["assignee"]) == ("加签: Manager approval", "rob")
    decide(api["rob"], {"decision": "approve", "comment": "没问题"})
    back = task_of(api["mia"])
    assert (back["id"], back["assignee"]) == (step["id"], "mia")
    decide(api["mia"], {"decision": "approve"})
    assert task_of(api["dan"])["title"] == "Director approval"
    actions = [(h["action"], h["actor"]) for h in history(api["sub"], record["id"])]
    assert ("task.add_signer", "mia") in actions and ("task.complete", "rob") in actions
    note = next(h["note"] for h in history(api["sub"], record["id"]) if h["action"] == "task.add_signer")
    assert note == "Manager approval: 前加签 rob — 请先看看"


def test_add_signer_after_holds_the_approval_until_every_signer_approves(api: dict[str, Api]) -> None:
    record = submit(api)
    decide(api["mia"], {"decision": "add_signer", "users": ["rob", "max"], "position": "after",
                        "comment": "同意，请会签", "data": {"note": "后加签"}})
    assert tasks(api["dan"]) == []
    decide(api["rob"], {"decision": "approve"})
    assert tasks(api["dan"]) == []   # max has not signed yet
    done = decide(api["max"], {"decision": "approve"})
    assert done["status"] == "in_review" and done["data"]["note"] == "后加签"
    assert task_of(api["dan"])["title"] == "Director approval"
    step = next(h for h in history(api["sub"], record["id"])
                if h["action"] == "task.complete" and h["after"]["task"] == "manager_approve"
                and "added" not in h["after"])
    assert (step["actor"], step["after"]["decision"], step["after"]["comment"]) == ("mia", "approve", "同意，请会签")


def test_an_added_signers_rejection_rejects_the_step(api: dict[str, Api]) -> None:
    submit(api)
    decide(api["mia"], {"decision": "add_signer", "users": ["rob", "max"], "position": "after"})
    assert decide(api["rob"], {"decision": "reject", "comment": "超预算"})["status"] == "rejected"
    assert tasks(api["max"]) == [] and tasks(api["mia"]) == []


def test_add_signer_refuses_who_cannot_sign(api: dict[str, Api]) -> None:
    record = submit(api)
    cases = [({"users": ["cat"]}, "add_signer_cannot_read"),    # may not read the record
             ({"users": ["kim"]}, "add_signer_cannot_read"),    # a clerk reads only their own records
             ({"users": ["ghost"]}, "add_signer_unknown_user"),
             ({"users": ["mia"]}, "add_signer_self"),
             ({"users": []}, "add_signer_no_users"),
             ({"users": "rob"}, "add_signer_no_users"),
             ({"users": ["rob"], "position": "middle"}, "add_signer_bad_position")]
    for body, code in cases:
        error = decide(api["mia"], {"decision": "add_signer", "position": "before", **body}, status=400)["error"]
        assert error["message_code"] == code, (body, error)
    with_data = decide(api["mia"], {"decision": "add_signer", "users": ["rob"], "position": "after",
                                    "data": {"total": "1"}}, status=400)
    assert with_data["error"]["message_code"] == "task_may_not_change"
    step = task_of(api["mia"])
    assert api["dan"].post(f"/tasks/{step['id']}/complete", {"decision": "add_signer", "users": ["rob"],
                                                             "position": "before"}).status_code == 403
    decide(api["mia"], {"decision": "add_signer", "users": ["rob"], "position": "before"})
    nested = decide(api["rob"], {"decision": "add_signer", "users": ["max"], "position": "before"}, status=400)
    assert nested["error"]["message_code"] == "add_signer_on_added"
    added = next(h for h in history(api["sub"], record["id"]) if h["action"] == "task.add_signer")
    assert added["after"]["users"] == ["rob"]


# -- 抄送 ---------------------------------------------------------------------------------------------------------


def test_cc_lets_the_named_user_read_that_record_only_and_not_its_hidden_fields(
        engine: Formwork, tenant: str, api: dict[str, Api]) -> None:
    record = submit(api)
    other = submit(api, code="S-other")
    path = f"{BASE}/{record['id']}"
    assert api["cat"].get(path).status_code == 403
    for task in tasks(api["mia"]):
        if task["record_id"] == record["id"]:
            assert api["mia"].post(f"/tasks/{task['id']}/complete", {"decision": "approve"}).status_code == 200
    seen = api["cat"].get(path)
    assert seen.status_code == 200, seen.get_json()
    assert seen.get_json()["data"]["code"] == record["data"]["code"] and "secret" not in seen.get_json()["data"]
    assert all("secret" not in (h["after"] or {}) and "secret" not in (h["before"] or {})
               for h in history(api["cat"], record["id"]))
    assert any(h["action"] == "task.cc" for h in history(api["cat"], record["id"]))
    assert api["cat"].get(f"{BASE}/{other['id']}").status_code == 403   # another record: not copied
    assert api["cat"].get(BASE).status_code == 403                      # no list
    assert api["cat"].patch(path, {"version": 1, "data": {"note": "x"}}).status_code == 403
    assert api["cat"].post(f"{path}/remind").status_code == 403
    step = task_of(api["dan"])
    assert api["cat"].post(f"/tasks/{step['id']}/complete", {"decision": "approve"}).status_code == 403
    assert tasks(api["cat"]) == []


def test_a_cc_grant_stays_in_its_tenant(engine: Formwork, tenant: str, client: FlaskClient,
                                        api: dict[str, Api]) -> None:
    record = submit(api)
    decide(api["mia"], {"decision": "approve"})
    assert api["cat"].get(f"{BASE}/{record['id']}").status_code == 200
    other = new_tenant_id()
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other, plan="enterprise")
        tenancy.set_module_enabled(session, other, "signoff", True, engine.catalog.modules())
    add_user(engine, other, "cat", "visitor")
    add_user(engine, other, "boss", "admin")
    for name in ("cat", "boss"):
        assert login(client, other, name).get(f"{BASE}/{record['id']}").status_code in (403, 404)


def test_cc_of_the_process_reaches_its_role_when_it_ends_and_is_notified(
        engine: Formwork, notify: None, api: dict[str, Api]) -> None:
    record = submit(api)
    path = f"{BASE}/{record['id']}"
    decide(api["mia"], {"decision": "approve"})
    decide(api["dan"], {"decision": "approve"})
    assert api["aud"].get(path).status_code == 403   # not before the process ends
    assert decide(api["fay"], {"decision": "approve"})["status"] == "approved"
    seen = api["aud"].get(path)
    assert seen.status_code == 200 and "secret" not in seen.get_json()["data"]
    engine.run_jobs()
    for user, step in (("cat", "Manager approval"), ("aud", "Sign-off chain")):
        title = f"抄送 / Copied to you: {step}"
        items = api[user].get("/notifications").get_json()["items"]
        assert title in [item["title"] for item in items], items


# -- 催办 ---------------------------------------------------------------------------------------------------------


def test_remind_notifies_whom_the_record_waits_on_at_most_once_an_hour(
        engine: Formwork, tenant: str, notify: None, api: dict[str, Api]) -> None:
    record = submit(api)
    path = f"{BASE}/{record['id']}/remind"
    assert api["mia"].post(path).get_json()["error"]["message_code"] == "remind_not_submitter"
    assert api["kim"].post(path).status_code == 404   # another clerk may not even see it
    sent = api["sub"].post(path)
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["reminded"][0]["to"] == ["role:manager"]
    again = api["sub"].post(path)
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert (error["code"], error["message_code"]) == ("remind_too_soon", "remind_too_soon")
    assert 59 <= error["params"]["minutes"] <= 60
    assert api["ann"].post(path).status_code == 409   # per record, whoever asks
    engine.run_jobs()
    titles = [item["title"] for item in api["mia"].get("/notifications").get_json()["items"]]
    assert "催办 / Reminder: Manager approval" in titles
    assert "催办 / Reminder: Manager approval" not in [
        item["title"] for item in api["dan"].get("/notifications").get_json()["items"]]
    with engine.db.tenant(tenant) as session:   # an hour later
        session.execute(update(ProcessInstance).values(reminded_at=datetime.now(UTC) - timedelta(minutes=61)))
    decide(api["mia"], {"decision": "approve"})
    step = task_of(api["dan"])
    assert api["dan"].post(f"/tasks/{step['id']}/remind").status_code == 403   # the submitter's, not dan's
    later = api["sub"].post(f"/tasks/{step['id']}/remind")
    assert later.status_code == 200 and later.get_json()["reminded"][0]["to"] == ["role:director"]
    notes = [h["note"] for h in history(api["sub"], record["id"]) if h["action"] == "process.remind"]
    assert notes == ["催办: Manager approval → role:manager", "催办: Director approval → role:director"]


def test_remind_needs_an_open_review(api: dict[str, Api]) -> None:
    created = api["sub"].post(BASE, {"code": "S-draft", "total": "1"}).get_json()
    response = api["sub"].post(f"{BASE}/{created['id']}/remind")
    assert response.status_code == 409 and response.get_json()["error"]["message_code"] == "not_under_review"


def test_a_countersign_step_cannot_be_returned_to(api: dict[str, Api]) -> None:
    body = {"code": "P-1", "total": "5", "approvers": ["mia", "max"]}
    created = api["sub"].post("/records/signoff/panel", body).get_json()
    assert api["sub"].post(f"/records/signoff/panel/{created['id']}/submit").status_code == 200
    decide(api["mia"], {"decision": "approve"})
    decide(api["max"], {"decision": "approve"})
    for to in ("previous", "countersign"):
        error = decide(api["dan"], {"decision": "return", "to": to}, status=400)["error"]
        assert error["message_code"] == "return_target_multi_instance"
    path = f"/records/signoff/panel/{created['id']}"
    assert api["aud"].get(path).status_code == 403
    assert decide(api["dan"], {"decision": "approve"})["status"] == "approved"
    for reader in ("aud", "cat"):   # the entity's workflow declares cc: [auditor, "user:cat"]
        seen = api[reader].get(path)
        assert seen.status_code == 200 and "secret" not in seen.get_json()["data"]
