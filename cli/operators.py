"""`formwork operator`: the accounts of the /admin console."""
from __future__ import annotations

import click

from cli.common import command_engine
from engine.tenancy import operators


@click.group("operator", help="Platform operators: the accounts of the /admin console.")
def operator_group() -> None:
    pass


@operator_group.command("add", help="Add an operator (or set a new password for an existing one).")
@click.argument("name")
@click.option("--password", required=True)
def operator_add(name: str, password: str) -> None:
    with command_engine().db.platform() as session:
        created = operators.add(session, name, password)
    click.echo(f"{'added' if created else 'updated'} operator {name}")
