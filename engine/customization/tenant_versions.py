"""The module versions a tenant published with overlays, and the effective modules they give it."""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from engine.customization.catalog import Catalog
from engine.customization.overlays import Overlay, compile_or_raise
from engine.declarations.model import ModuleSpec
from engine.errors import NotFound
from engine.storage.database import TENANT_KEY
from engine.storage.models import TenantModuleVersion

CACHE_LIMIT = 512
TENANT_MARK = "+t"  # `1.0.0+t2`: a tenant's version; a catalog version never has build metadata


def is_tenant_version(version: str) -> bool:
    return TENANT_MARK in version


def history(session: Session, module: str) -> list[TenantModuleVersion]:
    """The tenant's published versions of a module, oldest first (the session is tenant-scoped)."""
    return list(session.scalars(select(TenantModuleVersion).where(TenantModuleVersion.module == module)
                                .order_by(TenantModuleVersion.seq)))


def current(session: Session, module: str) -> TenantModuleVersion | None:
    """The newest version not rolled back; None when the tenant runs the catalog's version."""
    live = [row for row in history(session, module) if row.rolled_back_at is None]
    return live[-1] if live else None


class TenantVersions:
    """Compiles tenants' versions on demand; the overlay compile cache makes each one compile once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._specs: dict[tuple[str, ...], ModuleSpec] = {}  # by content: a request reads no overlay text

    def effective(self, session: Session, usable: Mapping[str, ModuleSpec]) -> dict[str, ModuleSpec]:
        """`usable` with every module the tenant adjusted replaced by its current version."""
        rows = session.scalars(select(TenantModuleVersion).options(defer(TenantModuleVersion.files))
                               .where(TenantModuleVersion.rolled_back_at.is_(None))
                               .order_by(TenantModuleVersion.seq)).all()
        newest = {row.module: row for row in rows}
        result = dict(usable)
        for name in _dependency_order(result):
            if name in newest:
                result[name] = self.spec_of(newest[name], result)
        return result

    def spec_of(self, row: TenantModuleVersion, available: Mapping[str, ModuleSpec]) -> ModuleSpec:
        base = self.catalog.version(row.module, row.base_version)
        key = (row.tenant_id, row.module, row.version, row.digest, base.digest,
               *sorted(f"{name}:{available[name].digest}" for name in (*base.requires, *base.optional)
                       if name in available))
        spec = self._specs.get(key)
        if spec is None:
            spec = compile_or_raise(Overlay(row.origin, dict(row.files)), base, available, version=row.version)
            if len(self._specs) >= CACHE_LIMIT:
                self._specs.pop(next(iter(self._specs)))
            self._specs[key] = spec
        return spec

    def version(self, session: Session, module: str, version: str) -> ModuleSpec:
        """A specific version, the catalog's or the tenant's (in-flight approvals keep theirs)."""
        if not is_tenant_version(version):
            return self.catalog.version(module, version)
        row = session.get(TenantModuleVersion, (session.info[TENANT_KEY], module, version))
        if row is None:
            raise NotFound(f"module {module} {version} was never published by this tenant",
                           message_code="tenant_version_never_published", params={"module": module, "version": version})
        return self.spec_of(row, self.catalog.modules())


def _dependency_order(modules: Mapping[str, ModuleSpec]) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name not in modules or name in visiting:
            return  # in a cycle of optional modules (schedule and cost point at each other), the one reached first
        visiting.add(name)
        for required in (*modules[name].requires, *modules[name].optional):
            visit(required)
        ordered.append(name)

    for name in modules:
        visit(name)
    return ordered

