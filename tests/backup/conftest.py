"""Fixtures of the backup tests: a busy tenant with attachments, a fresh restore database, the CLI, backup files."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app import cli, create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import licenses
from tests.conftest import Api, add_user, api_creator, login, migrated, new_project

DRAWING = hashlib.shake_256(b"drawing").digest(3 * 1024 * 1024 + 17)   # a few MB, incompressible
RECEIPT = b"%PDF-1.4 a receipt for a taxi ride"


def formwork(url: str, uploads: Path, *args: str, **env: str) -> Result:
    """Run the `formwork` CLI in-process on the database `url` with the uploads folder `uploads`."""
    return CliRunner().invoke(cli, list(args), env={"FORMWORK_DATABASE_URL": url, "FORMWORK_UPLOADS": str(uploads),
                                                    **env})


@pytest.fixture(scope="module")
def other(engine: Formwork, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    """A fresh database of the other backend when PostgreSQL is there (SQLite <-> PostgreSQL), else a second
    SQLite file; with the shared databases' catalog (tests/conftest.py installs the same modules in each)."""
    database = None
    if engine.db.dialect == "sqlite" and pg_url():
        server, _, name = pg_url().rpartition("/")
        database = f"{name}_restore"
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"')
        target = migrated(f"{server}/{database}")
    else:
        target = migrated(f"sqlite:///{tmp_path_factory.mktemp('restore') / 'formwork.db'}")
    yield target
    target.db.dispose()
    if database:
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def pg_url() -> str:
    """This worker's PostgreSQL database (tests/conftest.py gives each pytest-xdist worker its own, read here at
    fixture time: a name bound at import could be the run's shared one)."""
    return os.environ.get("FORMWORK_TEST_DATABASE_URL", "")


def _admin(*statements: str) -> None:
    assert pg_url()
    server = pg_url().rpartition("/")[0].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as connection:
        for statement in statements:
            connection.execute(statement)


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """The source instance's uploads folder (the restore gets another one)."""
    return tmp_path / "uploads"


@pytest.fixture
def client(engine: Formwork, uploads: Path) -> FlaskClient:
    return create_app(engine, TESTING=True, FORMWORK_UPLOADS=str(uploads)).test_client()


def claim_body(project_id: str, code: str) -> dict[str, Any]:
    return {"code": code, "project": project_id, "date": "2024-05-01",
            "lines": [{"item": "taxi", "qty": 1, "price": "80.50"}]}


def upload(api: Api, name: str, content: bytes) -> str:
    # encoded here in memory: the test client would spool a large body to a temporary file it never closes
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename=name)})
    response = api.client.post("/api/v1/files", headers=api.headers, data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_json()
    file_id: str = response.get_json()["id"]
    return file_id


@pytest.fixture
def busy_tenant(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    """A tenant with a license, users, records (one deleted), an approval in flight and one finished, and
    attachments (one content uploaded twice)."""
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
    files = {upload(alice, "drawing.pdf", DRAWING): DRAWING, upload(alice, "收据.pdf", RECEIPT): RECEIPT,
             upload(alice, "receipt-copy.pdf", RECEIPT): RECEIPT}
    return {"tenant": tenant, "pending": pending["id"], "done": done["id"], "deleted": gone["id"], "files": files}


def members_of(file: Path) -> dict[str, bytes]:
    """A backup archive's members, name -> content, in archive order."""
    with tarfile.open(file) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]


def manifest_of(file: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(members_of(file)["backup.json"])
    return document


def repacked(file: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """The backup with its members changed by `change` (name -> content), the way someone with the file could."""
    members = members_of(file)
    change(members)
    with tarfile.open(target, "w:gz") as archive:
        for name, content in members.items():
            member = tarfile.TarInfo(name)
            member.size = len(content)
            archive.addfile(member, io.BytesIO(content))
    return target


def with_manifest(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, bytes]], None]:
    """A `repacked` change that edits the document and keeps the old signature."""
    def edit(members: dict[str, bytes]) -> None:
        document = json.loads(members["backup.json"])
        change(document)
        members["backup.json"] = json.dumps(document).encode()
    return edit
