"""What the commands share: the engine of one command, one-line errors, the tenant's system admin."""
from __future__ import annotations

import sys

import click

from cli.environment import database_url
from engine import tenancy
from engine.errors import FormworkError
from engine.runtime import Formwork


def command_engine() -> Formwork:
    """The engine of one command; its connections close when the command ends (also when run in-process)."""
    engine = Formwork(database_url())
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(engine.db.dispose)
    return engine


def fail(error: FormworkError) -> None:
    click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


class CliState:
    """`ctx.obj` of every command: plugin commands get the engine with `state.engine()` (`@click.pass_obj`)."""

    def __init__(self) -> None:
        self._engine: Formwork | None = None

    def engine(self) -> Formwork:
        if self._engine is None:
            self._engine = command_engine()
        return self._engine


def tenant_admin(tenant_id: str) -> tenancy.Actor:
    return tenancy.Actor(tenant_id=tenant_id, username=tenancy.SYSTEM_ACTOR, roles=frozenset({"admin"}))


def redacted(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else url
