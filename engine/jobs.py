"""Background jobs in the database: scheduled per tenant, claimed once across workers, retried with backoff.

A job is claimed by flipping it from `queued` to `running` in a short transaction that skips rows
other workers hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time). It
then runs in its tenant's scope; success marks it `done`, an error puts it back with exponential
backoff, and after `max_attempts` it stays `failed` — an incident an operator can retry.
"""
from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, NotFound
from engine.storage.database import Database
from engine.storage.models import Job

log = logging.getLogger("formwork.jobs")
STALE_AFTER = timedelta(minutes=10)  # a `running` job older than this belonged to a worker that died
BACKOFF = timedelta(seconds=15)


@dataclass(frozen=True)
class ClaimedJob:
    tenant_id: str
    id: str
    kind: str
    key: str
    payload: Mapping[str, Any]
    attempts: int


Handler = Callable[[ClaimedJob, datetime], None]


def now() -> datetime:
    return datetime.now(UTC)


def schedule(session: Session, tenant_id: str, kind: str, key: str, run_at: datetime | None,
             payload: Mapping[str, Any] | None = None, max_attempts: int = 5) -> None:
    """Keep exactly one queued job per (tenant, kind, key) due at `run_at`; None cancels it."""
    existing = session.scalars(select(Job).where(Job.tenant_id == tenant_id, Job.kind == kind, Job.key == key,
                                                 Job.state == "queued")).first()
    if run_at is None:
        if existing is not None:
            existing.state, existing.finished_at = "cancelled", now()
        return
    if existing is not None:
        existing.run_at = run_at
        return
    session.add(Job(tenant_id=tenant_id, id=str(uuid.uuid4()), kind=kind, key=key, payload=dict(payload or {}),
                    run_at=run_at, state="queued", attempts=0, max_attempts=max_attempts, last_error="",
                    created_at=now()))


def is_pending(session: Session, tenant_id: str, kind: str, key: str) -> bool:
    """Whether a (tenant, kind, key) job is queued or running."""
    return session.scalars(select(Job.id).where(Job.tenant_id == tenant_id, Job.kind == kind, Job.key == key,
                                                Job.state.in_(["queued", "running"]))).first() is not None


def cancel(session: Session, tenant_id: str, kind: str, key: str) -> None:
    schedule(session, tenant_id, kind, key, None)


def enqueue(session: Session, tenant_id: str, kind: str, payload: Mapping[str, Any], max_attempts: int = 5) -> str:
    """Queue work to run as soon as a worker is free; returns the job id."""
    job_id = str(uuid.uuid4())
    session.add(Job(tenant_id=tenant_id, id=job_id, kind=kind, key=job_id, payload=dict(payload), run_at=now(),
                    state="queued", attempts=0, max_attempts=max_attempts, last_error="", created_at=now()))
    return job_id


def claim_due(db: Database, moment: datetime, kinds: Iterable[str], limit: int = 20) -> list[ClaimedJob]:
    """Mark up to `limit` due jobs of `kinds` as running for this worker; no two workers get the same job."""
    with db.platform() as session:
        statement = (
            select(Job)
            .where(or_(Job.state == "queued", (Job.state == "running") & (Job.run_at < moment - STALE_AFTER)),
                   Job.run_at <= moment, Job.kind.in_(sorted(kinds)))
            .order_by(Job.run_at).limit(limit)
        )
        if db.dialect == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        claimed = []
        for job in session.scalars(statement):
            job.state, job.run_at, job.attempts = "running", moment, job.attempts + 1
            job.last_error = f"claimed by {socket.gethostname()}"
            claimed.append(ClaimedJob(job.tenant_id, job.id, job.kind, job.key, dict(job.payload), job.attempts))
        return claimed


def finish(session: Session, job: ClaimedJob) -> None:
    row = session.get(Job, (job.tenant_id, job.id))
    if row is not None and row.state == "running":
        row.state, row.finished_at, row.last_error = "done", now(), ""


def fail(db: Database, job: ClaimedJob, error: BaseException) -> None:
    with db.platform() as session:
        row = session.get(Job, (job.tenant_id, job.id))
        if row is None:
            return
        row.last_error = f"{type(error).__name__}: {error}"[:4000]
        if row.attempts >= row.max_attempts:
            row.state, row.finished_at = "failed", now()
            log.error("job %s (%s %s) failed for good: %s", row.id, row.kind, row.key, row.last_error)
        else:
            row.state, row.run_at = "queued", now() + BACKOFF * (2 ** (row.attempts - 1))


def retry(db: Database, tenant_id: str, job_id: str) -> None:
    """Put a failed job (an incident) back in the queue, with a fresh set of attempts."""
    with db.platform() as session:
        row = session.get(Job, (tenant_id, job_id))
        if row is None:
            raise NotFound(f"job {job_id!r} of tenant {tenant_id!r} does not exist")
        if row.state != "failed":
            raise Conflict(f"job {job_id} is {row.state}; only failed jobs are retried")
        row.state, row.attempts, row.run_at, row.finished_at = "queued", 0, now(), None


def listing(db: Database, *, failed_only: bool = False, limit: int = 200) -> list[Job]:
    """Jobs that are not done, newest first; with `failed_only`, the incidents."""
    with db.platform() as session:
        states = ["failed"] if failed_only else ["queued", "running", "failed"]
        statement = select(Job).where(Job.state.in_(states)).order_by(Job.created_at.desc()).limit(limit)
        return list(session.scalars(statement))


def run_due(db: Database, handlers: Mapping[str, Handler], moment: datetime | None = None) -> tuple[int, int]:
    """Run every job due at `moment`; returns (succeeded, failed). Handlers finish their job themselves."""
    moment = moment or now()
    done = failed = 0
    while claimed := claim_due(db, moment, handlers):
        for job in claimed:
            try:
                handlers[job.kind](job, moment)
                done += 1
            except Exception as error:
                log.exception("job %s (%s) failed", job.id, job.kind)
                fail(db, job, error)
                failed += 1
    return done, failed
