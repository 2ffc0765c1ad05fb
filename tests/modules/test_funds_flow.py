"""Conditional ledger postings of the funds module (effects with `on` and `when`), over the REST API: a
receipt's wage portion moves into the project's migrant-worker wage account, a cash deposit moves cash and a
guarantee none."""
from __future__ import annotations

from typing import Any

from tests.conftest import decide, tasks
from tests.modules.helpers_finance import get, items, post, submit
from tests.modules.test_funds import YESTERDAY, world

__all__ = ["world"]


def receipt(world: dict[str, Any], number: int, **extra: Any) -> dict[str, Any]:
    cash = world["users"]["cash"]
    made = post(cash, "funds", "receipt", {
        "doc_no": f"SK-00{number}", "contract": world["income"]["id"], "receipt_date": YESTERDAY,
        "receipt_type": "advance", "amount": "500000.00", "account": world["bank"]["id"],
        "bank_serial_no": f"R000{number}", **extra})
    submit(cash, "funds", "receipt", made["id"])
    assert decide(world["users"]["fin"], made["id"])["status"] == "approved"
    return made


def test_a_receipts_wage_portion_is_transferred_into_the_wage_account_only_when_there_is_one(
        world: dict[str, Any]) -> None:
    fin = world["users"]["fin"]
    wage = post(fin, "funds", "fund_account", {"account_name": "农民工工资专户", "account_type": "migrant_wage_account",
                                               "project": world["project"]["id"]})
    plain = receipt(world, 1)
    assert len(items(fin, "funds", "cash_ledger", f"source_id == '{plain['id']}'")) == 1
    with_wages = receipt(world, 2, wage_portion="80000")
    rows = items(fin, "funds", "cash_ledger", f"source_id == '{with_wages['id']}'")
    assert sorted((r["data"]["account"], r["data"]["direction"], r["data"]["amount"]) for r in rows) == sorted([
        (world["bank"]["id"], "in", "500000.00"), (world["bank"]["id"], "out", "80000.00"),
        (wage["id"], "in", "80000.00")])
    assert get(fin, "funds", "fund_account", wage["id"])["data"]["current_balance"] == "80000.00"
    assert get(fin, "funds", "fund_account", world["bank"]["id"])["data"]["current_balance"] == "2920000.00"


def test_a_cash_deposit_moves_cash_and_a_guarantee_none(world: dict[str, Any]) -> None:
    acct, fin = world["users"]["acct"], world["users"]["fin"]
    made = {}
    for number, form, direction in ((1, "cash", "paid_out"), (2, "bank_guarantee", "paid_out"),
                                    (3, "cash", "received_in")):
        deposit = post(acct, "funds", "deposit", {
            "doc_no": f"BZ-00{number}", "project": world["project"]["id"], "deposit_type": "performance_bond",
            "form": form, "direction": direction, "counterparty": world["project"]["data"]["owner_party"],
            "amount": "600000", "account": world["bank"]["id"], "paid_date": "2024-01-15",
            "expected_return_date": "2099-12-31"})
        submit(acct, "funds", "deposit", deposit["id"])
        record = deposit
        for name in ("pm", "fin", "fd", "gm", "cash"):   # a guarantee skips the general manager
            if tasks(world["users"][name], deposit["id"]):
                record = decide(world["users"][name], deposit["id"])
        assert record["status"] == "approved"
        made[number] = [(r["data"]["direction"], r["data"]["amount"], r["data"]["source_type"])
                        for r in items(fin, "funds", "cash_ledger", f"source_id == '{deposit['id']}'")]
    assert made == {1: [("out", "600000.00", "deposit")], 2: [], 3: [("in", "600000.00", "deposit")]}
