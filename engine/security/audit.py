"""Append-only audit log, hash-chained per tenant, anchored with the instance key; written in the caller's transaction.

Each entry's `hash` covers its content and the previous entry's hash: plain SHA-256, so a tenant's chain verifies
on any instance it is restored to. Plain hashes alone do not stop someone who can write to the database: they can
edit an entry and recompute every later hash, or drop the last entries. So the chain's head (its last entry's
number and hash) is kept in `audit_anchors`, signed with the instance key, which the database does not hold. The
anchor moves once per transaction that wrote entries, at commit, and only when the entries extend the head it
records: a write never vouches for a chain that was rewritten under it. `verify` checks both the links and the
anchor; `reanchor` signs the head of a chain that verifies, for a trusted backup restored from another instance.

A unit of work appends its entries together, at its end: `write` keeps each entry on the session, and just before
the commit `append_pending` takes the tenant's lock once and reads the chain's head once (one statement when the
anchor shows no other writer came between), inserts the entries in one statement and moves the anchor in one
conditional update (on PostgreSQL, when the anchor was found at the head, in the entries' statement). So validation
and computation run without the lock, and the lock is the last one a writer takes (it waits for nothing while
holding it, so it never deadlocks). Entries written in a savepoint that is rolled back are dropped with it; a read
of the audit log in the same transaction appends the pending entries first, so it sees them.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, column, event, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from engine.core import instance_key
from engine.errors import FormworkError
from engine.storage.bulk import COPY_FROM, insert_rows
from engine.storage.database import innermost, within
from engine.storage.models import AuditAnchor, AuditEntry, Base

GENESIS = "0" * 64
ANCHOR_PURPOSE = "audit"
BASES_KEY = "audit_bases"  # session.info: {tenant: (seq, hash)} the head this transaction's first entry extended
HEADS_KEY = "audit_heads"  # session.info: {tenant: (seq, hash) | None} the head its last append left (None: unknown)
PENDING_KEY = "audit_pending"  # session.info: [(transaction written in, entry)] not appended yet, in order
LOCKS_KEY = "audit_locks"  # session.info: {tenant: transaction it was taken in} chains this transaction has locked
APPENDED_KEY = "audit_appended"  # session.info: [(savepoint appended in, transaction written in, entry)]
log = logging.getLogger("formwork.audit")
_LOG: Table = Base.metadata.tables["audit_log"]
_ANCHORS: Table = Base.metadata.tables["audit_anchors"]
_TENANTS: Table = Base.metadata.tables["tenants"]
# What every write runs, built once (the tenant scope is spelled out: they run on the session's connection).
_LOCK = select(_TENANTS.c.id).where(_TENANTS.c.id == bindparam("tenant")).with_for_update(key_share=True)
_HEAD = (select(_LOG.c.seq, _LOG.c.hash).where(_LOG.c.tenant_id == bindparam("tenant"))
         .order_by(_LOG.c.seq.desc()).limit(1))
# The lock and the head in one statement: the tenant's row and its anchor's, and the head as this statement's
# snapshot saw it. After a wait for the lock the anchor row is the one the writer before left (PostgreSQL gives
# the newest version of a row it locks) while the head may be older: when they differ, the head is read again.
_LOCK_AT_HEAD = (select(_ANCHORS.c.seq, _ANCHORS.c.head_hash, _ANCHORS.c.signature,
                        _HEAD.with_only_columns(_LOG.c.seq).scalar_subquery(),
                        _HEAD.with_only_columns(_LOG.c.hash).scalar_subquery())
                 .select_from(_TENANTS.join(_ANCHORS, _ANCHORS.c.tenant == _TENANTS.c.id))
                 .where(_TENANTS.c.id == bindparam("tenant"))
                 .with_for_update(key_share=True, of=[_TENANTS, _ANCHORS]))
_MOVE_ANCHOR = _ANCHORS.update().where(
    _ANCHORS.c.tenant == bindparam("of_tenant"), _ANCHORS.c.seq == bindparam("base_seq"),
    _ANCHORS.c.head_hash == bindparam("base_hash"), _ANCHORS.c.signature == bindparam("base_signature"),
).values(seq=bindparam("new_seq"), head_hash=bindparam("new_hash"), anchored_at=bindparam("new_at"),
         signature=bindparam("new_signature"))



class AuditChainBroken(FormworkError):
    """The chain does not verify, so it is not re-anchored."""

    code = "audit_chain_broken"


def write(session: Session, tenant_id: str, *, actor: str, action: str, target_type: str, target_id: str,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, note: str = "") -> AuditEntry:
    """Add one entry to the tenant's chain; it is appended with the unit of work's others before the commit, when
    its `seq` and `hash` are set."""
    entry = AuditEntry(tenant_id=tenant_id, at=datetime.now(UTC), actor=actor, action=action,
                       target_type=target_type, target_id=target_id, note=note,
                       before=copy.deepcopy(before), after=copy.deepcopy(after))  # as they are now, not at the commit
    session.info.setdefault(PENDING_KEY, []).append((innermost(session), entry))
    return entry


def append_pending(session: Session, *, last: bool = False) -> None:
    """Append the entries written so far, each tenant's after its chain's head, under the tenant's lock. `last`:
    the transaction's final append, which moves an anchor it found at the head in the same statement."""
    pending: list[tuple[SessionTransaction | None, AuditEntry]] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    if session.in_nested_transaction():  # a rollback of the savepoint takes the rows back: kept to append again
        appended_in = innermost(session)
        session.info.setdefault(APPENDED_KEY, []).extend((appended_in, origin, entry) for origin, entry in pending)
    session.flush()  # the unit of work's own rows (and row locks) first: the chain's lock comes last
    by_tenant: dict[str, list[AuditEntry]] = {}
    for _transaction, entry in pending:
        by_tenant.setdefault(entry.tenant_id, []).append(entry)
    postgresql = session.connection().dialect.name == "postgresql"
    for tenant_id, entries in sorted(by_tenant.items()):
        base, anchored = _locked_head(session, tenant_id)
        seq, prev_hash = base
        for entry in entries:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev_hash
            entry.hash = prev_hash = entry_hash(entry)
        rows = [{column.name: getattr(entry, column.key) for column in AuditEntry.__mapper__.columns}
                for entry in entries]
        if last and anchored and postgresql and len(rows) < COPY_FROM:
            _append_and_anchor(session, tenant_id, rows, base, (seq, prev_hash))
            continue  # its anchor has moved: nothing left for the commit
        session.info.setdefault(BASES_KEY, {}).setdefault(tenant_id, base)
        insert_rows(session, _LOG, rows)   # thousands at once after an import: COPY on PostgreSQL
        session.info.setdefault(HEADS_KEY, {})[tenant_id] = (seq, prev_hash)


