"""Tier M (domain.md §5: 50 projects, 7,500 点工单 a month, 3 years ≈ 600,000 tickets) on PostgreSQL, and its timings.

Usage: .venv/bin/python bench/tier_m.py [--url URL] [--tickets N] [--repeats N]

Builds the demo tenant (`formwork demo`) in the database when it is not there yet, then adds projects up to 50 (the
demo's `pm` a member of one in five, `gm` a company role that sees them all), ten crews of four workers each per
project and N tickets (600,000 by default) spread over the last 36 months, written with COPY straight into the
records table, their computed fields filled as the engine computes them (period, man-days, agreed price, amount,
price source, billable). Then it times, p50/p95 over repeated requests, each for `gm` and for `pm`:

- list: one project's tickets of one month, first page, newest first (the engine's list query);
- report: the monthly crew summary `labor.day_labor_by_crew_month` for one month (the report page's query);
- dashboard: GET / through the Flask test client, as the logged-in user;

and the hand-written SQL doing the same work, and prints the ratios. `measure(url, tickets)` returns the numbers
for the bench table.
"""
from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from demo.data import DEMO_PASSWORD, DEMO_TENANT, create_demo  # noqa: E402
from engine import tenancy  # noqa: E402
from engine.reports.service import run_report  # noqa: E402
from engine.runtime import Formwork  # noqa: E402
from engine.storage import summaries  # noqa: E402
from engine.storage.models import User  # noqa: E402

PROJECTS = 50
CREWS_PER_PROJECT = 10
WORKERS_PER_CREW = 4
MONTHS = 36
COUNTED = ("signed", "summarized", "settled", "paid")
STATUSES = [("summarized", 70), ("signed", 20), ("in_review", 4), ("rejected", 3), ("draft", 3)]
REASONS = ["extra_work", "owner_visa_work", "rework", "assist_other_trade", "cleanup", "emergency", "other"]
PRICES = ["240.00", "260.00", "350.00", "380.00", "400.00"]
COLUMNS = ("tenant_id", "id", "module", "entity", "schema_version", "status", "version", "data", "created_at",
           "created_by", "updated_at", "updated_by")
CENT = Decimal("0.01")


def _rows(session: Any, module: str, entity: str) -> list[tuple[str, dict[str, Any]]]:
    return [(row[0], row[1]) for row in session.execute(text(
        "SELECT id, data FROM records WHERE tenant_id = :t AND module = :m AND entity = :e AND deleted_at IS NULL "
        "ORDER BY created_at, id"), {"t": DEMO_TENANT, "m": module, "e": entity})]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


