"""SQL statements and record loads of one 点工单 (labor.day_labor_ticket) create over the REST API, and its latency.

Usage: .venv/bin/python bench/statements.py [--postgres URL] [--verbose] [--repeats N]

Builds a project with a crew, trades, workers and the day-labor cost account on a fresh SQLite file
and, when a PostgreSQL URL is given or FORMWORK_TEST_DATABASE_URL is set, a throw-away PostgreSQL
database; then creates tickets as the project's cost engineer and counts, per create, the statements
the database ran and how many of them read records. Before the unit of work (issue 13) it was, on
PostgreSQL, 36 statements with 14 record loads (39 and 17 with two worker rows); after it 12 statements with
4 record loads (SQLite 14, it counts its BEGINs); after issue 15's passes 10 (SQLite 14); tests/engine/
test_unit_of_work.py holds the bound. Then it times N creates (median ms) against `GET /api/v1/me` (the token
check alone) in the same run, and prints the ratio.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from engine import tenancy  # noqa: E402
from engine.runtime import Formwork  # noqa: E402

TENANT = "bench"
PASSWORD = "bench-pw"


def prepare(url: str) -> tuple[Formwork, dict[str, Any]]:
    engine = Formwork(url)
    engine.initialise()
    return engine, populate(engine, TENANT)


def populate(engine: Formwork, tenant: str) -> dict[str, Any]:
    """A tenant with every module, a project whose cost engineer (`cost`) and site engineer (`site`) are members,
    a crew with two workers, and the day-labor cost account: what a 点工单 needs."""
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        for name in installed:
            tenancy.set_module_enabled(session, tenant, name, True, installed)
        admin = tenancy.actor_of(tenancy.add_user(session, tenant, "ann", PASSWORD, ["system_admin"]))
        tenancy.add_user(session, tenant, "cost", PASSWORD, ["project_cost_engineer"])
        tenancy.add_user(session, tenant, "site", PASSWORD, ["site_engineer"])
    with engine.records(admin) as records:
        def create(entity: str, data: dict[str, Any]) -> str:
            return str(records.create("base", entity, data)["id"])

        org = create("org_unit", {"unit_code": "ORG-1", "unit_name": "Branch"})
        owner = create("party", {"party_name": "Owner", "party_type": ["owner"], "credit_code": "91350100M000100Y43"})
        project = create("project", {
            "project_code": "XM-0001", "project_name": "Bench", "project_type": "building",
            "contract_mode": "general_contracting", "owner_party": owner, "org_unit": org, "project_manager": "ann",
            "contract_amount": "10000000.00", "planned_start_date": "2024-01-01",
            "planned_finish_date": "2025-12-31",
            "members": [{"user": "ann", "position": "project_manager"},
                        {"user": "cost", "position": "project_cost_engineer"},
                        {"user": "site", "position": "site_engineer"}]})
        company = create("party", {"party_name": "鑫源劳务", "party_type": ["labor_company"],
                                   "credit_code": "91350105MA31ABCD5X"})
        trade = create("trade", {"trade_key": "carpenter", "trade_name": "木工", "skill_level": "skilled",
                                 "guide_price": "400"})
        crew = create("crew", {"project": project, "crew_name": "木工一班", "crew_leader_name": "班组长",
                               "crew_leader_phone": "13800000001", "crew_leader_id_no": "510321198503121234",
                               "labor_company": company, "main_trade": trade})
        create("cost_account", {"account_code": "0102", "account_name": "点工/零星用工", "cost_element": "labor"})
        workers = [create("worker", {"name": name, "id_no": id_no, "phone": "13900000001", "crew": crew,
                                     "trade": trade, "bank_card": "6228480000000000011"})
                   for name, id_no in (("陈木生", "510321198101011121"), ("黄志强", "510321198202022232"))]
    return {"project": project, "crew": crew, "trade": trade, "workers": workers}


def ticket(world: dict[str, Any], index: int, with_workers: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project": world["project"], "work_date": (date.today() - timedelta(days=1)).isoformat(),
        "crew": world["crew"], "trade": world["trade"], "location": f"{index}#楼 5层 东侧", "reason_type": "cleanup",
        "reason": "模板拆除后楼层垃圾清理外运", "work_content": "清理楼面建筑垃圾", "headcount": 2,
        "days_per_person": "1", "photos": ["uploads/p1.jpg"], "crew_leader_signature": "uploads/sign.png"}
    if with_workers:
        body["workers"] = [{"worker": worker, "trade": world["trade"], "days": "1"} for worker in world["workers"]]
    return body


def measure(url: str, label: str, verbose: bool, repeats: int) -> None:
    engine, world = prepare(url)
    client = create_app(engine).test_client()
    response = client.post("/api/v1/auth/token", json={"tenant": TENANT, "username": "cost", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine.db.engine, "before_cursor_execute", record)
    for index, with_workers in enumerate((False, True, False, True)):
        seen.clear()
        created = client.post("/api/v1/records/labor/day_labor_ticket", json=ticket(world, index, with_workers),
                              headers=headers)
        assert created.status_code == 201, created.get_json()
        if index < 2:  # the first of each kind; the later ones give the same counts
            loads = [s for s in seen if re.match(r"\s*SELECT\b.*\bFROM records\b", s, re.DOTALL)]
            kind = "with 2 worker rows" if with_workers else "headcount only"
            print(f"{label:<11} 点工单 create, {kind:<19} {len(seen):>3} statements {len(loads):>3} record loads")
            if verbose:
                print("\n".join(f"    {i:2}. {s.split(chr(10))[0][:110]}" for i, s in enumerate(seen, 1)))
    event.remove(engine.db.engine, "before_cursor_execute", record)

    def median_ms(call: Any) -> float:
        timings = []
        for index in range(repeats):
            started = time.perf_counter()
            call(index)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)

    baseline = median_ms(lambda _i: client.get("/api/v1/me", headers=headers))
    create = median_ms(lambda i: client.post("/api/v1/records/labor/day_labor_ticket",
                                             json=ticket(world, 100 + i, with_workers=i % 2 == 1), headers=headers))
    print(f"{label:<11} 点工单 create {create:7.2f} ms median, GET /me {baseline:5.2f} ms: {create / baseline:4.1f}x")
    engine.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("FORMWORK_TEST_DATABASE_URL"))
    parser.add_argument("--verbose", action="store_true", help="list the statements")
    parser.add_argument("--repeats", type=int, default=40, help="creates timed per database")
    args = parser.parse_args()
    measure(f"sqlite:///{tempfile.mkdtemp()}/bench.db", "sqlite", args.verbose, args.repeats)
    if args.postgres:
        measure(args.postgres, "postgresql", args.verbose, args.repeats)


if __name__ == "__main__":
    main()
