"""The Excel plugin's registration: the export and import pages, and `formwork excel export`.

The pages (`formwork_excel.pages`) join the end users' pages; the command gives scripts and
integrators the same workbook without a browser (all live records, every field but child tables,
labels in zh or en, money and dates as real Excel values).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from engine.plugins import Plugin
from engine.tenancy import SYSTEM_ACTOR, Actor
from formwork_excel.pages import templates
from formwork_excel.writing import Column, write_csv, write_workbook

plugin = Plugin("excel", version="0.1.0", title={"zh": "Excel 导入导出", "en": "Excel import and export"})

KINDS = {"money": "money", "integer": "integer", "decimal": "decimal", "percent": "percent", "date": "date",
         "datetime": "datetime"}
PAGE = 500


@click.group("excel", help="Excel workbooks of a tenant's records.")
def excel() -> None:
    pass


@excel.command("export", help="Write every live record of MODULE.ENTITY to FILE (.xlsx or .csv).")
@click.argument("tenant")
@click.argument("entity")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--q", "query", default=None, help="only the records this formula selects, e.g. \"total > 100\"")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def export(state: Any, tenant: str, entity: str, file: Path, query: str | None, lang: str) -> None:
    module, _, name = entity.partition(".")
    if not name or file.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("write ENTITY as module.entity (e.g. labor.day_labor_ticket) and FILE as .xlsx or .csv")
    system = Actor(tenant_id=tenant, username=SYSTEM_ACTOR, roles=frozenset({"admin"}))
    with state.engine().records(system, lang) as records:
        spec = records.entity(module, name)
        fields = [f for f in spec.fields.values() if f.type != "table"]
        columns = [Column(f.name, f.label.as_dict(), KINDS.get(f.type, "text")) for f in fields]
        rows, offset = [], 0
        while True:
            page = records.find(module, name, q=query, sort="created_at", limit=PAGE, offset=offset)
            rows += [[_typed(item["data"].get(f.name), f.type) for f in fields] for item in page.items]
            offset += PAGE
            if offset >= page.total:
                break
    title = spec.title.get(lang)
    content = write_csv(columns, rows, language=lang) if file.suffix.lower() == ".csv" else \
        write_workbook(columns, rows, title=title, language=lang)
    file.write_bytes(content)
    click.echo(f"{len(rows)} {title} -> {file}")


def _typed(value: Any, kind: str) -> Any:
    """Record JSON (decimals and dates as text) as the cell values Excel formats."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind in ("money", "decimal", "percent", "integer"):
        return Decimal(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    if kind == "datetime":
        return datetime.fromisoformat(str(value))
    return value


plugin.cli(excel)
plugin.blueprint(templates)
