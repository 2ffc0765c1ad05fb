"""A new catalog version of a module reaches a tenant's records through the publishing machinery: a dry run
that changes nothing, then the upgrade that migrates the editable records (and the command line prints it)."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import AuditEntry, Record
from tests.cli.test_cli import run
from tests.conftest import migrated, new_tenant_id, own_database


def notes_module(folder: Path, name: str, version: str, *, with_category: bool) -> Path:
    fields: dict[str, object] = {"title": {"type": "text", "required": True}}
    if with_category:
        fields["category"] = {"type": "text", "default": "general"}
        fields["heading"] = {"type": "text", "formula": "category + ': ' + title"}
    folder.mkdir(exist_ok=True)
    (folder / "module.json").write_text(json.dumps({
        "module": name, "version": version, "title": {"zh": "便签", "en": "Notes"},
        "entities": {"note": {"fields": fields}}}), encoding="utf-8")
    return folder


def schema_versions(engine: Formwork, tenant: str, name: str) -> list[str]:
    with engine.db.tenant(tenant) as session:
        return sorted(session.scalars(select(Record.schema_version).where(Record.module == name)))


def test_an_upgrade_is_dry_run_first_then_migrates_the_records(
        engine: Formwork, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with own_database(engine.db.dialect, tmp_path_factory, "upgrade") as url:
        formwork = migrated(url)
        try:
            tenant = new_tenant_id()
            with formwork.db.tenant(tenant) as session:
                tenancy.create_tenant(session, tenant, plan="enterprise")
            boss = tenancy.Actor(tenant_id=tenant, username="boss", roles=frozenset({"admin"}))
            name = f"up_notes_{secrets.token_hex(3)}"
            formwork.catalog.install(notes_module(tmp_path / name, name, "1.0.0", with_category=False))
            formwork.enable_module(tenant, name)
            with formwork.records(boss) as records:
                for title in ("one", "two"):
                    records.create(name, "note", {"title": title})
            formwork.catalog.install(notes_module(tmp_path / name, name, "1.1.0", with_category=True))

            with formwork.adjustments(boss) as service:
                report = service.upgrade(name, publish=False)
            assert (report["from_version"], report["to_version"], report["published"]) == ("1.0.0", "1.1.0", False)
            assert report["records"]["checked"] == 2 and report["records"]["migrated"] == 2
            assert "category" in json.dumps(report["diff"])
            assert schema_versions(formwork, tenant, name) == ["1.0.0", "1.0.0"]  # the dry run changed nothing

            printed = run(formwork, "tenant", "upgrade", tenant, name, "--publish").stdout
            assert f"{name} 1.0.0 -> 1.1.0: published" in printed
            assert "2 migrated to 1.1.0" in printed
            assert schema_versions(formwork, tenant, name) == ["1.1.0", "1.1.0"]
            with formwork.db.tenant(tenant) as session:
                headings = sorted(row.data["heading"] for row in session.scalars(
                    select(Record).where(Record.module == name)))
                upgraded = session.scalars(select(AuditEntry).where(AuditEntry.action == "module.upgraded")).all()
            assert headings == ["general: one", "general: two"]
            assert [(e.before, e.after["version"]) for e in upgraded] == [({"version": "1.0.0"}, "1.1.0")]

            with formwork.adjustments(boss) as service:  # nothing left to move
                again = service.upgrade(name, publish=False)
            assert (again["from_version"], again["records"]["migrated"]) == ("1.1.0", 2)
        finally:
            formwork.db.dispose()
