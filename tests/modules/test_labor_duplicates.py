"""Day-labor tickets list a worker once, and the duplicate check (same crew, day and work area) needs a worker in
common when both tickets list their workers (conflicts `shares`)."""
from __future__ import annotations

from typing import Any

from tests.conftest import errors_of
from tests.modules.test_labor import ticket_body, world  # noqa: F401 - `world` is a fixture

DUPLICATE = "Possible duplicate: the crew already has a ticket for this day and work area"


def test_a_worker_is_listed_once_per_ticket(world: dict[str, Any]) -> None:  # noqa: F811
    worker = world["workers"][0]["id"]
    body = ticket_body(world, workers=[{"worker": worker, "days": "1"}, {"worker": worker, "days": "0.5"}])
    assert errors_of(world["users"]["cost"].post("/records/labor/day_labor_ticket", body)) == {
        "workers": "A worker can be listed only once on a ticket"}


def test_the_duplicate_check_needs_a_worker_in_common_when_both_tickets_list_them(
        world: dict[str, Any]) -> None:  # noqa: F811
    cost = world["users"]["cost"]
    first, second = (w["id"] for w in world["workers"])

    def post(number: int, location: str, *workers: str) -> tuple[str, list[str]]:
        rows = [{"worker": worker, "days": "0.5"} for worker in workers]
        response = cost.post("/records/labor/day_labor_ticket", ticket_body(
            world, number, location=location, **({"headcount": len(rows), "workers": rows} if rows else {})))
        assert response.status_code == 201, response.get_json()
        data = response.get_json()   # (a worker on two tickets of a day warns too: test_labor_declared.py)
        return data["data"]["ticket_no"], [w["message"] for w in data["warnings"] if w["message"].startswith(DUPLICATE)]

    held, warnings = post(1, "3#楼", first)
    assert warnings == []
    assert post(2, "3#楼", second)[1] == []                         # both list workers, none in common
    assert len(post(3, "3#楼", second, first)[1]) == 1              # a worker in common
    _, shared = post(4, "3#楼", first)
    assert len(shared) == 1 and shared[0].startswith(DUPLICATE) and held in shared[0]
    _, unknown = post(5, "3#楼")                                      # no worker rows: the area alone decides
    assert len(unknown) == 1 and held in unknown[0]
    assert post(6, "5#楼", first)[1] == []                           # another work area
    plain, _ = post(7, "6#楼")
    _, listed = post(8, "6#楼", second)                               # the other ticket lists nobody
    assert len(listed) == 1 and plain in listed[0]
