"""A tenant's complete backup as one JSON document, and its restore in one transaction.

Tables are found in the ORM metadata (every table with a `tenant_id` column), so a table added
later is backed up without touching this module. Rows are copied verbatim, audit hashes included,
so `formwork audit verify` passes after a restore into SQLite or PostgreSQL alike.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Table, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import BadRequest, Conflict
from engine.storage.database import Database
from engine.storage.models import Base, CatalogModule, ProcessInstance, Record, Tenant, TenantModule

FORMAT = "formwork-backup"
FORMAT_VERSION = 1
TENANTS = "tenants"
TENANT_TABLE = Base.metadata.tables[TENANTS]
SECRET_TABLES = frozenset({"api_tokens", "user_invitations"})   # left out unless asked for: a backup file travels


def tenant_tables() -> list[Table]:
    """Every tenant-owned table, parents before children (foreign keys)."""
    return [table for table in Base.metadata.sorted_tables if "tenant_id" in table.c and table.name != TENANTS]


def export_tenant(db: Database, tenant_id: str, *, with_tokens: bool = False) -> dict[str, Any]:
    """The tenant's rows of every tenant-owned table, and the module versions a restore needs."""
    with db.tenant(tenant_id) as session:
        if session.get(Tenant, tenant_id) is None:
            raise BadRequest(f"tenant {tenant_id!r} does not exist")
        tables = {TENANTS: _rows(session, TENANT_TABLE, TENANT_TABLE.c.id == tenant_id)}
        for table in tenant_tables():
            if table.name in SECRET_TABLES and not with_tokens:
                continue
            tables[table.name] = _rows(session, table, table.c.tenant_id == tenant_id)
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "tenant": tenant_id,
                "exported_at": datetime.now(UTC).isoformat(), "modules": _needed_modules(session, tenant_id),
                "tables": tables}


def _rows(session: Session, table: Table, condition: Any) -> list[dict[str, Any]]:
    result = session.execute(select(table).where(condition).order_by(*table.primary_key.columns)).mappings()
    return [{name: _dump(value) for name, value in row.items()} for row in result]


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()
    return value


def _load(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    loaded = {}
    for name, value in row.items():
        if name not in table.c:
            raise BadRequest(f"the backup has a column {table.name}.{name} this database does not know; "
                             "upgrade Formwork (formwork init) before importing")
        if value is not None and isinstance(table.c[name].type, DateTime):
            value = datetime.fromisoformat(value)
        loaded[name] = value
    return loaded


def _needed_modules(session: Session, tenant_id: str) -> dict[str, list[str]]:
    """Module -> versions the tenant's records and process instances were written with."""
    needed: dict[str, set[str]] = {}
    versions = [select(Record.module, Record.schema_version).distinct(),
                select(ProcessInstance.module, ProcessInstance.module_version).distinct()]
    pairs: Iterable[tuple[str, str]] = [(m, v) for statement in versions for m, v in session.execute(statement)]
    for module, version in pairs:
        needed.setdefault(module, set()).add(version)
    for module in session.scalars(select(TenantModule.module)):
        needed.setdefault(module, set())
    return {module: sorted(versions) for module, versions in sorted(needed.items())}


def write_file(document: dict[str, Any], path: Path) -> None:
    """JSON, gzip-compressed when the file name ends with .gz."""
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)


def read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        document = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    except FileNotFoundError:
        raise BadRequest(f"backup file {path} does not exist") from None
    except (OSError, ValueError) as error:
        raise BadRequest(f"{path} is not a Formwork backup (JSON, optionally gzip): {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BadRequest(f"{path} is not a Formwork backup: its 'format' is not {FORMAT!r}")
    if document.get("format_version") != FORMAT_VERSION:
        raise BadRequest(f"{path} has backup format version {document.get('format_version')!r}; this Formwork "
                         f"reads version {FORMAT_VERSION}")
    return document


def import_tenant(db: Database, document: dict[str, Any], *, replace: bool = False, actor: str = "system") -> str:
    """Restore a backup in one transaction: all of it or, on any error, nothing."""
    tenant_id = document.get("tenant")
    tables = document.get("tables")
    if not isinstance(tenant_id, str) or not isinstance(tables, dict) or len(tables.get(TENANTS, [])) != 1:
        raise BadRequest("the backup names no tenant or has no tenant row")
    known = {table.name: table for table in tenant_tables()}
    unknown = sorted(set(tables) - set(known) - {TENANTS})
    if unknown:
        raise BadRequest(f"the backup has tables this database does not know ({', '.join(unknown)}); "
                         "upgrade Formwork (formwork init) before importing")
    with db.tenant(tenant_id) as session:
        _check_modules(session, document.get("modules") or {})
        if session.get(Tenant, tenant_id) is not None:
            if not replace:
                raise Conflict(f"tenant {tenant_id!r} already exists here; import with --replace to overwrite it "
                               "with the backup")
            _delete_tenant(session, tenant_id)
        try:
            _insert(session, tenant_id, tables, known)
        except IntegrityError as error:
            raise BadRequest(f"the backup could not be restored; nothing was imported: {error.orig}") from None
        session.expire_all()
        audit.write(session, tenant_id, actor=actor, action="tenant.restore", target_type="tenant",
                    target_id=tenant_id, note=f"restored from a backup taken {document.get('exported_at', '?')}")
    return tenant_id


def _insert(session: Session, tenant_id: str, tables: dict[str, Any], known: dict[str, Table]) -> None:
    session.execute(TENANT_TABLE.insert(), [_load(TENANT_TABLE, tables[TENANTS][0])])
    for name, table in known.items():
        rows = [_load(table, row) for row in tables.get(name, [])]
        if any(row.get("tenant_id") != tenant_id for row in rows):
            raise BadRequest(f"the backup's {name} rows belong to another tenant than {tenant_id!r}")
        if rows:
            session.execute(table.insert(), rows)


def _check_modules(session: Session, needed: dict[str, list[str]]) -> None:
    installed = {(name, version) for name, version in session.execute(select(CatalogModule.name,
                                                                                CatalogModule.version))}
    names = {name for name, _ in installed}
    missing = [f"{module} {version}" for module, versions in sorted(needed.items()) for version in versions
               if (module, version) not in installed]
    missing += [module for module, versions in sorted(needed.items()) if not versions and module not in names]
    if missing:
        raise Conflict(f"the backup needs module versions that are not installed: {', '.join(missing)}; "
                       "install them with 'formwork module install PATH' first", details={"missing": missing})


def _delete_tenant(session: Session, tenant_id: str) -> None:
    for table in reversed(tenant_tables()):
        session.execute(delete(table).where(table.c.tenant_id == tenant_id))
    session.execute(delete(TENANT_TABLE).where(TENANT_TABLE.c.id == tenant_id))
