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
    for name in index_names(connection):
        if name.startswith(prefix) and name not in wanted:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for statement in wanted.values():
        connection.execute(text(statement))


def desired_tenant_indexes(tenant_id: str, spec: ModuleSpec, base: ModuleSpec,
                           dialect: str) -> dict[str, tuple[str, str]]:
    """Index name -> (what it indexes, CREATE statement) for what a tenant's version adds to `base`.

    Partial on the tenant, so another tenant's version of the module never meets it, and named
    apart from the catalog's indexes, so installing a module never drops it.
    """
    shared = desired_indexes(base, dialect)
    result = {}
    for entity in spec.entities.values():
        for field in entity.fields.values():
            if not (field.indexed or field.unique) or _index_name(spec.name, entity.name, field.name,
                                                                   field.unique) in shared:
                continue
            what = f"{entity.name}.{field.name}{' (unique)' if field.unique else ''}"
            name = tenant_index_prefix(tenant_id, spec.name) + hashlib.sha1(what.encode()).hexdigest()[:12]
            unique = "UNIQUE " if field.unique else ""
            result[name] = (what, (
                f"CREATE {unique}INDEX IF NOT EXISTS {name} ON records (tenant_id, {json_text(dialect, field.name)}) "
                f"WHERE tenant_id = '{tenant_id}' AND module = '{spec.name}' AND entity = '{entity.name}' "
                "AND deleted_at IS NULL"))
    return result


def tenant_index_prefix(tenant_id: str, module: str) -> str:
    return f"{PREFIX}t{hashlib.sha1(f'{tenant_id}/{module}'.encode()).hexdigest()[:10]}_"


def tenant_index_changes(connection: Connection, tenant_id: str, spec: ModuleSpec,
                         base: ModuleSpec) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """(indexes to create, names to drop) to bring a tenant's indexes of a module to `spec`."""
    wanted = desired_tenant_indexes(tenant_id, spec, base, connection.dialect.name)
    prefix = tenant_index_prefix(tenant_id, spec.name)
    existing = [name for name in index_names(connection) if name.startswith(prefix)]
    return {name: wanted[name] for name in wanted if name not in existing}, [n for n in existing if n not in wanted]


def sync_tenant_indexes(connection: Connection, tenant_id: str, spec: ModuleSpec, base: ModuleSpec) -> None:
    create, drop = tenant_index_changes(connection, tenant_id, spec, base)
    for name in drop:
        connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for _what, statement in create.values():
        connection.execute(text(statement))


def _index_name(module: str, entity: str, field: str, unique: bool) -> str:
    name = f"{PREFIX}{module}__{entity}__{field}{'__u' if unique else ''}"
    if len(name) > 60:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        name = f"{PREFIX}{module}__{digest}"[:60]
    return name


def index_names(connection: Connection) -> list[str]:
    """Names of the records table's indexes (the inspector skips expression indexes)."""
    if connection.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE tablename = 'records'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
    return [str(row[0]) for row in connection.execute(text(query))]
