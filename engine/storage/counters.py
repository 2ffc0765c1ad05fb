"""Sequence counters of numbered fields: one row per scope, locked while a number is taken."""
from __future__ import annotations

import sqlite3
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.storage.models import NumberCounter

MAX_SCOPE = 255
SQLITE_RETURNING = (3, 35, 0)  # the first SQLite with INSERT ... RETURNING


def next_number(session: Session, tenant_id: str, module: str, entity: str, field: str, scope: str,
                count: int = 1) -> int:
    """The next number of the scope, never handed out twice: the counter row stays locked until the
    transaction ends (the upsert's row lock on PostgreSQL; SQLite writers hold the database lock).
    A rolled-back transaction gives its number back to nobody: numbers may have gaps. With `count`, the last of
    the `count` numbers taken together (an import's rows of one scope)."""
    scope = scope[:MAX_SCOPE]
    key = {"tenant_id": tenant_id, "module": module, "entity": entity, "field": field, "scope": scope}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and sqlite3.sqlite_version_info < SQLITE_RETURNING:
        return _next_number_in_steps(session, key, count)
    row = {**key, "last": count}
    return int(session.connection().execute(_taking(dialect), row).scalar_one())


@cache
def _taking(dialect: str) -> Any:
    """One statement, built once per dialect: the first number of a scope inserts the row, every later one (or one
    that waited on a concurrent first) increments it in place by the count asked for."""
    insert = postgresql_insert(NumberCounter) if dialect == "postgresql" else sqlite_insert(NumberCounter)
    return insert.on_conflict_do_update(
        index_elements=[NumberCounter.tenant_id, NumberCounter.module, NumberCounter.entity, NumberCounter.field,
                        NumberCounter.scope],
        set_={"last": NumberCounter.last + insert.excluded.last},
    ).returning(NumberCounter.last)


def _next_number_in_steps(session: Session, key: dict[str, str], count: int) -> int:
    """The same on a SQLite without RETURNING: insert the row if missing, then lock, read and increment it."""
    insert = sqlite_insert
    # Two first numbers of a scope at once: one inserts the row, the other waits for it and skips.
    session.execute(insert(NumberCounter).values(**key, last=0).on_conflict_do_nothing())
    counter = session.scalars(
        select(NumberCounter).where(NumberCounter.module == key["module"], NumberCounter.entity == key["entity"],
                                    NumberCounter.field == key["field"], NumberCounter.scope == key["scope"])
        .with_for_update().execution_options(populate_existing=True)
    ).one()
    counter.last += count
    session.flush()
    return counter.last