class Writer:
    """Rows for COPY records, tab-separated text."""

    def __init__(self, version: dict[str, str], now: datetime) -> None:
        self.buffer = io.StringIO()
        self.version = version
        self.now = now
        self.count = 0

    def add(self, module: str, entity: str, data: dict[str, Any], *, status: str = "draft",
            by: str = "admin", at: datetime | None = None) -> str:
        record_id = str(uuid.uuid4())
        moment = (at or self.now).isoformat()
        document = json.dumps(data, ensure_ascii=False).replace("\\", "\\\\")
        self.buffer.write("\t".join((DEMO_TENANT, record_id, module, entity, self.version[module], status, "1",
                                     document, moment, by, moment, by)) + "\n")
        self.count += 1
        return record_id

    def copy(self, connection: Any) -> None:
        with connection.cursor() as cursor, cursor.copy(f"COPY records ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(self.buffer.getvalue())
        self.buffer = io.StringIO()


def generate(url: str, tickets: int = 600_000, *, seed: int = 15) -> dict[str, Any]:
    """The demo tenant plus tier-M master data and `tickets` tickets (once: a database that has them is kept)."""
    engine = Formwork(url)
    create_demo(engine)
    with engine.db.tenant(DEMO_TENANT) as session:
        existing = session.execute(text("SELECT count(*) FROM records WHERE tenant_id = :t AND "
                                        "entity = 'day_labor_ticket'"), {"t": DEMO_TENANT}).scalar() or 0
        if existing >= tickets:
            return _fixture(engine)
        projects = _rows(session, "base", "project")
        crews = _rows(session, "base", "crew")
        trades = _rows(session, "base", "trade")
        accounts = [row for row in _rows(session, "base", "cost_account") if row[1].get("account_code") == "0102"]
        version = {name: str(v) for name, v in session.execute(text(
            "SELECT module, schema_version FROM records WHERE tenant_id = :t GROUP BY module, schema_version"),
            {"t": DEMO_TENANT})}
    random.seed(seed)
    now = datetime.now(UTC)
    writer = Writer(version, now)
    template_project = projects[0][1]
    all_projects = list(projects)
    for n in range(len(projects), PROJECTS):
        members = [{"user": user, "position": position} for user, position in
                   (("pm", "project_manager"), ("site", "site_engineer"), ("labor", "labor_clerk"))] \
            if n % 5 == 0 else [{"user": "prod", "position": "production_manager"}]
        data = {**template_project, "project_code": f"XM-M-{n:04d}", "project_name": f"基准项目{n:02d}号楼",
                "members": members, "project_manager": "pm" if n % 5 == 0 else "prod"}
        all_projects.append((writer.add("base", "project", data), data))
    template_crew = crews[0][1]
    crews_of: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for project_id, _ in all_projects:
        mine = [crew for crew in crews if crew[1].get("project") == project_id]
        for k in range(len(mine), CREWS_PER_PROJECT):
            trade_id = trades[k % len(trades)][0]
            data = {**template_crew, "project": project_id, "crew_name": f"班组{k + 1:02d}", "main_trade": trade_id,
                    "leader_user": f"crew{k % 9 + 1}", "crew_leader_name": f"班组长{k + 1}",
                    "headcount_registered": WORKERS_PER_CREW}
            crew_id = writer.add("base", "crew", data)
            for w in range(WORKERS_PER_CREW):
                writer.add("base", "worker", {"name": f"工人{k}-{w}", "crew": crew_id, "trade": trade_id,
                                              "project": project_id, "worker_status": "on_site"})
            mine.append((crew_id, data))
        crews_of[project_id] = mine
    account = accounts[0][0] if accounts else None
    statuses = [status for status, weight in STATUSES for _ in range(weight)]
    today = date.today()
    start = today - timedelta(days=MONTHS * 30)
    span = (today - start).days
    numbers: dict[tuple[str, date], int] = {}
    for _ in range(tickets - existing):
        project_id, project = random.choice(all_projects)
        crew_id, crew = random.choice(crews_of[project_id])
        work_date = start + timedelta(days=random.randrange(span + 1))
        seq = numbers[(project_id, work_date)] = numbers.get((project_id, work_date), 500) + 1  # past the demo's own
        headcount = random.randint(1, 8)
        overtime = Decimal(random.choice([0, 0, 0, 2, 4]))
        man_days = (Decimal(headcount) + overtime / 8).quantize(CENT, rounding=ROUND_HALF_UP)
        price = Decimal(random.choice(PRICES))
        reason = random.choice(REASONS)
        status = random.choice(statuses)
        entered = datetime.combine(work_date, datetime.min.time(), UTC) + timedelta(hours=18)
        signed = status in COUNTED
        data = {"ticket_no": f"DG-{project['project_code']}-{work_date:%Y%m%d}-{seq:03d}", "project": project_id,
                "work_date": work_date.isoformat(), "period": f"{work_date:%Y-%m}", "late_entry": False,
                "crew": crew_id, "crew_leader": crew.get("crew_leader_name"), "trade": crew.get("main_trade"),
                "location": f"{random.randint(1, 9)}#楼 {random.randint(1, 30)}层", "reason_type": reason,
                "reason": "现场零星用工，按施工员安排完成", "work_content": "清理、倒运、配合", "headcount": headcount,
                "days_per_person": "1.0", "overtime_hours": str(overtime) if overtime else None,
                "man_days": str(man_days), "lists_workers": False, "agreed_price": _money(price),
                "unit_price": _money(price), "price_source": "agreement",
                "amount": _money(man_days * price), "is_billable_to_owner": reason == "owner_visa_work",
                "cost_account": account, "photos": ["demo/photos/site-1.jpg"],
                "crew_leader_signature": "demo/signatures/crew-leader.png",
                "site_engineer": "site" if signed else None,
                "signed_at": (entered + timedelta(hours=3)).isoformat() if signed else None,
                "sign_delay_hours": "3.0" if signed else None}
        writer.add("labor", "day_labor_ticket", {k: v for k, v in data.items() if v is not None}, status=status,
                   by=str(crew.get("leader_user") or "admin"), at=entered)
    raw = engine.db.engine.raw_connection()
    try:
        writer.copy(raw.driver_connection)
        raw.commit()
    finally:
        raw.close()
    with engine.db.engine.begin() as connection:
        connection.execute(text("ANALYZE records"))
    refresh_summaries(engine)
    return _fixture(engine)


def refresh_summaries(engine: Formwork) -> None:
    """The record counts the engine keeps with every write, counted again after the COPY went around it."""
    with engine.db.engine.begin() as connection:
        summaries.rebuild(connection, DEMO_TENANT)


def _fixture(engine: Formwork) -> dict[str, Any]:
    """What the timings ask for: a project `pm` is a member of, a month with tickets, the ticket count."""
    with engine.db.tenant(DEMO_TENANT) as session:
        project = session.execute(text(
            "SELECT id FROM records WHERE tenant_id = :t AND entity = 'project' AND data -> 'members' @> "
            "'[{\"user\": \"pm\"}]' ORDER BY data ->> 'project_code' DESC LIMIT 1"), {"t": DEMO_TENANT}).scalar()
        count = session.execute(text("SELECT count(*) FROM records WHERE tenant_id = :t AND "
                                     "entity = 'day_labor_ticket'"), {"t": DEMO_TENANT}).scalar()
    month = (date.today().replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    return {"project": project, "period": month, "tickets": count}


def _timed(work: Callable[[], Any], repeats: int) -> dict[str, float]:
    work()  # warm: caches of the tenant context, compiled statements
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 1),
            "p95": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1)}


