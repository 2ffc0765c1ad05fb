"""Approval steps per second through the engine (database included), against a record-create baseline.

Usage: .venv/bin/python bench/approvals.py [--instances N] [--postgres URL]

Each instance of the `visa.by_amount` process is one create, one submit (start) and two task
completions (manager, then finance), each its own transaction as over the API. Prints steps per
second per kind and the ratio of each step's time to creating a plain record in the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import tenancy  # noqa: E402
from engine.runtime import Formwork  # noqa: E402
from engine.tenancy import Actor  # noqa: E402


def prepare(url: str) -> tuple[Formwork, dict[str, Actor]]:
    engine = Formwork(url)
    engine.initialise()
    engine.catalog.install(ROOT / "tests" / "fixtures" / "modules" / "visa")
    installed = engine.catalog.modules()
    actors = {}
    with engine.db.tenant("bench") as session:
        tenancy.create_tenant(session, "bench", plan="enterprise")
        tenancy.set_module_enabled(session, "bench", "visa", True, installed)
        for name, role in (("sub", "manager"), ("mia", "manager"), ("fay", "finance")):
            actors[name] = tenancy.actor_of(tenancy.add_user(session, "bench", name, "bench-pw", [role]))
    return engine, actors


def measure(url: str, label: str, instances: int) -> list[tuple[str, str, float]]:
    engine, actors = prepare(url)
    timings: dict[str, list[float]] = {"create (baseline)": [], "start (submit)": [], "complete": []}

    def timed(kind: str, action: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = action()
        timings[kind].append(time.perf_counter() - start)
        return result

    def one_task(name: str) -> str:
        with engine.approvals(actors[name]) as approvals:
            return str(approvals.inbox()[0]["id"])

    for index in range(instances):
        def create(index: int = index) -> dict[str, object]:
            with engine.records(actors["sub"]) as records:
                return records.create("visa", "by_amount", {"code": f"B-{index}", "total": "9000"})

        record = timed("create (baseline)", create)
        assert isinstance(record, dict)

        def submit(record_id: str = str(record["id"])) -> None:
            with engine.approvals(actors["sub"]) as approvals:
                approvals.submit("visa", "by_amount", record_id)

        timed("start (submit)", submit)
        for name in ("mia", "fay"):
            task_id = one_task(name)

            def complete(name: str = name, task_id: str = task_id) -> None:
                with engine.approvals(actors[name]) as approvals:
                    approvals.complete(task_id, "approve", "ok")

            timed("complete", complete)
    engine.db.dispose()
    baseline = statistics.median(timings["create (baseline)"])
    return [(label, kind, 1 / statistics.median(samples), statistics.median(samples) / baseline)
            for kind, samples in timings.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("FORMWORK_TEST_DATABASE_URL"))
    args = parser.parse_args()
    rows = measure(f"sqlite:///{tempfile.mkdtemp()}/bench.db", "sqlite", args.instances)
    if args.postgres:
        rows += measure(args.postgres, "postgresql", args.instances)
    print(f"{args.instances} instances: create, submit, 2 completions each; one process, one thread\n")
    print(f"{'database':<11} {'step':<20} {'steps/s':>9} {'× create':>9}")
    for label, kind, per_second, ratio in rows:
        print(f"{label:<11} {kind:<20} {per_second:>9.0f} {ratio:>9.2f}")


if __name__ == "__main__":
    main()
