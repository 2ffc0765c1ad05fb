"""Running columns (windows over a report's grouped rows) and ageing buckets, on the funds module's reports.

The ledger rows and measurements are created through the REST API; the expected balances are added up here
from the amounts this test typed. A project manager's row filter (their projects) holds inside the windows:
their running balance counts only the rows they may read."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import api_creator, new_project
from tests.modules.helpers_finance import items, post, report, route, setup_world, submit

TODAY = date.today()


def as_dicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    found = setup_world(engine, tenant, client)
    fin = found["users"]["fin"]
    found["other"] = new_project(api_creator(found["users"]["ann"]), "XM-0002", manager="gm")  # pm is no member
    found["bank"] = post(fin, "funds", "fund_account", {"account_name": "公司基本户", "account_type": "basic",
                                                        "opening_balance": "0"})
    return found


def ledger(world: dict[str, Any], project: str, day: str, direction: str, amount: str) -> dict[str, Any]:
    return post(world["users"]["cash"], "funds", "cash_ledger", {
        "txn_date": day, "account": world["bank"]["id"], "direction": direction, "amount": amount,
        "project": world[project]["id"], "source_type": "bank_charge", "summary": f"{day} {direction} {amount}"})


ROWS = [("project", "2024-01-05", "in", "1000.00"), ("project", "2024-01-20", "out", "300.00"),
        ("other", "2024-02-03", "in", "7000.00"), ("project", "2024-02-10", "in", "500.00"),
        ("project", "2024-03-15", "out", "100.00")]


def test_closing_and_opening_per_project_and_month_and_a_month_picked_after_the_window(world: dict[str, Any]) -> None:
    for row in ROWS:
        ledger(world, *row)
    fin = world["users"]["fin"]
    rows = as_dicts(report(fin, "funds", "fund_income_expense_report"))
    mine = [(r["period"], r["net"], r["opening"], r["closing"]) for r in rows if r["project"] == world["project"]["id"]]
    assert mine == [("2024-01", "700.00", "0.00", "700.00"), ("2024-02", "500.00", "700.00", "1200.00"),
                    ("2024-03", "-100.00", "1200.00", "1100.00")]
    other = [(r["period"], r["opening"], r["closing"]) for r in rows if r["project"] == world["other"]["id"]]
    assert other == [("2024-02", "0.00", "7000.00")]          # a partition of its own
    result = report(fin, "funds", "fund_income_expense_report", q="period == '2024-02'")
    picked = {r["project"]: (r["opening"], r["closing"]) for r in as_dicts(result)}
    # the page's month picker chooses rows after the window ran: February opens with January's closing
    assert picked == {world["project"]["id"]: ("700.00", "1200.00"), world["other"]["id"]: ("0.00", "7000.00")}


def test_the_running_balance_counts_only_the_rows_the_user_may_read(world: dict[str, Any]) -> None:
    for row in ROWS:
        ledger(world, *row)
    everything = as_dicts(report(world["users"]["fin"], "funds", "cash_journal"))
    assert [(r["txn_date"], r["balance_after"]) for r in everything] == [
        ("2024-01-05", "1000.00"), ("2024-01-20", "700.00"), ("2024-02-03", "7700.00"), ("2024-02-10", "8200.00"),
        ("2024-03-15", "8100.00")]
    pm = world["users"]["pm"]            # reads the ledger rows of their projects only: XM-0002's row is not there
    assert len(items(pm, "funds", "cash_ledger")) == 4
    theirs = as_dicts(report(pm, "funds", "cash_journal"))
    assert [(r["txn_date"], r["balance_after"]) for r in theirs] == [
        ("2024-01-05", "1000.00"), ("2024-01-20", "700.00"), ("2024-02-10", "1200.00"), ("2024-03-15", "1100.00")]
    opened = as_dicts(report(pm, "funds", "fund_income_expense_report"))
    assert {r["project"] for r in opened} == {world["project"]["id"]}


def test_receivables_by_age_bucket(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    for number, (due_in, confirmed) in enumerate(((-10, "100000"), (-100, "200000"), (-95, "50000"),
                                                 (5, "300000"), (-400, "10000")), start=1):
        measurement = post(cost, "funds", "owner_measurement", {
            "doc_no": f"JL-00{number}", "contract": world["income"]["id"], "period": "2024-05",
            "reported_output": confirmed, "confirmed_output": confirmed,
            "due_date": (TODAY + timedelta(days=due_in)).isoformat()})
        submit(cost, "funds", "owner_measurement", measurement["id"])
        route(world, measurement["id"], "pm", "costdept")
    rows = as_dicts(report(world["users"]["fin"], "funds", "receivable_ageing"))
    bucket = "age"
    # payable by the owner: 80 % progress payment less 3 % retention of the confirmed output
    assert [(r[bucket], r["receivable"], r["measurements"], r["oldest_days"]) for r in rows] == [
        ("0–30天", "77000.00", 1, 10), ("91–180天", "192500.00", 2, 100), (">180天", "7700.00", 1, 400),
        ("未到期", "231000.00", 1, -5)]
    # the same buckets in a list filter (SQL) as on the records (Python)
    overdue = items(cost, "funds", "owner_measurement",
                    "age_bucket(days_between(due_date, today()), [30, 90, 180]) == '91–180天'")
    assert sorted(m["data"]["doc_no"] for m in overdue) == ["JL-002", "JL-003"]
    unwritten = cost.get("/records/funds/owner_measurement", query_string={
        "q": "age_bucket(days_between(due_date, today()), [receivable]) == '0–30天'"})
    assert unwritten.status_code == 400, unwritten.get_json()
    assert unwritten.get_json()["error"]["message_code"] == "age_bucket_bounds"


def test_project_margin_joins_output_and_cost_per_month_and_to_date(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    for number, (period, confirmed) in enumerate((("2024-05", "100000"), ("2024-07", "50000")), start=1):
        measurement = post(cost, "funds", "owner_measurement", {
            "doc_no": f"JL-10{number}", "contract": world["income"]["id"], "period": period,
            "reported_output": confirmed, "confirmed_output": confirmed})
        submit(cost, "funds", "owner_measurement", measurement["id"])
        route(world, measurement["id"], "pm", "costdept")
    for number, (day, amount) in enumerate((("2024-05-10", "60000"), ("2024-06-12", "10000")), start=1):
        post(cost, "cost", "actual_cost_entry", {"project": world["project"]["id"], "occurred_date": day,
                                                 "cost_account": world["accounts"]["0201"]["id"], "amount": amount,
                                                 "source_no": f"LY-{number}"})
    result = report(world["users"]["gm"], "project_margin", "margin_by_project_month")
    names = ["output", "cost", "margin", "margin_rate", "output_to_date", "cost_to_date", "margin_to_date",
             "margin_rate_to_date"]
    rows = [(row[1], *(row[result["columns"].index(n)] for n in names)) for row in result["rows"]]
    assert rows == [
        ("2024-05", "100000.00", "60000.00", "40000.00", 40, "100000.00", "60000.00", "40000.00", 40),
        # cost but no confirmed output: a row all the same (rows: any), the output to date carried
        ("2024-06", None, "10000.00", "-10000.00", None, "100000.00", "70000.00", "30000.00", 30),
        ("2024-07", "50000.00", None, "50000.00", 100, "150000.00", "70000.00", "80000.00", "53.33"),
    ]
