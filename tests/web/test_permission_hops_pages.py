"""The pages apply the same rule as the API: a hidden or masked field behind a reference cannot filter, sort or
export a list (its saved views neither), and a report's `q` neither."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient

from tests.modules.test_labor import create_ticket, ticket_body, world
from tests.web.conftest import sign_in

__all__ = ["world"]  # the labor module's fixture: users of every labor role, a project, crews
ATTACK = "project.contract_amount > 1"


def test_the_list_page_refuses_a_hidden_field_behind_a_reference(world: dict[str, Any], tenant: str,
                                                                   browser_client: FlaskClient) -> None:
    ticket = create_ticket(world["users"]["cost"], ticket_body(world))
    site = sign_in(browser_client, tenant, "site")
    response = site.get("/m/labor/day_labor_ticket?" + urlencode({"q": ATTACK}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "unknown field &#39;contract_amount&#39; of &#39;project&#39;" in html
    assert ticket["id"] not in html
    sorted_by = site.get("/m/labor/day_labor_ticket?" + urlencode({"sort": "project.contract_amount"}))
    assert sorted_by.status_code == 400 and ticket["id"] not in sorted_by.get_data(as_text=True)
    readable = urlencode({"q": "project.project_code == 'XM-0001'"})
    assert ticket["id"] in site.text(f"/m/labor/day_labor_ticket?{readable}")
    pm = sign_in(browser_client, tenant, "pm")
    assert ticket["id"] in pm.text("/m/labor/day_labor_ticket?" + urlencode({"q": ATTACK}))


def test_a_saved_view_and_an_export_cannot_carry_the_filter_either(world: dict[str, Any], tenant: str,
                                                                    browser_client: FlaskClient) -> None:
    site = sign_in(browser_client, tenant, "site")
    site.get("/m/base/crew")
    masked = urlencode({"q": "contains(labor_company.bank_account, '6')"})
    saved = site.post("/m/base/crew/views", {"name": "by bank", "params": masked})
    assert saved.status_code == 302
    page = site.text("/m/base/crew")
    assert "by bank" in page
    assert site.get(f"/m/base/crew?{masked}").status_code == 400      # what the saved view's link opens
    exported = site.get(f"/m/base/crew/export.csv?{masked}")
    assert exported.status_code == 400 and "6222" not in exported.get_data(as_text=True)
    assert site.get("/m/base/crew/export.csv?" + urlencode({"q": "contains(crew_name, '木工')"})).status_code == 200


def test_a_report_page_refuses_the_filter(world: dict[str, Any], tenant: str, browser_client: FlaskClient) -> None:
    site = sign_in(browser_client, tenant, "site")
    assert site.get("/reports/labor/day_labor_calendar").status_code == 200
    refused = site.get("/reports/labor/day_labor_calendar/export.csv?" + urlencode({"q": ATTACK}))
    # the site engineer may not export tickets: refused before the filter is even read (400 if they could)
    assert refused.status_code == 403, refused.get_data(as_text=True)[:500]
