"""The 资金数据中心 module (modules/funds) over the REST API: plans, requests, payments, the cash ledger, reports."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import assert_only_members_see, decide, errors_of, outsider, tasks
from tests.modules.helpers_finance import (
    get,
    items,
    post,
    report,
    route,
    setup_world,
    submit,
)

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
PERIOD = YESTERDAY[:7]


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    found = setup_world(engine, tenant, client)
    fin = found["users"]["fin"]
    found["bank"] = post(fin, "funds", "fund_account", {"account_name": "项目一般户", "account_type": "general",
                                                        "bank_name": "建设银行", "account_no": "3305 0000 1111",
                                                        "project": found["project"]["id"],
                                                        "opening_balance": "2000000.00", "min_balance": "100000"})
    found["company"] = post(fin, "funds", "fund_account", {"account_name": "公司基本户", "account_type": "basic",
                                                           "opening_balance": "5000000.00"})
    for contract in ("material", "income"):
        post(fin, "funds", "contract_ledger", {"contract": found[contract]["id"]})
    return found


def as_dicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]


def plan_with_line(world: dict[str, Any], planned: str = "300000") -> tuple[dict[str, Any], dict[str, Any]]:
    cost = world["users"]["cost"]
    plan = post(cost, "funds", "fund_plan", {"doc_no": "ZJ-001", "project": world["project"]["id"], "period": PERIOD,
                                             "opening_balance": "200000", "min_balance": "150000"})
    line = post(cost, "funds", "fund_plan_line", {"plan": plan["id"], "line_name": "钢筋款", "direction": "outflow",
                                                  "category": "material", "contract": world["material"]["id"],
                                                  "planned_amount": planned})
    return plan, line


def request_body(world: dict[str, Any], applied: str, **extra: Any) -> dict[str, Any]:
    return {"doc_no": "FK-001", "project": world["project"]["id"], "payment_type": "progress",
            "contract": world["material"]["id"], "party": world["supplier"]["id"], "applied_amount": applied,
            "confirmed_to_date": "400000.00", "source_docs": [{"source_type": "other", "source_no": "JS-01",
                                                               "amount": "400000.00"}], **extra}


def approved_request(world: dict[str, Any], applied: str, line: dict[str, Any] | None = None,
                     **extra: Any) -> dict[str, Any]:
    cost = world["users"]["cost"]
    body = request_body(world, applied, **extra)
    if line is not None:
        body["fund_plan_line"] = line["id"]
    request = post(cost, "funds", "payment_request", body)
    submit(cost, "funds", "payment_request", request["id"])
    record = route(world, request["id"], "pm", "cost2", "fin")
    while record["status"] == "in_review":      # off plan or larger amounts: the director, then the GM
        record = decide(next(world["users"][n] for n in ("fd", "gm") if tasks(world["users"][n], request["id"])),
                        request["id"])
    assert record["status"] == "approved", record
    return record


def pay(world: dict[str, Any], request: dict[str, Any], amount: str, serial: str = "B0001") -> dict[str, Any]:
    cash = world["users"]["cash"]
    payment = post(cash, "funds", "payment", {"doc_no": f"P-{serial}", "request": request["id"], "pay_date": YESTERDAY,
                                              "amount": amount, "account": world["bank"]["id"],
                                              "bank_serial_no": serial})
    submit(cash, "funds", "payment", payment["id"])
    record = decide(world["users"]["fin"], payment["id"])
    assert record["status"] == "approved", record
    return record


# --- payment requests: limits and checks --------------------------------------------------------------------

def test_the_payable_limit_follows_confirmed_output_rate_and_what_was_paid(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    request = post(cost, "funds", "payment_request", request_body(world, "250000.00", confirmed_to_date="400000.15"))
    data = request["data"]
    assert data["payable_limit"] == "280000.11"          # round(400,000.15 × 70 %, 2) − 0 − 0
    assert data["contract_current_amount"] == "1000000.00" and data["paid_before"] == "0.00"
    assert (data["over_limit"], data["is_in_plan"]) == (False, False)
    assert data["payee_account"] == "6222020000001234"
    over = post(cost, "funds", "payment_request", request_body(world, "280000.12", doc_no="FK-002"))
    assert over["data"]["over_limit"] is True


def test_a_request_over_the_contract_amount_is_refused(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    post(cost, "funds", "payment_request", request_body(world, "600000", confirmed_to_date="900000"))
    response = cost.post("/records/funds/payment_request", request_body(world, "400000.01", doc_no="FK-002"))
    assert response.status_code == 422 and "over contract" in str(response.get_json())
    post(cost, "funds", "payment_request", request_body(world, "400000.00", doc_no="FK-003"))


def test_a_request_over_the_fund_plan_line_is_refused(world: dict[str, Any]) -> None:
    _, line = plan_with_line(world, "100000")
    cost = world["users"]["cost"]
    first = post(cost, "funds", "payment_request", request_body(world, "60000", fund_plan_line=line["id"]))
    assert first["data"]["is_in_plan"] is True
    assert get(cost, "funds", "fund_plan_line", line["id"])["data"]["remaining"] == "40000.00"   # occupied on save
    response = cost.post("/records/funds/payment_request",
                         request_body(world, "40000.01", doc_no="FK-002", fund_plan_line=line["id"]))
    assert response.status_code == 422 and "over-plan payment" in str(response.get_json())
    post(cost, "funds", "payment_request", request_body(world, "40000.00", doc_no="FK-003", fund_plan_line=line["id"]))
    # a rejected request gives its quota back
    submit(cost, "funds", "payment_request", first["id"])
    decide(world["users"]["pm"], first["id"], "reject")
    assert get(cost, "funds", "fund_plan_line", line["id"])["data"]["remaining"] == "60000.00"


def test_requests_need_contract_sources_and_a_payee_with_a_bank_account(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    errors = errors_of(cost.post("/records/funds/payment_request", request_body(
        world, "10", contract=None, party=world["project"]["data"]["owner_party"], source_docs=[])))
    assert {"contract", "source_docs"} <= set(errors)  # the payee's bank details are checked at submission
    body = request_body(world, "10", contract=world["income"]["id"])
    errors = errors_of(cost.post("/records/funds/payment_request", body))
    assert "contract" in errors


# --- approvals ----------------------------------------------------------------------------------------------

def test_a_small_request_in_plan_stops_at_finance(world: dict[str, Any]) -> None:
    _, line = plan_with_line(world)
    request = approved_request(world, "50000", line, approved_amount=None)
    assert all(not tasks(world["users"][n], request["id"]) for n in ("fd", "gm", "costdept"))
    assert get(world["users"]["cost"], "funds", "fund_plan_line", line["id"])["data"]["used_amount"] == "50000.00"


def test_the_cost_engineer_sets_the_approved_amount_and_amounts_route_to_the_director_and_gm(
        world: dict[str, Any]) -> None:
    plan, line = plan_with_line(world, "900000")
    cost = world["users"]["cost"]
    request = post(cost, "funds", "payment_request", request_body(world, "260000", fund_plan_line=line["id"]))
    submit(cost, "funds", "payment_request", request["id"])
    record = route(world, request["id"], "pm", "cost2", "fin", "fd", data={"cost2": {"approved_amount": "120000"}})
    assert record["status"] == "approved" and record["data"]["decision_amount"] == "120000.00"
    big = post(cost, "funds", "payment_request", request_body(world, "150000", doc_no="FK-002",
                                                               confirmed_to_date="900000", fund_plan_line=line["id"]))
    submit(cost, "funds", "payment_request", big["id"])
    assert route(world, big["id"], "pm", "cost2", "fin", "fd")["status"] == "approved"     # 10万–50万: no GM
    assert not tasks(world["users"]["gm"], big["id"])
    large = post(cost, "funds", "payment_request", request_body(
        world, "500000", doc_no="FK-003", confirmed_to_date="1500000", fund_plan_line=line["id"]))
    submit(cost, "funds", "payment_request", large["id"])
    assert route(world, large["id"], "pm", "cost2", "fin", "fd", "gm")["status"] == "approved"
    plan_data = get(cost, "funds", "fund_plan", plan["id"])["data"]
    assert (plan_data["used_outflow"], plan_data["remaining_outflow"]) == ("770000.00", "130000.00")


def test_off_plan_and_over_limit_requests_need_the_director_and_the_gm(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    request = post(cost, "funds", "payment_request", request_body(world, "1000"))          # no plan line
    submit(cost, "funds", "payment_request", request["id"])
    assert route(world, request["id"], "pm", "cost2", "fin", "fd", "gm")["status"] == "approved"
    over = post(cost, "funds", "payment_request", request_body(world, "290000", doc_no="FK-002"))   # limit 280,000
    submit(cost, "funds", "payment_request", over["id"])
    assert route(world, over["id"], "pm", "cost2", "costdept", "fin", "fd", "gm")["status"] == "approved"


def test_return_and_reject(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    request = post(cost, "funds", "payment_request", request_body(world, "1000"))
    submit(cost, "funds", "payment_request", request["id"])
    decide(world["users"]["pm"], request["id"], "return", "补发票")
    assert decide(cost, request["id"])["status"] == "in_review"
    assert decide(world["users"]["pm"], request["id"], "reject")["status"] == "rejected"


# --- payments and the cash ledger ---------------------------------------------------------------------------

def test_an_approved_payment_posts_one_ledger_row_and_moves_the_balances(world: dict[str, Any]) -> None:
    _, line = plan_with_line(world)
    request = approved_request(world, "100000", line)
    payment = pay(world, request, "60000.40")
    fin = world["users"]["fin"]
    [row] = items(fin, "funds", "cash_ledger", f"source_id == '{payment['id']}'")
    assert row["data"]["direction"] == "out" and row["data"]["amount"] == "60000.40"
    assert row["data"]["account"] == world["bank"]["id"] and row["data"]["source_type"] == "payment"
    assert row["data"]["bank_serial_no"] == "B0001" and row["data"]["counterparty"] == world["supplier"]["id"]
    assert get(fin, "funds", "fund_account", world["bank"]["id"])["data"]["current_balance"] == "1939999.60"
    assert get(fin, "funds", "payment_request", request["id"])["data"]["unpaid_amount"] == "39999.60"
    assert get(fin, "funds", "fund_plan_line", line["id"])["data"]["paid_amount"] == "60000.40"
    ledger = items(fin, "funds", "contract_ledger", f"contract == '{world['material']['id']}'")[0]["data"]
    assert (ledger["paid_amount"], ledger["in_flight"]) == ("60000.40", "39999.60")
    # the same payment cannot be approved twice, and nothing else posts for it
    assert not tasks(fin, payment["id"])
    assert world["users"]["cash"].post(f"/records/funds/payment/{payment['id']}/submit").status_code in (400, 409, 422)
    assert len(items(fin, "funds", "cash_ledger", f"source_id == '{payment['id']}'")) == 1
    # the next request sees what was paid
    after = post(world["users"]["cost"], "funds", "payment_request", request_body(world, "1000", doc_no="FK-002"))
    assert (after["data"]["paid_before"], after["data"]["in_flight"]) == ("60000.40", "39999.60")
    assert after["data"]["payable_limit"] == "180000.00"


def test_a_payment_cannot_exceed_what_is_left_on_the_request_or_pay_an_unapproved_one(world: dict[str, Any]) -> None:
    request = approved_request(world, "10000")
    pay(world, request, "8000")
    cash = world["users"]["cash"]
    body = {"doc_no": "P-2", "request": request["id"], "pay_date": YESTERDAY, "amount": "2000.01",
            "account": world["bank"]["id"], "bank_serial_no": "B0002"}
    assert "amount" in errors_of(cash.post("/records/funds/payment", body))
    draft = post(world["users"]["cost"], "funds", "payment_request", request_body(world, "10", doc_no="FK-009"))
    assert "request" in errors_of(cash.post("/records/funds/payment", {**body, "amount": "5", "request": draft["id"]}))
    assert "bank_serial_no" in errors_of(cash.post("/records/funds/payment", {**body, "amount": "5",
                                                                             "bank_serial_no": "B0001"}))


def test_nobody_edits_or_deletes_the_cash_ledger(world: dict[str, Any]) -> None:
    payment = pay(world, approved_request(world, "1000"), "1000")
    for name in ("cash", "fin", "fd", "gm"):
        api = world["users"][name]
        [row] = items(api, "funds", "cash_ledger", f"source_id == '{payment['id']}'")
        assert api.patch(f"/records/funds/cash_ledger/{row['id']}",
                         {"version": row["version"], "data": {"amount": "1"}}).status_code == 403
        assert api.delete(f"/records/funds/cash_ledger/{row['id']}").status_code == 403
    assert world["users"]["cost"].get("/records/funds/cash_ledger").status_code == 403


def test_an_approved_receipt_posts_an_inflow_and_counts_against_the_measurement(world: dict[str, Any]) -> None:
    cost, cash, fin = world["users"]["cost"], world["users"]["cash"], world["users"]["fin"]
    measurement = post(cost, "funds", "owner_measurement", {
        "doc_no": "JL-001", "contract": world["income"]["id"], "period": PERIOD, "reported_output": "1200000",
        "confirmed_output": "1000000.55", "advance_deduction": "50000"})
    assert measurement["data"]["retention"] == "30000.02"
    assert measurement["data"]["payable_by_owner"] == "720000.42"       # 800,000.44 − 50,000 − 30,000.02
    submit(cost, "funds", "owner_measurement", measurement["id"])
    route(world, measurement["id"], "pm", "costdept")
    receipt = post(cash, "funds", "receipt", {
        "doc_no": "SK-001", "contract": world["income"]["id"], "receipt_date": YESTERDAY, "receipt_type": "progress",
        "amount": "500000.00", "account": world["bank"]["id"], "measurement": measurement["id"],
        "bank_serial_no": "R0001"})
    submit(cash, "funds", "receipt", receipt["id"])
    assert decide(fin, receipt["id"])["status"] == "approved"
    [row] = items(fin, "funds", "cash_ledger", f"source_id == '{receipt['id']}'")
    assert (row["data"]["direction"], row["data"]["amount"]) == ("in", "500000.00")
    data = get(cost, "funds", "owner_measurement", measurement["id"])["data"]
    assert (data["received_to_date"], data["receivable"]) == ("500000.00", "220000.42")
    assert data["collection_rate"] == "69.44"
    assert get(fin, "funds", "fund_account", world["bank"]["id"])["data"]["current_balance"] == "2500000.00"
    assert "measurement" in errors_of(cash.post("/records/funds/receipt", {
        "doc_no": "SK-002", "contract": world["income"]["id"], "receipt_date": YESTERDAY, "receipt_type": "progress",
        "amount": "1", "account": world["bank"]["id"], "bank_serial_no": "R0002"}))


def test_a_transfer_posts_out_and_in_and_internal_loans_reach_the_gm(world: dict[str, Any]) -> None:
    fin = world["users"]["fin"]
    transfer = post(fin, "funds", "fund_transfer", {
        "doc_no": "DB-001", "transfer_type": "internal_loan", "from_account": world["company"]["id"],
        "to_account": world["bank"]["id"], "transfer_date": YESTERDAY, "amount": "300000", "interest_rate": "0.045",
        "expected_repay_date": "2030-01-01"})
    submit(fin, "funds", "fund_transfer", transfer["id"])
    assert route(world, transfer["id"], "pm", "fin2", "fd", "gm")["status"] == "approved"   # fin drafted it
    rows = items(fin, "funds", "cash_ledger", f"source_id == '{transfer['id']}'")
    assert sorted((r["data"]["direction"], r["data"]["amount"]) for r in rows) == [("in", "300000.00"),
                                                                                   ("out", "300000.00")]
    assert get(fin, "funds", "fund_account", world["company"]["id"])["data"]["current_balance"] == "4700000.00"
    assert "amount" in errors_of(fin.post("/records/funds/fund_transfer", {
        "doc_no": "DB-002", "transfer_type": "allocation", "from_account": world["company"]["id"],
        "to_account": world["bank"]["id"], "transfer_date": YESTERDAY, "amount": "4700000.01"}))


def test_deposit_refunds_roll_up_and_cannot_exceed_the_deposit(world: dict[str, Any]) -> None:
    acct, fin = world["users"]["acct"], world["users"]["fin"]
    deposit = post(acct, "funds", "deposit", {
        "doc_no": "BZ-001", "project": world["project"]["id"], "deposit_type": "performance_bond", "form": "cash",
        "counterparty": world["project"]["data"]["owner_party"], "amount": "600000", "account": world["bank"]["id"],
        "paid_date": "2024-01-15", "expected_return_date": "2099-12-31"})
    submit(acct, "funds", "deposit", deposit["id"])
    assert route(world, deposit["id"], "pm", "fin", "fd", "gm", "cash")["status"] == "approved"
    refund = post(acct, "funds", "deposit_refund", {"doc_no": "TH-001", "deposit": deposit["id"],
                                                     "refund_date": YESTERDAY, "amount": "200000"})
    submit(acct, "funds", "deposit_refund", refund["id"])
    decide(fin, refund["id"])
    data = get(fin, "funds", "deposit", deposit["id"])["data"]
    assert (data["returned_amount"], data["outstanding"], data["deposit_status"]) == ("200000.00", "400000.00",
                                                                                      "partially_returned")
    too_much = post(acct, "funds", "deposit_refund", {"doc_no": "TH-002", "deposit": deposit["id"],
                                                       "refund_date": YESTERDAY, "amount": "400000.01"})
    submit(acct, "funds", "deposit_refund", too_much["id"])
    [task] = tasks(fin, too_much["id"])
    response = fin.post(f"/tasks/{task['id']}/complete", {"decision": "approve"})
    assert response.status_code == 422


# --- plans, reports, permissions ----------------------------------------------------------------------------

def test_a_fund_plan_sums_its_lines_and_shows_the_gap(world: dict[str, Any]) -> None:
    plan, _ = plan_with_line(world, "300000")
    cost = world["users"]["cost"]
    post(cost, "funds", "fund_plan_line", {"plan": plan["id"], "line_name": "进度款", "direction": "inflow",
                                           "category": "progress_receipt", "planned_amount": "180000.50"})
    data = get(cost, "funds", "fund_plan", plan["id"])["data"]
    assert (data["planned_inflow"], data["planned_outflow"], data["planned_net"]) == ("180000.50", "300000.00",
                                                                                    "-119999.50")
    assert (data["planned_closing"], data["funding_gap"]) == ("80000.50", "69999.50")
    assert "category" in errors_of(cost.post("/records/funds/fund_plan_line", {
        "plan": plan["id"], "line_name": "x", "direction": "inflow", "category": "material", "planned_amount": "1"}))
    submit(cost, "funds", "fund_plan", plan["id"])
    assert route(world, plan["id"], "pm", "fin", "fd")["status"] == "approved"


def test_income_expense_and_plan_execution_reports(world: dict[str, Any]) -> None:
    _, line = plan_with_line(world, "200000")
    pay(world, approved_request(world, "150000", line), "150000")
    fin = world["users"]["fin"]
    rows = as_dicts(report(fin, "funds", "fund_income_expense_report"))
    mine = [r for r in rows if r["project"] == world["project"]["id"] and r["period"] == PERIOD]
    assert len(mine) == 1 and mine[0]["outflow"] == "150000.00" and mine[0]["inflow"] == "0.00"
    assert mine[0]["net"] == "-150000.00"
    execution = [r for r in as_dicts(report(fin, "funds", "fund_plan_execution")) if r["category"] == "material"]
    assert execution[0]["planned"] == "200000.00" and execution[0]["used"] == "150000.00"
    assert execution[0]["actual"] == "150000.00"
    assert Decimal(str(execution[0]["execution_rate"])) == Decimal("75")


def test_project_managers_do_not_see_company_accounts_and_others_no_account_numbers(world: dict[str, Any]) -> None:
    accounts = items(world["users"]["pm"], "funds", "fund_account")
    assert [a["id"] for a in accounts] == [world["bank"]["id"]]
    assert accounts[0]["data"]["account_no"] == "3305 **** 1111"   # masked for the project manager
    assert world["users"]["site"].get("/records/funds/fund_account").status_code == 403
    one_per_project = world["users"]["fin"].post("/records/funds/fund_account", {
        "account_name": "专户二", "account_type": "migrant_wage_account", "project": world["project"]["id"]})
    assert one_per_project.status_code == 201
    again = world["users"]["fin"].post("/records/funds/fund_account", {
        "account_name": "专户三", "account_type": "migrant_wage_account", "project": world["project"]["id"]})
    assert "wage_account_key" in errors_of(again)


# --- row scope: project roles see only their projects (domain.md §4.3) ---------------------------------

@pytest.mark.parametrize("user, role", [("cost", "project_cost_engineer"), ("acct", "project_accountant"),
                                        ("pm", "project_manager")])
def test_project_roles_see_only_the_funds_records_of_their_projects(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient, user: str, role: str) -> None:
    plan, line = plan_with_line(world)
    request = post(world["users"]["cost"], "funds", "payment_request", request_body(world, "1000.00"))
    member, stranger = world["users"][user], outsider(engine, client, tenant, role)
    assert_only_members_see(member, stranger, "funds", "fund_plan", plan["id"])
    assert_only_members_see(member, stranger, "funds", "fund_plan_line", line["id"], report="fund_plan_execution")
    assert_only_members_see(member, stranger, "funds", "payment_request", request["id"])
    if role != "project_cost_engineer":   # accounts are for the manager and the accountant
        assert_only_members_see(member, stranger, "funds", "fund_account", world["bank"]["id"])
        assert member.get(f"/records/funds/fund_account/{world['company']['id']}").status_code == 404
    # company roles still see every project
    assert world["users"]["fin"].get(f"/records/funds/payment_request/{request['id']}").status_code == 200
