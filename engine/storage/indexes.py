"""Expression indexes over JSON fields declared `indexed` or `unique`, per module entity."""
from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text

from engine.declarations.model import ModuleSpec

PREFIX = "fw_"


def json_text(dialect: str, field: str) -> str:
    """SQL text of a record field as text; the same expression the query layer uses, so indexes apply."""
    if dialect == "postgresql":
        return f"(data ->> '{field}')"
    return f"json_extract(data, '$.{field}')"


def desired_indexes(spec: ModuleSpec, dialect: str) -> dict[str, str]:
    """Index name -> CREATE statement for every indexed or unique field of the module."""
    statements = {}
    for entity in spec.entities.values():
        for field in entity.fields.values():
            if not (field.indexed or field.unique):
                continue
            name = _index_name(spec.name, entity.name, field.name, field.unique)
            unique = "UNIQUE " if field.unique else ""
            statements[name] = (
                f"CREATE {unique}INDEX IF NOT EXISTS {name} ON records (tenant_id, {json_text(dialect, field.name)}) "
                f"WHERE module = '{spec.name}' AND entity = '{entity.name}' AND deleted_at IS NULL"
            )
    return statements


def sync_indexes(connection: Connection, spec: ModuleSpec) -> None:
    """Create the module's indexes and drop the ones its current version no longer declares."""
    dialect = connection.dialect.name
    wanted = desired_indexes(spec, dialect)
    prefix = f"{PREFIX}{spec.name}__"
    for name in _index_names(connection):
        if name.startswith(prefix) and name not in wanted:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for statement in wanted.values():
        connection.execute(text(statement))


def _index_name(module: str, entity: str, field: str, unique: bool) -> str:
    name = f"{PREFIX}{module}__{entity}__{field}{'__u' if unique else ''}"
    if len(name) > 60:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        name = f"{PREFIX}{module}__{digest}"[:60]
    return name


def _index_names(connection: Connection) -> list[str]:
    """Names of the records table's indexes (the inspector skips expression indexes)."""
    if connection.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE tablename = 'records'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
    return [str(row[0]) for row in connection.execute(text(query))]
