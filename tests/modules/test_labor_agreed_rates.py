"""Day-labor tickets priced from their agreements over the REST API: the approved rate in force on the work
date (the crew's, else its labor company's), copied while the ticket is a draft and kept once submitted,
the trade taken from the crew, and the rate-compliance report."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import decide, errors_of
from tests.modules.test_labor import TODAY, YESTERDAY, approved_rate, create_ticket, sign, submit, ticket_body
from tests.modules.test_labor import world as world  # the labor world fixture

TICKETS = "/records/labor/day_labor_ticket"


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name not in names}


def test_a_ticket_written_without_a_price_or_trade_gets_the_agreed_rate_in_force_and_the_crews_trade(
        world: dict[str, Any]) -> None:
    users = world["users"]
    approved_rate(world)                                     # crew a, carpentry, 420, in force around today
    approved_rate(world, 2, unit_price="380", valid_from="2024-01-01", valid_to="2024-12-31")  # long expired
    users["clerk"].post("/records/labor/day_labor_rate", {   # a draft of crew b's rate: not agreed yet
        "rate_no": "DJ-XM-0001-03", "project": world["project"]["id"], "crew": world["crews"]["b"]["id"],
        "trade": world["carpenter"]["id"], "unit_price": "999", "valid_from": (TODAY - timedelta(days=9)).isoformat(),
        "valid_to": (TODAY + timedelta(days=9)).isoformat()})
    ticket = create_ticket(users["lead"], without(ticket_body(world), "trade"))["data"]
    assert ticket["trade"] == world["carpenter"]["id"]       # the crew's main trade
    assert (ticket["agreed_price"], ticket["unit_price"], ticket["amount"], ticket["price_source"]) == (
        "420.00", "420.00", "840.00", "agreement")
    old = create_ticket(users["cost"], ticket_body(world, 2, work_date="2024-06-03"))["data"]
    assert (old["agreed_price"], old["amount"]) == ("380.00", "760.00")   # the rate in force on its work date
    unagreed = create_ticket(users["lead2"], ticket_body(world, 3, crew=world["crews"]["b"]["id"]))["data"]
    assert "agreed_price" not in unagreed and "amount" not in unagreed and unagreed["price_source"] == "agreement"
    # a rate whose validity ended before the work date is not in force, though it started before it
    approved_rate(world, 4, trade=world["laborer"]["id"], unit_price="260",
                  valid_from=(TODAY - timedelta(days=60)).isoformat(),
                  valid_to=(TODAY - timedelta(days=20)).isoformat())
    ended = create_ticket(users["cost"], ticket_body(world, 5, trade=world["laborer"]["id"]))["data"]
    assert "agreed_price" not in ended


def test_a_typed_price_that_differs_from_the_agreement_is_manual_and_needs_its_reason(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    approved_rate(world)
    assert errors_of(cost.post(TICKETS, ticket_body(world, unit_price="450"))) == {
        "price_adjust_reason": "A price set by hand needs its reason"}
    typed = create_ticket(cost, ticket_body(world, unit_price="450", price_adjust_reason="夜间抢工上浮"))["data"]
    assert (typed["agreed_price"], typed["unit_price"], typed["amount"], typed["price_source"]) == (
        "420.00", "450.00", "900.00", "manual")
    same = create_ticket(cost, ticket_body(world, 2, unit_price="420"))["data"]
    assert same["price_source"] == "agreement"
    # the agreed price is the engine's: nobody writes it
    assert errors_of(cost.post(TICKETS, ticket_body(world, 3, agreed_price="1"))) == {"agreed_price": "is read-only"}


def test_a_crew_without_its_own_rate_takes_the_rate_agreed_with_its_labor_company(world: dict[str, Any]) -> None:
    users = world["users"]
    approved_rate(world)                                                   # crew a's own rate: 420
    approved_rate(world, 2, crew=None, labor_company=world["labor_company"]["id"], unit_price="300")
    crew_b = create_ticket(users["lead2"], ticket_body(world, crew=world["crews"]["b"]["id"]))["data"]
    assert (crew_b["agreed_price"], crew_b["amount"], crew_b["price_source"]) == ("300.00", "600.00", "agreement")
    crew_a = create_ticket(users["lead"], ticket_body(world, 2))["data"]
    assert crew_a["agreed_price"] == "420.00"                              # the crew's own rate comes first


def test_the_agreed_price_is_copied_while_a_draft_and_kept_once_submitted(world: dict[str, Any]) -> None:
    users = world["users"]
    crew_b = world["crews"]["b"]["id"]
    draft = create_ticket(users["lead2"], ticket_body(world, crew=crew_b))
    assert "agreed_price" not in draft["data"]                             # no agreement yet
    approved_rate(world, 1, crew=None, labor_company=world["labor_company"]["id"], unit_price="300")
    saved = users["lead2"].patch(f"{TICKETS}/{draft['id']}", {"version": draft["version"],
                                                                "data": {"location": "3#楼 6层"}})
    assert saved.status_code == 200, saved.get_json()
    data = saved.get_json()["data"]                                        # looked up again at the draft's save
    assert (data["agreed_price"], data["unit_price"], data["amount"]) == ("300.00", "300.00", "600.00")
    submitted = create_ticket(users["lead2"], ticket_body(world, 2, crew=crew_b))
    submit(users["lead2"], "day_labor_ticket", submitted["id"])
    # a rate agreed with the crew itself now comes first, from the same day: the submitted ticket keeps its price,
    # also when the site engineer corrects it at sign-off, and once signed
    approved_rate(world, 2, crew=crew_b, unit_price="350")
    corrected = decide(users["site"], submitted["id"], data={"headcount": 3})
    assert corrected["status"] == "signed"
    kept = users["cost"].get(f"{TICKETS}/{submitted['id']}").get_json()["data"]
    assert (kept["headcount"], kept["agreed_price"], kept["amount"], kept["price_source"]) == (
        3, "300.00", "900.00", "agreement")
    fresh = create_ticket(users["lead2"], ticket_body(world, 3, crew=crew_b))["data"]
    assert (fresh["agreed_price"], fresh["amount"]) == ("350.00", "700.00")


def test_the_rate_compliance_report_compares_applied_and_agreed_amounts(world: dict[str, Any]) -> None:
    users = world["users"]
    approved_rate(world)
    sign(world, create_ticket(users["cost"], ticket_body(world)))                      # 2 man-days at 420
    sign(world, create_ticket(users["cost"], ticket_body(world, 2, unit_price="450",  # 2 man-days at 450
                                                         price_adjust_reason="夜间抢工上浮")))
    sign(world, create_ticket(users["cost"], ticket_body(world, 3, crew=world["crews"]["b"]["id"],  # no rate
                                                         unit_price="300")))
    rows = users["cost"].get("/reports/labor/day_labor_rate_compliance", query_string={
        "q": "crew.crew_name == '木工一班'"}).get_json()["rows"]
    assert rows == [[world["project"]["id"], world["crews"]["a"]["id"], "木工一班", YESTERDAY[:7],
                     2, 4, "1740.00", "1680.00", "60.00", 1, 0]]
    unagreed = users["cost"].get("/reports/labor/day_labor_rate_compliance", query_string={
        "q": "crew.crew_name == '杂工班'"}).get_json()["rows"]
    assert unagreed == [[world["project"]["id"], world["crews"]["b"]["id"], "杂工班", YESTERDAY[:7],
                         1, 2, "600.00", "0.00", "0.00", 0, 1]]
