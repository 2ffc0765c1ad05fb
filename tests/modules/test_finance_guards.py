"""Snapshots and guards the cost and funds modules declare, over the REST API: submit-time rules, lines locked
with their header, the period lock, values frozen at submission and the append-only cash ledger — tenant
administrators refused like everyone."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, decide, errors_of, login, tasks
from tests.modules.helpers_finance import get, items, post, route, setup_world, submit

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
PERIOD = date.today().strftime("%Y-%m")


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    found = setup_world(engine, tenant, client)
    add_user(engine, tenant, "root", "admin")
    found["users"]["root"] = login(client, tenant, "root")
    fin = found["users"]["fin"]
    found["bank"] = post(fin, "funds", "fund_account", {"account_name": "项目一般户", "account_type": "general",
                                                        "bank_name": "建设银行", "account_no": "3305 0000 1111",
                                                        "project": found["project"]["id"],
                                                        "opening_balance": "2000000.00", "min_balance": "100000"})
    post(fin, "funds", "contract_ledger", {"contract": found["material"]["id"]})
    return found


def patch(api: Api, path: str, record: dict[str, Any], data: dict[str, Any]) -> Any:
    return api.patch(f"{path}/{record['id']}", {"version": record["version"], "data": data})


def refused_for_everyone(world: dict[str, Any], path: str, record: dict[str, Any], data: dict[str, Any],
                         code: str, *names: str) -> None:
    for name in (*names, "root"):
        api = world["users"][name]
        response = patch(api, path, record, data)
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"]["message_code"] == code
        deleted = api.delete(f"{path}/{record['id']}")
        assert deleted.status_code == 409 and deleted.get_json()["error"]["message_code"] == code


# --- cost -----------------------------------------------------------------------------------------------------

def new_budget(world: dict[str, Any]) -> dict[str, Any]:
    return post(world["users"]["cost"], "cost", "cost_budget", {"project": world["project"]["id"],
                                                                "budget_type": "target_cost",
                                                                "revenue_amount": "9000000.00"})


def test_a_budget_without_lines_saves_but_cannot_be_submitted(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    budget = new_budget(world)
    assert budget["status"] == "draft" and budget["data"]["line_count"] == 0
    response = cost.post(f"/records/cost/cost_budget/{budget['id']}/submit")
    assert errors_of(response) == {"line_count": "A budget needs at least one line"}
    post(cost, "cost", "cost_budget_line", {"budget": budget["id"], "cost_account": world["accounts"]["0201"]["id"],
                                            "manual_amount": "100"})
    assert submit(cost, "cost", "cost_budget", budget["id"])["status"] == "in_review"


def test_budget_lines_are_locked_with_their_budget(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    budget = new_budget(world)
    line = post(cost, "cost", "cost_budget_line", {"budget": budget["id"], "manual_amount": "100",
                                                   "cost_account": world["accounts"]["0201"]["id"]})
    submit(cost, "cost", "cost_budget", budget["id"])
    line = get(cost, "cost", "cost_budget_line", line["id"])
    refused_for_everyone(world, "/records/cost/cost_budget_line", line, {"manual_amount": "200"},
                         "record_read_only_when", "cost", "costdept")
    added = world["users"]["root"].post("/records/cost/cost_budget_line", {
        "budget": budget["id"], "cost_account": world["accounts"]["0202"]["id"], "manual_amount": "5"})
    assert added.status_code == 409 and added.get_json()["error"]["message_code"] == "record_read_only_when_create"
    assert get(cost, "cost", "cost_budget_line", line["id"])["data"]["manual_amount"] == "100.00"
    line = get(cost, "cost", "cost_budget_line", line["id"])  # the forecast is not part of the budget: still open
    forecast = cost.patch(f"/records/cost/cost_budget_line/{line['id']}",
                          {"version": line["version"], "pending_forecast": "80", "manual_amount": "100.00"})
    assert forecast.status_code == 200, forecast.get_json()
    assert forecast.get_json()["data"]["pending_cost"] == "80.00"


def test_an_adjustment_keeps_the_amounts_it_was_submitted_with(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    budget = new_budget(world)
    line, _other = (post(cost, "cost", "cost_budget_line", {"budget": budget["id"], "manual_amount": "100000",
                                                            "cost_account": world["accounts"][code]["id"]})
                    for code in ("0201", "0202"))
    submit(cost, "cost", "cost_budget", budget["id"])
    route(world, budget["id"], "pm", "costdept")
    for name in ("fin", "engdept"):
        decide(world["users"][name], budget["id"])
    assert route(world, budget["id"], "vgm", "gm")["status"] == "approved"
    adjustment = post(cost, "cost", "cost_budget_adjustment", {
        "doc_no": "TZ-001", "budget": budget["id"], "lines": [{"budget_line": line["id"], "adjust_amount": "-10000"}],
        "reason": "钢材价格下降"})
    submit(cost, "cost", "cost_budget_adjustment", adjustment["id"])
    approved = route(world, adjustment["id"], "pm", "costdept", "vgm")
    assert approved["status"] == "approved"
    assert get(cost, "cost", "cost_budget_line", line["id"])["data"]["target_amount"] == "90000.00"
    # the line moved by the approval itself; the document still says what it adjusted
    adjusted = approved["data"]["lines"][0]
    assert (adjusted["before_amount"], approved["data"]["previous_total"]) == ("100000.00", "200000.00")
    assert adjusted["after_amount"] == "90000.00"


def test_a_closed_period_locks_its_entries_for_everyone(world: dict[str, Any]) -> None:
    root, cost = world["users"]["root"], world["users"]["cost"]
    entry = post(cost, "cost", "actual_cost_entry", {
        "project": world["project"]["id"], "cost_account": world["accounts"]["0201"]["id"], "amount": "10",
        "occurred_date": YESTERDAY, "source_type": "other", "source_no": "LY-001"})
    edited = patch(root, "/records/cost/actual_cost_entry", entry, {"amount": "11"})
    assert edited.status_code == 200, edited.get_json()  # an open period: the administrator may correct it
    entry = edited.get_json()
    post(cost, "cost", "cost_period", {"project": world["project"]["id"], "period": YESTERDAY[:7]})  # closed since
    refused_for_everyone(world, "/records/cost/actual_cost_entry", entry, {"amount": "12"}, "record_read_only_when")
    assert get(root, "cost", "actual_cost_entry", entry["id"])["data"]["amount"] == "11.00"


# --- funds ----------------------------------------------------------------------------------------------------

def request_body(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"doc_no": "FK-001", "project": world["project"]["id"], "payment_type": "progress",
            "contract": world["material"]["id"], "party": world["supplier"]["id"], "applied_amount": "1000",
            "confirmed_to_date": "400000.00", "source_docs": [{"source_type": "other", "source_no": "JS-01",
                                                               "amount": "400000.00"}], **extra}


def test_the_payee_bank_details_and_payable_limit_are_frozen_at_submission(world: dict[str, Any]) -> None:
    cost, ann = world["users"]["cost"], world["users"]["ann"]
    request = post(cost, "funds", "payment_request", request_body(world))
    assert request["data"]["payee_bank"] == "工商银行" and request["data"]["payable_limit"] == "280000.00"
    submitted = submit(cost, "funds", "payment_request", request["id"])
    assert submitted["data"]["payable_limit"] == "280000.00"
    supplier = get(ann, "base", "party", world["supplier"]["id"])
    moved = patch(ann, "/records/base/party", supplier, {"bank_name": "农业银行", "bank_account": "6228480000009999"})
    assert moved.status_code == 200, moved.get_json()
    record = route(world, request["id"], "pm", "cost2", "fin")
    while record["status"] == "in_review":      # the director, then the GM, as the routing asks
        record = decide(next(world["users"][n] for n in ("fd", "gm") if tasks(world["users"][n], request["id"])),
                        request["id"])
    assert record["status"] == "approved"
    # after approval the ledger counts this request in flight; the request keeps what it was submitted with
    assert (record["data"]["payee_bank"], record["data"]["payee_account"]) == ("工商银行", "6222020000001234")
    assert (record["data"]["in_flight"], record["data"]["payable_limit"]) == ("0.00", "280000.00")
    assert record["data"]["over_limit"] is False
    draft = post(cost, "funds", "payment_request", request_body(world, doc_no="FK-002"))
    assert draft["data"]["payee_bank"] == "农业银行" and draft["data"]["in_flight"] == "1000.00"


def test_a_payee_without_bank_details_is_refused_at_submission_not_at_save(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    payee = api_creator(world["users"]["ann"])("party", {"party_name": "无账户供应商", "party_type": ["supplier"],
                                                         "credit_code": "91350105MA31ABCE3L"})
    request = post(cost, "funds", "payment_request", request_body(world, payment_type="expense", contract=None,
                                                                  party=payee["id"]))
    assert request["status"] == "draft"
    response = cost.post(f"/records/funds/payment_request/{request['id']}/submit")
    assert "bank details" in errors_of(response)["party"]
    assert get(cost, "funds", "payment_request", request["id"])["status"] == "draft"


def test_fund_plan_lines_are_locked_with_their_plan(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    plan = post(cost, "funds", "fund_plan", {"doc_no": "ZJ-001", "project": world["project"]["id"], "period": PERIOD,
                                             "opening_balance": "200000", "min_balance": "150000"})
    line = post(cost, "funds", "fund_plan_line", {"plan": plan["id"], "line_name": "钢筋款", "direction": "outflow",
                                                  "category": "material", "contract": world["material"]["id"],
                                                  "planned_amount": "300000"})
    submit(cost, "funds", "fund_plan", plan["id"])
    line = get(cost, "funds", "fund_plan_line", line["id"])
    refused_for_everyone(world, "/records/funds/fund_plan_line", line, {"planned_amount": "1"},
                         "record_read_only_when", "cost", "fin")


def test_the_cash_ledger_is_append_only_for_administrators_too(world: dict[str, Any]) -> None:
    root = world["users"]["root"]
    entry = post(root, "funds", "cash_ledger", {"account": world["bank"]["id"], "txn_date": YESTERDAY,
                                                "direction": "out", "amount": "12.50", "source_type": "bank_charge",
                                                "summary": "手续费"})
    refused_for_everyone(world, "/records/funds/cash_ledger", entry, {"amount": "1"}, "record_append_only")
    assert patch(world["users"]["cash"], "/records/funds/cash_ledger", entry, {"amount": "1"}).status_code == 403
    reversal = post(world["users"]["cash"], "funds", "cash_ledger", {
        "account": world["bank"]["id"], "txn_date": YESTERDAY, "direction": "in", "amount": "12.50",
        "source_type": "bank_charge", "summary": "冲销手续费", "reverses": entry["id"]})
    assert reversal["data"]["reverses"] == entry["id"]
    assert len(items(root, "funds", "cash_ledger", f"account == '{world['bank']['id']}'")) >= 2


def test_two_payments_drafted_at_once_cannot_both_be_submitted_past_the_request(world: dict[str, Any]) -> None:
    cost, cash = world["users"]["cost"], world["users"]["cash"]
    request = post(cost, "funds", "payment_request", request_body(world))
    submit(cost, "funds", "payment_request", request["id"])
    record = route(world, request["id"], "pm", "cost2", "fin")
    while record["status"] == "in_review":
        record = decide(next(world["users"][n] for n in ("fd", "gm") if tasks(world["users"][n], request["id"])),
                        request["id"])
    first, second = (post(cash, "funds", "payment", {"doc_no": f"P-{n}", "request": request["id"], "amount": "700",
                                                     "pay_date": YESTERDAY, "account": world["bank"]["id"],
                                                     "bank_serial_no": f"B{n}"}) for n in (1, 2))
    assert submit(cash, "funds", "payment", first["id"])["status"] == "in_review"
    refused = cash.post(f"/records/funds/payment/{second['id']}/submit")
    assert "payments in review" in errors_of(refused)["amount"]
    assert get(cost, "funds", "payment_request", request["id"])["data"]["paying_amount"] == "700.00"
