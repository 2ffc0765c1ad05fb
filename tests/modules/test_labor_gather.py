"""A monthly day-labor summary gathers its lines (`gather:`) over the REST API: the signed tickets of its
crew and month that no other live summary holds, refreshed while it is a draft, frozen once submitted."""
from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from engine.errors import Conflict
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import Api, all_at_once, decide, errors_of
from tests.modules.test_labor import create_ticket, sign, submit, ticket_body, world

__all__ = ["world"]  # the fixture, shared with test_labor

SUMMARIES = "/records/labor/day_labor_summary"


def summary_post(world: dict[str, Any], **extra: Any) -> Any:
    """POST a summary with its project, crew and period only: number and lines are the engine's."""
    body = {"project": world["project"]["id"], "crew": world["crews"]["a"]["id"], "period": "2024-05", **extra}
    return world["users"]["clerk"].post(SUMMARIES, body)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def ticket(world: dict[str, Any], day: str, headcount: int, price: str, crew: str = "a",
           reason: str = "extra_work") -> dict[str, Any]:
    return create_ticket(world["users"]["cost"], ticket_body(
        world, work_date=day, headcount=headcount, unit_price=price, reason_type=reason,
        crew=world["crews"][crew]["id"]))


def signed(world: dict[str, Any], *specs: tuple[str, int, str]) -> list[dict[str, Any]]:
    found = []
    for day, headcount, price in specs:
        made = ticket(world, day, headcount, price, reason="owner_visa_work" if headcount == 4 else "extra_work")
        sign(world, made)
        found.append(world["users"]["cost"].get(f"/records/labor/day_labor_ticket/{made['id']}").get_json())
    return found


def lines_of(record: dict[str, Any]) -> list[str]:
    return [line["ticket"] for line in record["data"].get("lines") or []]


def status_of(api: Api, ticket_id: str) -> str:
    result: str = api.get(f"/records/labor/day_labor_ticket/{ticket_id}").get_json()["status"]
    return result


def test_a_summary_gathers_exactly_the_signed_tickets_of_its_crew_and_month(world: dict[str, Any]) -> None:
    tickets = signed(world, ("2024-05-27", 2, "415.50"), ("2024-05-06", 3, "420"), ("2024-05-18", 4, "420"))
    draft = ticket(world, "2024-05-08", 5, "400")                       # never submitted
    in_review = ticket(world, "2024-05-09", 2, "400")
    submit(world["users"]["cost"], "day_labor_ticket", in_review["id"])  # waits for the site engineer
    sign(world, ticket(world, "2024-05-10", 2, "260", crew="b"))          # another crew
    sign(world, ticket(world, "2024-06-03", 2, "400"))                   # another month
    summary = created(summary_post(world))
    data = summary["data"]
    by_date = sorted(tickets, key=lambda t: t["data"]["work_date"])
    assert lines_of(summary) == [t["id"] for t in by_date]              # order_by: work_date, ticket_no
    assert draft["id"] not in lines_of(summary) and in_review["id"] not in lines_of(summary)
    assert [(line["work_date"], line["man_days"], line["amount"], line["is_billable"]) for line in data["lines"]] == [
        (t["data"]["work_date"], t["data"]["man_days"], t["data"]["amount"], t["data"]["is_billable_to_owner"])
        for t in by_date]
    assert (data["ticket_count"], data["total_man_days"], data["gross_amount"]) == (3, "9.00", "3771.00")
    assert data["gross_amount"] == f"{sum(Decimal(t['data']['amount']) for t in tickets):.2f}"
    assert data["billable_amount"] == "1680.00" and data["supplementary"] is False
    assert data["summary_no"] == "HZ-XM-0001-2024-05-01"


def test_a_second_summary_of_the_crew_and_month_is_supplementary_and_takes_none(world: dict[str, Any]) -> None:
    tickets = signed(world, ("2024-05-06", 3, "420"), ("2024-05-18", 2, "420"))
    first = created(summary_post(world))
    second = created(summary_post(world))
    assert second["data"]["supplementary"] is True and lines_of(second) == []
    assert second["data"]["main_summary_no"] == first["data"]["summary_no"]
    assert second["data"]["gross_amount"] == "0.00"
    # saving the first again keeps its tickets (it never gathers itself out) and it stays the main one
    path = f"{SUMMARIES}/{first['id']}"
    again = world["users"]["clerk"].patch(path, {"version": first["version"], "data": {"remark": "核对"}})
    assert again.status_code == 200, again.get_json()
    assert lines_of(again.get_json()) == [t["id"] for t in tickets]
    assert again.get_json()["data"]["supplementary"] is False
    # a ticket signed later goes to the supplementary summary at its next save, not to both
    late = signed(world, ("2024-05-29", 1, "420"))[0]
    resaved = world["users"]["clerk"].patch(f"{SUMMARIES}/{second['id']}",
                                            {"version": second["version"], "data": {"remark": "补充"}}).get_json()
    assert lines_of(resaved) == [late["id"]] and resaved["data"]["gross_amount"] == "420.00"
    first_again = world["users"]["clerk"].patch(path, {"version": again.get_json()["version"], "data": {}})
    assert late["id"] not in lines_of(first_again.get_json())