def _locked_head(session: Session, tenant_id: str) -> tuple[tuple[int, str], bool]:
    """Take the tenant's lock (`lock_chain`) and read its chain's head, and whether the anchor this instance signed
    records that head: in one statement when it does and no writer came between, in two when one committed while
    this one waited for the lock (the head is read again, the anchor was read under the lock)."""
    held: dict[str, SessionTransaction | None] = session.info.setdefault(LOCKS_KEY, {})
    if tenant_id not in held:
        found = session.connection().execute(_LOCK_AT_HEAD, {"tenant": tenant_id}).first()
        if found is not None:  # locked; without an anchor yet (a tenant's first entries) nothing was
            held[tenant_id] = innermost(session)
            anchor_seq, anchor_hash, signature, head_seq, head_hash = found
            anchor = (int(anchor_seq), str(anchor_hash))
            signed = instance_key.verify(ANCHOR_PURPOSE, _anchor_message(tenant_id, *anchor), signature)
            head = anchor if signed and (head_seq, head_hash) == anchor else _chain_head(session, tenant_id)
            return head, signed and head == anchor and tenant_id not in session.info.get(BASES_KEY, {})
    lock_chain(session, tenant_id)
    return _chain_head(session, tenant_id), False


def _append_and_anchor(session: Session, tenant_id: str, rows: list[dict[str, Any]], base: tuple[int, str],
                       head: tuple[int, str]) -> None:
    """Insert a transaction's entries and move the anchor from `base` to `head` in one statement (PostgreSQL)."""
    entries = [{**row, "at": _utc(row["at"]).isoformat()} for row in rows]
    result = session.connection().execute(_APPEND, {**_move_params(tenant_id, base, head), "entries": entries})
    if result.scalars().first() != 1:
        _anchor_not_moved(session, tenant_id)


