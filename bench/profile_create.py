"""Where one 点工单 create (or one sign-off) spends its time: cProfile over N of them through the Flask test client.

Usage: tests/run_with_postgres.py .venv/bin/python bench/profile_create.py [--creates N] [--top N] [--sqlite]
       [--sign-offs]

The same world and payload as bench/statements.py (two worker rows). After a warm-up it profiles N creates (with
`--sign-offs`: N completions of the site engineer's sign-off task of submitted tickets, the bench's completion) and
prints the share of the wall time by area (own time of the functions in each), then the top functions by
cumulative and by own time, as percentages of the profiled total, and the time of each statement the create
runs (from before the cursor's execute to after it: the database's work and the round trip), slowest first.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from statements import PASSWORD, TENANT, prepare, ticket  # noqa: E402

CREATE = "/api/v1/records/labor/day_labor_ticket"

from app import create_app  # noqa: E402

AREAS = [  # the first fragment of a function's file name that matches names its area
    ("engine/formula", "engine: formulas"), ("engine/records", "engine: records"),
    ("engine/security", "engine: security, audit"), ("engine/declarations", "engine: declarations"),
    ("engine/fields", "engine: fields"), ("engine/storage", "engine: storage"), ("engine/", "engine: other"),
    ("web/", "web"), ("sqlalchemy", "SQLAlchemy"), ("psycopg", "psycopg (driver, waiting on the database)"),
    ("jsonschema", "jsonschema"), ("werkzeug", "Flask, Werkzeug"), ("flask", "Flask, Werkzeug"),
    ("json", "json"), ("lark", "lark"), ("re2", "re2"),
]


def area(filename: str) -> str:
    return next((name for fragment, name in AREAS if fragment in filename), "other (stdlib, builtins)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sqlite", action="store_true", help="on SQLite, not the PostgreSQL of the environment")
    parser.add_argument("--sign-offs", action="store_true", help="profile task completions instead of creates")
    parser.add_argument("--save", help="also write the raw profile to this file (for pstats or snakeviz)")
    args = parser.parse_args()
    url = os.environ.get("FORMWORK_TEST_DATABASE_URL")
    if args.sqlite or not url:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine, world = prepare(url)
    client = create_app(engine).test_client()
    headers = {user: {"Authorization": f"Bearer {token}"} for user, token in (
        (user, client.post("/api/v1/auth/token", json={"tenant": TENANT, "username": user, "password": PASSWORD})
         .get_json()["token"]) for user in ("cost", "site"))}

    def create(index: int) -> str:
        created = client.post(CREATE, json=ticket(world, index, True), headers=headers["cost"])
        assert created.status_code == 201, created.get_json()
        return str(created.get_json()["id"])

    tasks: list[str] = []
    if args.sign_offs:
        for index in range(10 + args.creates):
            answer = client.post(f"{CREATE}/{create(1000 + index)}/submit", headers=headers["cost"])
            assert answer.status_code == 200, answer.get_json()
        tasks = [task["id"] for task in client.get("/api/v1/tasks?limit=500", headers=headers["site"])
                 .get_json()["items"]]
        assert len(tasks) >= 10 + args.creates, len(tasks)

    def step(index: int) -> None:
        if not args.sign_offs:
            create(index)
            return
        answer = client.post(f"/api/v1/tasks/{tasks[index]}/complete", json={"decision": "approve", "comment": "ok"},
                             headers=headers["site"])
        assert answer.status_code == 200, answer.get_json()

    for index in range(10):
        step(index)
    statements: dict[str, list[float]] = {}
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        flat = " ".join(statement.split())
        head, _, where = flat.partition(" WHERE ")  # the selected columns are the same; what is asked differs
        key = f"{head[:50]} ... WHERE {where[:220]}" if where else flat[:150]
        statements.setdefault(key, []).append(time.perf_counter() - started.pop())

    event.listen(engine.db.engine, "before_cursor_execute", before)
    event.listen(engine.db.engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(args.creates):
        step(10 + index if args.sign_offs else 100 + index)
    profiler.disable()
    event.remove(engine.db.engine, "before_cursor_execute", before)
    event.remove(engine.db.engine, "after_cursor_execute", after)
    stats = pstats.Stats(profiler)
    if args.save:
        stats.dump_stats(args.save)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(own for _calls, _primitive, own, _cumulative, _callers in raw.values())
    what = "sign-offs" if args.sign_offs else "creates"
    print(f"{url.split(':')[0]}: {args.creates} {what}, {total / args.creates * 1000:.1f} ms each under the "
          f"profiler\n\nby area (own time)")
    shares: dict[str, float] = {}
    for (filename, _line, _name), (_calls, _primitive, own, _cumulative, _callers) in raw.items():
        shares[area(filename)] = shares.get(area(filename), 0.0) + own
    for name, own in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {own / total:6.1%}  {name}")
    ours = {k: v for k, v in raw.items() if "/site-packages/" not in k[0] and k[0].startswith(str(ROOT))}
    for title, key, among in (("cumulative", 3, raw), ("own time", 2, raw), ("cumulative, engine and web", 3, ours)):
        print(f"\ntop {args.top} by {title}")
        ranked = sorted(among.items(), key=lambda item: -item[1][key])[:args.top]
        for (filename, line, name), values in ranked:
            where = filename.split("/site-packages/")[-1].replace(str(ROOT) + "/", "")
            print(f"  {values[key] / total:6.1%}  {values[0]:>6} calls  {name}  {where}:{line}")
    print(f"\nstatements, ms per one of the {what} (all runs of the statement in it), slowest first")
    for sql, times in sorted(statements.items(), key=lambda item: -sum(item[1])):
        print(f"  {sum(times) * 1000 / args.creates:7.2f} ms  {len(times) / args.creates:4.1f}x  {sql}")
    engine.db.dispose()


if __name__ == "__main__":
    main()
