"""A tenant's complete backup: its rows as one JSON document, its files' contents beside it, and the restore.

Tables are found in the ORM metadata (every table with a `tenant_id` column), so a table added
later is backed up without touching this module. Rows are copied verbatim, audit hashes included,
so `formwork audit verify` passes after a restore into SQLite or PostgreSQL alike. The file format
(a tar archive signed by the instance) is `engine.ops.backup_archive`.

A restore trusts nothing in the file it did not sign: an unsigned or foreign file is refused unless
the operator says otherwise, and even then every approval run's state must carry the serializer
version this Formwork writes (never migrated; see `engine.workflow.serializer`).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Table, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import BadRequest, Conflict
from engine.ops import backup_archive
from engine.security import audit
from engine.storage import (
    summaries,
)
from engine.storage.database import Database
from engine.storage.models import Base, CatalogModule, Record, RecordCount, Tenant, TenantModule
from engine.storage.workflow_models import ProcessInstance
from engine.tenancy.tenants import TENANT_ID
from engine.workflow import UnsupportedState, check_state

FORMAT = "formwork-backup"
FORMAT_VERSION = 2
TENANTS = "tenants"
TENANT_TABLE = Base.metadata.tables[TENANTS]
SECRET_TABLES = frozenset({"api_tokens", "user_invitations"})   # left out unless asked for: a backup file travels
INSTANCE_COLUMNS = frozenset({"context_stamp"})   # this instance's, not the tenant's: a restored tenant starts afresh


def tenant_tables() -> list[Table]:
    """Every tenant-owned table, parents before children (foreign keys)."""
    return [table for table in Base.metadata.sorted_tables if "tenant_id" in table.c and table.name != TENANTS]


def export_tenant(db: Database, tenant_id: str, *, with_tokens: bool = False) -> dict[str, Any]:
    """The tenant's rows of every tenant-owned table, and the module versions a restore needs."""
    with db.tenant(tenant_id) as session:
        if session.get(Tenant, tenant_id) is None:
            raise BadRequest(f"tenant {tenant_id!r} does not exist",
                             message_code="tenant_not_found", params={"tenant_id": tenant_id})
        tables = {TENANTS: [{name: value for name, value in row.items() if name not in INSTANCE_COLUMNS}
                            for row in _rows(session, TENANT_TABLE, TENANT_TABLE.c.id == tenant_id)]}
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
                             "upgrade Formwork (formwork init) before importing",
                             message_code="backup_unknown_column", params={"table": table.name, "column": name})
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


def export_file(db: Database, tenant_id: str, path: Path, uploads: Path, *,
                with_tokens: bool = False) -> tuple[dict[str, Any], backup_archive.Written]:
    """Write the tenant's backup with its files' contents (from the uploads folder) to `path`, signed."""
    document = export_tenant(db, tenant_id, with_tokens=with_tokens)
    return document, backup_archive.write(path, document, uploads)


def restore_file(db: Database, path: Path, uploads: Path, *, replace: bool = False, trust_unsigned: bool = False,
                 actor: str = "system") -> tuple[str, int]:
    """Restore a backup file: check it, copy its files' contents into `uploads`, then import its rows.

    Returns the tenant and how many contents were copied. Contents go first: should the rows then fail,
    they are only unused copies, kept by hash where a retry finds them.
    """
    with backup_archive.open_backup(path, format_name=FORMAT, format_version=FORMAT_VERSION,
                                    trust_unsigned=trust_unsigned) as opened:
        tenant_id = check_document(opened.document)
        with db.tenant(tenant_id) as session:
            _check_target(session, opened.document, replace)
        copied = opened.restore_contents(uploads, tenant_id, _contents(opened.document))
    import_tenant(db, opened.document, replace=replace, actor=actor)
    return tenant_id, copied


def check_document(document: dict[str, Any]) -> str:
    """Return the backup's tenant after checking its shape and every approval run's state it holds."""
    tenant_id = document.get("tenant")
    tables = document.get("tables")
    if not isinstance(tables, dict) or any(not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows)
                                           for rows in tables.values()):
        raise BadRequest("the backup's tables must be lists of rows", message_code="backup_tables_not_lists")
    if not isinstance(tenant_id, str) or len(tables.get(TENANTS, [])) != 1:
        raise BadRequest("the backup names no tenant or has no tenant row", message_code="backup_no_tenant")
    if not TENANT_ID.match(tenant_id) or tables[TENANTS][0].get("id") != tenant_id:
        raise BadRequest(f"the backup's tenant {tenant_id!r} is not a tenant id or not its tenant row's id",
                         message_code="backup_bad_tenant", params={"tenant_id": tenant_id})
    unknown = sorted(set(tables) - {table.name for table in tenant_tables()} - {TENANTS})
    if unknown:
        raise BadRequest(f"the backup has tables this database does not know ({', '.join(unknown)}); "
                         "upgrade Formwork (formwork init) before importing",
                         message_code="backup_unknown_tables", params={"unknown": ', '.join(unknown)})
    for row in tables.get("process_instances", []):
        state = row.get("state")
        try:
            check_state(state)
        except UnsupportedState as error:
            raise BadRequest(f"the backup's approval run {row.get('id')!r} cannot be restored: {error.message}; "
                             "nothing was imported",
                             message_code="backup_run_unrestorable",
                             params={"run_id": row.get('id'), "message": error.message}) from None
        if row.get("serializer_version") != state["serializer_version"]:
            raise BadRequest(f"the backup's approval run {row.get('id')!r} names serializer version "
                             f"{row.get('serializer_version')!r} but its state has another; nothing was imported",
                             message_code="backup_run_version_mismatch",
                             params={"run_id": row.get('id'), "serializer_version": row.get('serializer_version')})
    return tenant_id


