"""A record's history shows each entry with the permissions of the record it describes: a plan's network
reschedule lists its tasks, each as the reader may see that task (hidden fields out, unreadable tasks out)."""
from __future__ import annotations

from typing import Any

from engine.runtime import Formwork
from tests.conftest import add_user
from tests.modules.test_schedule import patch, read, world
from tests.modules.test_schedule_network import network

__all__ = ["world"]  # the schedule module's fixture: users of every schedule role and a project
MONEY = ("penalty_per_day", "penalty_to_date", "planned_value", "earned_value", "budget_at_completion")


def rescheduled(api: Any, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's network entries (tasks by id -> changed fields) as `api`'s user reads them."""
    response = api.get(f"/records/schedule/schedule_plan/{plan['id']}/history")
    assert response.status_code == 200, response.get_json()
    return [e["after"] for e in response.get_json()["items"] if e["action"] == "record.network"]


def late_contract_node(world: dict[str, Any]) -> dict[str, Any]:
    """The network of the schedule tests, its milestone E a contract node with a penalty, then made late."""
    net = network(world)
    prod = world["users"]["prod"]
    response = patch(prod, "wbs_task", net["E"], is_contract_node=True, penalty_per_day="5000",
                     budget_at_completion="100000")
    assert response.status_code == 200, response.get_json()
    assert patch(prod, "schedule_plan", net["plan"], status_date="2024-06-25").status_code == 200
    assert read(prod, "wbs_task", net["E"]["id"])["data"]["penalty_to_date"] == "50000.00"
    return net


def test_a_plans_history_hides_the_hidden_fields_of_its_tasks(world: dict[str, Any]) -> None:
    net = late_contract_node(world)
    users = world["users"]
    task = net["E"]["id"]
    seen_by_manager = [entry[task] for entry in rescheduled(users["prod"], net["plan"]) if task in entry]
    assert any(fields.get("penalty_to_date") == "50000.00" for fields in seen_by_manager), seen_by_manager
    seen_by_site = [entry[task] for entry in rescheduled(users["site"], net["plan"]) if task in entry]
    assert seen_by_site and all(fields.keys().isdisjoint(MONEY) for fields in seen_by_site), seen_by_site
    assert any("forecast_finish" in fields for fields in seen_by_site)   # what the site engineer may see stays
    assert "penalty_to_date" not in str(users["site"].get(f"/records/schedule/wbs_task/{task}/history").get_json())


def test_a_plans_history_leaves_out_the_tasks_the_reader_may_not_read(engine: Formwork, tenant: str,
                                                                       world: dict[str, Any]) -> None:
    """The owner's representative reads approved master plans and only their milestones (row filters)."""
    net = late_contract_node(world)
    assert patch(world["users"]["prod"], "schedule_plan", net["plan"], plan_level="master").status_code == 200
    admin = add_user(engine, tenant, "root", "admin")
    with engine.records(admin) as records:
        plan = records.entity("schedule", "schedule_plan")
        records.set_status(plan, records.row(plan, net["plan"]["id"]), "approved")
    owner = world["users"]["owner"]
    entries = rescheduled(owner, net["plan"])
    assert entries, "the owner's representative reads the plan and its history"
    tasks = {key for entry in entries for key in entry}
    assert tasks == {net["E"]["id"]}, tasks        # the milestone; tasks A to D are not theirs to read
    assert owner.get(f"/records/schedule/wbs_task/{net['A']['id']}").status_code == 404
    everything = {key for entry in rescheduled(world["users"]["prod"], net["plan"]) for key in entry}
    assert everything >= {net[k]["id"] for k in "ABCDE"}
