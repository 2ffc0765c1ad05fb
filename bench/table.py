"""Issue 15's numbers in one run, as one markdown table of ratios against baselines measured in the same run.

Usage: tests/run_with_postgres.py .venv/bin/python bench/table.py [--quick] [--clients N] [--tier-m-tickets N]

On the throw-away PostgreSQL database of FORMWORK_TEST_DATABASE_URL (or --postgres URL) it serves the app with
gunicorn and drives it over HTTP with bench/load.py:

1. Creating a 点工单 (bench/statements.py's payload, two worker rows) and completing its sign-off task (施工员签认),
   each against the bare endpoint (bench/bare.py: plain SQL writing the same rows, served the same way):
   throughput and median latency with a fixed number of concurrent clients; ratio = engine / bare.
2. Write scaling: the create throughput with 1, 2 and 4 gunicorn workers, the clients on one tenant or spread
   over two; ratio to 1 worker. Every run has fresh tenants, so no run creates into a fuller one than another.
3. The other helpers' measurements when their scripts are there (bench/formulas.py, imports.py, tier_m.py),
   'n/a' when not.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import load  # noqa: E402
from statements import PASSWORD, populate, ticket  # noqa: E402

from app import create_app  # noqa: E402
from engine.runtime import Formwork  # noqa: E402

CREATE = "/api/v1/records/labor/day_labor_ticket"
THREADS = 4  # gunicorn gthread threads per worker, for the engine and the bare endpoint alike
TARGETS = {"create": ">= 0.40x", "complete": ">= 0.50x", ("two", 2): ">= 1.6x", ("one", 2): ">= 1.4x",
           ("days", 2): ">= 1.4x"}
SPREADS = {"one": "one tenant, one work day", "days": "one tenant, a work day per client", "two": "two tenants"}
SLOTS = [  # module, its arguments' names, the issue's target for rows that bring none
    ("formulas", (), "<= 3x a lambda"),
    ("imports", ("url",), ">= 1,000 rows/s"),
    ("tier_m", ("url", "tickets"), "list p95 <= 100 ms, monthly summary p95 <= 1 s, dashboard <= 1.5 s"),
]


class Bench:
    """The in-process engine that prepares tenants, tokens and tasks on the database the servers use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = Formwork(url)
        self.engine.initialise()
        self.client = create_app(self.engine).test_client()
        self.tenants = 0

    def tenant(self) -> tuple[dict[str, Any], dict[str, str]]:
        """A fresh tenant with a project, crew and workers, and the API tokens of its cost and site engineers."""
        self.tenants += 1
        name = f"bx{self.tenants}"
        world = populate(self.engine, name)
        tokens = {}
        for user in ("cost", "site"):
            answer = self.client.post("/api/v1/auth/token", json={"tenant": name, "username": user,
                                                                   "password": PASSWORD})
            tokens[user] = answer.get_json()["token"]
        return world, tokens

    def analyze(self) -> None:
        with self.engine.db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()

    def tasks(self, world: dict[str, Any], tokens: dict[str, str], count: int) -> list[str]:
        """`count` submitted tickets' open sign-off tasks."""
        headers = {"Authorization": f"Bearer {tokens['cost']}"}
        for index in range(count):
            created = self.client.post(CREATE, json=ticket(world, index, True), headers=headers).get_json()
            answer = self.client.post(f"{CREATE}/{created['id']}/submit", headers=headers)
            assert answer.status_code == 200, answer.get_json()
        with self.engine.db.engine.connect() as connection:
            return list(connection.scalars(text("SELECT id FROM human_tasks WHERE tenant_id = :tenant AND "
                                                "state = 'open' ORDER BY created_at"),
                                           {"tenant": tokens["site"].split(".")[0]}))


@dataclass(frozen=True)
class Server:
    """A gunicorn serving on `port`; `pid` is its master's."""

    port: int
    pid: int

    def cpu_seconds(self) -> dict[str, float]:
        """The CPU time each of its workers has used so far (Linux's /proc: user and system)."""
        used = {}
        for worker in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split():
            with contextlib.suppress(FileNotFoundError):  # a worker that ended meanwhile
                fields = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()
                used[worker] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return used


