"""A form's ref choices and the ref search list another entity's records as the user may read them: within that
entity's row filters, and by id where its title field is hidden from the user (never an error page)."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import add_user
from tests.web.conftest import sign_in


@pytest.fixture
def depot(engine: Formwork, tenant: str) -> dict[str, Any]:
    """The depot fixture module (tests/fixtures/modules/depot) enabled, two teams of different sites."""
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "depot", True, engine.catalog.modules())
    admin = add_user(engine, tenant, "root", "admin")
    add_user(engine, tenant, "mia", "member")
    add_user(engine, tenant, "gus", "guest")
    with engine.records(admin) as records:
        return {name: records.create("depot", "team", {"name": name, "site": site})
                for name, site in (("North Crew", "north"), ("Operation Nightjar", "south"))}


def test_a_ref_choice_lists_only_the_records_the_user_may_read(depot: dict[str, Any], tenant: str,
                                                               browser_client: FlaskClient) -> None:
    member = sign_in(browser_client, tenant, "mia")
    form = member.text("/m/depot/log/new")
    assert "North Crew" in form and "Nightjar" not in form and depot["Operation Nightjar"]["id"] not in form
    found = member.get("/m/depot/team/options?q=o").get_json()
    assert [item["title"] for item in found["items"]] == ["North Crew"] and found["total"] == 1, found


def test_a_ref_choice_shows_ids_where_the_title_field_is_hidden(depot: dict[str, Any], tenant: str,
                                                                browser_client: FlaskClient) -> None:
    guest = sign_in(browser_client, tenant, "gus")
    response = guest.get("/m/depot/log/new")
    form = response.get_data(as_text=True)
    assert response.status_code == 200, form[:2000]
    assert "North Crew" not in form and "Nightjar" not in form and depot["North Crew"]["id"] in form
    searched = guest.get("/m/depot/team/options?q=night")
    assert searched.status_code == 200, searched.get_data(as_text=True)[:2000]
    assert "Nightjar" not in searched.get_data(as_text=True)
