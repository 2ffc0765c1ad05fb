"""The `formwork` command line against the test databases: in-process through click's runner (the same group,
exit codes and stdout/stderr apart, without a Python start-up per command), and as the installed console script."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import cli
from engine.runtime import Formwork
from tests.conftest import FIXTURES, new_tenant_id

FORMWORK = str(Path(sys.executable).with_name("formwork"))
ROOT = Path(__file__).parents[2]


def run(engine: Formwork | None, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`formwork ARGS` in this process, on the engine's database, from the repository folder."""
    environment = {"FORMWORK_DATABASE_URL": engine.db.url} if engine is not None else {}
    with contextlib.chdir(ROOT):
        result = CliRunner().invoke(cli, list(args), env=environment, prog_name="formwork")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception   # a real process would have printed this traceback
    completed = subprocess.CompletedProcess(["formwork", *args], result.exit_code, result.stdout, result.stderr)
    if check:
        assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    """`formwork ARGS` as a process of the installed console script (no database)."""
    return subprocess.run([FORMWORK, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_validate_prints_file_line_col_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "labor_x"
    folder.mkdir()
    shutil.copy(FIXTURES / "broken_semantics.yaml", folder / "module.yaml")
    result = run(None, "module", "validate", str(folder), check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 14
    assert lines[4] == (f"{folder}/module.yaml:17:51: formula of 'amount': unknown field 'unit_prise' "
                        "(did you mean 'unit_price'?)")
    assert "14 problem(s) found" in result.stderr


def test_validate_accepts_clean_folders_and_yaml_syntax_errors_are_positioned(tmp_path: Path) -> None:
    assert run(None, "module", "validate", "modules/base", "modules/expense",
               str(FIXTURES / "modules" / "site")).stdout.startswith("ok: 3")
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "module.yaml").write_text("module: x\nversion: 1.0.0\ntitle: X\nentities:\n  a: [\n", encoding="utf-8")
    result = run(None, "module", "validate", str(folder), check=False)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{folder}/module.yaml:6:1: ")


def test_a_tenant_is_set_up_from_the_command_line(engine: Formwork, tmp_path: Path) -> None:
    tenant = new_tenant_id()
    folder = tmp_path / "site_copy"
    shutil.copytree(FIXTURES / "modules" / "site", folder)
    assert "site 2.3.0" in run(engine, "module", "install", str(folder)).stdout  # same content: no-op
    run(engine, "tenant", "create", tenant, "--plan", "professional", "--seats", "2", "--modules", "base,site")
    assert run(engine, "tenant", "enable", tenant, "site").stdout == "enabled: base, site\n"
    listing = run(engine, "module", "list", "--tenant", tenant).stdout
    assert "site\t2.3.0\tenabled" in listing and "expense\t1.1.0\tnot licensed" in listing
    refused = run(engine, "tenant", "enable", tenant, "expense", check=False)
    assert refused.returncode == 1 and "not in tenant" in refused.stderr
    run(engine, "user", "add", tenant, "li", "--password", "secret1", "--role", "storekeeper")
    run(engine, "user", "add", tenant, "wang", "--password", "secret1", "--role", "foreman", "--role", "auditor")
    full = run(engine, "user", "add", tenant, "zhao", "--password", "secret1", "--role", "foreman", check=False)
    assert full.returncode == 1 and f"seats 2 of 2 in use in tenant {tenant!r}" in full.stderr
    assert run(engine, "tenant", "param", tenant, "site", "large_amount", "20,000").stdout == \
        "site.large_amount = 20000.00\n"
    bad = run(engine, "tenant", "param", tenant, "site", "large_amount", "lots", check=False)
    assert bad.returncode == 1 and "must be a number" in bad.stderr
    assert run(engine, "audit", "verify", tenant).stdout == f"{tenant}: audit chain intact\n"
    assert run(engine, "tenant", "disable", tenant, "site").stdout == "disabled: site\n"


def test_changed_content_under_an_installed_version_is_refused(engine: Formwork, tmp_path: Path) -> None:
    folder = tmp_path / "site"
    shutil.copytree(FIXTURES / "modules" / "site", folder)
    text = (folder / "module.yaml").read_text(encoding="utf-8")
    (folder / "module.yaml").write_text(text.replace("Site deliveries", "Deliveries"), encoding="utf-8")
    result = run(engine, "module", "install", str(folder), check=False)
    assert result.returncode == 1
    assert "already installed with different content" in result.stderr


def test_bad_input_gets_a_message_not_a_traceback(engine: Formwork) -> None:
    for args in (["tenant", "enable", "no-such-tenant", "base"], ["tenant", "create", "Bad Id"],
                 ["user", "add", "no-such-tenant", "x", "--password", "secret1", "--role", "admin"]):
        result = run(engine, *args, check=False)
        assert result.returncode == 1
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["--help"], ["module", "--help"], ["tenant", "create", "--help"]])
def test_help_is_available(command: list[str]) -> None:
    assert "Usage: formwork" in run(None, *command).stdout


def test_the_console_script_answers_and_fails_with_exit_1(tmp_path: Path) -> None:
    helped = run_script("--help")
    assert helped.returncode == 0 and "Usage: formwork" in helped.stdout
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "module.yaml").write_text("module: x\nversion: 1.0.0\ntitle: X\nentities:\n  a: [\n", encoding="utf-8")
    failed = run_script("module", "validate", str(folder))
    assert failed.returncode == 1 and failed.stdout.startswith(f"{folder}/module.yaml:6:1: ")
    assert failed.stderr == "1 problem(s) found\n"


def test_validate_reports_bpmn_problems_with_their_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "visa_bad"
    shutil.copytree(FIXTURES / "modules" / "visa", folder)
    bpmn = folder / "approvals" / "threshold.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    bpmn.write_text(text.replace("total &gt;= params.review_threshold", "__import__('os').system('true')")
                    .replace('name="manager"', 'name="managr"'), encoding="utf-8")
    result = run(None, "module", "validate", str(folder), check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{bpmn}:") and "formula language, not Python" in line for line in lines), lines
    assert any(line.startswith(f"{bpmn}:") and "'managr'" in line and "did you mean 'manager'" in line
               for line in lines), lines
