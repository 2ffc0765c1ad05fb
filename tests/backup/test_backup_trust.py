"""A restore trusts only what this instance signed, and never runs what a backup file or a stored state holds."""
from __future__ import annotations

import gzip
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.ops import backup
from engine.runtime import Formwork
from engine.storage.models import Tenant
from engine.storage.workflow_models import ProcessInstance
from tests.backup.conftest import formwork, manifest_of, repacked, with_manifest
from tests.conftest import login


def old_timer_spec(marker: Path) -> dict[str, Any]:
    """A spec as SpiffWorkflow 1.1 stored it: its migration to 1.2 eval()s a timer's `dateTime`."""
    expression = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    event = {"typename": "TimerEventDefinition", "label": "wait", "dateTime": expression}
    return {"name": "claim", "task_specs": {"wait": {"name": "wait", "typename": "IntermediateCatchEvent",
                                                      "event_definition": event}}}


def tenant_exists(target: Formwork, tenant: str) -> bool:
    with target.db.platform() as session:
        return session.scalar(select(Tenant.id).where(Tenant.id == tenant)) is not None


@pytest.fixture
def exported(engine: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path) -> Path:
    file = tmp_path / "backup.tar.gz"
    result = formwork(engine.db.url, uploads, "export", busy_tenant["tenant"], str(file))
    assert result.exit_code == 0, result.output
    return file


def test_a_crafted_backup_with_an_old_serializer_version_runs_nothing(
        other: Formwork, busy_tenant: dict[str, Any], exported: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    def craft(document: dict[str, Any]) -> None:
        for row in document["tables"]["process_instances"]:
            row["serializer_version"] = row["state"]["serializer_version"] = "1.1"
            row["state"]["spec"] = old_timer_spec(marker)
    crafted = repacked(exported, tmp_path / "crafted.tar.gz", with_manifest(craft))
    restored = tmp_path / "restored"
    for flags in ([], ["--trust-unsigned"]):
        refused = formwork(other.db.url, restored, "import", str(crafted), *flags)
        assert refused.exit_code == 1
    assert "cannot be restored: this process state has serializer version '1.1'" in refused.stderr
    assert not marker.exists()
    assert not tenant_exists(other, busy_tenant["tenant"]) and not restored.exists()


def test_an_altered_backup_is_refused_unless_trusted(
        other: Formwork, busy_tenant: dict[str, Any], exported: Path, tmp_path: Path) -> None:
    def promote(document: dict[str, Any]) -> None:
        for user in document["tables"]["users"]:
            if user["username"] == "alice":
                user["roles"] = ["admin"]
    altered = repacked(exported, tmp_path / "altered.tar.gz", with_manifest(promote))
    restored = tmp_path / "restored"
    refused = formwork(other.db.url, restored, "import", str(altered))
    assert refused.exit_code == 1
    assert "is not signed by this instance: it was altered, or written by another instance" in refused.stderr
    assert "--trust-unsigned" in refused.stderr
    assert not tenant_exists(other, busy_tenant["tenant"]) and not restored.exists()

    unsigned = repacked(exported, tmp_path / "unsigned.tar.gz", lambda members: members.update(
        {"backup.json.sig": b""}))
    assert "is not signed by this instance" in formwork(other.db.url, restored, "import", str(unsigned)).stderr
    trusted = formwork(other.db.url, restored, "import", str(altered), "--trust-unsigned")
    assert trusted.exit_code == 0, trusted.output
    assert tenant_exists(other, busy_tenant["tenant"])


def test_a_backup_signed_by_another_instance_is_refused_unless_trusted(
        engine: Formwork, busy_tenant: dict[str, Any], uploads: Path, tmp_path: Path) -> None:
    tenant = busy_tenant["tenant"]
    file = tmp_path / "foreign.tar"
    foreign_key = secrets.token_hex(32)
    assert formwork(engine.db.url, uploads, "export", tenant, str(file), FORMWORK_INSTANCE_KEY=foreign_key
                    ).exit_code == 0
    refused = formwork(engine.db.url, uploads, "import", str(file), "--replace")
    assert refused.exit_code == 1 and "is not signed by this instance" in refused.stderr
    assert formwork(engine.db.url, uploads, "import", str(file), "--replace", FORMWORK_INSTANCE_KEY=foreign_key
                    ).exit_code == 0   # the instance that made it
    assert formwork(engine.db.url, uploads, "import", str(file), "--replace", "--trust-unsigned").exit_code == 0


def test_a_damaged_attachment_content_refuses_the_whole_backup(
        other: Formwork, busy_tenant: dict[str, Any], exported: Path, tmp_path: Path) -> None:
    damaged_sha = []

    def damage(members: dict[str, bytes]) -> None:
        name = max((n for n in members if n.startswith("files/")), key=lambda n: len(members[n]))
        damaged_sha.append(name.removeprefix("files/"))
        members[name] = members[name][:-1] + bytes([members[name][-1] ^ 1])   # same size, one bit flipped
    damaged = repacked(exported, tmp_path / "damaged.tar.gz", damage)   # the signed document is untouched
    refused = formwork(other.db.url, tmp_path / "restored", "import", str(damaged))
    assert refused.exit_code == 1 and "it is damaged" in refused.stderr
    assert not tenant_exists(other, busy_tenant["tenant"])
    kept = {p.name for p in (tmp_path / "restored").rglob("*") if p.is_file()}
    assert not [name for name in kept if name.endswith(".tmp")]   # no half-written content left
    assert damaged_sha[0] not in kept


@pytest.mark.parametrize("name", ["../../escaped", "files/../../escaped", "files/" + "0" * 64, "notes.txt"])
def test_a_member_that_is_no_attachment_content_of_the_backup_is_refused(
        other: Formwork, busy_tenant: dict[str, Any], exported: Path, tmp_path: Path, name: str) -> None:
    extra = repacked(exported, tmp_path / "extra.tar.gz", lambda members: members.update({name: b"x"}))
    restored = tmp_path / "deep" / "restored"
    refused = formwork(other.db.url, restored, "import", str(extra))
    assert refused.exit_code == 1 and "which is no attachment content of this backup" in refused.stderr
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "deep" / "escaped").exists()
    assert not tenant_exists(other, busy_tenant["tenant"])


