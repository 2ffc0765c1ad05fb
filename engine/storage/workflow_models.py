"""ORM tables of approval runs: process instances, their human tasks and the job queue that fires timers."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base, JsonDocument, TenantOwned


class ProcessInstance(TenantOwned, Base):
    """One approval run of a record; `state` is the serialized run without its spec."""

    __tablename__ = "process_instances"
    __table_args__ = (Index("ix_process_record", "tenant_id", "record_id"),
                      Index("ix_process_started_by", "tenant_id", "started_by", "started_at"))   # my submissions

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36))
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[str] = mapped_column(String(32))
    process_file: Mapped[str] = mapped_column(String(255))
    spec_digest: Mapped[str] = mapped_column(String(64))
    serializer_version: Mapped[str] = mapped_column(String(16))
    # Plain JSON, not JSONB: SpiffWorkflow restores tasks in the order they were written.
    state: Mapped[dict[str, Any]] = mapped_column(JSON())
    status: Mapped[str] = mapped_column(String(32), default="running")
    end_event: Mapped[str | None] = mapped_column(String(140), nullable=True)
    next_timer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # 催办, at most hourly
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once


class HumanTask(TenantOwned, Base):
    """A task waiting for a person: the inbox is one indexed query over these rows."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_tasks_open_assignee", "tenant_id", "state", "assignee"),
        Index("ix_tasks_instance", "tenant_id", "instance_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    record_id: Mapped[str] = mapped_column(String(36))
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    bpmn_id: Mapped[str] = mapped_column(String(140))
    title: Mapped[str] = mapped_column(String(255))
    candidate_roles: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    completed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # 加签: None for a task of the BPMN process; "before"/"after" for a signer added to the task `parent_id`.
    # A BPMN task waiting on its added signers is in state "waiting"; `held` keeps the decision an "after"
    # performer made ({decision, comment, data, actor}) until the signers approve.
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    held: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, nullable=True)
    # The project whose members the task's project roles were offered to (None: company-wide).
    project_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # Why nobody was offered the task (`no_candidate`): the tenant administrator reassigns it.
    incident: Mapped[str | None] = mapped_column(String(32), nullable=True)
    on_behalf_of: Mapped[str | None] = mapped_column(String(64), nullable=True)  # whom the decider stood in for


class Delegation(TenantOwned, Base):
    """A user's out-of-office delegation: from `starts_on` to `ends_on` (inclusive) their tasks go to `to_user` too."""

    __tablename__ = "delegations"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    to_user: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[str] = mapped_column(String(10))   # ISO dates: they compare as text and back up as text
    ends_on: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TaskCandidate(TenantOwned, Base):
    """Who may take an unassigned task: one row per candidate role, so the inbox query stays indexed."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_candidates_role", "tenant_id", "role", "task_id"),)

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)


class RecordGrant(TenantOwned, Base):
    """抄送 (cc): the read of one record granted to a user (`user:<name>`) or a role by a step of its approval."""

    __tablename__ = "record_grants"

    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grantee: Mapped[str] = mapped_column(String(80), primary_key=True)
    module: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(140))      # the BPMN id of the task (or process) that copied it
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Job(Base):
    """Queued background work (timers, hooks); scanned across tenants, run inside the job's tenant scope."""

    __tablename__ = "jobs"
    # ix_jobs_key: a process's timer or service job is found by its key at every approval step
    __table_args__ = (Index("ix_jobs_due", "state", "run_at"), Index("ix_jobs_key", "tenant_id", "kind", "key"))

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(140))          # e.g. the instance id a timer belongs to
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default="queued")   # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # While running: which claim holds the job and until when; a worker renews it, another takes over after it.
    lease_token: Mapped[str | None] = mapped_column(String(36), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
