"""`formwork tenant overlay / versions / rollback`, run as a real process against the test databases."""
from __future__ import annotations

import shutil
from pathlib import Path

from engine import tenancy
from engine.customization.process_editor import ProcessEditor
from engine.runtime import Formwork
from tests.cli.test_cli import run
from tests.overlays.test_process_editor_api import EXTRA_LEVEL

FIXTURES = Path(__file__).parent / "fixtures"


def test_overlay_dry_runs_by_default_and_publishes_with_the_flag(engine: Formwork, tenant: str) -> None:
    overlay = str(FIXTURES / "overlay.yaml")
    dry = run(engine, "tenant", "overlay", tenant, "labor", overlay).stdout.splitlines()
    assert dry[0] == "labor 1.6.0 -> 1.6.0+t1: dry run, nothing changed (add --publish to publish)"
    assert "    + field weather" in dry
    assert "    ~ workflow approvals/ticket_sign_off.bpmn -> approvals/ticket_v2.bpmn" in dry
    assert "  ~ parameter production_review_amount: 2000 -> 3000" in dry
    assert any(line.startswith("records: 0 checked") for line in dry)
    assert run(engine, "tenant", "versions", tenant, "labor").stdout == "1.6.0\tcurrent\n"

    published = run(engine, "tenant", "overlay", tenant, "labor", overlay, "--publish").stdout
    assert published.startswith("labor 1.6.0 -> 1.6.0+t1: published\n")
    versions = run(engine, "tenant", "versions", tenant, "labor").stdout.splitlines()
    assert versions[0] == "1.6.0\tcatalog"
    assert versions[1].startswith("1.6.0+t1\tcurrent published ") and versions[1].endswith(" by system")
    assert "    + field weather" in versions
    rolled = run(engine, "tenant", "rollback", tenant, "labor").stdout.splitlines()
    assert rolled[0] == "labor rolled back from 1.6.0+t1 to 1.6.0"
    assert "    - field weather" in rolled
    again = run(engine, "tenant", "rollback", tenant, "labor", check=False)
    assert again.returncode == 1
    assert again.stderr == "error: labor runs the catalog version 1.6.0; there is no tenant version to roll back\n"


def test_overlay_problems_are_printed_at_the_overlay_file_line_and_column(engine: Formwork, tenant: str,
                                                                         tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "adjust")
    path = tmp_path / "adjust" / "overlay.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("location: {label", "locaton: {label")
                    .replace("production_review_amount", "review_amount"), encoding="utf-8")
    result = run(engine, "tenant", "overlay", tenant, "labor", str(path), "--publish", check=False)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}:9:7: 'day_labor_ticket' has no field 'locaton' (did you mean 'location'?); to add a new field "
        "give its 'type'",
        f"{path}:16:3: module 'labor' declares no parameter 'review_amount' (did you mean "
        "'production_review_amount'?); an overlay gives new values to declared parameters",
    ]
    assert result.stderr == "2 problem(s) found; nothing was changed\n"
    assert run(engine, "tenant", "versions", tenant, "labor").stdout == "1.6.0\tcurrent\n"
    missing = run(engine, "tenant", "overlay", tenant, "labor", str(tmp_path / "none.yaml"), check=False)
    assert missing.returncode == 1 and "cannot read the overlay" in missing.stderr
    unknown = run(engine, "tenant", "overlay", "no-such-tenant", "labor", str(path), check=False)
    assert unknown.returncode == 1 and unknown.stderr == "error: tenant 'no-such-tenant' does not exist\n"


def test_publishing_over_a_drafts_process_needs_the_confirm_flag(engine: Formwork, tenant: str) -> None:
    with engine.adjustments(tenancy.Actor(tenant, "boss", frozenset({"admin"}))) as service:
        ProcessEditor(service).save("labor", "day_labor_ticket", EXTRA_LEVEL.format(group="project_manager"))
    overlay = str(FIXTURES / "overlay.yaml")                     # names approvals/ticket_v2.bpmn, not the draft's
    refused = run(engine, "tenant", "overlay", tenant, "labor", overlay, "--publish", check=False)
    assert refused.returncode == 1
    assert "approvals/ticket_sign_off_tenant.bpmn" in refused.stderr and "confirm" in refused.stderr
    assert run(engine, "tenant", "versions", tenant, "labor").stdout == "1.6.0\tcurrent\n"
    published = run(engine, "tenant", "overlay", tenant, "labor", overlay, "--publish", "--confirm-drop-process")
    assert published.stdout.startswith("labor 1.6.0 -> 1.6.0+t1: published\n")
