"""`formwork export` / `formwork import`: a tenant's complete backup, attachments included, restored elsewhere."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from engine.ops import backup, backup_archive
from engine.records import files
from engine.runtime import Formwork
from engine.security import audit
from engine.storage.models import Record, Tenant
from engine.tenancy import licenses
from tests.backup.conftest import DRAWING, RECEIPT, claim_body, formwork, manifest_of, members_of
from tests.conftest import login

EXPENSE = yaml.safe_load((Path(__file__).parents[2] / "modules" / "expense" / "module.yaml").read_text(
    encoding="utf-8"))["version"]   # the built-in expense module's version


def without_restore_entry(document: dict[str, Any]) -> dict[str, Any]:
    tables = dict(document["tables"])
    tables["audit_log"] = [e for e in tables["audit_log"] if e["action"] != "tenant.restore"]
    return tables


def blobs(root: Path, tenant: str) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (root / "files" / tenant).rglob("*") if path.is_file()}


def test_a_tenant_round_trips_into_another_database_and_keeps_working(
        engine: Formwork, other: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path) -> None:
    tenant = busy_tenant["tenant"]
    file = tmp_path / "backup.tar.gz"
    exported = formwork(engine.db.url, uploads, "export", tenant, str(file))
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.endswith(f"; attachment contents 2 ({len(DRAWING) + len(RECEIPT)} bytes)\n")
    members = members_of(file)
    assert list(members)[:2] == ["backup.json", "backup.json.sig"]
    assert {name.removeprefix("files/") for name in list(members)[2:]} == set(blobs(uploads, tenant))
    document = manifest_of(file)
    assert (document["format"], document["format_version"], document["tenant"]) == ("formwork-backup", 2, tenant)
    assert document["modules"]["expense"] == [EXPENSE] and "api_tokens" not in document["tables"]
    assert {"records", "audit_log", "process_instances", "human_tasks", "task_candidates", "jobs", "users",
            "tenant_modules", "effect_log", "files"} <= set(document["tables"])
    assert document["missing_files"] == []

    restored_uploads = tmp_path / "restored-uploads"
    imported = formwork(other.db.url, restored_uploads, "import", str(file))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == f"imported tenant {tenant} from {file}\n"
    assert formwork(other.db.url, restored_uploads, "audit", "verify", tenant).stdout == \
        f"{tenant}: audit chain intact\n"
    again = backup.export_tenant(other.db, tenant)
    assert without_restore_entry(again) == document["tables"]   # audit rows too, byte for byte
    assert blobs(restored_uploads, tenant) == blobs(uploads, tenant)
    with other.db.tenant(tenant) as session:
        deleted = session.get(Record, (tenant, busy_tenant["deleted"]))
        assert deleted is not None and deleted.deleted_at is not None
        row = session.get(Tenant, tenant)
        assert row is not None and licenses.current(row).seats == 20

    restored = create_app(other, TESTING=True, FORMWORK_UPLOADS=str(restored_uploads)).test_client()
    alice = login(restored, tenant, "alice")
    for file_id, content in busy_tenant["files"].items():
        served = alice.get(f"/files/{file_id}")
        assert served.status_code == 200 and served.data == content
    pm = login(restored, tenant, "pm")
    [task] = pm.get("/tasks").get_json()["items"]
    assert task["record_id"] == busy_tenant["pending"]
    approved = pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "after restore"})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    assert alice.get("/records/expense/claim").get_json()["total"] == 2
    history = alice.get(f"/records/expense/claim/{busy_tenant['done']}/history").get_json()["items"]
    assert ("task.complete", "pm") in [(h["action"], h["actor"]) for h in history]
    with other.db.tenant(tenant) as session:
        assert audit.verify(session, tenant) == []


def test_an_uncompressed_backup_round_trips_its_attachments_too(
        engine: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path, client: FlaskClient) -> None:
    tenant = busy_tenant["tenant"]
    file = tmp_path / "backup.tar"
    assert formwork(engine.db.url, uploads, "export", tenant, str(file)).exit_code == 0
    assert file.read_bytes()[257:262] == b"ustar"   # a plain tar archive
    elsewhere = tmp_path / "elsewhere"
    replaced = formwork(engine.db.url, elsewhere, "import", str(file), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert blobs(elsewhere, tenant) == blobs(uploads, tenant)


def test_a_missing_attachment_content_is_reported_and_the_rest_is_backed_up(
        engine: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path) -> None:
    tenant = busy_tenant["tenant"]
    lost = files.blob_path(uploads, tenant, hashlib.sha256(DRAWING).hexdigest())
    lost.unlink()
    file = tmp_path / "backup.tar.gz"
    exported = formwork(engine.db.url, uploads, "export", tenant, str(file))
    assert exported.exit_code == 0, exported.output
    assert f"warning: the content of attachment {lost.name} is missing" in exported.stderr
    assert manifest_of(file)["missing_files"] == [lost.name]
    elsewhere = tmp_path / "elsewhere"
    assert formwork(engine.db.url, elsewhere, "import", str(file), "--replace").exit_code == 0
    assert set(blobs(elsewhere, tenant)) == set(blobs(uploads, tenant))


def test_import_refuses_an_existing_tenant_unless_replace(
        engine: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path, client: FlaskClient) -> None:
    tenant = busy_tenant["tenant"]
    file = tmp_path / "backup.tar"
    assert formwork(engine.db.url, uploads, "export", tenant, str(file), "--with-tokens").exit_code == 0
    assert manifest_of(file)["tables"]["api_tokens"]
    refused = formwork(engine.db.url, uploads, "import", str(file))
    assert refused.exit_code == 1
    assert f"tenant {tenant!r} already exists here; import with --replace" in refused.stderr
    boss = login(client, tenant, "boss")
    project = boss.get("/records/base/project").get_json()["items"][0]
    extra = boss.post("/records/expense/claim", claim_body(project["id"], "BK-9")).get_json()
    replaced = formwork(engine.db.url, uploads, "import", str(file), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert boss.get("/records/expense/claim").status_code == 401   # its token was issued after the backup
    boss = login(client, tenant, "boss")
    assert boss.get(f"/records/expense/claim/{extra['id']}").status_code == 404
    assert boss.get("/records/expense/claim").get_json()["total"] == 2
    assert formwork(engine.db.url, uploads, "audit", "verify", tenant).exit_code == 0


def test_a_backup_needing_a_module_version_that_is_not_installed_imports_nothing(
        engine: Formwork, other: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path) -> None:
    document = backup.export_tenant(engine.db, busy_tenant["tenant"])
    document["tenant"] = renamed = f"{busy_tenant['tenant']}-x"
    for rows in document["tables"].values():
        for row in rows:
            row["tenant_id" if "tenant_id" in row else "id"] = renamed
    document["modules"]["expense"] = [EXPENSE, "9.9.9"]
    file = tmp_path / "future.tar"
    backup_archive.write(file, document, uploads)
    refused = formwork(other.db.url, tmp_path / "restored", "import", str(file))
    assert refused.exit_code == 1
    assert "needs module versions that are not installed: expense 9.9.9" in refused.stderr
    assert not (tmp_path / "restored").exists()   # refused before any content was copied
    document["modules"]["expense"] = [EXPENSE]
    document["tables"]["records"][-1]["id"] = document["tables"]["records"][0]["id"]   # a duplicate key, last
    backup_archive.write(file, document, uploads)
    failed = formwork(other.db.url, tmp_path / "restored", "import", str(file))
    assert failed.exit_code == 1 and "could not be restored; nothing was imported" in failed.stderr
    with other.db.platform() as session:
        assert session.scalar(select(Tenant.id).where(Tenant.id == renamed)) is None


@pytest.mark.parametrize("content, message", [
    (b"not json", "is not a Formwork backup (a tar archive, optionally gzip)"),
    (b'{"format": "other"}', "its 'format' is not 'formwork-backup'"),
    (b'{"format": "formwork-backup", "format_version": 99}', "has backup format version 99"),
])
def test_files_that_are_not_backups_are_refused_clearly(
        engine: Formwork, tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "x.json"
    file.write_bytes(content)
    result = formwork(engine.db.url, tmp_path, "import", str(file), "--trust-unsigned")
    assert result.exit_code == 1 and message in result.stderr
    missing = formwork(engine.db.url, tmp_path, "import", str(tmp_path / "nothing.json"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_exporting_an_unknown_tenant_fails_clearly(engine: Formwork, tmp_path: Path) -> None:
    result = formwork(engine.db.url, tmp_path, "export", "no-such-tenant", str(tmp_path / "x.tar"))
    assert result.exit_code == 1 and "tenant 'no-such-tenant' does not exist" in result.stderr
    assert not (tmp_path / "x.tar").exists()


def test_every_tenant_owned_table_is_in_the_backup() -> None:
    from engine.storage.models import Base

    owned = {t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c}
    assert {t.name for t in backup.tenant_tables()} == owned
    assert {"records", "audit_log", "jobs", "effect_log", "api_tokens", "files"} <= owned