def _sql(engine: Formwork, statement: str, params: dict[str, Any]) -> Callable[[], Any]:
    def run() -> Any:
        with engine.db.engine.connect() as connection:
            return connection.execute(text(statement), {"t": DEMO_TENANT, **params}).all()
    return run


LIST_SQL = ("SELECT id, data FROM records WHERE tenant_id = :t AND module = 'labor' AND entity = 'day_labor_ticket' "
            "AND deleted_at IS NULL AND data ->> 'project' = :p AND data ->> 'period' = :m "
            "ORDER BY data ->> 'work_date' DESC, created_at DESC, id LIMIT 50")
COUNT_SQL = ("SELECT count(*) FROM records WHERE tenant_id = :t AND module = 'labor' AND entity = 'day_labor_ticket' "
             "AND deleted_at IS NULL AND data ->> 'project' = :p AND data ->> 'period' = :m")
REPORT_SQL = ("SELECT data ->> 'project', data ->> 'crew', data ->> 'period', count(*), "
              "sum((data ->> 'man_days')::numeric), sum((data ->> 'amount')::numeric) FROM records "
              "WHERE tenant_id = :t AND module = 'labor' AND entity = 'day_labor_ticket' AND deleted_at IS NULL "
              "AND status IN ('signed', 'summarized', 'settled', 'paid') AND data ->> 'period' = :m GROUP BY 1, 2, 3")
DASH_SQL = ("SELECT status, count(*), sum((data ->> 'amount')::numeric) FILTER (WHERE data ->> 'period' = :m) "
            "FROM records WHERE tenant_id = :t AND module = 'labor' AND entity = 'day_labor_ticket' "
            "AND deleted_at IS NULL GROUP BY status")


CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def _login(client: Any, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page)
    response = client.post("/login", data={"tenant": DEMO_TENANT, "username": username, "password": DEMO_PASSWORD,
                                           "_csrf": token.group(1) if token else ""},
                           headers={"Accept-Language": "zh-CN"})
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} answered {response.status_code}")


def measure(url: str, tickets: int = 600_000, *, repeats: int = 20) -> dict[str, Any]:
    """Generate (if needed) and time list, report and dashboard for a company role and a row-filtered one."""
    fixture = generate(url, tickets)
    # What generating left alive in this process (a serving process has none of it) made every full collection take
    # 60-260 ms, one of them inside a timed request now and then: collect it, and keep what stays out of later ones
    gc.collect()
    gc.freeze()
    engine = Formwork(url)
    os.environ["FORMWORK_DATABASE_URL"] = url
    app = create_app(engine, TESTING=True)
    project, month = fixture["project"], fixture["period"]
    result: dict[str, Any] = {"tickets": fixture["tickets"]}
    with engine.db.tenant(DEMO_TENANT) as session:
        actors = {name: tenancy.actor_of(session.get(User, (DEMO_TENANT, name))) for name in ("gm", "pm")}

    def in_records(actor: Any, work: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with engine.records(actor, "zh", reading=True) as records:
                return work(records)
        return run

    for name, actor in actors.items():
        result[f"list_{name}"] = _timed(in_records(actor, lambda r: r.find(
            "labor", "day_labor_ticket", q=f"project == '{project}' and period == '{month}'", sort="-work_date")),
            repeats)
        result[f"report_{name}"] = _timed(in_records(actor, lambda r: run_report(
            r, "labor", "day_labor_by_crew_month", q=f"period == '{month}'")), repeats)
        client = app.test_client()
        _login(client, name)
        result[f"dashboard_{name}"] = _timed(lambda c=client: _check(c.get("/")), max(3, repeats // 4))
    list_sql, count_sql = _sql(engine, LIST_SQL, {"p": project, "m": month}), _sql(engine, COUNT_SQL,
                                                                                   {"p": project, "m": month})
    result["list_sql"] = _timed(lambda: (list_sql(), count_sql()), repeats)
    result["report_sql"] = _timed(_sql(engine, REPORT_SQL, {"m": month}), repeats)
    result["dashboard_sql"] = _timed(_sql(engine, DASH_SQL, {"m": month}), repeats)
    for what in ("list", "report", "dashboard"):  # the rows bench/table.py shows: value, baseline, ratio
        base = result[f"{what}_sql"]
        base["value"] = f"p50 {base['p50']} ms, p95 {base['p95']} ms"
        for role in ("gm", "pm"):
            timing = result[f"{what}_{role}"]
            timing.update(value=f"p50 {timing['p50']} ms, p95 {timing['p95']} ms",
                          baseline=f"SQL p50 {base['p50']} ms",
                          ratio=round(timing["p50"] / base["p50"], 1) if base["p50"] else "")
    return result


def _check(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"GET / answered {response.status_code}")


def table(result: dict[str, Any]) -> Iterator[str]:
    yield f"tickets: {result['tickets']:,}"
    yield f"{'measure':<12}{'role':<6}{'p50 ms':>10}{'p95 ms':>10}{'SQL p50':>10}{'ratio':>8}"
    for what in ("list", "report", "dashboard"):
        base = result[f"{what}_sql"]["p50"]
        for role in ("gm", "pm"):
            timing = result[f"{what}_{role}"]
            ratio = timing["p50"] / base if base else 0
            yield f"{what:<12}{role:<6}{timing['p50']:>10}{timing['p95']:>10}{base:>10}{ratio:>7.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("FORMWORK_BENCH_DATABASE_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/formwork_tier_m"))
    parser.add_argument("--tickets", type=int, default=600_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    generate(args.url, args.tickets)
    print(f"data set ready in {time.perf_counter() - started:.1f} s")
    for line in table(measure(args.url, args.tickets, repeats=args.repeats)):
        print(line)


if __name__ == "__main__":
    main()
