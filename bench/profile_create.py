"""Where one 点工单 create spends its time: cProfile over N creates through the Flask test client.

Usage: tests/run_with_postgres.py .venv/bin/python bench/profile_create.py [--creates N] [--top N] [--sqlite]

The same world and payload as bench/statements.py (two worker rows). After a warm-up it profiles N creates and
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
    args = parser.parse_args()
    url = os.environ.get("FORMWORK_TEST_DATABASE_URL")
    if args.sqlite or not url:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine, world = prepare(url)
    client = create_app(engine).test_client()
    answer = client.post("/api/v1/auth/token", json={"tenant": TENANT, "username": "cost", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}

    def create(index: int) -> None:
        created = client.post("/api/v1/records/labor/day_labor_ticket", json=ticket(world, index, True),
                              headers=headers)
        assert created.status_code == 201, created.get_json()

    for index in range(10):
        create(index)
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
        create(100 + index)
    profiler.disable()
    event.remove(engine.db.engine, "before_cursor_execute", before)
    event.remove(engine.db.engine, "after_cursor_execute", after)
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(own for _calls, _primitive, own, _cumulative, _callers in raw.values())
    print(f"{url.split(':')[0]}: {args.creates} creates, {total / args.creates * 1000:.1f} ms each under the "
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
    print("\nstatements, ms per create (all runs of the statement in one create), slowest first")
    for sql, times in sorted(statements.items(), key=lambda item: -sum(item[1])):
        print(f"  {sum(times) * 1000 / args.creates:7.2f} ms  {len(times) / args.creates:4.1f}x  {sql}")
    engine.db.dispose()


if __name__ == "__main__":
    main()