def _append_statement() -> Insert:
    """`_append_and_anchor`'s statement: the entries as one JSON array of rows (a statement of many rows of values
    would be compiled afresh at every execution), inserted once the anchor's move (a CTE) is done."""
    moved = _MOVE_ANCHOR.returning(_ANCHORS.c.tenant).cte("moved")
    entries = (func.jsonb_to_recordset(bindparam("entries", type_=JSONB))
               .table_valued(*(column(c.name, c.type) for c in _LOG.columns))
               .render_derived(name="entry", with_types=True))
    return (insert(_LOG).from_select([c.name for c in _LOG.columns], select(*entries.c)).add_cte(moved)
            .returning(select(func.count()).select_from(moved).scalar_subquery()))


def _chain_head(session: Session, tenant_id: str) -> tuple[int, str]:
    """The number and hash of the tenant's last entry; (0, GENESIS) for an empty chain."""
    last = session.connection().execute(_HEAD, {"tenant": tenant_id}).first()
    return (last[0], last[1]) if last is not None else (0, GENESIS)


def entry_hash(entry: AuditEntry) -> str:
    body = json.dumps(
        [entry.tenant_id, entry.seq, _utc(entry.at).isoformat(timespec="microseconds"), entry.actor, entry.action,
         entry.target_type, entry.target_id, entry.before, entry.after, entry.note, entry.prev_hash],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def anchor_signature(tenant_id: str, seq: int, head_hash: str) -> str:
    """The instance key's signature of a chain head: `seq` entries ending with `head_hash`."""
    return instance_key.sign(ANCHOR_PURPOSE, _anchor_message(tenant_id, seq, head_hash))


def _anchor_message(tenant_id: str, seq: int, head_hash: str) -> bytes:
    return json.dumps([tenant_id, seq, head_hash]).encode()


def verify(session: Session, tenant_id: str) -> list[str]:
    """Return one line per problem, naming the entry and what is wrong with it; empty when the chain is intact."""
    append_pending(session)
    lock_chain(session, tenant_id)  # read the anchor and the entries as one writer left them
    anchor = session.scalars(select(AuditAnchor).where(AuditAnchor.tenant == tenant_id)).first()
    anchored = anchor is not None and _is_signed(anchor)
    problems: list[str] = []
    last: AuditEntry | None = None
    at_anchor: AuditEntry | None = None
    first_uncovered: AuditEntry | None = None
    uncovered = 0
    for entry in _entries(session, tenant_id):
        problems.extend(_link_problems(last, entry))
        if anchor is not None and entry.seq == anchor.seq:
            at_anchor = entry
        elif anchored and anchor is not None and entry.seq > anchor.seq:
            first_uncovered, uncovered = first_uncovered or entry, uncovered + 1
        last = entry
    if anchor is None:
        if last is None:  # `tenancy.create_tenant` writes every tenant's first entry
            problems.append("the log has no entries and no anchor, but every tenant's log starts with its creation: "
                            "its entries and its anchor were removed")
        else:
            problems.append(f"the chain has {last.seq} entries but no anchor: the anchor was removed, or the log "
                            "was restored from a backup without re-anchoring; if you trust it, run "
                            f"'formwork audit reanchor {tenant_id}'")
        return problems
    if not anchored:
        problems.append("the chain's anchor is not signed by this instance's key: it was forged, or the database "
                        "comes from another instance (another instance key); if you trust it, run "
                        f"'formwork audit reanchor {tenant_id}'")
        return problems
    last_seq = last.seq if last is not None else 0
    if last_seq < anchor.seq:
        removed = anchor.seq - last_seq
        problems.append(f"the chain ends at entry {last_seq} but its anchor records {anchor.seq} entries: "
                        f"{removed} {'entry was' if removed == 1 else 'entries were'} removed")
    elif at_anchor is not None and at_anchor.hash != anchor.head_hash:
        problems.append(f"entry {at_anchor.seq} ({describe(at_anchor)}): it is not the entry its anchor records: "
                        "an entry up to it was changed and the hashes after it recomputed")
    if first_uncovered is not None:
        which = f"it and the {uncovered - 1} after it are" if uncovered > 1 else "it is"
        problems.append(f"entry {first_uncovered.seq} ({describe(first_uncovered)}): {which} not covered by the "
                        f"anchor (entry {anchor.seq}): added outside Formwork, or after the chain was found broken")
    return problems


def reanchor(session: Session, tenant_id: str) -> int:
    """Sign the head of a chain that verifies link by link with this instance's key; returns its last entry.

    For a trusted chain whose anchor is missing or was signed elsewhere (a backup restored on this instance).
    """
    append_pending(session)
    lock_chain(session, tenant_id)
    problems: list[str] = []
    last: AuditEntry | None = None
    for entry in _entries(session, tenant_id):
        problems.extend(_link_problems(last, entry))
        last = entry
    if problems:
        raise AuditChainBroken(f"the audit chain of tenant {tenant_id!r} is broken, so it is not re-anchored: "
                               + "; ".join(problems[:10]), details={"problems": problems},
                               message_code="audit_chain_broken",
                               params={"tenant_id": tenant_id, "problems": "; ".join(problems[:10])})
    seq, head = (last.seq, last.hash) if last is not None else (0, GENESIS)
    _set_anchor(session, tenant_id, seq, head)
    session.flush()
    session.info.get(BASES_KEY, {}).pop(tenant_id, None)  # later entries of this transaction extend this head
    session.info.get(HEADS_KEY, {}).pop(tenant_id, None)
    return seq


def describe(entry: AuditEntry) -> str:
    return (f"{_utc(entry.at):%Y-%m-%d %H:%M} UTC, {entry.actor}, "
            f"{entry.action} {entry.target_type} {entry.target_id}")


def _entries(session: Session, tenant_id: str) -> Iterable[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.seq)
    return session.scalars(statement.execution_options(yield_per=500))


def _link_problems(previous: AuditEntry | None, entry: AuditEntry) -> list[str]:
    expected_seq, expected_prev = (previous.seq + 1, previous.hash) if previous is not None else (1, GENESIS)
    problems = []
    if entry.seq != expected_seq:
        gap = entry.seq - expected_seq
        problems.append(f"entry {expected_seq} is missing (the next is entry {entry.seq}): "
                        f"{gap} {'entry was' if gap == 1 else 'entries were'} removed")
    elif entry.prev_hash != expected_prev:
        problems.append(f"entry {entry.seq} ({describe(entry)}): it does not follow the hash of the entry before "
                        "it: that entry was changed, or this one was put in its place")
    if entry_hash(entry) != entry.hash:
        problems.append(f"entry {entry.seq} ({describe(entry)}): its content does not match its hash")
    return problems


def _is_signed(anchor: AuditAnchor) -> bool:
    return instance_key.verify(ANCHOR_PURPOSE, _anchor_message(anchor.tenant, anchor.seq, anchor.head_hash),
                               anchor.signature)


def _set_anchor(session: Session, tenant_id: str, seq: int, head_hash: str) -> None:
    anchor = session.scalars(select(AuditAnchor).where(AuditAnchor.tenant == tenant_id)).first()
    if anchor is None:
        anchor = AuditAnchor(tenant=tenant_id)
        session.add(anchor)
    anchor.seq, anchor.head_hash, anchor.anchored_at = seq, head_hash, datetime.now(UTC)
    anchor.signature = anchor_signature(tenant_id, seq, head_hash)


def _advance_anchor(session: Session, tenant_id: str, base: tuple[int, str], head: tuple[int, str] | None) -> None:
    """Move the anchor to the chain's head if this transaction's entries extend the head it records."""
    if head is None:  # a savepoint rolled back after an append: read where the chain ends now
        head = _chain_head(session, tenant_id)
    if head == base:
        return  # every entry of this transaction was rolled back with its savepoint
    if base[0] == 0 and session.get(AuditAnchor, tenant_id) is None:  # the chain's first entries: its first anchor
        _set_anchor(session, tenant_id, *head)
        return
    moved = session.connection().execute(_MOVE_ANCHOR, _move_params(tenant_id, base, head))
    if moved.rowcount != 1:
        _anchor_not_moved(session, tenant_id)


def _move_params(tenant_id: str, base: tuple[int, str], head: tuple[int, str]) -> dict[str, Any]:
    """`_MOVE_ANCHOR`'s parameters: it moves only the anchor this instance signed at `base`."""
    return {"of_tenant": tenant_id, "base_seq": base[0], "base_hash": base[1],
            "base_signature": anchor_signature(tenant_id, *base), "new_seq": head[0], "new_hash": head[1],
            "new_at": datetime.now(UTC), "new_signature": anchor_signature(tenant_id, *head)}


def _anchor_not_moved(session: Session, tenant_id: str) -> None:
    if session.get(AuditAnchor, tenant_id) is None:
        log.error("audit chain of tenant %s has no anchor; left unanchored: see 'formwork audit verify %s'",
                  tenant_id, tenant_id)
    else:
        log.error("audit chain of tenant %s no longer ends where its anchor records; the anchor is left as it was: "
                  "see 'formwork audit verify %s'", tenant_id, tenant_id)


@event.listens_for(Session, "before_commit", insert=True)
def _anchor_heads(session: Session) -> None:
    """Once per transaction (not per savepoint): append the pending entries, then sign each chain's new head. First
    of the commit's own writes (`insert`): the record counts a tenant's writers share are added after it, under the
    chain's lock (engine/storage/summaries.py)."""
    if session.in_nested_transaction():
        return
    append_pending(session, last=True)
    bases: dict[str, tuple[int, str]] = session.info.pop(BASES_KEY, {})
    heads: dict[str, tuple[int, str] | None] = session.info.pop(HEADS_KEY, {})
    for tenant_id, base in bases.items():
        _advance_anchor(session, tenant_id, base, heads.get(tenant_id))


@event.listens_for(Session, "do_orm_execute")
def _append_before_reading(state: ORMExecuteState) -> None:
    """A read of the audit log sees the entries its own transaction wrote."""
    if state.is_select and state.session.info.get(PENDING_KEY) and any(
            mapper.class_ is AuditEntry for mapper in state.all_mappers):
        append_pending(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Entries and locks of a savepoint that rolled back are gone with it (PostgreSQL releases its row locks); the
    entries written before it that a read inside it appended are pending again, in their order."""
    appended = session.info.get(APPENDED_KEY, [])
    again = [(origin, entry) for appended_in, origin, entry in appended if within(appended_in, previous)]
    session.info[APPENDED_KEY] = [item for item in appended if not within(item[0], previous)]
    pending = again + session.info.get(PENDING_KEY, [])
    session.info[PENDING_KEY] = [(t, entry) for t, entry in pending if not within(t, previous)]
    locks: dict[str, SessionTransaction | None] = session.info.get(LOCKS_KEY, {})
    for tenant_id, taken_in in list(locks.items()):
        if within(taken_in, previous):  # released: what this transaction found at the head under it is gone too
            del locks[tenant_id]
            session.info.get(BASES_KEY, {}).pop(tenant_id, None)
    heads = session.info.get(HEADS_KEY)
    if heads and previous.nested:
        session.info[HEADS_KEY] = dict.fromkeys(heads)


@event.listens_for(Session, "after_transaction_end")
def _forget_bases(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a rolled-back transaction's entries are gone, and so is what they extended
        for key in (BASES_KEY, HEADS_KEY, PENDING_KEY, LOCKS_KEY, APPENDED_KEY):
            session.info.pop(key, None)


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; the hash is always taken over the aware UTC value."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def lock_chain(session: Session, tenant_id: str) -> None:
    """Serialise the tenant's chain writers, once per transaction. `append_pending` takes it last, just before the
    entries go in; a use case that must run alone for other reasons (numbering of a publication) takes it first.

    FOR NO KEY UPDATE, not FOR UPDATE: every row the transaction inserted that references the tenant already holds
    a key-share lock on its row, and two transactions each upgrading theirs to FOR UPDATE would deadlock."""
    held: dict[str, SessionTransaction | None] = session.info.setdefault(LOCKS_KEY, {})
    if tenant_id in held:
        return
    session.connection().execute(_LOCK, {"tenant": tenant_id})
    held[tenant_id] = innermost(session)


def entries_for(session: Session, tenant_id: str, target_type: str, target_id: str) -> list[AuditEntry]:
    append_pending(session)
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.tenant_id == tenant_id, AuditEntry.target_type == target_type,
                                 AuditEntry.target_id == target_id).order_by(AuditEntry.seq)
    ))


_APPEND = _append_statement()  # built once
