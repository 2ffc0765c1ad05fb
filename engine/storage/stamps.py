"""Version stamps of what each process caches per tenant: read in one statement, moved by every change to it.

A tenant's context (engine/customization/tenant_context.py) comes from `tenants` (its licence), `tenant_modules`,
`tenant_module_versions`, `tenant_plugins` and the module catalog. Every flush that changes one of those moves the
tenant's `context_stamp` (or the catalog's stamp in `platform_stamps`) in the same transaction, so another process
sees the change at its next request by reading two numbers, not the rows. A write that goes around the ORM (a
Core statement on those tables) calls `bump_tenants` or `bump_catalog` itself; a tenant row inserted again (a
restored backup) starts from a fresh random stamp (`models.fresh_stamp`).
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import Connection, bindparam, column, event, select, table
from sqlalchemy.orm import Session

from engine.storage.database import TENANT_KEY
from engine.storage.models import CatalogModule, Tenant, TenantModule, TenantModuleVersion, TenantPlugin, fresh_stamp

CATALOG = "catalog"
BUMPED_KEY = "context_bumped"   # session.info: this transaction moved a stamp (a context built in it may roll back)
PLUGINS_KEY = "tenant_plugins"  # session.info: (tenant, its enabled plugins) of the context the unit of work runs with
_PENDING_KEY = "context_changes"
_CONTEXT_TABLES = (TenantModule, TenantModuleVersion, TenantPlugin)

Stamp = tuple[int, int]   # (the tenant's stamp, the catalog's stamp)

_READ_KEY = "context_stamps"     # session.info: (tenant, stamps) a query of this transaction read along (`remember`)

# a query that joins TENANTS reads a tenant's stamps along with what it asks (`COLUMNS`, `remember`)
TENANTS = table("tenants", column("id"), column("context_stamp"))
_platform = table("platform_stamps", column("name"), column("value"))
COLUMNS = (TENANTS.c.context_stamp, select(_platform.c.value).where(_platform.c.name == CATALOG).scalar_subquery())
_STAMPS = select(*COLUMNS).where(TENANTS.c.id == bindparam("tenant"))   # every request reads them: built once


def read(session: Session, tenant_id: str) -> Stamp | None:
    """The tenant's and the catalog's stamps in one statement (or as a query of this transaction read them just
    before, once); None when the tenant does not exist."""
    known = session.info.pop(_READ_KEY, None)
    if known is not None and known[0] == tenant_id:
        stamp: Stamp = known[1]
        return stamp
    row = session.connection().execute(_STAMPS, {"tenant": tenant_id}).first()
    return None if row is None else _stamp(row[0], row[1])


def remember(session: Session, tenant_id: str, tenant_stamp: Any, catalog_stamp: Any) -> None:
    """The stamps a query read along with its own columns (`COLUMNS`): the next `read` in this transaction takes
    them instead of reading them again."""
    session.info[_READ_KEY] = (tenant_id, _stamp(tenant_stamp, catalog_stamp))


def _stamp(tenant_stamp: Any, catalog_stamp: Any) -> Stamp:
    return int(tenant_stamp), int(catalog_stamp or 0)


def bump_tenants(connection: Connection, tenant_ids: Iterable[str]) -> None:
    ids = sorted(set(tenant_ids))
    if ids:
        connection.execute(TENANTS.update().where(TENANTS.c.id.in_(ids))
                           .values(context_stamp=TENANTS.c.context_stamp + 1))


def bump_catalog(connection: Connection) -> None:
    moved = connection.execute(_platform.update().where(_platform.c.name == CATALOG)
                               .values(value=_platform.c.value + 1))
    if moved.rowcount == 0:
        connection.execute(_platform.insert().values(name=CATALOG, value=fresh_stamp()))


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Remember which tenants (and whether the catalog) this flush changes; `_move_stamps` moves them."""
    tenants: set[str] = set()
    catalog = False
    for obj in chain(session.new, session.dirty, session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, _CONTEXT_TABLES):
            tenants.add(obj.tenant_id or session.info.get(TENANT_KEY) or "")
        elif isinstance(obj, Tenant) and obj not in session.new:
            tenants.add(obj.id)
        elif isinstance(obj, CatalogModule):
            catalog = True
    if tenants or catalog:
        noted: tuple[set[str], bool] = session.info.setdefault(_PENDING_KEY, (set(), False))
        session.info[_PENDING_KEY] = (noted[0] | tenants, noted[1] or catalog)


@event.listens_for(Session, "after_flush")
def _move_stamps(session: Session, _context: Any) -> None:
    noted: tuple[set[str], bool] | None = session.info.pop(_PENDING_KEY, None)
    if noted is None:
        return
    tenants, catalog = noted
    connection = session.connection()
    bump_tenants(connection, tenants)
    if catalog:
        bump_catalog(connection)
    session.info[BUMPED_KEY] = True
    session.info.pop(PLUGINS_KEY, None)
    session.info.pop(_READ_KEY, None)  # what was read along is behind now
