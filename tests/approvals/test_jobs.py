"""The job queue: each job runs once even with several workers; failures back off, then become incidents."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from engine import tenancy
from engine.runtime import Formwork
from engine.storage import jobs
from engine.storage.workflow_models import Job
from engine.tenancy import Actor, plugin_registry
from engine.tenancy.plugin_events import HOOK_JOB
from tests.cli.test_cli import FORMWORK, ROOT, run
from tests.conftest import new_tenant_id
from tests.engine.test_unit_of_work import statements


def queue(engine: Formwork, tenant: str, kind: str, count: int) -> list[str]:
    with engine.db.tenant(tenant) as session:
        return [jobs.enqueue(session, tenant, kind, {"n": n}) for n in range(count)]


def test_several_workers_never_run_the_same_job_twice(engine: Formwork, tenant: str) -> None:
    if engine.db.dialect != "postgresql":
        pytest.skip("several workers need PostgreSQL (SKIP LOCKED); SQLite runs one worker")
    ids = queue(engine, tenant, "test.count", 60)
    ran: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(job: jobs.ClaimedJob, _moment: datetime) -> None:
        with lock:
            ran[job.id] += 1
        with engine.db.tenant(job.tenant_id) as session:
            jobs.finish(session, job)

    workers = [threading.Thread(target=jobs.run_due, args=(engine.db, {"test.count": handler})) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert set(ran) >= set(ids)
    assert all(ran[i] == 1 for i in ids)


def test_failures_back_off_then_become_incidents_that_can_be_retried(engine: Formwork, tenant: str) -> None:
    [job_id] = queue(engine, tenant, "test.broken", 1)
    calls: list[int] = []

    def broken(job: jobs.ClaimedJob, _moment: datetime) -> None:
        if job.id == job_id:
            calls.append(job.attempts)
            raise RuntimeError("the ERP did not answer")

    moment = datetime.now(UTC)
    for _attempt in range(5):
        jobs.run_due(engine.db, {"test.broken": broken}, moment)
        moment += timedelta(hours=1)  # past any backoff
    assert calls == [1, 2, 3, 4, 5]
    with engine.db.platform() as session:
        row = session.get(Job, (tenant, job_id))
        assert row is not None and row.state == "failed"
        assert row.last_error == "RuntimeError: the ERP did not answer"
    listed = run(engine, "jobs", "list", "--failed").stdout
    assert f"{tenant}\t{job_id}\ttest.broken\tfailed\tattempts 5\tRuntimeError: the ERP did not answer" in listed
    assert run(engine, "jobs", "retry", tenant, job_id).stdout == f"queued {job_id} again\n"
    again = run(engine, "jobs", "retry", tenant, job_id, check=False)
    assert again.returncode == 1 and "only failed jobs are retried" in again.stderr
    jobs.run_due(engine.db, {"test.broken": lambda job, _m: None}, moment)
    with engine.db.platform() as session:
        assert session.scalars(select(Job.state).where(Job.id == job_id)).one() == "running"  # handler didn't finish


def test_a_job_waits_for_its_time(engine: Formwork, tenant: str) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    with engine.db.tenant(tenant) as session:
        jobs.schedule(session, tenant, "test.later", "k1", later)
        jobs.schedule(session, tenant, "test.later", "k1", later + timedelta(minutes=5))  # moved, not doubled
    seen: list[str] = []

    def handler(job: jobs.ClaimedJob, _moment: datetime) -> None:
        seen.append(job.key)
        with engine.db.tenant(job.tenant_id) as session:
            jobs.finish(session, job)

    assert jobs.run_due(engine.db, {"test.later": handler}) == (0, 0)
    assert jobs.run_due(engine.db, {"test.later": handler}, later + timedelta(hours=1)) == (1, 0)
    assert seen == ["k1"]


def test_cancelling_every_kind_of_a_key_is_one_update_that_leaves_other_keys_and_tenants(
        engine: Formwork, tenant: str) -> None:
    """A process that ends cancels its timer and its service retry in one statement: the queued jobs of that key
    (one not yet written among them), none of another key, of another tenant, or one already running."""
    other = new_tenant_id()
    later = datetime.now(UTC) + timedelta(hours=1)
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other, plan="enterprise")
        jobs.schedule(session, other, "test.timer", "k1", later)
    with engine.db.tenant(tenant) as session:
        jobs.schedule_each(session, tenant, "k1", {"test.timer": later, "test.retry": later})
        jobs.schedule(session, tenant, "test.timer", "k2", later)
    with engine.db.tenant(tenant) as session:
        running = session.scalars(select(Job).where(Job.key == "k1", Job.kind == "test.retry")).one()
        running.state = "running"
    with engine.db.tenant(tenant) as session:
        jobs.schedule(session, tenant, "test.unflushed", "k1", later)
        pending = next(job for job in session.new if isinstance(job, Job))
        with statements(engine) as seen:
            jobs.schedule_each(session, tenant, "k1", {"test.timer": None, "test.retry": None,
                                                       "test.unflushed": None})
        assert len([s for s, _ in seen if not s.lstrip().startswith("INSERT")]) == 1, seen
        assert pending.state == "cancelled"  # the object in the session says what the row says
    with engine.db.platform() as session:
        states = {(t, k, kind): state for t, k, kind, state in session.execute(
            select(Job.tenant_id, Job.key, Job.kind, Job.state).where(Job.tenant_id.in_([tenant, other])))}
    assert states == {(tenant, "k1", "test.timer"): "cancelled", (tenant, "k1", "test.retry"): "running",
                      (tenant, "k1", "test.unflushed"): "cancelled", (tenant, "k2", "test.timer"): "queued",
                      (other, "k1", "test.timer"): "queued"}


def test_a_job_running_longer_than_its_lease_is_run_once(engine: Formwork, tenant: str) -> None:
    """The worker renews the lease while the job runs: another worker polling all along never takes it."""
    [job_id] = queue(engine, tenant, "test.long", 1)
    lease = timedelta(seconds=0.6)
    runs: list[str] = []
    started = threading.Event()

    def long_job(job: jobs.ClaimedJob, _moment: datetime) -> None:
        if job.id != job_id:
            return
        runs.append(job.lease)
        started.set()
        time.sleep(2.5)  # four leases long
        with engine.db.tenant(job.tenant_id) as session:
            jobs.finish(session, job)

    def first() -> None:
        jobs.run_due(engine.db, {"test.long": long_job}, lease=lease)

    def second() -> None:
        started.wait(10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            jobs.run_due(engine.db, {"test.long": long_job}, lease=lease)
            time.sleep(0.1)

    workers = [threading.Thread(target=first), threading.Thread(target=second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(runs) == 1
    with engine.db.platform() as session:
        row = session.get(Job, (tenant, job_id))
        assert row is not None and (row.state, row.attempts) == ("done", 1)


def test_a_run_that_lost_its_lease_cannot_finish_the_job(engine: Formwork, tenant: str) -> None:
    [job_id] = queue(engine, tenant, "test.lost", 1)
    moment = datetime.now(UTC)
    [stale] = [job for job in jobs.claim_due(engine.db, moment, ["test.lost"], lease=timedelta(seconds=0.1))
               if job.id == job_id]
    time.sleep(0.3)
    [current] = [job for job in jobs.claim_due(engine.db, moment, ["test.lost"]) if job.id == job_id]
    assert current.attempts == 2 and current.lease != stale.lease
    with pytest.raises(jobs.LeaseLost, match="taken over by another worker"), engine.db.tenant(tenant) as session:
        jobs.finish(session, stale)
    jobs.fail(engine.db, stale, RuntimeError("too late"))  # ignored: the job is the other run's now
    with engine.db.tenant(tenant) as session:
        jobs.finish(session, current)
    with engine.db.platform() as session:
        row = session.get(Job, (tenant, job_id))
        assert row is not None and (row.state, row.last_error) == ("done", "")


def test_the_lease_is_configured_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(jobs.LEASE_VARIABLE, "2.5")
    assert jobs.lease_duration() == timedelta(seconds=2.5)
    monkeypatch.setenv(jobs.LEASE_VARIABLE, "soon")
    with pytest.raises(jobs.BadRequest, match="FORMWORK_JOB_LEASE_SECONDS must be a number of seconds above 0"):
        jobs.lease_duration()
    monkeypatch.delenv(jobs.LEASE_VARIABLE)
    assert jobs.lease_duration() == timedelta(seconds=30)


class HangingReceiver:
    """A webhook endpoint that keeps its first request waiting (the worker is mid-job) and answers the others."""

    def __init__(self) -> None:
        self.hits: list[float] = []
        self.first = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.hits.append(time.monotonic())
                if len(receiver.hits) == 1:
                    receiver.first.set()
                    receiver.release.wait(20)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the killed worker's connection is gone

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[HangingReceiver]:
    found = HangingReceiver()
    yield found
    found.release.set()
    found.server.shutdown()
    found.server.server_close()


def worker_process(engine: Formwork, *args: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "FORMWORK_DATABASE_URL": engine.db.url, jobs.LEASE_VARIABLE: "2"}
    return subprocess.Popen([FORMWORK, "worker", *args], env=environment, cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_workers_job_is_taken_over_by_another_worker_once(
        engine: Formwork, tenant: str, receiver: HangingReceiver) -> None:
    """kill -9 a `formwork worker` in the middle of a job: another worker runs it once its lease (2 s) runs out."""
    if "webhooks" not in plugin_registry.load():
        pytest.skip("the webhooks plugin is not installed (make install installs it)")
    with engine.db.tenant(tenant) as session:
        plugin_registry.set_enabled(session, tenant, "webhooks", True, settings={
            "subscriptions": [{"url": receiver.url, "events": ["record.created"], "secret": "s3cret-key"}]})
    with engine.records(Actor(tenant, tenancy.SYSTEM_ACTOR, frozenset({"admin"}))) as records:
        records.create("base", "org_unit", {"unit_code": "HQ", "unit_name": "Head office"})
    with engine.db.platform() as session:
        [job_id] = session.scalars(select(Job.id).where(Job.tenant_id == tenant, Job.kind == HOOK_JOB)).all()

    first = worker_process(engine, "--once")
    try:
        assert receiver.first.wait(120), "the first worker never delivered the webhook"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    time.sleep(2.5)  # the lease runs out: a worker started now takes the job over at once
    worker_process(engine, "--once").wait(120)
    assert len(receiver.hits) == 2, "the next worker did not take over the killed worker's job"
    with engine.db.platform() as session:
        row = session.get(Job, (tenant, job_id))
        assert row is not None and (row.state, row.attempts) == ("done", 2)
    worker_process(engine, "--once").wait(60)
    assert len(receiver.hits) == 2  # done: never delivered a third time
