"""Records that depend on each other: lookups by date, rollups over children, effects exactly once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import tenancy
from engine.declarations.loader import validate_paths
from engine.errors import RecordInvalid
from engine.runtime import Formwork
from engine.storage.models import EffectLog
from tests.conftest import FIXTURES, add_user, new_tenant_id


def test_lookup_takes_the_rate_in_force_on_the_work_date(engine: Formwork, tenant: str) -> None:
    boss = add_user(engine, tenant, "boss", "admin")
    with engine.records(boss) as records:
        for valid_from, price in (("2024-01-01", "300"), ("2024-06-01", "350")):
            records.create("crewpay", "rate", {"crew": "A", "trade": "mason", "valid_from": valid_from,
                                               "unit_price": price})
        records.create("crewpay", "rate", {"crew": "B", "trade": "mason", "valid_from": "2023-01-01",
                                           "unit_price": "999"})

        def ticket(day: str, **extra: object) -> dict:
            body = {"crew": "A", "trade": "mason", "work_date": day, "hours": "2", **extra}
            return records.create("crewpay", "ticket", body)["data"]

        assert ticket("2024-05-31")["unit_price"] == "300.00"
        assert ticket("2024-06-01")["amount"] == "700.00"
        assert ticket("2023-12-31").get("unit_price") is None  # no rate in force yet
        assert ticket("2024-07-01", unit_price="320")["unit_price"] == "320.00"  # typed in: kept


def test_rollups_follow_their_children(engine: Formwork, tenant: str) -> None:
    boss = add_user(engine, tenant, "boss", "admin")
    with engine.records(boss) as records:
        records.create("crewpay", "rate", {"crew": "A", "trade": "mason", "valid_from": "2024-01-01",
                                           "unit_price": "100"})
        summary = records.create("crewpay", "summary", {"crew": "A"})
        assert summary["data"]["total"] == "0.00" and summary["data"]["tickets"] == 0
        ids = [records.create("crewpay", "ticket", {"crew": "A", "trade": "mason", "work_date": "2024-03-01",
                                                    "hours": hours, "summary": summary["id"]})["id"]
               for hours in ("1.5", "2", "0")]
        data = records.get("crewpay", "summary", summary["id"])["data"]
        assert (data["total"], data["tickets"], data["payable"]) == ("350.00", 3, "350.00")
        records.update("crewpay", "ticket", ids[0], {"hours": "3"}, version=1)
        assert records.get("crewpay", "summary", summary["id"])["data"]["total"] == "500.00"
        records.delete("crewpay", "ticket", ids[1])
        data = records.get("crewpay", "summary", summary["id"])["data"]
        assert (data["total"], data["tickets"]) == ("300.00", 2)
        other = records.create("crewpay", "summary", {"crew": "A"})
        records.update("crewpay", "ticket", ids[0], {"summary": other["id"]}, version=2)  # moved: both change
        assert records.get("crewpay", "summary", summary["id"])["data"]["total"] == "0.00"
        assert records.get("crewpay", "summary", other["id"])["data"]["total"] == "300.00"
        history = [h["action"] for h in records.history("crewpay", "summary", other["id"])]
        assert history == ["record.create", "record.recompute"]


def test_a_child_change_that_breaks_its_parents_rule_is_refused(engine: Formwork, tenant: str) -> None:
    boss = add_user(engine, tenant, "boss", "admin")
    with engine.records(boss) as records:
        summary = records.create("crewpay", "summary", {"crew": "A"})
        ticket = records.create("crewpay", "ticket", {"crew": "A", "trade": "x", "work_date": "2024-03-01",
                                                      "hours": "1", "unit_price": "100", "summary": summary["id"]})
        records.update("crewpay", "summary", summary["id"], {"deduction": "80"}, version=2)
    with pytest.raises(RecordInvalid, match="Payable cannot be negative"), engine.records(boss) as records:
        records.delete("crewpay", "ticket", ticket["id"])
    with engine.records(boss) as records:  # nothing was lost: the ticket is still there
        assert records.get("crewpay", "ticket", ticket["id"])["data"]["amount"] == "100.00"


def test_an_approved_summary_creates_its_cost_entry_once(engine: Formwork, tenant: str) -> None:
    boss = add_user(engine, tenant, "boss", "boss")
    checker = add_user(engine, tenant, "checker", "boss")   # approves what boss submits (separation of duties)
    with engine.records(boss) as records:
        summary = records.create("crewpay", "summary", {"crew": "B"})
        records.create("crewpay", "ticket", {"crew": "B", "trade": "x", "work_date": "2024-03-01", "hours": "4",
                                             "unit_price": "25", "summary": summary["id"]})
    with engine.approvals(boss) as approvals:
        approvals.submit("crewpay", "summary", summary["id"])
    with engine.approvals(checker) as approvals:
        [task] = approvals.inbox()
        assert approvals.complete(task["id"], "approve")["status"] == "approved"
    with engine.records(boss) as records:
        entries = records.find("crewpay", "cost_entry").items
        assert [(e["data"]["amount"], e["data"]["source"]) for e in entries] == [("100.00", summary["id"])]
        assert records.session.scalar(select(func.count()).select_from(EffectLog)) == 1


def test_enabling_a_module_plants_its_seed_records_once(engine: Formwork) -> None:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id)
    assert engine.enable_module(tenant_id, "crewpay") == ["crewpay"]
    engine.enable_module(tenant_id, "crewpay", enabled=False)
    engine.enable_module(tenant_id, "crewpay")
    admin = add_user(engine, tenant_id, "ann", "admin")
    with engine.records(admin) as records:
        rates = records.find("crewpay", "rate", sort="unit_price").items
        assert [(r["data"]["trade"], r["data"]["unit_price"]) for r in rates] == [
            ("mason", "320.00"), ("carpenter", "350.00")]
        assert rates[0]["created_by"] == "system"


def test_seed_files_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "crewpay"
    shutil.copytree(FIXTURES / "modules" / "crewpay", folder)
    (folder / "seed" / "rates.yaml").write_text("- {crew: x}\n", encoding="utf-8")
    (folder / "seed" / "rate.yaml").write_text("crew: not a list\n", encoding="utf-8")
    messages = sorted(p.message for p in validate_paths([folder]))
    assert messages == ["a seed file holds a list of records (field: value mappings)",
                        "seed file names no entity of 'crewpay': 'rates'"]
