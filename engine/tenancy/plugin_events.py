"""Lifecycle events: the one place the engine announces changes to plugin hooks.

An event queues one `plugin.hook` job per listening hook of each plugin the tenant enabled, in the
transaction of the change: nothing runs for a change that is rolled back, nothing is lost for one
that commits. The worker runs the hooks after the commit (`engine.plugins.host`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.storage import jobs
from engine.tenancy import plugin_registry

HOOK_JOB = "plugin.hook"
HOOK_ATTEMPTS = 5


def emit(session: Session, tenant_id: str, name: str, *, module: str, entity: str, record: Mapping[str, Any],
         task: Mapping[str, Any] | None = None) -> None:
    """Queue the hooks listening to `name` (JSON-ready `record` and `task`) of the tenant's plugins (those of the
    unit of work's tenant context, read without a query)."""
    listening = plugin_registry.listeners(name)
    if not listening:
        return
    enabled_now = plugin_registry.enabled_plugins(session, tenant_id)
    for plugin, hooks in listening.items():
        if plugin not in enabled_now:
            continue
        for index in range(len(hooks)):
            jobs.enqueue(session, tenant_id, HOOK_JOB, {
                "plugin": plugin, "hook": index, "event": name, "module": module, "entity": entity,
                "record": dict(record), "task": dict(task) if task is not None else None,
            }, max_attempts=HOOK_ATTEMPTS)
