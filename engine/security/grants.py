"""抄送 (cc) read grants: a step of an approval lets named users, or the holders of named roles, read that one record.

A grant gives the read of one record and nothing more: no other action, no other record, and the record is shown
with the fields that every role reading the entity may see (`Access.cc`). The read path asks here only for records
the actor's own roles do not let them read.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.storage.workflow_models import RecordGrant

USER_PREFIX = "user:"


def grantee_keys(actor: Actor) -> list[str]:
    """The grantee keys that stand for the actor: their roles and `user:<name>`."""
    return [*sorted(actor.roles), f"{USER_PREFIX}{actor.username}"]


def granted(session: Session, actor: Actor, record_ids: Collection[str]) -> set[str]:
    """The records among `record_ids` a cc grant lets the actor read (one query)."""
    if not record_ids:
        return set()
    return set(session.scalars(select(RecordGrant.record_id).where(
        RecordGrant.tenant_id == actor.tenant_id, RecordGrant.record_id.in_(sorted(set(record_ids))),
        RecordGrant.grantee.in_(grantee_keys(actor))).distinct()))


def grant(session: Session, tenant_id: str, *, record_id: str, module: str, entity: str,
          grantees: Iterable[str], step: str, at: datetime) -> list[str]:
    """Let `grantees` (roles, `user:<name>`) read the record; return those not granted before."""
    wanted = list(dict.fromkeys(grantees))
    if not wanted:
        return []
    held = set(session.scalars(select(RecordGrant.grantee).where(
        RecordGrant.tenant_id == tenant_id, RecordGrant.record_id == record_id, RecordGrant.grantee.in_(wanted))))
    new = [grantee for grantee in wanted if grantee not in held]
    session.add_all(RecordGrant(tenant_id=tenant_id, record_id=record_id, grantee=grantee, module=module,
                                entity=entity, step=step, granted_at=at) for grantee in new)
    return new
