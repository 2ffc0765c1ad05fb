"""Value rules on the generated pages: warnings on the record page and after saving, numbered fields
read-only in the form, masked values in the form and the list, and a masked value posted back unchanged."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.api.test_conflicts import clashbook_tenant
from tests.api.test_conflicts import ticket as clash_ticket
from tests.api.test_rules import ticket
from tests.conftest import add_user, new_tenant_id
from tests.web.conftest import sign_in


def _book(engine: Formwork) -> tuple[str, dict[str, Any]]:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "rulebook", True, engine.catalog.modules())
    add_user(engine, tenant_id, "clerk", "clerk")
    add_user(engine, tenant_id, "fin", "finance")
    with engine.records(tenancy.Actor(tenant_id, "clerk", frozenset({"clerk"}))) as records:
        site = records.create("rulebook", "site", {"code": "S01"})
    return tenant_id, site


def test_the_record_page_and_the_form_show_warnings_numbers_and_masks(engine: Formwork,
                                                                      browser_client: FlaskClient) -> None:
    tenant_id, site = _book(engine)
    clerk = sign_in(browser_client, tenant_id, "clerk")
    form = clerk.text("/m/rulebook/ticket/new")
    assert 'name="ticket_no"' not in form and "Numbered when saved" in form
    saved = clerk.post("/m/rulebook/ticket/new", {**ticket(site), "headcount": "1", "hours": "6",
                                                  "bank_account": "6222020000001234", "supplementary": ""})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    page = clerk.text(saved.headers["Location"])
    assert "Saved, but note: More than 4 overtime hours per person" in page        # the flash
    assert page.count("More than 4 overtime hours per person") == 2                # and the standing box
    assert "T-S01-20240501-001" in page
    assert "6222********1234" in page and "6222020000001234" not in page
    listing = clerk.text("/m/rulebook/ticket?cols=ticket_no&cols=bank_account")
    assert "6222********1234" in listing and "6222020000001234" not in listing
    edit_url = saved.headers["Location"] + "/edit"
    edit = clerk.text(edit_url)
    assert 'value="6222********1234"' in edit and "rule-warnings" in edit
    version = 1
    resaved = clerk.post(edit_url, {**ticket(site), "headcount": "2", "hours": "6", "_version": str(version),
                                    "bank_account": "6222********1234", "supplementary": ""})
    assert resaved.status_code == 302, resaved.get_data(as_text=True)[:3000]
    assert "rule-warnings" not in clerk.text(resaved.headers["Location"])          # 6 <= 2 * 4: no warning
    finance = sign_in(browser_client, tenant_id, "fin")
    assert "6222020000001234" in finance.text(saved.headers["Location"])           # the real value stayed


def test_a_form_does_not_offer_masked_columns_for_sorting(engine: Formwork, browser_client: FlaskClient) -> None:
    tenant_id, site = _book(engine)
    with engine.records(tenancy.Actor(tenant_id, "clerk", frozenset({"clerk"}))) as records:
        records.create("rulebook", "ticket", {**ticket(site), "bank_account": "6222020000001234"})
    clerk = sign_in(browser_client, tenant_id, "clerk")
    page = clerk.text("/m/rulebook/ticket?cols=ticket_no&cols=bank_account")
    assert "sort=bank_account" not in page and "sort=ticket_no" in page


def test_the_record_page_shows_a_duplicate_warning_while_the_other_record_lives(engine: Formwork,
                                                                                 browser_client: FlaskClient) -> None:
    tenant_id = clashbook_tenant(engine)
    with engine.records(tenancy.Actor(tenant_id, "clerk", frozenset({"clerk"}))) as records:
        first = records.create("clashbook", "ticket", clash_ticket("T-1"))
        second = records.create("clashbook", "ticket", clash_ticket("T-2"))
    clerk = sign_in(browser_client, tenant_id, "clerk")
    page = clerk.text(f"/m/clashbook/ticket/{second['id']}")
    assert f"Possible duplicate (&#39;T-1&#39; (id {first['id']}))" in page
    assert f"Possible duplicate (&#39;T-2&#39; (id {second['id']}))" in clerk.text(f"/m/clashbook/ticket/{first['id']}")
    with engine.records(tenancy.Actor(tenant_id, "clerk", frozenset({"clerk"}))) as records:
        records.delete("clashbook", "ticket", first["id"], first["version"])
    assert "Possible duplicate" not in clerk.text(f"/m/clashbook/ticket/{second['id']}")
