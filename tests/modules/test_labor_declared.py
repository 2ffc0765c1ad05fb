"""Rules of the labor module declared with the engine's primitives, over the REST API: a worker listed on two
tickets of a day (a conflict that shares a worker), tickets paid when their summary is fully paid (an update
effect on a condition), the day-labor budget use (a report joining the cost budget) and a summary's trade
subtotals (a report)."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, decide, login, tasks
from tests.modules.test_labor import (
    YESTERDAY,
    create_ticket,
    may_tickets,
    sign,
    submit,
    summary_body,
    ticket_body,
    world,
)

__all__ = ["world"]

ON_ANOTHER_TICKET = "A worker of this ticket is already on another ticket that day"


def approve_all(users: dict[str, Api], record_id: str) -> None:
    """Approve every step of the record's process, as whoever holds the next task."""
    for _ in range(12):
        holder = next((api for api in users.values() if tasks(api, record_id)), None)
        if holder is None:
            return
        decide(holder, record_id)


def with_finance_heads(world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    users: dict[str, Api] = world["users"]
    for name, role in (("fd", "finance_director"), ("gm", "general_manager")):
        add_user(engine, tenant, name, role)
        users[name] = login(client, tenant, name)
    return users


def test_a_worker_already_on_another_ticket_that_day_warns(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    first, second = (w["id"] for w in world["workers"])

    def warnings(number: int, *workers: str, **extra: Any) -> list[str]:
        rows = [{"worker": worker, "days": "0.5"} for worker in workers]
        made = create_ticket(cost, ticket_body(world, number, location=f"{number}#楼", headcount=len(rows) or 2,
                                               **({"workers": rows} if rows else {}), **extra))
        return [w["message"] for w in made["warnings"] if w["message"].startswith(ON_ANOTHER_TICKET)]

    assert warnings(1, first) == []
    held = warnings(2, second, first)                  # another work area, the same worker and day
    assert len(held) == 1 and "DG-XM-0001-" in held[0], held
    assert warnings(3, second, crew=world["crews"]["b"]["id"], trade=world["laborer"]["id"]) != []  # any crew
    assert warnings(4) == []                           # no worker rows: not compared
    assert warnings(5, first, work_date="2024-05-02") == []                      # another day


def test_tickets_are_paid_when_their_summary_is_fully_paid(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> None:
    users = with_finance_heads(world, engine, tenant, client)
    tickets = may_tickets(world)
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world, deductions=[
        {"deduction_type": "advance", "amount": "771"}])).get_json()
    submit(users["clerk"], "day_labor_summary", summary["id"])
    approve_all(users, summary["id"])
    assert users["fin"].get(f"/records/labor/day_labor_summary/{summary['id']}").get_json()["status"] == "approved"

    def statuses() -> set[str]:
        return {users["cost"].get(f"/records/labor/day_labor_ticket/{t['id']}").get_json()["status"] for t in tickets}

    assert statuses() == {"summarized"}
    payee = api_creator(users["ann"])("party", {"party_name": "鑫源劳务收款", "party_type": ["labor_company"],
                                                "credit_code": "91350100M000100Y43", "bank_name": "工商银行",
                                                "bank_account": "6222020000005678", "account_name": "鑫源劳务"})
    account = users["fin"].post("/records/funds/fund_account", {
        "account_name": "项目一般户", "account_type": "general", "bank_name": "建设银行",
        "account_no": "3305 0000 2222", "project": world["project"]["id"], "opening_balance": "100000.00"}).get_json()

    def pay(number: int, amount: str) -> None:
        request = users["cost"].post("/records/funds/payment_request", {
            "doc_no": f"FK-DG-0{number}", "project": world["project"]["id"], "payment_type": "expense",
            "party": payee["id"], "applied_amount": amount, "day_labor_summary": summary["id"]}).get_json()
        assert request["data"]["confirmed_to_date"] == "3000.00"     # the approved summary's payable, filled
        assert users["cost"].post(f"/records/funds/payment_request/{request['id']}/submit").status_code == 200
        approve_all(users, request["id"])
        payment = users["cash"].post("/records/funds/payment", {
            "doc_no": f"P-DG-0{number}", "request": request["id"], "pay_date": YESTERDAY, "amount": amount,
            "account": account["id"], "bank_serial_no": f"DG000{number}"}).get_json()
        assert users["cash"].post(f"/records/funds/payment/{payment['id']}/submit").status_code == 200
        assert decide(users["fin"], payment["id"])["status"] == "approved"

    pay(1, "1000.00")                                   # part of the 3,000 payable
    assert statuses() == {"summarized"}
    pay(2, "2000.00")                                   # the rest: every ticket of the summary is paid
    paid = users["fin"].get(f"/records/labor/day_labor_summary/{summary['id']}").get_json()["data"]
    assert (paid["paid_amount"], paid["unpaid_amount"]) == ("3000.00", "0.00")
    assert statuses() == {"paid"}
    report = users["fin"].get("/reports/labor/day_labor_by_crew_month").get_json()
    assert report["rows"][0][4:6] == [3, 9]             # paid tickets still count as cost


def test_the_budget_use_report_divides_day_labor_by_the_current_budgets_day_labor_line(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient) -> None:
    users = with_finance_heads(world, engine, tenant, client)
    may_tickets(world)                                  # 3,771.00 signed
    cost = users["cost"]

    def run() -> list[list[Any]]:
        rows: list[list[Any]] = cost.get("/reports/labor/day_labor_budget_use").get_json()["rows"]
        return rows

    assert [row[0] for row in run()] == [world["project"]["id"]]
    assert run()[0][2:] == [9, "3771.00", None, None, None]     # no budget yet
    budget = cost.post("/records/cost/cost_budget", {"project": world["project"]["id"],
                                                     "budget_type": "target_cost",
                                                     "revenue_amount": "900000.00"}).get_json()
    material = api_creator(users["ann"])("cost_account", {"account_code": "0201", "account_name": "主材",
                                                          "cost_element": "material"})
    for account, amount in ((world["day_labor_account"]["id"], "10000"), (material["id"], "500000")):
        response = cost.post("/records/cost/cost_budget_line", {"budget": budget["id"], "cost_account": account,
                                                                "manual_amount": amount})
        assert response.status_code == 201, response.get_json()
    assert run()[0][2:] == [9, "3771.00", None, None, None]   # not approved yet: no budget
    submit_cost = cost.post(f"/records/cost/cost_budget/{budget['id']}/submit")
    assert submit_cost.status_code == 200, submit_cost.get_json()
    approve_all(users, budget["id"])
    assert cost.get(f"/records/cost/cost_budget/{budget['id']}").get_json()["status"] == "approved"
    assert run()[0][2:] == [9, "3771.00", "10000.00", "37.71", "6229.00"]


def test_a_crews_summarized_tickets_are_subtotalled_by_trade(world: dict[str, Any]) -> None:
    users = world["users"]
    tickets = may_tickets(world)
    laborer = create_ticket(users["cost"], ticket_body(world, 9, work_date="2024-05-20", headcount=1,
                                                       unit_price="260", trade=world["laborer"]["id"]))
    sign(world, laborer)
    summary = users["clerk"].post("/records/labor/day_labor_summary", summary_body(world)).get_json()
    assert summary["data"]["ticket_count"] == 4
    report = users["cost"].get("/reports/labor/day_labor_summary_by_trade").get_json()
    assert report["rows"] == []                         # nothing summarized until the summary is approved
    submit(users["clerk"], "day_labor_summary", summary["id"])
    approve_all(users, summary["id"])
    rows = users["cost"].get("/reports/labor/day_labor_summary_by_trade").get_json()["rows"]
    by_trade = {row[5]: row[6:] for row in rows}
    carpenters = sum(float(t["data"]["amount"]) for t in tickets)
    assert by_trade == {"木工": [3, 9, f"{carpenters:.2f}"], "普工": [1, 1, "260.00"]}
    assert {row[3] for row in rows} == {"2024-05"} and {row[2] for row in rows} == {"木工一班"}
