"""`formwork import-rows T module.entity FILE`: a workbook or CSV file imported as records, all rows or none."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from cli.common import command_engine, tenant_admin
from engine import tenancy
from engine.errors import NotFound
from engine.records.bulk.importer import BulkImport, ImportRejected, RowError
from engine.records.bulk.sheets import read_sheet
from engine.storage.models import User
from web.ui.error_text import error_text


def row_line(error: RowError) -> str:
    """One problem of the error report, in Chinese: 第 12 行 [人数] min: 不能小于 1."""
    where = error.column or error.field
    text = error_text(error.code, error.params, "zh", error.message)
    return f"第 {error.row} 行" + (f" [{where}]" if where else "") + f" {error.code}: {text}"


@click.command("import-rows", help="Import the rows of an .xlsx or .csv file as records of MODULE.ENTITY: every row "
                                   "is checked as a single create would check it; one invalid row and nothing is "
                                   "written (the report lists every row's errors).")
@click.argument("tenant_id")
@click.argument("entity_key", metavar="MODULE.ENTITY")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", default=None, help="the user to import as (default: the tenant's administrator)")
@click.option("--dry-run", is_flag=True, help="check every row, write nothing")
def import_rows(tenant_id: str, entity_key: str, file: Path, username: str | None, dry_run: bool) -> None:
    module, _, entity = entity_key.partition(".")
    engine = command_engine()
    actor = tenant_admin(tenant_id)
    if username:
        with engine.db.reading(tenant_id) as session:
            user = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
            if user is None:
                raise NotFound(f"user {username!r} does not exist in tenant {tenant_id!r}",
                               message_code="user_not_found_in_tenant",
                               params={"username": username, "tenant_id": tenant_id})
            actor = tenancy.actor_of(user)
    sheet = read_sheet(file.read_bytes(), file.name)

    def progress(validated: int, written: int, total: int) -> None:
        click.echo(f"\r{validated}/{total} rows checked, {written} written", nl=False, err=True)

    try:
        with engine.approvals(actor) as service:
            job = BulkImport(service.records, module, entity, create=service.create, progress=progress)
            outcome = job.run(sheet, dry_run=dry_run, source=file.name)
            if dry_run:
                service.records.session.rollback()   # a dry run keeps nothing, not even the numbers it took
    except ImportRejected as rejected:
        click.echo("", err=True)
        for error in rejected.rows:
            click.echo(row_line(error))
        click.echo(f"{len({e.row for e in rejected.rows})} 行有错误，未导入任何记录 "
                   f"({len({e.row for e in rejected.rows})} rows have errors; nothing was imported)", err=True)
        sys.exit(1)
    click.echo("", err=True)
    if dry_run:
        click.echo(f"{outcome.rows} rows checked, all valid (dry run: nothing written)")
    else:
        click.echo(f"{outcome.imported} records imported")
