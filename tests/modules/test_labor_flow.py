"""A day-labor summary's approval posts one actual cost entry per cost account of its tickets (a grouped
effect), over the REST API."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import api_creator, decide
from tests.modules.test_labor import create_ticket, sign, submit, summary_body, ticket_body, world

__all__ = ["world"]


def test_an_approved_summary_posts_one_cost_entry_per_cost_account_of_its_tickets(world: dict[str, Any]) -> None:
    users = world["users"]
    machinery = api_creator(users["ann"])("cost_account", {"account_code": "0103", "account_name": "零星机械台班",
                                                           "cost_element": "labor"})
    tickets = [create_ticket(users["cost"], ticket_body(world, n, work_date=day, headcount=headcount,
                                                        unit_price=price, **extra))
               for n, (day, headcount, price, extra) in enumerate([
                   ("2024-05-06", 3, "420", {}),
                   ("2024-05-18", 4, "420", {"cost_account": machinery["id"]}),
                   ("2024-05-27", 2, "415.50", {})], start=1)]
    for ticket in tickets:
        sign(world, ticket)
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world)).get_json()   # gathers them
    assert summary["data"]["ticket_count"] == 3, summary
    submit(users["clerk"], "day_labor_summary", summary["id"])
    for name in ("lead", "prod", "cost", "pm", "fin"):
        record = decide(users[name], summary["id"])
    assert record["status"] == "approved"
    entries = users["cost"].get("/records/cost/actual_cost_entry?q=source_id == '" + summary["id"] + "'"
                                ).get_json()["items"]
    posted = sorted((e["data"]["cost_account"], e["data"]["amount"], e["data"]["occurred_date"]) for e in entries)
    day_labor = world["day_labor_account"]["id"]
    amounts = [Decimal(t["data"]["amount"]) for t in tickets]
    assert posted == sorted([(day_labor, f"{amounts[0] + amounts[2]:.2f}", "2024-05-27"),
                             (machinery["id"], f"{amounts[1]:.2f}", "2024-05-18")])
    assert sum(Decimal(e["data"]["amount"]) for e in entries) == Decimal(summary["data"]["gross_amount"])
