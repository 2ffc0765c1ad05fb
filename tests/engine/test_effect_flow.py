"""Effects per table row, per group of rows, over matched records, on a status and a condition together:
written once per record, in the approval's transaction, audited as the effect of the document."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from engine import tenancy
from engine.errors import RecordInvalid
from engine.runtime import Formwork
from tests.conftest import add_user, new_tenant_id


@pytest.fixture
def boss(engine: Formwork) -> tenancy.Actor:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "flowbook", True, engine.catalog.modules())
    add_user(engine, tenant_id, "checker", "boss")   # approves what boss submits (separation of duties)
    return add_user(engine, tenant_id, "boss", "boss")


def approve(engine: Formwork, boss: tenancy.Actor, sheet_id: str) -> None:
    with engine.approvals(boss) as approvals:
        approvals.submit("flowbook", "sheet", sheet_id)
    with engine.approvals(replace(boss, username="checker")) as approvals:
        [task] = [t for t in approvals.inbox() if t["record_id"] == sheet_id]
        assert approvals.complete(task["id"], "approve")["status"] == "approved"


def a_book(engine: Formwork, boss: tenancy.Actor) -> dict[str, Any]:
    with engine.records(boss) as records:
        accounts = [records.create("flowbook", "account", {"code": code})["id"] for code in ("A", "B")]
        items = [records.create("flowbook", "item", {"name": f"item {n}", "kind": kind, "account": account,
                                                     "started": started})["id"]
                 for n, (kind, account, started) in enumerate([("k", accounts[0], "2024-05-01"),
                                                              ("k", accounts[1], None),
                                                              ("k", accounts[0], None),
                                                              ("other", accounts[0], None)])]
        records.update("flowbook", "item", items[2], {"current": False}, version=1)
    return {"accounts": accounts, "items": items}


def test_an_approved_sheet_moves_its_rows_items_its_kind_and_posts_one_entry_per_account(
        engine: Formwork, boss: tenancy.Actor) -> None:
    book = a_book(engine, boss)
    items, accounts = book["items"], book["accounts"]
    lines = [{"item": items[0], "done": "40", "started": "2024-06-03", "amount": "100"},
             {"item": items[1], "done": "100", "started": "2024-06-02", "amount": "30.50"},
             {"item": items[2], "done": "10", "amount": "5"}]
    with engine.records(boss) as records:
        sheet = records.create("flowbook", "sheet", {"sheet_no": "S-1", "kind": "k", "lines": lines})
        assert records.find("flowbook", "posting").items == []  # nothing before the approval
    approve(engine, boss, sheet["id"])
    with engine.records(boss) as records:
        got = {i: records.get("flowbook", "item", i)["data"] for i in items}
        assert [(got[i].get("done"), got[i].get("started"), got[i].get("total"), got[i]["revision"])
                for i in items] == [
            ("40.0", "2024-05-01", "100.00", 2),     # started before: kept (target.started)
            ("100.0", "2024-06-02", "30.50", 2),
            ("10.0", None, "5.00", 1),               # not current: left out of the match
            (None, None, None, 1)]                   # another kind, not on the sheet: untouched
        postings = sorted((p["data"]["account"], p["data"]["amount"], p["data"]["lines"], p["data"]["sheet"])
                          for p in records.find("flowbook", "posting").items)
        assert postings == sorted([(accounts[0], "105.00", 2, sheet["id"]), (accounts[1], "30.50", 1, sheet["id"])])
        assert records.find("flowbook", "note").items == []   # not flagged: on + when holds back
        audited = [h for h in records.history("flowbook", "item", items[0]) if h["action"] == "record.effect"]
        assert len(audited) == 2 and all("effect flowbook.sheet#" in h["note"] and "S-1" in h["note"]
                                         and sheet["id"] in h["note"] for h in audited)


def test_on_and_when_together_and_exactly_once_after_a_second_approval(engine: Formwork,
                                                                       boss: tenancy.Actor) -> None:
    items = a_book(engine, boss)["items"]
    with engine.records(boss) as records:
        sheet = records.create("flowbook", "sheet", {"sheet_no": "S-2", "kind": "other", "flagged": True,
                                                     "lines": [{"item": items[3], "done": "5", "amount": "7"}]})
        assert records.find("flowbook", "note").items == []   # the condition alone does not fire it
    approve(engine, boss, sheet["id"])
    with engine.records(boss) as records:
        assert [n["data"]["text"] for n in records.find("flowbook", "note").items] == ["flagged S-2"]
        entity = records.entity("flowbook", "sheet")
        row = records.row(entity, sheet["id"])
        records.set_status(entity, row, "withdrawn")  # back, and approved again: nothing is written twice
        records.set_status(entity, row, "approved")
    with engine.records(boss) as records:
        assert len(records.find("flowbook", "note").items) == 1
        assert len(records.find("flowbook", "posting").items) == 1
        data = records.get("flowbook", "item", items[3])["data"]
        assert (data["total"], data["revision"]) == ("7.00", 2)


def test_an_effect_that_would_break_its_target_refuses_the_approval(engine: Formwork, boss: tenancy.Actor) -> None:
    items = a_book(engine, boss)["items"]
    with engine.records(boss) as records:
        sheet = records.create("flowbook", "sheet", {"sheet_no": "S-3", "kind": "none",
                                                     "lines": [{"item": items[0], "done": "1000", "amount": "1"}]})
    with pytest.raises(RecordInvalid, match="updating Item"):
        approve(engine, boss, sheet["id"])
    with engine.records(boss) as records:
        assert records.get("flowbook", "item", items[0])["data"].get("done") is None
        assert records.get("flowbook", "sheet", sheet["id"])["status"] != "approved"
