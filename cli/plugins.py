"""`formwork plugin`: installed plugins, enabled per tenant."""
from __future__ import annotations

import json

import click

from cli.common import command_engine
from engine import tenancy
from engine.errors import BadRequest
from engine.tenancy import plugin_registry


@click.group("plugin", help="List installed plugins; enable or disable them for a tenant.")
def plugin_group() -> None:
    pass


@plugin_group.command("list", help="Installed plugins: version, loaded or failed (with the error), tenants enabled.")
def plugin_list() -> None:
    engine = command_engine()
    tenants: dict[str, list[str]] = {}
    with engine.db.platform() as session:
        tenant_ids = tenancy.tenant_ids(session)
    for tenant_id in tenant_ids:
        with engine.db.tenant(tenant_id) as session:
            for name in plugin_registry.enabled_plugins(session, tenant_id):
                tenants.setdefault(name, []).append(tenant_id)
    loaded = plugin_registry.loaded()
    failures = plugin_registry.failures()
    if not loaded and not failures:
        click.echo("no plugins installed (pip install a package with a 'formwork.plugins' entry point)")
    for name, plugin in sorted(loaded.items()):
        enabled = ", ".join(tenants.get(name, [])) or "-"
        click.echo(f"{name}\t{plugin.version}\tloaded\ttenants: {enabled}")
    for failure in failures:
        click.echo(f"{failure.name}\t-\tfailed\t{failure.error}")


@plugin_group.command("enable", help="Enable a plugin for a tenant, with settings checked by the plugin's schema.")
@click.argument("tenant_id")
@click.argument("name")
@click.option("--settings", "settings_json", default=None, help="the plugin's settings as a JSON object")
def plugin_enable(tenant_id: str, name: str, settings_json: str | None) -> None:
    settings = None
    if settings_json is not None:
        try:
            settings = json.loads(settings_json)
        except json.JSONDecodeError as error:
            raise BadRequest(f"--settings is not valid JSON: {error}") from None
        if not isinstance(settings, dict):
            raise BadRequest("--settings must be a JSON object, e.g. '{\"url\": \"https://...\"}'")
    with command_engine().db.tenant(tenant_id) as session:
        tenancy.get_tenant(session, tenant_id)
        changed = plugin_registry.set_enabled(session, tenant_id, name, True, settings=settings)
    click.echo(f"enabled plugin {name} for {tenant_id}" if changed else f"plugin {name} was already enabled")


@plugin_group.command("disable", help="Disable a plugin for a tenant; its settings are kept.")
@click.argument("tenant_id")
@click.argument("name")
def plugin_disable(tenant_id: str, name: str) -> None:
    with command_engine().db.tenant(tenant_id) as session:
        tenancy.get_tenant(session, tenant_id)
        changed = plugin_registry.set_enabled(session, tenant_id, name, False)
    click.echo(f"disabled plugin {name} for {tenant_id}" if changed else f"plugin {name} was not enabled")