def _contents(document: dict[str, Any]) -> dict[str, int]:
    """The attachment contents the backup holds: hash -> size (a version 1 backup holds none)."""
    if document.get("format_version") == 1:
        return {}
    missing = set(document.get("missing_files") or [])
    contents: dict[str, int] = {}
    for row in document["tables"].get("files", []):
        sha, size = row.get("sha256"), row.get("size")
        if not isinstance(sha, str) or not isinstance(size, int) or contents.setdefault(sha, size) != size:
            raise BadRequest(f"the backup's file row {row.get('id')!r} has a bad hash or size",
                             message_code="backup_file_row_damaged", params={"file_id": row.get('id')})
    return {sha: size for sha, size in contents.items() if sha not in missing}


def import_tenant(db: Database, document: dict[str, Any], *, replace: bool = False, actor: str = "system") -> str:
    """Restore a backup's rows in one transaction: all of them or, on any error, nothing."""
    tenant_id = check_document(document)
    tables = document["tables"]
    known = {table.name: table for table in tenant_tables()}
    with db.tenant(tenant_id) as session:
        if _check_target(session, document, replace):
            _delete_tenant(session, tenant_id)
        try:
            _insert(session, tenant_id, tables, known)
        except IntegrityError as error:
            raise BadRequest(f"the backup could not be restored; nothing was imported: {error.orig}",
                             message_code="backup_restore_failed", params={"error": error.orig}) from None
        if RecordCount.__tablename__ not in tables:  # a backup from before the kept counts: count its records
            summaries.rebuild(session.connection(), tenant_id)
        session.expire_all()
        audit.write(session, tenant_id, actor=actor, action="tenant.restore", target_type="tenant",
                    target_id=tenant_id, note=f"restored from a backup taken {document.get('exported_at', '?')}")
    with db.tenant(tenant_id) as session:  # audit anchors belong to the instance: the restored chain gets one here
        audit.reanchor(session, tenant_id)
    return tenant_id


def _insert(session: Session, tenant_id: str, tables: dict[str, Any], known: dict[str, Table]) -> None:
    session.execute(TENANT_TABLE.insert(), [_load(TENANT_TABLE, tables[TENANTS][0])])
    for name, table in known.items():
        rows = [_load(table, row) for row in tables.get(name, [])]
        if any(row.get("tenant_id") != tenant_id for row in rows):
            raise BadRequest(f"the backup's {name} rows belong to another tenant than {tenant_id!r}",
                             message_code="backup_foreign_rows", params={"table": name, "tenant_id": tenant_id})
        if rows:
            session.execute(table.insert(), rows)


def _check_target(session: Session, document: dict[str, Any], replace: bool) -> bool:
    """Whether the tenant exists here (then only with `replace`); the module versions it needs must."""
    _check_modules(session, document.get("modules") or {})
    tenant_id = document["tenant"]
    if session.get(Tenant, tenant_id) is None:
        return False
    if not replace:
        raise Conflict(f"tenant {tenant_id!r} already exists here; import with --replace to overwrite it "
                       "with the backup",
                       message_code="tenant_exists_in_backup_target", params={"tenant_id": tenant_id})
    return True


def _check_modules(session: Session, needed: dict[str, list[str]]) -> None:
    installed = {(name, version) for name, version in session.execute(select(CatalogModule.name,
                                                                                CatalogModule.version))}
    names = {name for name, _ in installed}
    missing = [f"{module} {version}" for module, versions in sorted(needed.items()) for version in versions
               if (module, version) not in installed]
    missing += [module for module, versions in sorted(needed.items()) if not versions and module not in names]
    if missing:
        raise Conflict(f"the backup needs module versions that are not installed: {', '.join(missing)}; "
                       "install them with 'formwork module install PATH' first", details={"missing": missing},
                       message_code="backup_missing_module_versions", params={"missing": ', '.join(missing)})


def _delete_tenant(session: Session, tenant_id: str) -> None:
    for table in reversed(tenant_tables()):
        session.execute(delete(table).where(table.c.tenant_id == tenant_id))
    session.execute(delete(TENANT_TABLE).where(TENANT_TABLE.c.id == tenant_id))
