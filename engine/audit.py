"""Append-only audit log, hash-chained per tenant; written in the caller's transaction."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.storage.models import AuditEntry, Tenant

GENESIS = "0" * 64


def write(session: Session, tenant_id: str, *, actor: str, action: str, target_type: str, target_id: str,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, note: str = "") -> AuditEntry:
    """Append one entry after the tenant's last one; the tenant row lock keeps the chain linear."""
    lock_chain(session, tenant_id)
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(
        tenant_id=tenant_id, seq=seq, at=datetime.now(UTC), actor=actor, action=action,
        target_type=target_type, target_id=target_id, before=before, after=after, prev_hash=prev_hash, note=note,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def entry_hash(entry: AuditEntry) -> str:
    body = json.dumps(
        [entry.tenant_id, entry.seq, _utc(entry.at).isoformat(timespec="microseconds"), entry.actor, entry.action,
         entry.target_type, entry.target_id, entry.before, entry.after, entry.note, entry.prev_hash],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def verify(session: Session, tenant_id: str) -> list[str]:
    """Return one line per broken link; empty when the tenant's chain is intact."""
    problems = []
    prev = GENESIS
    entries = session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.seq))
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq} does not follow the previous entry's hash")
        if entry_hash(entry) != entry.hash:
            problems.append(f"entry {entry.seq} was altered after it was written")
        prev = entry.hash
    return problems


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; the hash is always taken over the aware UTC value."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def lock_chain(session: Session, tenant_id: str) -> None:
    """Serialise the tenant's writers; take it before other row locks so writers never deadlock."""
    session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


def entries_for(session: Session, tenant_id: str, target_type: str, target_id: str) -> list[AuditEntry]:
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.tenant_id == tenant_id, AuditEntry.target_type == target_type,
                                 AuditEntry.target_id == target_id).order_by(AuditEntry.seq)
    ))
