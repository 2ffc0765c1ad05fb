"""A tenant's context for a request: its modules at the versions it runs, their parameters, its licence and plugins.

Built from five tables and the catalog, it changes only when an administrator changes one of them, so each process
keeps it and a request reads only the stamps (engine/storage/stamps.py): one small statement instead of the rows.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.customization.catalog import Catalog
from engine.customization.tenant_versions import TenantVersions
from engine.declarations.flow import presence
from engine.declarations.model import ModuleSpec
from engine.errors import NotFound
from engine.storage import stamps
from engine.tenancy import licenses, plugin_registry
from engine.tenancy import tenants as tenancy

CACHE_LIMIT = 1024   # tenants kept per process; the oldest entry goes first
BlockedModules = Callable[[Mapping[str, ModuleSpec], Mapping[str, Any], str], dict[str, str]]


@dataclass(frozen=True)
class TenantContext:
    """What a tenant may use now. Shared between requests: read it, never change it (copy what you change)."""

    tenant_id: str
    modules: Mapping[str, ModuleSpec]   # installed, enabled and licensed, each at the version the tenant runs
    parameters: Mapping[str, Mapping[str, Any]]   # module -> its parameter values
    grant: licenses.License
    plugins: Mapping[str, Mapping[str, Any]]   # enabled plugin -> its settings
    blocked: Mapping[str, str]   # module -> why a plugin it needs makes it unusable
    unlicensed: frozenset[str]   # installed modules the licence leaves out

    def usable_modules(self) -> dict[str, ModuleSpec]:
        return {name: spec for name, spec in self.modules.items() if name not in self.blocked}

    def parameter_values(self) -> dict[str, Any]:
        return {name: dict(values) for name, values in self.parameters.items()}


class TenantContexts:
    """The process's tenant contexts, each valid while the stamps it was built at are current."""

    def __init__(self, catalog: Catalog, versions: TenantVersions, blocked_modules: BlockedModules) -> None:
        self.catalog = catalog
        self.versions = versions
        self.blocked_modules = blocked_modules
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[stamps.Stamp, int], TenantContext]] = {}

    def get(self, session: Session, tenant_id: str) -> TenantContext:
        """The tenant's context as of this transaction; builds it again only when a stamp moved."""
        stamp = stamps.read(session, tenant_id)
        if stamp is None:
            raise NotFound(f"tenant {tenant_id!r} does not exist",
                           message_code="tenant_not_found", params={"tenant_id": tenant_id})
        key = (stamp, plugin_registry.generation())   # plugins loaded in this process change what is blocked
        cached = self._cache.get(tenant_id)
        if cached is not None and cached[0] == key:
            context = cached[1]
        else:
            context = self._build(session, tenant_id, stamp)
            if not session.info.get(stamps.BUMPED_KEY):   # built from changes that may yet roll back: not kept
                with self._lock:
                    if len(self._cache) >= CACHE_LIMIT:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[tenant_id] = (key, context)
        session.info[stamps.PLUGINS_KEY] = (tenant_id, context.plugins)
        return context

    def _build(self, session: Session, tenant_id: str, stamp: stamps.Stamp) -> TenantContext:
        grant = licenses.current(tenancy.get_tenant(session, tenant_id))
        installed = self.catalog.modules(stamp=stamp[1])
        settings = tenancy.module_settings(session, tenant_id)
        usable = {name: installed[name] for name in settings if name in installed and grant.allows(name)}
        modules = presence.as_enabled(self.versions.effective(session, usable))  # optional refs of enabled modules
        plugins = plugin_registry.enabled_plugins(session, tenant_id)
        return TenantContext(
            tenant_id=tenant_id, modules=modules, parameters={name: settings[name] for name in usable},
            grant=grant, plugins=plugins, blocked=self.blocked_modules(modules, plugins, tenant_id),
            unlicensed=frozenset(name for name in installed if not grant.allows(name)))
