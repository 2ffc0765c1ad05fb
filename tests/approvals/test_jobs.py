"""The job queue: each job runs once even with several workers; failures back off, then become incidents."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import jobs
from engine.runtime import Formwork
from engine.storage.models import Job
from tests.cli.test_cli import run


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
