"""Background jobs in the database: scheduled per tenant, claimed once across workers, retried with backoff.

A job is claimed by flipping it from `queued` to `running` in a short transaction that skips rows
other workers hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time). The
claim is a lease: a token and an expiry (FORMWORK_JOB_LEASE_SECONDS, 30 by default) that a
heartbeat thread of the worker renews while the job waits or runs. A worker that dies stops renewing,
and another worker takes the job over once the lease has run out; a job that legitimately runs long
keeps its lease and is never run twice. Finishing or failing a job checks the lease is still this
run's, so a run that lost its lease cannot commit its changes beside the run that took over.
The job runs in its tenant's scope; success marks it `done`, an error puts it back with exponential
backoff, and after `max_attempts` it stays `failed` — an incident an operator can retry.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.errors import BadRequest, Conflict, NotFound
from engine.storage.database import Database
from engine.storage.models import Tenant
from engine.storage.workflow_models import Job

log = logging.getLogger("formwork.jobs")
LEASE_VARIABLE = "FORMWORK_JOB_LEASE_SECONDS"
DEFAULT_LEASE = timedelta(seconds=30)  # a dead worker's job is taken over within this (plus a poll)
BACKOFF = timedelta(seconds=15)


class LeaseLost(Conflict):
    """This run's lease ran out and another worker took the job over: this run's changes must not count."""

    code = "job_lease_lost"


@dataclass(frozen=True)
class ClaimedJob:
    tenant_id: str
    id: str
    kind: str
    key: str
    payload: Mapping[str, Any]
    attempts: int
    lease: str = ""  # the claim's token: finishing or failing the job needs it to still be the job's


Handler = Callable[[ClaimedJob, datetime], None]
Observer = Callable[[str, str], None]   # (job kind, outcome: done | failed | lost), e.g. a metrics counter
QUEUE_STATES = ("queued", "running", "failed")


def now() -> datetime:
    return datetime.now(UTC)


def schedule(session: Session, tenant_id: str, kind: str, key: str, run_at: datetime | None,
             payload: Mapping[str, Any] | None = None, max_attempts: int = 5) -> None:
    """Keep exactly one queued job per (tenant, kind, key) due at `run_at`; None cancels it."""
    schedule_each(session, tenant_id, key, {kind: run_at}, payload, max_attempts)


def schedule_each(session: Session, tenant_id: str, key: str, due: Mapping[str, datetime | None],
                  payload: Mapping[str, Any] | None = None, max_attempts: int = 5) -> None:
    """`schedule` for several kinds of one key (a process's timer and its service retry), read in one query;
    cancelling them all (a process that ended) is one update."""
    queued = (Job.tenant_id == tenant_id, Job.kind.in_(sorted(due)), Job.key == key, Job.state == "queued")
    if all(run_at is None for run_at in due.values()):
        session.execute(update(Job).where(*queued).values(state="cancelled", finished_at=now()),
                        execution_options={"synchronize_session": "fetch"})
        return
    existing = {job.kind: job for job in session.scalars(select(Job).where(*queued))}
    for kind, run_at in due.items():
        job = existing.get(kind)
        if run_at is None:
            if job is not None:
                job.state, job.finished_at = "cancelled", now()
        elif job is not None:
            job.run_at = run_at
        else:
            session.add(Job(tenant_id=tenant_id, id=str(uuid.uuid4()), kind=kind, key=key,
                            payload=dict(payload or {}), run_at=run_at, state="queued", attempts=0,
                            max_attempts=max_attempts, last_error="", created_at=now()))


def is_pending(session: Session, tenant_id: str, kind: str, key: str) -> bool:
    """Whether a (tenant, kind, key) job is queued or running."""
    return session.scalars(select(Job.id).where(Job.tenant_id == tenant_id, Job.kind == kind, Job.key == key,
                                                Job.state.in_(["queued", "running"]))).first() is not None


def schedule_unless_pending(session: Session, tenant_id: str, kind: str, key: str, run_at: datetime) -> bool:
    """Schedule the job unless one is queued or running; True when added. The tenant row's lock (the one the audit
    chain takes) makes two workers doing this at once add one job, not two."""
    session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True))
    if is_pending(session, tenant_id, kind, key):
        return False
    schedule(session, tenant_id, kind, key, run_at)
    return True


def cancel(session: Session, tenant_id: str, kind: str, key: str) -> None:
    schedule(session, tenant_id, kind, key, None)


def enqueue(session: Session, tenant_id: str, kind: str, payload: Mapping[str, Any], max_attempts: int = 5) -> str:
    """Queue work to run as soon as a worker is free; returns the job id."""
    job_id = str(uuid.uuid4())
    session.add(Job(tenant_id=tenant_id, id=job_id, kind=kind, key=job_id, payload=dict(payload), run_at=now(),
                    state="queued", attempts=0, max_attempts=max_attempts, last_error="", created_at=now()))
    return job_id


def lease_duration() -> timedelta:
    """How long a claim holds a job without renewal: FORMWORK_JOB_LEASE_SECONDS, else 30 seconds."""
    configured = os.environ.get(LEASE_VARIABLE, "").strip()
    if not configured:
        return DEFAULT_LEASE
    try:
        seconds = float(configured)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise BadRequest(f"{LEASE_VARIABLE} must be a number of seconds above 0, not {configured!r}",
                         message_code="job_bad_lease", params={"variable": LEASE_VARIABLE, "configured": configured})
    return timedelta(seconds=seconds)


def claim_due(db: Database, moment: datetime, kinds: Iterable[str], limit: int = 20,
              lease: timedelta | None = None) -> list[ClaimedJob]:
    """Lease up to `limit` due jobs of `kinds` to this worker: queued ones, and running ones whose lease ran out
    (their worker died); no two workers get the same job."""
    lease = lease or lease_duration()
    with db.platform() as session:
        clock = now()  # leases follow the real clock, even when `moment` rehearses another time
        statement = (
            select(Job)
            .where(or_(and_(Job.state == "queued", Job.run_at <= moment),
                       and_(Job.state == "running", Job.lease_until < clock)),
                   Job.kind.in_(sorted(kinds)))
            .order_by(Job.run_at).limit(limit)
        )
        if db.dialect == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        claimed = []
        for job in session.scalars(statement):
            if job.state == "running":
                log.warning("job %s (%s) was left running by a worker whose lease ran out; taking it over",
                            job.id, job.kind)
            job.state, job.run_at, job.attempts = "running", moment, job.attempts + 1
            job.lease_token, job.lease_until = str(uuid.uuid4()), clock + lease
            job.last_error = f"claimed by {socket.gethostname()} (process {os.getpid()})"
            claimed.append(ClaimedJob(job.tenant_id, job.id, job.kind, job.key, dict(job.payload), job.attempts,
                                      job.lease_token))
        return claimed


def renew(db: Database, leases: Iterable[str], lease: timedelta) -> int:
    """Extend the leases this worker still holds; returns how many. Rows another transaction holds are skipped."""
    tokens = sorted(set(leases))
    if not tokens:
        return 0
    held = select(Job.lease_token).where(Job.lease_token.in_(tokens), Job.state == "running")
    if db.dialect == "postgresql":  # a handler finishing its job holds the row: it needs no renewal then
        held = held.with_for_update(skip_locked=True)
    with db.platform() as session:
        result = session.execute(update(Job).where(Job.lease_token.in_(held.scalar_subquery()))
                                 .values(lease_until=now() + lease).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


class Heartbeat:
    """Renew a batch's leases every third of the lease while the block runs (a thread of the worker)."""

    def __init__(self, db: Database, leases: Iterable[str], lease: timedelta) -> None:
        self.db, self.leases, self.lease = db, list(leases), lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="formwork-job-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                renew(self.db, self.leases, self.lease)
            except SQLAlchemyError:  # the database is briefly unreachable or busy: try again at the next beat
                log.warning("could not renew the leases of %d jobs", len(self.leases), exc_info=True)


