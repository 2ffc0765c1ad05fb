"""The `formwork` group: every command group of this package, the commands installed plugins add."""
from __future__ import annotations

from typing import Any

import click

from cli import audit, backup, imports, jobs, licenses, modules, operations, operators, plugins, tenants, users
from cli.common import CliState, fail
from engine.errors import FormworkError
from engine.tenancy import plugin_registry


class FormworkCommands(click.Group):
    """The `formwork` group, with the commands installed plugins add; an engine error is one clear line and
    exit 1, also when the group is invoked in-process."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FormworkError as error:
            fail(error)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or _plugin_commands().get(cmd_name)


def _plugin_commands() -> dict[str, click.Command]:
    return {command.name: command for plugin in plugin_registry.load().values() for command in plugin.commands
            if isinstance(command, click.Command) and command.name}


@click.group(cls=FormworkCommands, help="Formwork: declared construction-management modules on a generic engine.")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = CliState()


for _command in (operations.init, operations.demo, operations.worker, operations.scan_command, jobs.jobs_group,
                 modules.module, tenants.tenant, users.user, backup.export_command, backup.import_command,
                 licenses.license_group, operators.operator_group, audit.audit_group, plugins.plugin_group,
                 imports.import_rows):
    cli.add_command(_command)
