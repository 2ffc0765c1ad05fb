"""Day-labor tickets list a worker once, and a worker on two tickets of a crew and day warns (conflicts `shares`)."""
from __future__ import annotations

from typing import Any

from tests.conftest import errors_of
from tests.modules.test_labor import create_ticket, ticket_body, world  # noqa: F401 - `world` is a fixture

SHARED = "Possible duplicate: a worker is already on another ticket of the crew for this day"


def test_a_worker_is_listed_once_per_ticket(world: dict[str, Any]) -> None:  # noqa: F811
    worker = world["workers"][0]["id"]
    body = ticket_body(world, workers=[{"worker": worker, "days": "1"}, {"worker": worker, "days": "0.5"}])
    assert errors_of(world["users"]["cost"].post("/records/labor/day_labor_ticket", body)) == {
        "workers": "A worker can be listed only once on a ticket"}


def test_a_worker_on_another_ticket_of_the_crew_and_day_warns(world: dict[str, Any]) -> None:  # noqa: F811
    cost = world["users"]["cost"]
    first, second = (w["id"] for w in world["workers"])
    held = create_ticket(cost, ticket_body(world, headcount=1, workers=[{"worker": first, "days": "0.5"}]))
    # another area, another worker: no warning
    other = cost.post("/records/labor/day_labor_ticket", ticket_body(
        world, 2, headcount=1, location="2#楼", workers=[{"worker": second, "days": "0.5"}]))
    assert other.status_code == 201 and other.get_json()["warnings"] == []
    # another area, the same worker among others: the shared worker warns
    shared = cost.post("/records/labor/day_labor_ticket", ticket_body(
        world, 3, headcount=2, location="3#楼", workers=[{"worker": second, "days": "0.5"},
                                                          {"worker": first, "days": "0.5"}]))
    assert shared.status_code == 201
    warned = shared.get_json()["warnings"]
    assert [(w["field"], w["message"].startswith(SHARED)) for w in warned] == [("crew", True)]
    assert held["data"]["ticket_no"] in warned[0]["message"]     # the ticket that holds the worker
    # without worker rows, nothing is shared
    plain = cost.post("/records/labor/day_labor_ticket", ticket_body(world, 4, location="4#楼"))
    assert plain.status_code == 201 and plain.get_json()["warnings"] == []