def test_a_backup_lacking_an_attachment_content_is_refused(
        other: Formwork, busy_tenant: dict[str, Any], exported: Path, tmp_path: Path) -> None:
    def drop(members: dict[str, bytes]) -> None:
        del members[next(n for n in members if n.startswith("files/"))]
    short = repacked(exported, tmp_path / "short.tar.gz", drop)
    refused = formwork(other.db.url, tmp_path / "restored", "import", str(short))
    assert refused.exit_code == 1 and "lacks the content of 1 attachment(s)" in refused.stderr
    assert not tenant_exists(other, busy_tenant["tenant"])


def test_a_version_1_backup_is_restored_only_when_trusted(
        other: Formwork, busy_tenant: dict[str, Any], exported: Path, tmp_path: Path) -> None:
    document = {**manifest_of(exported), "format_version": 1}
    del document["missing_files"]
    file = tmp_path / "old.json.gz"
    file.write_bytes(gzip.compress(json.dumps(document).encode()))
    refused = formwork(other.db.url, tmp_path / "restored", "import", str(file))
    assert refused.exit_code == 1
    assert "is a version 1 backup: it is not signed and holds no attachment contents" in refused.stderr
    trusted = formwork(other.db.url, tmp_path / "restored", "import", str(file), "--trust-unsigned")
    assert trusted.exit_code == 0, trusted.output
    assert backup.export_tenant(other.db, busy_tenant["tenant"])["tables"]["files"] == document["tables"]["files"]


def test_a_changed_approval_state_in_the_database_is_refused_when_loaded(
        engine: Formwork, busy_tenant: dict[str, Any], client: FlaskClient, tmp_path: Path) -> None:
    tenant, marker = busy_tenant["tenant"], tmp_path / "ran"
    with engine.db.tenant(tenant) as session:
        run = session.scalars(select(ProcessInstance).where(
            ProcessInstance.record_id == busy_tenant["pending"])).one()
        run.state = {**run.state, "serializer_version": "1.1", "spec": old_timer_spec(marker)}
    pm = login(client, tenant, "pm")
    [task] = pm.get("/tasks").get_json()["items"]
    response = pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "ok"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unsupported_process_state"
    assert not marker.exists()