def hold(db: Database, job: ClaimedJob, lease: timedelta) -> bool:
    """Renew one job's lease just before it runs; False when it was lost (a slow batch) and must not run."""
    with db.platform() as session:
        result = session.execute(update(Job).where(Job.tenant_id == job.tenant_id, Job.id == job.id,
                                                   Job.lease_token == job.lease, Job.state == "running")
                                 .values(lease_until=now() + lease).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))


def _holds(row: Job, job: ClaimedJob) -> bool:
    return row.state == "running" and (not job.lease or row.lease_token == job.lease)


def finish(session: Session, job: ClaimedJob) -> None:
    """Mark the job done in the handler's own transaction; LeaseLost rolls that transaction back."""
    row = session.get(Job, (job.tenant_id, job.id))
    if row is None or (row.state == "done" and row.lease_token == job.lease):
        return
    if not _holds(row, job):
        raise LeaseLost(f"job {job.id} ({job.kind}) was taken over by another worker after this run's lease ran "
                        "out; this run's changes are rolled back",
                        message_code="job_lease_lost", params={"id": job.id, "kind": job.kind})
    row.state, row.finished_at, row.last_error, row.lease_until = "done", now(), "", None


def fail(db: Database, job: ClaimedJob, error: BaseException) -> None:
    with db.platform() as session:
        row = session.get(Job, (job.tenant_id, job.id))
        if row is None or not _holds(row, job):
            return  # another worker runs it now: its outcome counts, not this one's
        row.lease_until = None
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
            raise NotFound(f"job {job_id!r} of tenant {tenant_id!r} does not exist",
                           message_code="job_not_found", params={"job_id": job_id, "tenant_id": tenant_id})
        if row.state != "failed":
            raise Conflict(f"job {job_id} is {row.state}; only failed jobs are retried",
                           message_code="job_not_retryable", params={"job_id": job_id, "state": row.state})
        row.state, row.attempts, row.run_at, row.finished_at = "queued", 0, now(), None