@contextlib.contextmanager
def gunicorn(app: str, workers: int, environment: dict[str, str], log: Path) -> Iterator[Server]:
    """Serve `app` on a free loopback port until the block ends; yields the server once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread",
               "--threads", str(THREADS), "--keep-alive", "120", "--bind", f"127.0.0.1:{port}",
               "--pythonpath", str(BENCH), "--log-level", "warning", "--error-logfile", str(log), app]
    with log.open("a") as output:  # the app's own error log lines (a failed request's traceback) go there too
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app} did not start; see {log}") from None
                time.sleep(0.2)
        yield Server(port, server.pid)
    finally:
        server.terminate()
        server.wait(30)


def creates(world: dict[str, Any], token: str, count: int, start: int, days_ago: int = 1
            ) -> tuple[str, list[load.Request]]:
    """`count` 点工单 creates, statements.py's payload; `days_ago` moves the work date, so the ticket number's
    counter (one per project and day) is another one."""
    work_date = (date.today() - timedelta(days=days_ago)).isoformat()
    return token, [("POST", CREATE, load.body({**ticket(world, start + i, True), "work_date": work_date}))
                   for i in range(count)]


def completions(token: str, tasks: list[str]) -> tuple[str, list[load.Request]]:
    decision = load.body({"decision": "approve", "comment": "ok"})
    return token, [("POST", f"/api/v1/tasks/{task}/complete", decision) for task in tasks]


def shown(result: load.Result) -> str:
    """Requests per second, and how many failed if any did (a failed request still counts as one answered)."""
    failed = f" ({result.errors} of {result.requests} failed)" if result.errors else ""
    return f"{result.per_second:.1f}{failed}"


def warmed(bench: Bench, server: Server, warm: list[tuple[str, list[load.Request]]],
           measured: list[tuple[str, list[load.Request]]]) -> load.Result:
    """Warm every worker up (first requests load modules and tenant contexts) and give the planner the statistics a
    running database has (autovacuum analyzes a table whose rows changed; this one was filled seconds ago), then
    measure, with the CPU time the server's workers used for it."""
    load.run(server.port, warm)
    bench.analyze()
    before = server.cpu_seconds()
    result = load.run(server.port, measured)
    used = [seconds - before.get(worker, 0.0) for worker, seconds in server.cpu_seconds().items()]
    total = sum(used)
    return replace(result, server_cpu=total, busiest_worker=max(used) / total if total else 1.0)


def median_run(repeats: int, run: Callable[..., load.Result], *args: Any) -> load.Result:
    """The run of median throughput among `repeats` of `run(*args)` (a loaded machine makes single runs jumpy)."""
    results = sorted((run(*args) for _ in range(repeats)), key=lambda result: result.per_second)
    return results[len(results) // 2]


def machine(bench: Bench) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    with bench.engine.db.engine.connect() as connection:
        version = str(connection.scalar(text("SHOW server_version")))
    load1, load5, _ = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), PostgreSQL {version}, Python {platform.python_version()}; "
            f"load average {load1:.1f} / {load5:.1f} (1 / 5 min) at the start")


