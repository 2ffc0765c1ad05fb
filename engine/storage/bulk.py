"""Many rows into one table at once: from COPY_FROM rows on, PostgreSQL's COPY (one stream, the fastest way in),
else one INSERT (executemany).

An import of thousands of records writes them here; COPY checks every constraint and index an INSERT checks. Fewer
rows (a single create's audit entries) go as an INSERT, which statement counts and traces see.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

COPY_FROM = 100


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (each with the same columns) in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    documents = {name for name in names if isinstance(table.c[name].type, JSON)}
    raw: Any = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[name], ensure_ascii=False) if name in documents and row[name] is not None
                            else row[name] for name in names])
