"""`formwork export` and `formwork import`: a tenant's complete backup."""
from __future__ import annotations

from pathlib import Path

import click

from cli.common import command_engine
from cli.environment import uploads_path
from engine.ops import backup


@click.command("export", help="Write a tenant's complete backup to FILE: a tar archive (gzip when FILE ends with "
                             ".gz) of its rows, signed by this instance, and its attachments' contents.")
@click.argument("tenant_id")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-tokens", is_flag=True, help="also back up the tenant's API tokens (hashed)")
def export_command(tenant_id: str, file: Path, with_tokens: bool) -> None:
    document, written = backup.export_file(command_engine().db, tenant_id, file, uploads_path(),
                                           with_tokens=with_tokens)
    for sha in written.missing:
        click.echo(f"warning: the content of attachment {sha} is missing from {uploads_path()}; "
                   "its file rows are in the backup without it", err=True)
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in document["tables"].items() if rows)
    click.echo(f"exported {tenant_id} to {file}: {counts}; attachment contents {written.contents} "
               f"({written.size} bytes)")


@click.command("import", help="Restore a backup FILE: its attachments' contents, then its rows in one transaction. "
                            "Only a file this instance signed, unless --trust-unsigned.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="overwrite the tenant if it already exists here")
@click.option("--trust-unsigned", is_flag=True,
              help="also restore a file this instance did not sign (unsigned, altered, from another instance, or "
                   "a version 1 backup); only for a file you know the origin of")
def import_command(file: Path, replace: bool, trust_unsigned: bool) -> None:
    tenant_id, _ = backup.restore_file(command_engine().db, file, uploads_path(), replace=replace,
                                       trust_unsigned=trust_unsigned)
    click.echo(f"imported tenant {tenant_id} from {file}")
