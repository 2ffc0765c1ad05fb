"""Permissions at every hop of a user's formula (list filters, sorts, reports, exports, saved views), over the
built-in modules: a hidden or masked field behind a reference is as unknown as a field that does not exist,
and a record reached through a reference counts only if the user may read it."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.modules.test_labor import create_ticket, ticket_body, world

__all__ = ["world"]  # the fixture of the labor module's tests: users of every labor role, a project, crews

TICKETS = "/records/labor/day_labor_ticket"
CREWS = "/records/base/crew"


def listed(api: Api, path: str, **query: str) -> Any:
    return api.get(path, query_string={"limit": 500, **query})


def refusal(response: Any) -> str:
    """The message of a refused filter or sort: a 400 like any unknown name."""
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] in ("invalid_formula", "bad_request"), error
    message: str = error["message"]
    return message


@pytest.fixture
def ticket(world: dict[str, Any]) -> dict[str, Any]:
    """A ticket of the site engineer's project, and a bank account on its crew's labor company."""
    ann = world["users"]["ann"]
    company = world["labor_company"]
    response = ann.patch(f"/records/base/party/{company['id']}",
                         {"version": company["version"], "bank_account": "6222 0200 0000 1234"})
    assert response.status_code == 200, response.get_json()
    return create_ticket(world["users"]["cost"], ticket_body(world))


def test_a_hidden_field_behind_a_reference_is_an_unknown_field_in_a_filter(world: dict[str, Any],
                                                                          ticket: dict[str, Any]) -> None:
    site, pm = world["users"]["site"], world["users"]["pm"]
    hidden = refusal(listed(site, TICKETS, q="project.contract_amount > 1"))
    unknown = refusal(listed(site, TICKETS, q="project.contract_amountx > 1"))
    assert hidden.startswith("unknown field 'contract_amount' of 'project' (base.project)"), hidden
    assert unknown.startswith("unknown field 'contract_amountx' of 'project'"), unknown
    assert "'contract_amount'?" not in unknown      # never suggested to whom it is hidden
    for q in ("project.contract_amount > 1", "trade.guide_price > 300", "coalesce(project.contract_amount, 0) > 1",
              "if(project.contract_amount > 86500000, true, false)"):
        refusal(listed(site, TICKETS, q=q))
    refusal(listed(site, CREWS, q="project.contract_amount > 1"))
    # the project manager may see the amount: the same filter works for them
    seen = listed(pm, TICKETS, q="project.contract_amount > 1")
    assert seen.status_code == 200 and [i["id"] for i in seen.get_json()["items"]] == [ticket["id"]]


def test_a_masked_field_behind_a_reference_cannot_be_searched(world: dict[str, Any], ticket: dict[str, Any]) -> None:
    site, fin = world["users"]["site"], world["users"]["fin"]
    for q in ("contains(labor_company.bank_account, '6')", "labor_company.bank_account == '6222 0200 0000 1234'",
              "contains(crew_leader_id_no, '1985')"):
        message = refusal(listed(site, CREWS, q=q))
        assert "unknown field" in message, message
    refusal(listed(site, TICKETS, q="contains(crew.crew_leader_id_no, '510321')"))
    refusal(listed(site, TICKETS, q="len(crew.crew_leader_phone) > 3"))
    # finance sees the account whole: the same search finds the crews of that company
    found = listed(fin, CREWS, q="contains(labor_company.bank_account, '6')")
    assert found.status_code == 200 and len(found.get_json()["items"]) == 3


def test_readable_fields_behind_a_reference_still_filter(world: dict[str, Any], ticket: dict[str, Any]) -> None:
    site = world["users"]["site"]
    for q in ("project.project_code == 'XM-0001'", "contains(labor_company.party_name, '鑫源')",
              "'site' in project.members.user", "project.status == 'draft'"):
        path = TICKETS if not q.startswith("contains(labor") else CREWS
        response = listed(site, path, q=q)
        assert response.status_code == 200 and response.get_json()["items"], (q, response.get_json())


def test_sorting_by_a_hidden_or_masked_field_is_refused_like_an_unknown_one(world: dict[str, Any],
                                                                           ticket: dict[str, Any]) -> None:
    site = world["users"]["site"]
    assert refusal(listed(site, TICKETS, sort="project.contract_amount")) == \
        "cannot sort by 'project.contract_amount': not a field"
    assert refusal(listed(site, "/records/base/project", sort="-contract_amount")).startswith(
        "cannot sort by 'contract_amount': not a field")
    assert "did you mean 'contract_amount'" not in refusal(listed(site, "/records/base/project",
                                                                  sort="contract_amoun"))
    refusal(listed(site, CREWS, sort="crew_leader_id_no"))
    refusal(listed(site, TICKETS, sort="amount"))
    assert listed(world["users"]["pm"], "/records/base/project", sort="-contract_amount").status_code == 200


def test_a_record_behind_a_reference_counts_only_if_the_user_may_read_it(world: dict[str, Any]) -> None:
    """The ticket is of the site engineer's project; the crew it back-charges works on another project, whose
    crews the site engineer may not read: a filter through `back_charge_crew` finds nothing of it."""
    users = world["users"]
    other = world["crews"]["other"]
    ticket = create_ticket(users["cost"], ticket_body(world, reason_type="rework", back_charge_crew=other["id"]))
    assert users["site"].get(f"/records/base/crew/{other['id']}").status_code == 404
    q = "back_charge_crew.crew_name == '外项目班组'"
    found = listed(users["fin"], TICKETS, q=q)    # finance reads every crew
    assert [i["id"] for i in found.get_json()["items"]] == [ticket["id"]], found.get_json()
    assert listed(users["site"], TICKETS, q=q).get_json()["items"] == []
    assert listed(users["site"], TICKETS, q="contains(back_charge_crew.crew_leader_name, '外')").get_json() == \
        {"items": [], "total": 0}
    # the ticket itself stays readable, and its own fields filter as before
    seen = listed(users["site"], TICKETS, q="back_charge_crew != null")
    assert [i["id"] for i in seen.get_json()["items"]] == [ticket["id"]]


def test_a_reports_q_is_checked_at_every_hop_too(world: dict[str, Any], ticket: dict[str, Any]) -> None:
    site = world["users"]["site"]
    report = "/reports/labor/day_labor_calendar"
    assert site.get(report).status_code == 200
    message = refusal(site.get(report, query_string={"q": "project.contract_amount > 1"}))
    assert message.startswith("unknown field 'contract_amount' of 'project'"), message
    assert world["users"]["pm"].get(report, query_string={"q": "project.contract_amount > 1"}).status_code == 200
