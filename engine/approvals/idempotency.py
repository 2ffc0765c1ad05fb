"""Idempotency keys of record creation: a retry of a create (a phone resending a draft after a lost answer)
finds the record the first send made instead of making a second one.

A key belongs to (tenant, user). It is claimed in the create's own transaction before anything is written:
the table's primary key makes a racing second claim wait for the first transaction and then fail, and that
failure is read as "replay" — so two sends of one key never both create. A create that fails (a validation
error) rolls its claim back with it, so the corrected send may use the same key.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import BadRequest, Conflict
from engine.storage.models import IdempotencyKey
from engine.tenancy.tenants import Actor

MAX_KEY_LENGTH = 200
PENDING = ""  # the record id of a claim whose create is still running


@dataclass(frozen=True)
class IdempotentRequest:
    """A create sent with an idempotency key; `fingerprint` tells a retry from a different request."""

    key: str
    fingerprint: str


def request_of(key: str | None, payload: Any) -> IdempotentRequest | None:
    """The request a client's key names (None without a key); 400 for a key that is not 1-200 visible ASCII."""
    if key is None or key == "":
        return None
    if len(key) > MAX_KEY_LENGTH or not all("!" <= char <= "~" for char in key):
        raise BadRequest(f"the idempotency key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID is "
                         f"a good key), not {key[:40]!r}", message_code="idempotency_key_invalid",
                         params={"most": MAX_KEY_LENGTH, "key": key[:40]})
    return IdempotentRequest(key, fingerprint_of(payload))


def fingerprint_of(payload: Any) -> str:
    """A digest of what was sent, the same for the same values whatever their order."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replayed(session: Session, actor: Actor, request: IdempotentRequest, module: str, entity: str) -> str | None:
    """The id of the record an earlier send of this key created, or None; 409 when the key was used for
    another entity or other values."""
    row = session.get(IdempotencyKey, (actor.tenant_id, actor.username, request.key))
    if row is None or row.record_id == PENDING:
        return None
    if (row.module, row.entity, row.fingerprint) != (module, entity, request.fingerprint):
        raise Conflict(f"idempotency key {request.key!r} was already used for another request "
                       f"({row.module}.{row.entity}, other values); send a new key for a new record",
                       message_code="idempotency_key_reused",
                       params={"key": request.key, "module": row.module, "entity": row.entity})
    return row.record_id


def claim(session: Session, actor: Actor, request: IdempotentRequest, module: str, entity: str) -> str | None:
    """Claim the key for a create about to run in this transaction: None when it is ours now, else the id of
    the record another send of it created (waiting for that send's transaction when it is still running)."""
    earlier = replayed(session, actor, request, module, entity)
    if earlier is not None:
        return earlier
    row = IdempotencyKey(tenant_id=actor.tenant_id, username=actor.username, key=request.key, module=module,
                         entity=entity, fingerprint=request.fingerprint, record_id=PENDING,
                         created_at=datetime.now(UTC))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another send of the key committed first (it held us until then)
        earlier = replayed(session, actor, request, module, entity)
        if earlier is None:
            raise
        return earlier
    return None


def settle(session: Session, actor: Actor, request: IdempotentRequest, record_id: str) -> None:
    """Remember the record this transaction's claim created."""
    row = session.get(IdempotencyKey, (actor.tenant_id, actor.username, request.key))
    if row is not None:
        row.record_id = record_id


def sent(session: Session, actor: Actor, key: str) -> tuple[str, str, str] | None:
    """(module, entity, record id) of what the actor's send with `key` created, or None (not sent, or refused)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    row = session.get(IdempotencyKey, (actor.tenant_id, actor.username, key))
    if row is None or row.record_id == PENDING:
        return None
    return row.module, row.entity, row.record_id
