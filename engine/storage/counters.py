"""Sequence counters of numbered fields: one row per scope, locked while a number is taken."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.storage.models import NumberCounter

MAX_SCOPE = 255


def next_number(session: Session, tenant_id: str, module: str, entity: str, field: str, scope: str) -> int:
    """The next number of the scope, never handed out twice: the counter row stays locked until the
    transaction ends (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite writers hold the database lock).
    A rolled-back transaction gives its number back to nobody: numbers may have gaps."""
    scope = scope[:MAX_SCOPE]
    key = {"tenant_id": tenant_id, "module": module, "entity": entity, "field": field, "scope": scope}
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two first numbers of a scope at once: one inserts the row, the other waits for it and skips.
    session.execute(insert(NumberCounter).values(**key, last=0).on_conflict_do_nothing())
    counter = session.scalars(
        select(NumberCounter).where(NumberCounter.module == module, NumberCounter.entity == entity,
                                    NumberCounter.field == field, NumberCounter.scope == scope)
        .with_for_update().execution_options(populate_existing=True)
    ).one()
    counter.last += 1
    session.flush()
    return counter.last
