"""`formwork tenant`: tenants, their modules, parameters and adjustments."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import command_engine, tenant_admin
from engine import tenancy
from engine.customization.overlays import read_overlay
from engine.reports.adjustment_report import diff_lines, report_lines


@click.group(help="Create tenants and choose their modules.")
def tenant() -> None:
    pass


@tenant.command("create", help="Create a tenant.")
@click.argument("tenant_id")
@click.option("--name", default=None)
@click.option("--plan", default="trial", type=click.Choice(tenancy.PLANS), show_default=True)
@click.option("--seats", type=int, default=None)
@click.option("--modules", default=None, help="comma-separated modules the tenant is licensed for")
def tenant_create(tenant_id: str, name: str | None, plan: str, seats: int | None, modules: str | None) -> None:
    chosen = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    with command_engine().db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, name=name, plan=plan, seats=seats, modules=chosen)
    click.echo(f"created tenant {tenant_id} ({plan})")


def _set_enabled(tenant_id: str, module_name: str, enabled: bool) -> None:
    changed = command_engine().enable_module(tenant_id, module_name, enabled=enabled)
    verb = "enabled" if enabled else "disabled"
    click.echo(f"{verb}: {', '.join(changed)}" if changed else f"{module_name} was already {verb}")


@tenant.command("enable", help="Enable a module (and the modules it requires) for a tenant.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_enable(tenant_id: str, module_name: str) -> None:
    _set_enabled(tenant_id, module_name, True)


@tenant.command("disable", help="Disable a module for a tenant; its records are kept.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_disable(tenant_id: str, module_name: str) -> None:
    _set_enabled(tenant_id, module_name, False)


@tenant.command("param", help="Set a module parameter for a tenant.")
@click.argument("tenant_id")
@click.argument("module_name")
@click.argument("name")
@click.argument("value")
def tenant_param(tenant_id: str, module_name: str, name: str, value: str) -> None:
    engine = command_engine()
    with engine.db.tenant(tenant_id) as session:
        stored = tenancy.set_parameter(session, tenant_id, module_name, name, value, engine.catalog.modules())
    click.echo(f"{module_name}.{name} = {stored}")


@tenant.command("overlay", help="Dry-run (default) or publish a tenant's adjustment of a module (docs/overlays.md).")
@click.argument("tenant_id")
@click.argument("module_name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--publish", is_flag=True, help="publish it as the tenant's new version of the module")
@click.option("--confirm-drop-process", is_flag=True, help="publish even if it drops a process saved in the draft")
def tenant_overlay(tenant_id: str, module_name: str, file: Path, publish: bool, confirm_drop_process: bool) -> None:
    overlay = read_overlay(file)
    with command_engine().adjustments(tenant_admin(tenant_id)) as service:
        problems = service.validate(module_name, overlay)
        if problems:
            for problem in problems:
                click.echo(str(problem))
            click.echo(f"{len(problems)} problem(s) found; nothing was changed", err=True)
            sys.exit(1)
        report = (service.publish(module_name, overlay, confirm_drop_process=confirm_drop_process) if publish
                  else service.dry_run(module_name, overlay))
    for line in report_lines(report):
        click.echo(line)


@tenant.command("upgrade", help="Dry-run (default) or carry out moving a tenant's records to the catalog's newest "
                                "version of a module (docs/overlays.md).")
@click.argument("tenant_id")
@click.argument("module_name")
@click.option("--publish", is_flag=True, help="move the records (without it nothing changes)")
def tenant_upgrade(tenant_id: str, module_name: str, publish: bool) -> None:
    with command_engine().adjustments(tenant_admin(tenant_id)) as service:
        report = service.upgrade(module_name, publish=publish)
    for line in report_lines(report):
        click.echo(line)


@tenant.command("rollback", help="Make the previous version of a tenant's module current again.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_rollback(tenant_id: str, module_name: str) -> None:
    with command_engine().adjustments(tenant_admin(tenant_id)) as service:
        report = service.rollback(module_name)
    click.echo(f"{module_name} rolled back from {report['from_version']} to {report['to_version']}")
    for line in diff_lines(report["diff"]):
        click.echo(line)


@tenant.command("versions", help="A tenant's versions of a module, each with what it changed.")
@click.argument("tenant_id")
@click.argument("module_name")
def tenant_versions(tenant_id: str, module_name: str) -> None:
    with command_engine().adjustments(tenant_admin(tenant_id)) as service:
        for item in service.history(module_name):
            who = f" published {item['published_at']} by {item['published_by']}" if "published_at" in item else ""
            click.echo(f"{item['version']}\t{item['state']}{who}")
            if "published_at" in item:
                for line in diff_lines(service.version_diff(module_name, item["version"])):
                    click.echo(line)
