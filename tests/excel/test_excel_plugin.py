"""The excel plugin's command: `formwork excel export T module.entity FILE` over a real database."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from formwork_excel import read_workbook
from openpyxl import load_workbook

from app import cli
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.conftest import add_user

RATES = [("A", "mason", "2024-01-01", "380.50"), ("B", "carpenter", "2024-03-01", "1420"),
         ("C", "mason", "2024-05-20", "399")]


def formwork(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"FORMWORK_DATABASE_URL": url})
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_the_excel_plugin_is_installed_and_exports_an_entity(engine: Formwork, tenant: str, tmp_path: Path) -> None:
    assert plugin_registry.loaded()["excel"].version == "0.1.0"
    with engine.records(add_user(engine, tenant, "boss", "admin")) as records:
        for crew, trade, valid_from, price in RATES:
            records.create("crewpay", "rate", {"crew": crew, "trade": trade, "valid_from": valid_from,
                                               "unit_price": price})
    file = tmp_path / "rates.xlsx"
    code, output = formwork(engine.db.url, "excel", "export", tenant, "crewpay.rate", str(file),
                            "--q", "trade == 'mason'", "--lang", "en")
    assert code == 0, output
    assert f"2 Rate -> {file}" in output
    [sheet] = read_workbook(file.read_bytes())
    assert sheet.header == ["Crew", "Trade", "Valid from", "Unit price"]
    assert sheet.rows == [["A", "mason", date(2024, 1, 1), Decimal("380.50")],
                          ["C", "mason", date(2024, 5, 20), Decimal("399.00")]]
    csv_file = tmp_path / "rates.csv"
    assert formwork(engine.db.url, "excel", "export", tenant, "crewpay.rate", str(csv_file))[0] == 0
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf") and csv_file.read_text("utf-8-sig").count("\n") == 4


def test_bad_arguments_get_a_message_not_a_traceback(engine: Formwork, tenant: str, tmp_path: Path) -> None:
    code, output = formwork(engine.db.url, "excel", "export", tenant, "rate", str(tmp_path / "x.xlsx"))
    assert code == 2 and "module.entity" in output
    code, output = formwork(engine.db.url, "excel", "export", tenant, "crewpay.nothing", str(tmp_path / "x.xlsx"))
    assert code == 1 and "has no entity 'nothing'" in output and "Traceback" not in output


def test_the_export_command_writes_formula_like_text_as_text(engine: Formwork, tenant: str, tmp_path: Path) -> None:
    attack = "=cmd|' /C calc'!A0"
    with engine.records(add_user(engine, tenant, "boss", "admin")) as records:
        records.create("crewpay", "rate", {"crew": attack, "trade": "mason", "valid_from": "2024-01-01",
                                           "unit_price": "380.50"})
    file = tmp_path / "rates.xlsx"
    assert formwork(engine.db.url, "excel", "export", tenant, "crewpay.rate", str(file), "--lang", "en")[0] == 0
    sheet = load_workbook(file).active
    assert (sheet["A2"].value, sheet["A2"].data_type) == (attack, "s")
    assert (sheet["D2"].value, sheet["D2"].data_type) == (380.5, "n")
    csv_file = tmp_path / "rates.csv"
    assert formwork(engine.db.url, "excel", "export", tenant, "crewpay.rate", str(csv_file))[0] == 0
    assert csv_file.read_text("utf-8-sig").splitlines()[1] == "'=cmd|' /C calc'!A0,mason,2024-01-01,380.50"
