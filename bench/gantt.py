"""How a schedule plan's Gantt page holds up with thousands of tasks (domain.md §5: 5,000), not a timed test.

Usage: .venv/bin/python bench/gantt.py [--tasks N] [--postgres URL]

Builds the demo tenant plus one plan of N tasks (50 summaries, a chain of tasks under each), serves
the app on a loopback port and measures, against the plan's own record page in the same run:
the server time of the Gantt page, its size, and in headless Chromium (Debian's /usr/bin/chromium)
the time until the chart is drawn, and the time of a redraw after scrolling to the last task.
It also times the plan's critical path: a full reschedule of the N tasks (every output written), and
one task's edit (which reschedules the plan) against an edit of the plan itself (no network).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from demo.data import DEMO_PASSWORD, DEMO_TENANT, create_demo  # noqa: E402
from engine import tenancy  # noqa: E402
from engine.runtime import Formwork  # noqa: E402
from engine.storage.models import Record  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SUMMARIES = 50


def build_plan(engine: Formwork, count: int) -> str:
    """The plan, its summaries and one task through the engine; the other tasks are copies of that
    task's stored row with their own code, dates and predecessor (creating 5,000 through the engine,
    which recomputes the plan's roll-ups each time, would take most of an hour)."""
    admin = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))
    start = date.today() - timedelta(days=400)
    with engine.records(admin) as records:
        project = records.find("base", "project", limit=1).items[0]
        plan = records.create("schedule", "schedule_plan", {
            "plan_code": "JH-BENCH", "plan_name": "大型项目总控计划", "project": project["id"],
            "plan_level": "master", "status_date": date.today().isoformat()})
        parents = [records.create("schedule", "wbs_task", {
            "plan": plan["id"], "wbs_code": f"{n + 1:02d}", "task_name": f"分部 {n + 1}", "task_type": "summary",
            "responsible_user": "prod", "planned_start": start.isoformat(),
            "planned_finish": (start + timedelta(days=800)).isoformat()})["id"] for n in range(SUMMARIES)]
        template = records.create("schedule", "wbs_task", {
            "plan": plan["id"], "wbs_code": "01.00000", "task_name": "作业 0", "parent": parents[0],
            "responsible_user": "prod", "planned_start": start.isoformat(),
            "planned_finish": (start + timedelta(days=6)).isoformat(), "baseline_start": start.isoformat(),
            "baseline_finish": (start + timedelta(days=6)).isoformat(), "actual_start": start.isoformat(),
            "actual_finish": (start + timedelta(days=6)).isoformat(), "percent_complete": "100"})
    with engine.db.tenant(DEMO_TENANT) as session:
        row = session.get(Record, (DEMO_TENANT, template["id"]))
        assert row is not None
        chains = [str(template["id"])] + [""] * (SUMMARIES - 1)  # the last task under each summary
        today = date.today()
        for made in range(1, count - SUMMARIES):
            parent = made % SUMMARIES
            first = start + timedelta(days=8 * (made // SUMMARIES))   # one chain of 7-day tasks per summary
            finish = first + timedelta(days=6)
            data = {**row.data, "wbs_code": f"{parent + 1:02d}.{made:05d}", "task_name": f"作业 {made}",
                    "parent": parents[parent], "planned_start": first.isoformat(),
                    "planned_finish": finish.isoformat(), "baseline_start": first.isoformat(),
                    "baseline_finish": finish.isoformat(), "reference_start": first.isoformat(),
                    "reference_finish": finish.isoformat(), "finish_period": f"{finish:%Y-%m}",
                    "predecessors": [{"predecessor": chains[parent], "dep_type": "finish_to_start", "lag_days": 0}]
                    if chains[parent] else []}
            if finish < today:  # the past is done, on time; the future not started
                data.update(actual_start=first.isoformat(), actual_finish=finish.isoformat())
            else:
                data = {k: v for k, v in data.items() if k not in ("actual_start", "actual_finish")}
                data.update(percent_complete="0.00", progress="0.00")
            chains[parent] = str(uuid.uuid4())
            session.add(Record(tenant_id=DEMO_TENANT, id=chains[parent], module=row.module, entity=row.entity,
                               schema_version=row.schema_version, status=row.status, data=data,
                               created_at=row.created_at, created_by=row.created_by, updated_at=row.updated_at,
                               updated_by=row.updated_by))
    return str(plan["id"])


def network_times(engine: Formwork, plan: str) -> tuple[float, float, float]:
    """(full reschedule, one task edit in this plan, one task edit in the demo's small plan) in seconds."""
    admin = tenancy.Actor(DEMO_TENANT, "admin", frozenset({"admin"}))
    began = time.perf_counter()
    with engine.records(admin) as records:
        records.reschedule("schedule", "wbs_task", plan)
    full = time.perf_counter() - began
    with engine.records(admin) as records:
        small = records.find("schedule", "schedule_plan", q=f"id != '{plan}'", limit=1).items[0]["id"]
    return full, task_edit(engine, admin, plan), task_edit(engine, admin, small)


def task_edit(engine: Formwork, admin: tenancy.Actor, plan: str) -> float:
    """Move the finish of the plan's first not-started task by a day: its successors move, the plan is
    rescheduled."""
    with engine.records(admin) as records:
        found = records.find("schedule", "wbs_task", q=f"plan == '{plan}' and task_type == 'task' and "
                             "actual_start == null", sort="planned_start", limit=1).items
        task = found[0] if found else records.find("schedule", "wbs_task", q=f"plan == '{plan}'",
                                                   sort="-planned_start", limit=1).items[0]
    finish = date.fromisoformat(task["data"]["planned_finish"]) + timedelta(days=1)
    began = time.perf_counter()
    with engine.records(admin) as records:
        records.update("schedule", "wbs_task", task["id"], {"planned_finish": finish.isoformat()}, task["version"])
    return time.perf_counter() - began


def signed_in_opener(base: str) -> urllib.request.OpenerDirector:
    import re
    from urllib.parse import urlencode

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert token
    form = {"tenant": DEMO_TENANT, "username": "prod", "password": DEMO_PASSWORD, "_csrf": token.group(1)}
    opener.open(base + "/login", data=urlencode(form).encode())
    return opener


def timed_get(opener: urllib.request.OpenerDirector, url: str, runs: int = 3) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        size = len(opener.open(url).read())
        times.append(time.perf_counter() - began)
    return statistics.median(times), size


def browser_times(base: str, plan: str) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/login")
        page.fill("#tenant", DEMO_TENANT)
        page.fill("#username", "prod")
        page.fill("#password", DEMO_PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(base + "/")
        began = time.perf_counter()
        page.goto(f"{base}/m/schedule/schedule_plan/{plan}")
        record = time.perf_counter() - began
        began = time.perf_counter()
        page.goto(f"{base}/m/schedule/schedule_plan/{plan}/gantt")
        page.wait_for_selector("#gantt[data-ready=true]", timeout=120_000)
        drawn = time.perf_counter() - began
        redraw = page.evaluate("""() => new Promise(done => {
            const chart = document.querySelector('.gantt-chart');
            const began = performance.now();
            chart.scrollTop = chart.scrollHeight;
            requestAnimationFrame(() => requestAnimationFrame(() => done((performance.now() - began) / 1000)));
        })""")
        browser.close()
        return record, drawn, float(redraw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a temporary SQLite file")
    options = parser.parse_args()
    from werkzeug.serving import make_server

    url = options.postgres or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = Formwork(url)
    create_demo(engine)
    began = time.perf_counter()
    plan = build_plan(engine, options.tasks)
    print(f"built a plan of {options.tasks} tasks in {time.perf_counter() - began:.1f} s")
    full, large, small = network_times(engine, plan)
    print(f"critical path: full reschedule of {options.tasks} tasks {full:.2f} s; a task edit {large * 1000:.0f} ms "
          f"against one in the demo's 9-task plan {small * 1000:.0f} ms (ratio {large / small:.1f}x)")
    http = make_server("127.0.0.1", 0, create_app(engine, SECRET_KEY="bench"), threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http.server_port}"
    try:
        opener = signed_in_opener(base)
        record_s, record_size = timed_get(opener, f"{base}/m/schedule/schedule_plan/{plan}")
        gantt_s, gantt_size = timed_get(opener, f"{base}/m/schedule/schedule_plan/{plan}/gantt")
        print(f"server: record page {record_s * 1000:.0f} ms ({record_size / 1024:.0f} KiB); "
              f"gantt page {gantt_s * 1000:.0f} ms ({gantt_size / 1024:.0f} KiB); ratio {gantt_s / record_s:.1f}x")
        if Path(CHROMIUM).exists():
            record_b, drawn, redraw = browser_times(base, plan)
            print(f"browser: record page {record_b * 1000:.0f} ms; gantt drawn {drawn * 1000:.0f} ms "
                  f"(ratio {drawn / record_b:.1f}x); redraw after scrolling to the end {redraw * 1000:.0f} ms")
    finally:
        http.shutdown()
        engine.db.dispose()


if __name__ == "__main__":
    main()
