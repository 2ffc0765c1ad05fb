"""`formwork export` / `formwork import`: a tenant's complete backup restored into another database."""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import select

from app import cli, create_app
from engine import audit, backup, licenses, tenancy
from engine.declarations.loader import ModuleFolder
from engine.errors import FormworkError
from engine.runtime import Formwork
from engine.storage.models import CatalogModule, Record, Tenant
from tests.conftest import FIXTURES, PG_URL, add_user, api_creator, login, new_project

EXPENSE = yaml.safe_load((Path(__file__).parents[2] / "modules" / "expense" / "module.yaml").read_text(
    encoding="utf-8"))["version"]   # the built-in expense module's version


def formwork(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"FORMWORK_DATABASE_URL": url})


def migrated(url: str) -> Formwork:
    target = Formwork(url)
    target.initialise()
    for folder in ("site", "visa", "crewpay"):
        if (FIXTURES / "modules" / folder).is_dir():
            target.catalog.install(FIXTURES / "modules" / folder)
    return target


def install_catalog_of(source: Formwork, target: Formwork) -> None:
    """Install every module version the source has (tests before these add modules to the shared engine)."""
    with source.db.platform() as session:
        pending = [ModuleFolder(origin=row.name, files=dict(row.files))
                   for row in session.scalars(select(CatalogModule))]
    while pending:  # each after the modules it requires
        left = []
        for folder in pending:
            try:
                target.catalog.install_folder(folder)
            except FormworkError:
                left.append(folder)
        if len(left) == len(pending):
            raise AssertionError(f"cannot install {[f.origin for f in left]} into the restore database")
        pending = left


@pytest.fixture(scope="module")
def other(engine: Formwork, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    """The other backend when PostgreSQL is there (SQLite <-> PostgreSQL), else a second SQLite file."""
    if engine.db.dialect == "sqlite" and PG_URL:
        target = migrated(PG_URL)
    else:
        target = migrated(f"sqlite:///{tmp_path_factory.mktemp('restore') / 'formwork.db'}")
    install_catalog_of(engine, target)
    yield target
    target.db.dispose()


def claim_body(project_id: str, code: str) -> dict[str, Any]:
    return {"code": code, "project": project_id, "date": "2024-05-01",
            "lines": [{"item": "taxi", "qty": 1, "price": "80.50"}]}


@pytest.fixture
def busy_tenant(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    """A tenant with a license, users, records (one deleted), an approval in flight and one finished."""
    with engine.db.tenant(tenant) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant),
                       licenses.issue(tenant, "enterprise", seats=20, days=365), "operator")
        tenancy.set_parameter(session, tenant, "expense", "review_threshold", "9000", engine.catalog.modules())
    for name, role in (("alice", "applicant"), ("pm", "project_manager"), ("boss", "admin")):
        add_user(engine, tenant, name, role)
    alice, pm, boss = (login(client, tenant, n) for n in ("alice", "pm", "boss"))
    project = new_project(api_creator(boss), "BK-001")
    done = alice.post("/records/expense/claim", claim_body(project["id"], "BK-1")).get_json()
    alice.post(f"/records/expense/claim/{done['id']}/submit")
    [task] = pm.get("/tasks").get_json()["items"]
    assert pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "ok"}).status_code == 200
    pending = alice.post("/records/expense/claim", claim_body(project["id"], "BK-2")).get_json()
    assert alice.post(f"/records/expense/claim/{pending['id']}/submit").status_code == 200
    gone = boss.post("/records/expense/claim", claim_body(project["id"], "BK-3")).get_json()
    assert boss.delete(f"/records/expense/claim/{gone['id']}?version={gone['version']}").status_code == 204
    return {"tenant": tenant, "pending": pending["id"], "done": done["id"], "deleted": gone["id"]}


def without_restore_entry(document: dict[str, Any]) -> dict[str, Any]:
    tables = dict(document["tables"])
    tables["audit_log"] = [e for e in tables["audit_log"] if e["action"] != "tenant.restore"]
    return tables


