"""What the platform operator reads and does across tenants: tenants, licenses, catalog, users, audit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.storage.database import Database
from engine.storage.models import AuditEntry, CatalogModule, Tenant, User
from engine.tenancy import licenses
from engine.tenancy import tenants as tenancy

AUDIT_LIMIT = 500


@dataclass(frozen=True)
class AuditFilter:
    """The audit viewer's filters; empty fields do not filter."""

    tenant: str = ""
    actor: str = ""
    target: str = ""          # entity: a target type (`record`, `user`...) or a target id
    since: datetime | None = None
    until: datetime | None = None


def tenants(db: Database) -> list[dict[str, Any]]:
    """Every tenant with its license in force and seats used."""
    with db.platform() as session:
        ids = tenancy.tenant_ids(session)
    result = []
    for tenant_id in ids:
        with db.tenant(tenant_id) as session:
            tenant = tenancy.get_tenant(session, tenant_id)
            result.append({**licenses.summary(session, tenant), "name": tenant.name, "is_active": tenant.is_active,
                           "created_at": tenant.created_at})
    return result


def issue_and_apply(db: Database, tenant_id: str, plan: str, *, seats: int | None, modules: list[str] | None,
                    days: int | None, operator: str) -> licenses.License:
    """Sign a new license with the operator key and make it the tenant's license."""
    token = licenses.issue(tenant_id, plan, seats=seats, modules=modules, days=days)
    with db.tenant(tenant_id) as session:
        return licenses.apply(session, tenancy.get_tenant(session, tenant_id), token, f"operator:{operator}")


def extend(db: Database, tenant_id: str, days: int, operator: str) -> licenses.License:
    """The tenant's license again, now valid `days` days from today."""
    with db.tenant(tenant_id) as session:
        grant = licenses.current(tenancy.get_tenant(session, tenant_id))
    return issue_and_apply(db, tenant_id, grant.plan, seats=grant.seats,
                           modules=list(grant.modules) if grant.modules is not None else None, days=days,
                           operator=operator)


def catalog(db: Database) -> list[CatalogModule]:
    with db.platform() as session:
        return list(session.scalars(select(CatalogModule).order_by(CatalogModule.name, CatalogModule.installed_at)))


def users(db: Database, tenant_id: str | None = None) -> list[User]:
    """Users of one tenant, or of every tenant (each read inside its own tenant scope)."""
    with db.platform() as session:
        ids = [tenant_id] if tenant_id else tenancy.tenant_ids(session)
    found: list[User] = []
    for current in ids:
        with db.tenant(current) as session:
            found.extend(session.scalars(select(User).order_by(User.username)))
    return found


def set_user_active(db: Database, tenant_id: str, username: str, active: bool, operator: str) -> None:
    with db.tenant(tenant_id) as session:
        tenancy.set_user_active(session, tenant_id, username, active, actor=f"operator:{operator}")


def audit_entries(db: Database, wanted: AuditFilter) -> list[AuditEntry]:
    """Newest first, at most AUDIT_LIMIT, filtered in SQL inside each tenant's scope."""
    with db.platform() as session:
        ids = [wanted.tenant] if wanted.tenant else tenancy.tenant_ids(session)
    found: list[AuditEntry] = []
    for current in ids:
        with db.tenant(current) as session:
            if session.get(Tenant, current) is None:
                continue
            statement = select(AuditEntry)
            if wanted.actor:
                statement = statement.where(AuditEntry.actor == wanted.actor)
            if wanted.target:
                statement = statement.where((AuditEntry.target_type == wanted.target)
                                            | (AuditEntry.target_id == wanted.target))
            if wanted.since:
                statement = statement.where(AuditEntry.at >= wanted.since)
            if wanted.until:
                statement = statement.where(AuditEntry.at <= wanted.until)
            found.extend(session.scalars(statement.order_by(AuditEntry.seq.desc()).limit(AUDIT_LIMIT)))
    found.sort(key=lambda e: licenses.as_utc(e.at), reverse=True)
    return found[:AUDIT_LIMIT]
