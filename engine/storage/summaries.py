"""Record counts per entity, project, period and status, kept by every flush that writes a record.

The dashboard's status cards count records of every entity over every year; counting 600,000 tickets per request is
seconds, reading these rows is milliseconds. A flush that creates, changes (status, project, period), deletes or
restores a record moves the counts in the same transaction, so they are never behind the records; they are added at
the commit, after the audit chain's lock (the one queue a tenant's writers pass through at their end), so a row many
writers share (one project's month of tickets) is held for the commit alone, not from the first flush on. `period`
is the record's `period` field (a `YYYY-MM` text in the modules), `project` its `project` field; either is '' when
the record has none. The bulk import's COPY counts its rows with `add_inserted`; any other write around the ORM (the
bench's COPY, a restored backup without these rows) calls `rebuild`; `matches` compares them with a full recount
(tests, the daily scan's check).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Select, delete, event, func, insert, inspect, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from engine.storage.columns import RecordColumns
from engine.storage.database import TENANT_KEY, innermost, within
from engine.storage.models import Record, RecordCount

Key = tuple[str, str, str, str, str, str]   # tenant, module, entity, project, period, status
_PENDING_KEY = "record_counts"  # session.info: this flush's changes, noted before it and kept after it
_DUE_KEY = "record_counts_due"  # session.info: [_Due] the changes flushed, added at the commit
LONGEST = 64   # a project id or a period; longer texts (a field of another meaning) are cut, alike in `rebuild`


def _text(data: Any, name: str) -> str:
    value = data.get(name) if isinstance(data, Mapping) else None
    return value[:LONGEST] if isinstance(value, str) else ""


def _key(tenant: str, record: Record, data: Any, status: str) -> Key:
    return _counted(tenant, record.module, record.entity, data, status)


def _counted(tenant: str, module: str, entity: str, data: Any, status: str) -> Key:
    return tenant, module, entity, _text(data, "project"), _text(data, "period"), status


def _before(record: Record, name: str) -> Any:
    """An attribute's value as the database holds it (before this flush's change)."""
    history = inspect(record).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(record, name)


@event.listens_for(Session, "before_flush")
def _note(session: Session, _context: Any, _instances: Any) -> None:
    """The count changes of this flush's records, applied by `_apply` once they are written."""
    tenant = session.info.get(TENANT_KEY) or ""
    changes: Counter[Key] = session.info.setdefault(_PENDING_KEY, Counter())
    for record in chain(session.new, session.dirty, session.deleted):
        if not isinstance(record, Record):
            continue
        owner = record.tenant_id or tenant
        if record not in session.new:
            was_live = _before(record, "deleted_at") is None
            if was_live:
                changes[_key(owner, record, _before(record, "data"), _before(record, "status"))] -= 1
        if record not in session.deleted and record.deleted_at is None:
            changes[_key(owner, record, record.data, record.status or "draft")] += 1


@dataclass
class _Due:
    """Count changes a flush made in `origin` (a transaction or savepoint); `added_in`: the one whose upsert
    wrote them (None: not yet), so that a savepoint rolled back after a read inside it wrote them owes them again."""

    origin: SessionTransaction | None
    moved: Counter[Key]
    added_in: SessionTransaction | None = None


@event.listens_for(Session, "after_flush")
def _keep(session: Session, _context: Any) -> None:
    """The flush's count changes wait for the commit (or a read of the counts)."""
    changes: Counter[Key] | None = session.info.pop(_PENDING_KEY, None)
    moved = Counter({key: delta for key, delta in (changes or {}).items() if delta})
    if moved:
        session.info.setdefault(_DUE_KEY, []).append(_Due(innermost(session), moved))


def add_due(session: Session) -> None:
    """Add the counts the transaction's flushes moved and no upsert wrote yet, in one upsert."""
    session.flush()
    total: Counter[Key] = Counter()
    for due in session.info.get(_DUE_KEY, []):
        if due.added_in is None:
            total.update(due.moved)  # `update` keeps the negative changes `+` would drop
            due.added_in = innermost(session)
    if total:  # a transaction that wrote no record needs no connection for this
        add(session.connection(), total)


@event.listens_for(Session, "before_commit")
def _add_at_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        add_due(session)


