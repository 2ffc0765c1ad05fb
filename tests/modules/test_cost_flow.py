"""What cost documents write when they are approved: the one current budget of a project and type, and a
budget's version going up with each approved adjustment (over the REST API)."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import decide
from tests.modules.helpers_finance import get, post, route, setup_world, submit


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    return setup_world(engine, tenant, client)


def approved_budget(world: dict[str, Any], budget_type: str = "target_cost") -> dict[str, Any]:
    cost = world["users"]["cost"]
    budget = post(cost, "cost", "cost_budget", {"project": world["project"]["id"], "budget_type": budget_type,
                                                "revenue_amount": "9000000.00"})
    line = post(cost, "cost", "cost_budget_line", {"budget": budget["id"], "manual_amount": "100000",
                                                  "cost_account": world["accounts"]["0201"]["id"]})
    submit(cost, "cost", "cost_budget", budget["id"])
    route(world, budget["id"], "pm", "costdept")
    decide(world["users"]["fin"], budget["id"])
    decide(world["users"]["engdept"], budget["id"])
    assert route(world, budget["id"], "vgm", "gm")["status"] == "approved"
    return {"budget": budget, "line": line}


def test_the_approved_budget_is_the_one_current_budget_of_its_project_and_type(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    first = approved_budget(world)["budget"]
    bid = approved_budget(world, "bid_cost")["budget"]
    assert get(cost, "cost", "cost_budget", first["id"])["data"]["is_current"] is True
    second = approved_budget(world)["budget"]
    current = {b["id"]: get(cost, "cost", "cost_budget", b["id"])["data"]["is_current"] for b in (first, bid, second)}
    assert current == {first["id"]: False, bid["id"]: True, second["id"]: True}


def test_each_approved_adjustment_raises_the_budget_version(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    made = approved_budget(world)
    budget = made["budget"]
    assert get(cost, "cost", "cost_budget", budget["id"])["data"]["budget_version"] == 1
    for number, amount in ((1, "-1000"), (2, "-2000")):
        adjustment = post(cost, "cost", "cost_budget_adjustment", {
            "doc_no": f"TZ-00{number}", "budget": budget["id"],
            "lines": [{"budget_line": made["line"]["id"], "adjust_amount": amount}], "reason": "钢材价格下降"})
        submit(cost, "cost", "cost_budget_adjustment", adjustment["id"])
        assert route(world, adjustment["id"], "pm", "costdept", "vgm")["status"] == "approved"
        assert get(cost, "cost", "cost_budget", budget["id"])["data"]["budget_version"] == number + 1
