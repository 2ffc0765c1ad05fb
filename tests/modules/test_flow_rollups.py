"""Rollups across modules and over table rows, and optional refs, over the REST API (docs/modules.md, "Rollups
across modules and over table rows"): funds and cost write the contract's paid and change amounts, a tenant
without them keeps zeros, table rows roll up onto the records their ref column names, and a ref into an optional
module exists only where the tenant enables it."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from engine.tenancy import tenants as tenancy
from tests.conftest import add_user, api_creator, decide, errors_of, login, new_project, new_tenant_id
from tests.modules.helpers_finance import get, post, submit
from tests.modules.test_funds import approved_request, pay, plan_with_line
from tests.modules.test_funds import world as world  # the funds world fixture


def contract(api: Any, world: dict[str, Any], name: str) -> dict[str, Any]:
    data: dict[str, Any] = get(api, "base", "contract", world[name]["id"])["data"]
    return data


# --- contributions --------------------------------------------------------------------------------------------

def test_paying_a_payment_request_moves_its_contracts_paid_and_unpaid_amounts(world: dict[str, Any]) -> None:
    fin = world["users"]["fin"]
    before = contract(fin, world, "material")
    assert (before["paid_amount"], before["unpaid_amount"]) == ("0.00", "1000000.00")
    _, line = plan_with_line(world)
    request = approved_request(world, "100000", line)
    # an approved request that is not paid yet moves nothing
    assert contract(fin, world, "material")["paid_amount"] == "0.00"
    pay(world, request, "60000.40")
    after = contract(fin, world, "material")
    assert (after["paid_amount"], after["unpaid_amount"]) == ("60000.40", "939999.60")
    assert after["current_amount"] == "1000000.00"
    pay(world, request, "39999.60", serial="B0002")
    assert contract(fin, world, "material")["paid_amount"] == "100000.00"
    # the ledger keeps working beside it, reading the contract's current amount
    ledger = get(fin, "funds", "contract_ledger", request["data"]["contract_ledger"])["data"]
    assert (ledger["paid_amount"], ledger["in_flight"], ledger["current_amount"]) == ("100000.00", "0.00",
                                                                                      "1000000.00")
    # nobody types the contributed amount
    version = get(fin, "base", "contract", world["material"]["id"])["version"]
    response = world["users"]["ann"].patch(f"/records/base/contract/{world['material']['id']}",
                                           {"paid_amount": "5", "version": version})
    assert response.status_code == 422 and "paid_amount" in errors_of(response)


def test_an_approved_receipt_moves_the_income_contracts_received_amount(world: dict[str, Any]) -> None:
    fin = world["users"]["fin"]
    receipt = post(fin, "funds", "receipt", {"doc_no": "SK-001", "contract": world["income"]["id"],
                                             "receipt_date": "2024-03-01", "receipt_type": "advance",
                                             "amount": "250000.00", "account": world["bank"]["id"],
                                             "bank_serial_no": "R0001"})
    assert contract(fin, world, "income")["paid_amount"] == "0.00"   # a draft counts for nothing
    submit(fin, "funds", "receipt", receipt["id"])
    assert decide(world["users"]["fin2"], receipt["id"])["status"] == "approved"   # not its own recorder
    income = contract(fin, world, "income")
    assert (income["paid_amount"], income["unpaid_amount"]) == ("250000.00", "9750000.00")
    assert contract(fin, world, "material")["paid_amount"] == "0.00"


def _tenant_with(engine: Formwork, client: FlaskClient, *modules: str, admin: bool = False) -> Any:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
    for name in modules:
        engine.enable_module(tenant_id, name)
    add_user(engine, tenant_id, "ann", "system_admin")
    add_user(engine, tenant_id, "boss", "admin")
    return login(client, tenant_id, "boss" if admin else "ann")


def test_a_tenant_without_funds_or_cost_has_zero_paid_and_change_amounts(engine: Formwork,
                                                                        client: FlaskClient) -> None:
    ann = _tenant_with(engine, client, "base")
    create = api_creator(ann)
    project = new_project(create, "XM-9")
    party = create("party", {"party_name": "供应商", "party_type": ["supplier"], "credit_code": "91350105MA31ABCD5X"})
    account = create("cost_account", {"account_code": "0299", "account_name": "其他", "cost_element": "material"})
    made = create("contract", {
        "contract_code": "HT-1", "contract_name": "采购", "project": project["id"], "direction": "expense",
        "contract_category": "material_purchase", "party": party["id"], "sign_date": "2024-02-01",
        "pricing_mode": "unit_price", "amount_incl_tax": "5000.00", "tax_rate": "0.13", "progress_pay_rate": "70",
        "cost_splits": [{"cost_account": account["id"], "amount": "5000.00"}]})["data"]
    assert (made["paid_amount"], made["change_amount"]) == ("0.00", "0.00")
    assert (made["current_amount"], made["unpaid_amount"]) == ("5000.00", "5000.00")


# --- rollups over table rows ------------------------------------------------------------------------------------

@pytest.fixture
def tally(engine: Formwork, tenant: str, client: FlaskClient) -> Any:
    engine.enable_module(tenant, "tally")
    add_user(engine, tenant, "ann", "system_admin")
    return login(client, tenant, "ann")


def test_table_rows_roll_up_onto_the_records_their_ref_column_names(tally: Any) -> None:
    bolt = post(tally, "tally", "item", {"name": "bolt"})
    nut = post(tally, "tally", "item", {"name": "nut"})
    first = post(tally, "tally", "order", {"order_no": "O-1", "buyer": "ann", "approved": True, "lines": [
        {"item": bolt["id"], "qty": "2", "price": "1.50"}, {"item": nut["id"], "qty": "10", "price": "0.20"},
        {"item": bolt["id"], "qty": "3", "price": "1.50"}]})
    post(tally, "tally", "order", {"order_no": "O-2", "buyer": "bob", "lines": [
        {"item": bolt["id"], "qty": "4.5", "price": "2"}]})
    data = get(tally, "tally", "item", bolt["id"])["data"]
    assert (data["ordered_qty"], data["approved_value"], data["order_lines"]) == ("9.500", "7.50", 3)
    assert (data["orders"], data["buyers"]) == (2, 2)
    assert get(tally, "tally", "item", nut["id"])["data"]["ordered_qty"] == "10.000"
    # an edit of the rows moves the items they name, the one taken out of the order too
    response = tally.patch(f"/records/tally/order/{first['id']}", {"lines": [
        {"item": nut["id"], "qty": "1", "price": "0.20"}], "version": first["version"]})
    assert response.status_code == 200, response.get_json()
    data = get(tally, "tally", "item", bolt["id"])["data"]
    assert (data["ordered_qty"], data["approved_value"], data["order_lines"], data["orders"]) == (
        "4.500", "0.00", 1, 1)
    assert get(tally, "tally", "item", nut["id"])["data"]["approved_value"] == "0.20"
    assert tally.delete(f"/records/tally/order/{first['id']}").status_code in (200, 204)
    assert get(tally, "tally", "item", nut["id"])["data"]["ordered_qty"] == "0.000"


# --- optional refs ----------------------------------------------------------------------------------------------

def test_an_optional_ref_exists_only_when_the_tenant_enables_its_module(engine: Formwork, client: FlaskClient,
                                                                       tally: Any) -> None:
    # with schedule enabled (the tenant fixture enables every built-in module) the ref is a field like any other
    assert "task" in tally.get("/schema/tally/order").get_json()["properties"]["data"]["properties"]
    response = tally.post("/records/tally/order", {"order_no": "O-1", "task": "no-such-task"})
    assert response.status_code == 422 and errors_of(response)["task"].startswith("refers to schedule.wbs_task")
    # a tenant without schedule has no such field: not in the schema or the output, refused as unknown
    alone = _tenant_with(engine, client, "tally")
    assert "task" not in alone.get("/schema/tally/order").get_json()["properties"]["data"]["properties"]
    refused = alone.post("/records/tally/order", {"order_no": "O-1", "task": "anything"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["code"] == "unknown_field"
    made = post(alone, "tally", "order", {"order_no": "O-2"})
    assert "task" not in made["data"]
    listed = alone.get("/records/tally/order").get_json()
    assert all("task" not in item["data"] for item in listed["items"])


def test_the_built_in_modules_optional_refs_follow_the_tenants_modules(engine: Formwork, client: FlaskClient,
                                                                       tenant: str) -> None:
    def fields(api: Any, module: str, entity: str) -> set[str]:
        response = api.get(f"/schema/{module}/{entity}")
        assert response.status_code == 200, response.get_json()
        return set(response.get_json()["properties"]["data"]["properties"])

    add_user(engine, tenant, "boss", "admin")
    everything = login(client, tenant, "boss")
    assert "wbs_task" in fields(everything, "labor", "day_labor_ticket")
    assert "wbs_task" in fields(everything, "cost", "cost_budget_line")
    assert "day_labor_summary" in fields(everything, "funds", "payment_request")
    assert "budgeted_amount" in fields(everything, "schedule", "wbs_task")
    some = _tenant_with(engine, client, "labor", "funds", admin=True)       # no schedule
    assert "wbs_task" not in fields(some, "labor", "day_labor_ticket")
    assert "wbs_task" not in fields(some, "cost", "cost_budget_line")
    assert "day_labor_summary" in fields(some, "funds", "payment_request")
    funds_only = _tenant_with(engine, client, "funds", admin=True)          # no labor
    assert "day_labor_summary" not in fields(funds_only, "funds", "payment_request")
    assert "day_labor_summary" not in fields(funds_only, "funds", "payment")
