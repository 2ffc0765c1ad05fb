"""What a decision may write: the step's editable fields only; process variables belong to the engine."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import decide, tasks
from tests.modules.helpers_finance import post, route, setup_world, submit
from tests.modules.test_cost import budget_with_lines, change_body, line_body
from tests.modules.test_labor import create_ticket, ticket_body
from tests.modules.test_labor import world as labor_world  # noqa: F401  (the labor fixture, used by name)


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    return setup_world(engine, tenant, client)


def big_change_order_at_the_countersign(world: dict[str, Any]) -> dict[str, Any]:
    """A 600,000 change order past the cost engineer and the project manager: cost and engineering
    departments countersign it next."""
    budget_with_lines(world, line_body(world, "0201", manual_amount="10000000"))
    order = post(world["users"]["site"], "cost", "change_order", change_body(
        world, doc_no="QZ-050", items=[{"item_name": "基坑支护变更", "quantity": "1", "unit_price": "600000"}]))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    route(world, order["id"], "cost", "pm")
    return order


def test_a_countersigner_cannot_overwrite_the_other_departments_rejection(world: dict[str, Any]) -> None:
    order = big_change_order_at_the_countersign(world)
    rejected = decide(world["users"]["engdept"], order["id"], "reject", "基坑方案不合理")
    assert rejected["status"] == "in_review"                       # waits for the other countersigner
    [task] = tasks(world["users"]["costdept"], order["id"])
    forged = world["users"]["costdept"].post(f"/tasks/{task['id']}/complete", {
        "decision": "approve", "data": {"engineering_sign_decision": "approve"}})
    assert forged.status_code == 400, forged.get_json()
    error = forged.get_json()["error"]
    assert error["code"] == "not_editable" and "engineering_sign_decision" in error["message"]
    assert error["details"]["refused"] == ["engineering_sign_decision"]
    assert tasks(world["users"]["costdept"], order["id"]) == [task]   # nothing happened
    record = decide(world["users"]["costdept"], order["id"], "approve")
    assert record["status"] == "rejected"                         # the engineering rejection stands
    assert not tasks(world["users"]["vgm"], order["id"])


@pytest.mark.parametrize("key", ["decision", "approvals", "submitter", "over_budget_note", "id", "status"])
def test_a_decision_refuses_every_key_that_is_not_an_editable_field_of_its_step(world: dict[str, Any],
                                                                                key: str) -> None:
    order = big_change_order_at_the_countersign(world)
    [task] = tasks(world["users"]["engdept"], order["id"])
    refused = world["users"]["engdept"].post(f"/tasks/{task['id']}/complete",
                                             {"decision": "approve", "data": {key: "approve"}})
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["error"]["code"] == "not_editable"
    assert key in refused.get_json()["error"]["message"]


def test_a_field_outside_the_steps_editable_fields_is_refused_and_the_editable_ones_are_named(
        world: dict[str, Any]) -> None:
    budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    order = post(world["users"]["site"], "cost", "change_order", change_body(world))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    [task] = tasks(world["users"]["cost"], order["id"])
    refused = world["users"]["cost"].post(f"/tasks/{task['id']}/complete",
                                          {"decision": "approve", "data": {"description": "改写了说明的内容"}})
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "not_editable" and "description" in error["message"]
    assert "approved_amount" in error["details"]["editable"]
    not_an_object = world["users"]["cost"].post(f"/tasks/{task['id']}/complete",
                                                {"decision": "approve", "data": ["approved_amount"]})
    assert not_an_object.status_code == 400


def test_the_values_a_decision_changes_are_audited_old_and_new(labor_world: dict[str, Any]) -> None:  # noqa: F811
    users = labor_world["users"]
    ticket = create_ticket(users["cost"], ticket_body(labor_world, headcount=2, unit_price="400"))
    submit(users["cost"], "labor", "day_labor_ticket", ticket["id"])
    decide(users["site"], ticket["id"], comment="现场实到3人", data={"headcount": 3})
    history = users["cost"].get(f"/records/labor/day_labor_ticket/{ticket['id']}/history").get_json()["items"]
    [changed] = [h for h in history if h["action"] == "record.update"]
    assert changed["actor"] == "site" and "施工员签认" in changed["note"]
    assert (changed["before"]["headcount"], changed["after"]["headcount"]) == (2, 3)
    assert (changed["before"]["amount"], changed["after"]["amount"]) == ("800.00", "1200.00")
    [completed] = [h for h in history if h["action"] == "task.complete"]
    assert completed["after"] == {"task": "site_sign_off", "decision": "approve", "comment": "现场实到3人"}
    seen_by_site = users["site"].get(f"/records/labor/day_labor_ticket/{ticket['id']}/history").get_json()["items"]
    [as_site] = [h for h in seen_by_site if h["action"] == "record.update"]
    assert "amount" not in as_site["before"] and "amount" not in as_site["after"]   # hidden from site engineers
    assert as_site["after"]["headcount"] == 3