def test_rows_sent_by_the_client_are_ignored_but_typed_columns_of_kept_rows_stay(world: dict[str, Any]) -> None:
    tickets = signed(world, ("2024-05-06", 3, "420"))
    stranger = ticket(world, "2024-05-07", 2, "400")                    # a draft: never gathered
    response = summary_post(world, lines=[{"ticket": stranger["id"], "man_days": "9", "amount": "99999"}])
    summary = created(response)
    assert lines_of(summary) == [tickets[0]["id"]] and summary["data"]["gross_amount"] == "1260.00"
    line = dict(summary["data"]["lines"][0], amount="1.00")              # a gathered column typed over: ignored
    patched = world["users"]["clerk"].patch(f"{SUMMARIES}/{summary['id']}",
                                            {"version": summary["version"], "data": {"lines": [line]}})
    assert patched.get_json()["data"]["lines"][0]["amount"] == "1260.00"


def test_deleting_or_rejecting_a_summary_releases_its_tickets(world: dict[str, Any]) -> None:
    users = world["users"]
    tickets = signed(world, ("2024-05-06", 3, "420"), ("2024-05-18", 2, "420"))
    first = created(summary_post(world))
    assert users["clerk"].delete(f"{SUMMARIES}/{first['id']}").status_code == 204
    second = created(summary_post(world))
    assert lines_of(second) == [t["id"] for t in tickets] and second["data"]["supplementary"] is False
    submit(users["clerk"], "day_labor_summary", second["id"])
    assert decide(users["lead"], second["id"], "reject", "不认可")["status"] == "rejected"
    third = created(summary_post(world))
    assert lines_of(third) == [t["id"] for t in tickets]
    assert third["data"]["supplementary"] is True  # the rejected one still holds the month's key
    # the rejected summary resubmitted cannot take them back: they are held by the third
    response = users["clerk"].post(f"{SUMMARIES}/{second['id']}/submit")
    assert response.status_code == 409 and response.get_json()["error"]["message_code"] == "gather_source_taken"


def test_a_submitted_summary_is_frozen_and_its_approval_marks_its_tickets_summarized(
        world: dict[str, Any]) -> None:
    users = world["users"]
    tickets = signed(world, ("2024-05-06", 3, "420"), ("2024-05-18", 2, "420"))
    summary = created(summary_post(world))
    submit(users["clerk"], "day_labor_summary", summary["id"])
    late = signed(world, ("2024-05-29", 1, "420"))[0]
    decide(users["lead"], summary["id"])  # a step that writes the record: the lines stay as submitted
    for name in ("prod", "cost", "pm", "fin"):
        record = decide(users[name], summary["id"])
    assert record["status"] == "approved"
    assert lines_of(record) == [t["id"] for t in tickets] and record["data"]["gross_amount"] == "2100.00"
    assert {t["id"]: status_of(users["cost"], t["id"]) for t in [*tickets, late]} == {
        tickets[0]["id"]: "summarized", tickets[1]["id"]: "summarized", late["id"]: "signed"}
    supplementary = created(summary_post(world))
    assert lines_of(supplementary) == [late["id"]] and supplementary["data"]["supplementary"] is True


def test_a_returned_summary_gathers_again_at_its_next_save(world: dict[str, Any]) -> None:
    users = world["users"]
    signed(world, ("2024-05-06", 3, "420"))
    summary = created(summary_post(world))
    submit(users["clerk"], "day_labor_summary", summary["id"])
    returned = decide(users["lead"], summary["id"], "return", "还有一张单子没签")
    assert returned["status"] == "returned"
    late = signed(world, ("2024-05-29", 1, "420"))[0]
    fixed = users["clerk"].patch(f"{SUMMARIES}/{summary['id']}", {"version": returned["version"], "data": {}})
    assert fixed.status_code == 200 and late["id"] in lines_of(fixed.get_json())
    assert fixed.get_json()["data"]["gross_amount"] == "1680.00"


def test_a_summary_with_a_wrong_period_is_refused_field_by_field(world: dict[str, Any]) -> None:
    assert set(errors_of(summary_post(world, period="2024-13"))) == {"period"}


def test_two_summaries_saved_at_once_never_both_take_a_ticket(engine: Formwork, tenant: str,
                                                              world: dict[str, Any]) -> None:
    """The race the hold table settles: both summaries see the new ticket free; one of them takes it, the
    other takes nothing or is refused with a coded 409 (never a 500, never both)."""
    signed(world, ("2024-05-06", 3, "420"))
    first, second = created(summary_post(world)), created(summary_post(world))
    late = signed(world, ("2024-05-29", 1, "420"))[0]
    actor = Actor(tenant_id=tenant, username="clerk", roles=frozenset({"labor_clerk"}))
    def save(summary: dict[str, Any]) -> None:
        with engine.records(actor) as records:
            records.update("labor", "day_labor_summary", summary["id"], {"remark": "并发"}, summary["version"])

    failures = all_at_once(partial(save, first), partial(save, second))
    assert all(isinstance(f, Conflict) and f.message_code == "gather_source_taken" for f in failures), failures
    clerk = world["users"]["clerk"]
    holders = [s["id"] for s in (first, second)
               if late["id"] in lines_of(clerk.get(f"{SUMMARIES}/{s['id']}").get_json())]
    assert len(holders) == 1
