"""Request latency of the REST API over real HTTP, as ratios to an auth-only baseline in the same run.

Usage: .venv/bin/python bench/run.py [--records N] [--repeats N] [--postgres URL]

Starts the app on a loopback port (werkzeug, threaded) against a fresh SQLite file and, when a
PostgreSQL URL is given or FORMWORK_TEST_DATABASE_URL is set, a throw-away PostgreSQL database;
seeds N records of the `site` test module, then times each request kind and prints a table:
median and p95 in milliseconds and the ratio of the median to `GET /me` (token check only).
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from engine import tenancy  # noqa: E402
from engine.runtime import Formwork  # noqa: E402


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        self.connection.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


def prepare(url: str, records: int) -> Formwork:
    engine = Formwork(url)
    engine.initialise()
    engine.catalog.install(ROOT / "tests" / "fixtures" / "modules" / "site")
    installed = engine.catalog.modules()
    with engine.db.tenant("bench") as session:
        tenancy.create_tenant(session, "bench", plan="enterprise")
        for name in installed:
            tenancy.set_module_enabled(session, "bench", name, True, installed)
        tenancy.add_user(session, "bench", "keeper", "bench-pw", ["storekeeper", "project_manager"])
        keeper = tenancy.actor_of(tenancy.authenticate(session, "bench", "keeper", "bench-pw"))
        admin = tenancy.actor_of(tenancy.add_user(session, "bench", "ann", "bench-pw", ["system_admin"]))
    with engine.records(admin) as service:  # a project needs its organisation unit and owner (domain.md 0.1)
        org = service.create("base", "org_unit", {"unit_code": "ORG-B", "unit_name": "Bench branch"})
        owner = service.create("base", "party", {"party_name": "Bench owner", "party_type": ["owner"],
                                                 "credit_code": "91350100M000100Y43"})
        project = service.create("base", "project", {
            "project_code": "XM-0001", "project_name": "Bench", "project_type": "building",
            "contract_mode": "general_contracting", "owner_party": owner["id"], "org_unit": org["id"],
            "project_manager": "keeper", "contract_amount": "10000000.00", "planned_start_date": "2024-01-01",
            "planned_finish_date": "2025-12-31", "members": [{"user": "keeper", "position": "project_manager"}]})
    with engine.records(keeper) as service:
        for index in range(records):
            service.create("site", "delivery", {
                "number": f"D-{index:06d}", "project": project["id"], "delivered_on": f"2024-{index % 12 + 1:02d}-10",
                "items": [{"material": "sand", "qty": index % 17 + 1, "unit_price": "12.50"},
                          {"material": "cement", "qty": 3, "unit_price": "410"}]})
    return engine


def timed(action: Any, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def measure(url: str, label: str, records: int, repeats: int) -> list[tuple[str, str, float, float]]:
    engine = prepare(url, records)
    server = make_server("127.0.0.1", 0, create_app(engine), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = Client(server.server_port)
    status, body = client.call("POST", "/auth/token", {"tenant": "bench", "username": "keeper", "password": "bench-pw"})
    assert status == 201, body
    client.token = body["token"]
    project = client.call("GET", "/records/base/project")[1]["items"][0]["id"]
    one = client.call("GET", "/records/site/delivery?limit=1")[1]["items"][0]
    counter = iter(range(10**9))
    current = {"version": one["version"]}

    def create() -> None:
        status, created = client.call("POST", "/records/site/delivery", {
            "number": f"N-{next(counter)}", "project": project, "delivered_on": "2024-05-05",
            "items": [{"material": "rebar", "qty": 2, "unit_price": "4100"}]})
        assert status == 201, created

    def update() -> None:
        status, updated = client.call("PATCH", f"/records/site/delivery/{one['id']}",
                                      {"version": current["version"], "data": {"supplier": f"S{next(counter)}"}})
        assert status == 200, updated
        current["version"] = updated["version"]

    def get(path: str) -> Any:
        return lambda: client.call("GET", path)

    kinds = [
        ("GET /me (baseline)", get("/me")),
        ("GET one record", get(f"/records/site/delivery/{one['id']}")),
        ("GET list, 50 of all", get("/records/site/delivery?limit=50")),
        ("GET list, filter + sort", get("/records/site/delivery?q=total%20%3E%3D%201300%20and%20"
                                        "delivered_on%20%3E%3D%20date('2024-06-01')&sort=-total&limit=50")),
        ("GET list, unique lookup", get("/records/site/delivery?q=number%20%3D%3D%20'D-000042'")),
        ("POST create", create),
        ("PATCH update", update),
    ]
    for _, action in kinds:
        timed(action, 5)  # warm up
    results = []
    for name, action in kinds:
        samples = timed(action, repeats)
        results.append((label, name, statistics.median(samples), statistics.quantiles(samples, n=20)[-1]))
    server.shutdown()
    engine.db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("FORMWORK_TEST_DATABASE_URL"))
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rows = measure(f"sqlite:///{tempfile.mkdtemp()}/bench.db", "sqlite", args.records, args.repeats)
    if args.postgres:
        rows += measure(args.postgres, "postgresql", args.records, args.repeats)
    baseline = {label: median for label, name, median, _ in rows if name.startswith("GET /me")}
    print(f"{args.records} records, {args.repeats} requests each, one keep-alive connection\n")
    print(f"{'database':<11} {'request':<26} {'median ms':>10} {'p95 ms':>8} {'× baseline':>11}")
    for label, name, median, p95 in rows:
        print(f"{label:<11} {name:<26} {median:>10.2f} {p95:>8.2f} {median / baseline[label]:>11.1f}")


if __name__ == "__main__":
    main()