@event.listens_for(Session, "do_orm_execute")
def _add_before_reading(state: ORMExecuteState) -> None:
    """A read of the counts sees the records its own transaction wrote."""
    if state.is_select and any(due.added_in is None for due in state.session.info.get(_DUE_KEY, ())) and any(
            mapper.class_ is RecordCount for mapper in state.all_mappers):
        add_due(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Changes flushed inside a savepoint that rolled back are gone with it, and those an upsert inside it wrote
    are owed again; a rolled-back transaction's are all gone."""
    kept = [due for due in session.info.get(_DUE_KEY, ()) if previous.nested and not within(due.origin, previous)]
    for due in kept:
        if within(due.added_in, previous):
            due.added_in = None
    session.info[_DUE_KEY] = kept


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DUE_KEY, None)
        session.info.pop(_PENDING_KEY, None)


def add(connection: Connection, moved: Mapping[Key, int]) -> None:
    """Add to the counts of these keys: one upsert of them all (a status move is two keys), in key order so
    concurrent writers lock alike."""
    moved = {key: delta for key, delta in moved.items() if delta}
    if moved:
        connection.execute(_adding(connection.dialect.name), [
            {"tenant_id": tenant, "module": module, "entity": entity, "project": project, "period": period,
             "status": status, "count": moved[key]}
            for key in sorted(moved) for tenant, module, entity, project, period, status in [key]])


@cache
def _adding(dialect: str) -> Any:
    """The upsert `add` runs, built once per dialect."""
    upsert = pg_insert(RecordCount) if dialect == "postgresql" else sqlite_insert(RecordCount)
    return upsert.on_conflict_do_update(
        index_elements=["tenant_id", "module", "entity", "project", "period", "status"],
        set_={"count": RecordCount.count + upsert.excluded.count})


def add_inserted(connection: Connection, tenant_id: str, module: str, entity: str,
                 documents: Iterable[Mapping[str, Any]], status: str) -> None:
    """Count records written around the ORM (the bulk import's COPY), in the same transaction."""
    add(connection, Counter(_counted(tenant_id, module, entity, document, status) for document in documents))


def _recount(tenant_id: str, dialect: str) -> Any:
    project, period = (func.substr(func.coalesce(RecordColumns(dialect).json_text(name), ""), 1, LONGEST)
                       for name in ("project", "period"))
    return (select(Record.module, Record.entity, project.label("project"), period.label("period"), Record.status,
                   func.count().label("count"))
            .where(Record.tenant_id == tenant_id, Record.deleted_at.is_(None))
            .group_by(Record.module, Record.entity, project, period, Record.status))


def rebuild(connection: Connection, tenant_id: str) -> None:
    """Count the tenant's live records again from scratch (after writes that went around the ORM)."""
    connection.execute(delete(RecordCount).where(RecordCount.tenant_id == tenant_id))
    rows = connection.execute(_recount(tenant_id, connection.dialect.name)).all()
    if rows:
        connection.execute(insert(RecordCount), [
            {"tenant_id": tenant_id, "module": m, "entity": e, "project": p, "period": d, "status": s, "count": c}
            for m, e, p, d, s, c in rows])


def matches(connection: Connection, tenant_id: str) -> bool:
    """Whether the kept counts equal a full recount of the tenant's records."""
    kept = {tuple(row[:5]): row[5] for row in connection.execute(
        select(RecordCount.module, RecordCount.entity, RecordCount.project, RecordCount.period, RecordCount.status,
               RecordCount.count).where(RecordCount.tenant_id == tenant_id, RecordCount.count != 0))}
    counted = {tuple(row[:5]): row[5] for row in connection.execute(_recount(tenant_id, connection.dialect.name))}
    return kept == counted


def by_status_each(session: Session, entities: Sequence[tuple[str, str]], *, projects: Select[Any] | None,
                   project: str | None, period: str | None) -> dict[tuple[str, str], dict[str, int]]:
    """Live records by status of several entities (module, name), from the kept counts, in one query: of the
    `projects` a query selects (None: every project), of `project` (None: any) and of `period` (None: every
    period); an entity without records is left out."""
    statement = (select(RecordCount.module, RecordCount.entity, RecordCount.status, func.sum(RecordCount.count))
                 .where(tuple_(RecordCount.module, RecordCount.entity).in_(list(entities)))
                 .group_by(RecordCount.module, RecordCount.entity, RecordCount.status))
    if projects is not None:
        statement = statement.where(RecordCount.project.in_(projects))
    if project is not None:
        statement = statement.where(RecordCount.project == project)
    if period is not None:
        statement = statement.where(RecordCount.period == period)
    found: dict[tuple[str, str], dict[str, int]] = {}
    for module, entity, status, total in session.execute(statement):
        if total:
            found.setdefault((module, entity), {})[str(status)] = int(total)
    return found
