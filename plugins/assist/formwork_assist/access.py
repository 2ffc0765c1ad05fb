"""Who may use Assist in a request: an API caller of a tenant that has switched the plugin on."""
from __future__ import annotations

from flask import current_app, g

from engine.errors import PluginNotEnabled
from engine.tenancy import Actor, plugin_registry
from web.api import current_actor


def assist_actor() -> Actor:
    """The caller (bearer token), refused with `assist_not_enabled` when their tenant has not enabled Assist."""
    actor = current_actor()
    if not is_enabled(actor.tenant_id):
        raise not_enabled(actor.tenant_id)
    g.actor = actor
    return actor


def is_enabled(tenant: str) -> bool:
    """Whether the tenant has switched Assist on (a reading session: callers may be inside a transaction)."""
    with current_app.extensions["formwork"].db.reading(tenant) as session:
        return "assist" in plugin_registry.enabled_plugins(session, tenant)


def not_enabled(tenant: str) -> PluginNotEnabled:
    return PluginNotEnabled(f"Assist is not enabled for tenant {tenant}: run 'formwork plugin enable {tenant} "
                            "assist'", message_code="assist_not_enabled", params={"tenant": tenant})
