"""`formwork module`: validate, install and list modules."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import command_engine
from engine import tenancy
from engine.declarations.loader import validate_paths


@click.group(help="Validate, install and list modules.")
def module() -> None:
    pass


@module.command("validate", help="Check module folders; print file:line:col problems, exit 1 if any.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def module_validate(paths: tuple[Path, ...]) -> None:
    problems = validate_paths(paths)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(paths)} module folder(s) valid")


@module.command("install", help="Add a module folder to the catalog (a published version is immutable).")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def module_install(path: Path) -> None:
    engine = command_engine()
    spec, changed = engine.catalog.install(path)
    click.echo(f"{'installed' if changed else 'already installed'}: {spec.name} {spec.version}")


@module.command("list", help="List installed modules, or a tenant's modules and their state.")
@click.option("--tenant", "tenant_id", default=None)
def module_list(tenant_id: str | None) -> None:
    engine = command_engine()
    installed = engine.catalog.modules()
    if tenant_id is None:
        for name, spec in sorted(installed.items()):
            click.echo(f"{name}\t{spec.version}\t{spec.title.zh} / {spec.title.en}")
        for problem in engine.catalog.broken:
            click.echo(f"left out (does not compile): {problem}", err=True)
        return
    with engine.db.tenant(tenant_id) as session:
        tenant = tenancy.get_tenant(session, tenant_id)
        enabled = set(tenancy.enabled_modules(session, tenant_id))
        for name, spec in sorted(installed.items()):
            state = "enabled" if name in enabled else "disabled"
            if not tenancy.is_licensed(tenant, name):
                state = "not licensed"
            click.echo(f"{name}\t{spec.version}\t{state}")