def test_a_tenant_round_trips_into_another_database_and_keeps_working(
        engine: Formwork, other: Formwork, busy_tenant: dict[str, Any], tmp_path: Path) -> None:
    tenant = busy_tenant["tenant"]
    file = tmp_path / "backup.json.gz"
    exported = formwork(engine.db.url, "export", tenant, str(file))
    assert exported.exit_code == 0, exported.output
    document = json.loads(gzip.decompress(file.read_bytes()))
    assert (document["format"], document["format_version"], document["tenant"]) == ("formwork-backup", 1, tenant)
    assert document["modules"]["expense"] == [EXPENSE] and "api_tokens" not in document["tables"]
    assert {"records", "audit_log", "process_instances", "human_tasks", "task_candidates", "jobs", "users",
            "tenant_modules", "effect_log"} <= set(document["tables"])

    imported = formwork(other.db.url, "import", str(file))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == f"imported tenant {tenant} from {file}\n"
    assert formwork(other.db.url, "audit", "verify", tenant).stdout == f"{tenant}: audit chain intact\n"
    again = backup.export_tenant(other.db, tenant)
    assert without_restore_entry(again) == document["tables"]
    with other.db.tenant(tenant) as session:
        deleted = session.get(Record, (tenant, busy_tenant["deleted"]))
        assert deleted is not None and deleted.deleted_at is not None
        row = session.get(Tenant, tenant)
        assert row is not None and licenses.current(row).seats == 20

    restored = create_app(other, TESTING=True).test_client()
    pm = login(restored, tenant, "pm")
    [task] = pm.get("/tasks").get_json()["items"]
    assert task["record_id"] == busy_tenant["pending"]
    approved = pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "after restore"})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    alice = login(restored, tenant, "alice")
    assert alice.get("/records/expense/claim").get_json()["total"] == 2
    history = alice.get(f"/records/expense/claim/{busy_tenant['done']}/history").get_json()["items"]
    assert ("task.complete", "pm") in [(h["action"], h["actor"]) for h in history]
    with other.db.tenant(tenant) as session:
        assert audit.verify(session, tenant) == []


def test_import_refuses_an_existing_tenant_unless_replace(
        engine: Formwork, busy_tenant: dict[str, Any], tmp_path: Path, client: FlaskClient) -> None:
    tenant = busy_tenant["tenant"]
    file = tmp_path / "backup.json"
    assert formwork(engine.db.url, "export", tenant, str(file), "--with-tokens").exit_code == 0
    assert json.loads(file.read_text(encoding="utf-8"))["tables"]["api_tokens"]
    refused = formwork(engine.db.url, "import", str(file))
    assert refused.exit_code == 1
    assert f"tenant {tenant!r} already exists here; import with --replace" in refused.stderr
    boss = login(client, tenant, "boss")
    project = boss.get("/records/base/project").get_json()["items"][0]
    extra = boss.post("/records/expense/claim", claim_body(project["id"], "BK-9")).get_json()
    replaced = formwork(engine.db.url, "import", str(file), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert boss.get("/records/expense/claim").status_code == 401   # its token was issued after the backup
    boss = login(client, tenant, "boss")
    assert boss.get(f"/records/expense/claim/{extra['id']}").status_code == 404
    assert boss.get("/records/expense/claim").get_json()["total"] == 2
    assert formwork(engine.db.url, "audit", "verify", tenant).exit_code == 0


def test_a_backup_needing_a_module_version_that_is_not_installed_imports_nothing(
        engine: Formwork, other: Formwork, busy_tenant: dict[str, Any], tmp_path: Path) -> None:
    document = backup.export_tenant(engine.db, busy_tenant["tenant"])
    document["tenant"] = renamed = f"{busy_tenant['tenant']}-x"
    for rows in document["tables"].values():
        for row in rows:
            row["tenant_id" if "tenant_id" in row else "id"] = renamed
    document["modules"]["expense"] = [EXPENSE, "9.9.9"]
    file = tmp_path / "future.json"
    backup.write_file(document, file)
    refused = formwork(other.db.url, "import", str(file))
    assert refused.exit_code == 1
    assert "needs module versions that are not installed: expense 9.9.9" in refused.stderr
    document["modules"]["expense"] = [EXPENSE]
    document["tables"]["records"][-1]["id"] = document["tables"]["records"][0]["id"]   # a duplicate key, last
    backup.write_file(document, file)
    failed = formwork(other.db.url, "import", str(file))
    assert failed.exit_code == 1 and "could not be restored; nothing was imported" in failed.stderr
    with other.db.platform() as session:
        assert session.scalar(select(Tenant.id).where(Tenant.id == renamed)) is None


@pytest.mark.parametrize("content, message", [
    (b"not json", "is not a Formwork backup (JSON, optionally gzip)"),
    (b'{"format": "other"}', "its 'format' is not 'formwork-backup'"),
    (b'{"format": "formwork-backup", "format_version": 99}', "has backup format version 99"),
])
def test_files_that_are_not_backups_are_refused_clearly(
        engine: Formwork, tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "x.json"
    file.write_bytes(content)
    result = formwork(engine.db.url, "import", str(file))
    assert result.exit_code == 1 and message in result.stderr
    missing = formwork(engine.db.url, "import", str(tmp_path / "nothing.json"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_exporting_an_unknown_tenant_fails_clearly(engine: Formwork, tmp_path: Path) -> None:
    result = formwork(engine.db.url, "export", "no-such-tenant", str(tmp_path / "x.json"))
    assert result.exit_code == 1 and "tenant 'no-such-tenant' does not exist" in result.stderr


def test_every_tenant_owned_table_is_in_the_backup() -> None:
    from engine.storage.models import Base

    owned = {t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c}
    assert {t.name for t in backup.tenant_tables()} == owned
    assert {"records", "audit_log", "jobs", "effect_log", "api_tokens"} <= owned