def measure_writes(bench: Bench, environment: dict[str, str], clients: int, per_client: int, repeats: int,
                   workdir: Path) -> tuple[list[list[str]], str]:
    rows: list[list[str]] = []
    scaling: dict[tuple[str, int], load.Result] = {}
    warm_each = 3

    def tenants_run(server: Server, workers: int, spread: str) -> load.Result:
        """Creates: all clients in one tenant on one work day, in one tenant each on its own day, or spread over
        two tenants (on one day)."""
        worlds = [bench.tenant() for _ in range(2 if spread == "two" else 1)]
        plan = [(worlds[i % len(worlds)], 1 + i if spread == "days" else 1) for i in range(clients)]
        warm = [creates(world, tokens["cost"], warm_each * workers, 10_000 + i, days)
                for i, ((world, tokens), days) in enumerate(plan)]
        return warmed(bench, server, warm, [creates(world, tokens["cost"], per_client, i * per_client, days)
                                            for i, ((world, tokens), days) in enumerate(plan)])

    def complete_run(server: Server) -> load.Result:
        world, tokens = bench.tenant()
        tasks = bench.tasks(world, tokens, clients * (warm_each + per_client))
        warm = [completions(tokens["site"], tasks[i * warm_each:(i + 1) * warm_each]) for i in range(clients)]
        rest = tasks[clients * warm_each:]
        return warmed(bench, server, warm, [completions(tokens["site"], rest[i * per_client:(i + 1) * per_client])
                                            for i in range(clients)])

    for workers in (1, 2, 4):
        with gunicorn("app:create_app()", workers, environment, workdir / "engine.log") as server:
            tenants_run(server, workers, "days")  # a first run warms every process up; not counted (see README)
            for spread in SPREADS:
                scaling[spread, workers] = median_run(repeats, tenants_run, server, workers, spread)
            if workers == 1:
                engine_complete = median_run(repeats, complete_run, server)
    with gunicorn("bare:create_app()", 1, environment, workdir / "bare.log") as server:
        tenants_run(server, 1, "days")  # warmed up alike, not counted
        bare_create = median_run(repeats, tenants_run, server, 1, "one")
        bare_complete = median_run(repeats, complete_run, server)
    for kind, engine, bare in (("create", scaling["one", 1], bare_create), ("complete", engine_complete,
                                                                           bare_complete)):
        what = "点工单 create" if kind == "create" else "sign-off task complete"
        rows.append([f"{what}, req/s (engine / bare endpoint)", shown(engine), shown(bare),
                     f"{engine.per_second / bare.per_second:.2f}x", TARGETS[kind]])
        rows.append([f"{what}, p50 ms (engine / bare endpoint)", f"{engine.p50_ms:.1f}", f"{bare.p50_ms:.1f}",
                     f"{engine.p50_ms / bare.p50_ms:.1f}x", ""])
        rows.append([f"{what}, server CPU ms per request (engine / bare endpoint)", f"{engine.cpu_ms:.2f}",
                     f"{bare.cpu_ms:.2f}", f"{engine.cpu_ms / bare.cpu_ms:.1f}x", ""])
    for spread, words in SPREADS.items():
        base = scaling[spread, 1]
        for workers in (2, 4):
            result = scaling[spread, workers]
            split = f" (busiest worker {result.busiest_worker:.0%} of the CPU)"
            rows.append([f"create req/s, {workers} workers / 1, {words}", shown(result) + split, shown(base),
                         f"{result.per_second / base.per_second:.2f}x", TARGETS.get((spread, workers), "")])
    runs = [*scaling.values(), engine_complete, bare_create, bare_complete]
    share = sum(r.client_cpu for r in runs) / sum(r.seconds for r in runs)
    failed = sum(r.errors for r in runs)
    note = (f"load generator: {clients} concurrent clients (processes, one keep-alive connection each), "
            f"{per_client} requests each per run after a warm-up, the median of {repeats} run(s); they used "
            f"{share:.1%} of one core"
            + (f"; {failed} requests failed, the servers' logs are in {workdir}" if failed else ""))
    return rows, note


def slot_rows(url: str, tickets: int) -> list[list[str]]:
    """The other helpers' measurements: each script's `measure` if it is there, 'n/a' if it is not or fails."""
    rows = []
    arguments = {"url": url, "tickets": tickets}
    for name, wanted, target in SLOTS:
        try:
            measured = importlib.import_module(name).measure(*(arguments[a] for a in wanted))
        except Exception as error:  # any failure of another script leaves its row 'n/a', the table still prints
            print(f"  bench/{name}.py: {type(error).__name__}: {error}", file=sys.stderr)
            rows.append([f"{name}", "n/a", "", "", target])
            continue
        for key, value in measured.items():
            fields = value if isinstance(value, dict) else {"value": value}
            rows.append([f"{name}: {key}", *(_shown(fields.get(k, "")) for k in ("value", "baseline", "ratio")),
                         str(fields.get("target", target))])
    return rows


def _shown(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("FORMWORK_TEST_DATABASE_URL"))
    parser.add_argument("--quick", action="store_true", help="fewer requests per run (a smoke run)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, help="requests per client per run (default 30, --quick 8)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measure, the median shown")
    parser.add_argument("--tier-m-tickets", type=int, default=None, help="tickets for bench/tier_m.py")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("needs PostgreSQL: run it through tests/run_with_postgres.py or pass --postgres URL")
    per_client = args.requests or (8 if args.quick else 30)
    tickets = args.tier_m_tickets or (2_000 if args.quick else 20_000)
    workdir = Path(tempfile.mkdtemp(prefix="formwork-bench-"))
    os.environ.update({"FORMWORK_DATABASE_URL": args.postgres, "FORMWORK_INSTANCE": str(workdir),
                       "FORMWORK_INSTANCE_KEY": secrets.token_hex(32), "FORMWORK_SECRET_KEY": secrets.token_hex(32)})
    bench = Bench(args.postgres)
    header = machine(bench)
    started = time.monotonic()
    rows, note = measure_writes(bench, dict(os.environ), args.clients, per_client, args.repeat, workdir)
    rows += slot_rows(args.postgres, tickets)
    print(f"\n{header}\ngunicorn {THREADS} threads per worker (gthread), engine and bare endpoint alike; "
          f"ratios: 1 worker unless named; {note}; {time.monotonic() - started:.0f} s\n")
    print("| measure | value | baseline | ratio | target |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