def listing(db: Database, *, failed_only: bool = False, limit: int = 200) -> list[Job]:
    """Jobs that are not done, newest first; with `failed_only`, the incidents."""
    with db.platform() as session:
        states = ["failed"] if failed_only else ["queued", "running", "failed"]
        statement = select(Job).where(Job.state.in_(states)).order_by(Job.created_at.desc()).limit(limit)
        return list(session.scalars(statement))


def depth(db: Database) -> dict[str, int]:
    """How many jobs are queued, running and failed (incidents), across tenants: the queue a monitor watches."""
    with db.platform() as session:
        counted = {str(state): int(count) for state, count in session.execute(
            select(Job.state, func.count()).where(Job.state.in_(QUEUE_STATES)).group_by(Job.state))}
    return {state: counted.get(state, 0) for state in QUEUE_STATES}


def run_due(db: Database, handlers: Mapping[str, Handler], moment: datetime | None = None,
            lease: timedelta | None = None, observe: Observer | None = None) -> tuple[int, int]:
    """Run every job due at `moment`; returns (succeeded, failed) and tells `observe` each job's outcome.
    Handlers finish their job themselves."""
    observe = observe or (lambda _kind, _outcome: None)
    moment = moment or now()
    lease = lease or lease_duration()
    done = failed = 0
    while claimed := claim_due(db, moment, handlers, lease=lease):
        with Heartbeat(db, [job.lease for job in claimed], lease):
            for job in claimed:
                if not hold(db, job, lease):
                    log.warning("job %s (%s) was taken over by another worker before it ran here", job.id, job.kind)
                    observe(job.kind, "lost")
                    continue
                try:
                    handlers[job.kind](job, moment)
                    done += 1
                    observe(job.kind, "done")
                except Exception as error:
                    log.exception("job %s (%s) failed", job.id, job.kind)
                    fail(db, job, error)
                    failed += 1
                    observe(job.kind, "lost" if isinstance(error, LeaseLost) else "failed")
    return done, failed
