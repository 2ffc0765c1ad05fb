"""Lifecycle events: the one place the engine announces changes to plugin hooks.

An event queues one `plugin.hook` job per listening hook of each plugin the tenant enabled, in the
transaction of the change: nothing runs for a change that is rolled back, nothing is lost for one
that commits. The worker runs the hooks after the commit (`engine.plugins.host`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.core.plugin_api import Hook
from engine.storage import jobs
from engine.tenancy import plugin_registry

HOOK_JOB = "plugin.hook"
HOOK_ATTEMPTS = 5


def heard(session: Session, tenant_id: str, name: str) -> dict[str, list[Hook]]:
    """The hooks of the tenant's enabled plugins that listen to `name`: when none does, a caller need not build the
    event's record and task (reading the task's candidates and recipients takes queries)."""
    listening = plugin_registry.listeners(name)
    if not listening:
        return {}
    enabled_now = plugin_registry.enabled_plugins(session, tenant_id)
    return {plugin: hooks for plugin, hooks in listening.items() if plugin in enabled_now}


def emit(session: Session, tenant_id: str, name: str, *, module: str, entity: str, record: Mapping[str, Any],
         task: Mapping[str, Any] | None = None) -> None:
    """Queue the hooks listening to `name` (JSON-ready `record` and `task`) of the tenant's plugins (those of the
    unit of work's tenant context, read without a query)."""
    for plugin, hooks in heard(session, tenant_id, name).items():
        for index in range(len(hooks)):
            jobs.enqueue(session, tenant_id, HOOK_JOB, {
                "plugin": plugin, "hook": index, "event": name, "module": module, "entity": entity,
                "record": dict(record), "task": dict(task) if task is not None else None,
            }, max_attempts=HOOK_ATTEMPTS)
