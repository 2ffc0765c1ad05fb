"""A record's change history as one actor may see it: each entry with the permissions of the record it describes."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from engine.declarations.model import Action, EntitySpec
from engine.records.unit_of_work import UnitOfWork
from engine.security import audit
from engine.security.permissions import Access
from engine.storage.models import AuditEntry, Record
from engine.storage.queries import RecordQuery

# Entries whose `after` maps each record they changed (by id) to its changed fields, written on the record that
# groups them (a plan's network reschedule lists its tasks): each record is shown as its own permissions allow.
ENTRIES_OF_MANY = frozenset({"record.network"})


def history(work: UnitOfWork, entity: EntitySpec, row: Record) -> list[dict[str, Any]]:
    """The audit entries of a record the actor may read, oldest first.

    An entry about the record itself is shown with the record's permissions (hidden fields out, masked fields
    masked); an entry listing other records shows only those the actor may read under their own entity's
    permissions and row filters, each with that entity's hidden fields out and masked fields masked.
    """
    entries = audit.entries_for(work.session, work.actor.tenant_id, "record", row.id)
    access = work.access_to(entity, row)
    described = readable_records(work, (key for e in entries if e.action in ENTRIES_OF_MANY
                                            for key in (e.after or {})))
    return [_entry(e, access, described) for e in entries]


def readable_records(work: UnitOfWork, ids: Iterable[str]) -> dict[str, Access]:
    """The records among `ids` the actor may read (live, of an enabled entity, within its row filters): their
    entity's permissions for the actor, by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found: dict[str, Access] = {}
    kinds = work.session.execute(select(Record.module, Record.entity).where(Record.id.in_(wanted))
                                    .distinct()).all()
    for module, name in kinds:
        spec = work.entity_of(f"{module}.{name}")
        if spec is None:
            continue
        access = work.access(spec)
        if not access.allows(Action.READ):
            continue
        query = RecordQuery(work.session, spec, work.evaluation(spec))
        statement = query.visible(query.base().where(Record.id.in_(wanted)), access.row_filters)
        found.update({record.id: access for record in work.session.scalars(statement)})
    return found


def _entry(entry: AuditEntry, access: Access, described: dict[str, Access]) -> dict[str, Any]:
    if entry.action in ENTRIES_OF_MANY:
        before = _many(entry.before, described)
        after = _many(entry.after, described)
    else:
        before, after = access.shown(entry.before), access.shown(entry.after)
    return {"seq": entry.seq, "at": _iso(entry.at), "actor": entry.actor, "action": entry.action,
            "note": entry.note, "before": before, "after": after}


def _many(documents: dict[str, Any] | None, described: dict[str, Access]) -> dict[str, Any] | None:
    if documents is None:
        return None
    return {key: described[key].shown(fields) for key, fields in documents.items()
            if key in described and isinstance(fields, dict)}


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
