"""Signed licenses: issue and apply from the CLI, tampering, and what a license allows over HTTP."""
from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import select

from app import cli
from engine import tenancy
from engine.runtime import Formwork
from engine.security import audit
from engine.storage.models import AuditEntry, Tenant
from engine.tenancy import licenses
from tests.conftest import PASSWORD, Api, add_user, api_creator, login, new_project, new_tenant_id


def formwork(engine: Formwork, *args: str) -> Result:
    """Run the `formwork` CLI in-process against the test database."""
    return CliRunner().invoke(cli, list(args), env={"FORMWORK_DATABASE_URL": engine.db.url})


def issue(engine: Formwork, tenant_id: str, *options: str) -> str:
    result = formwork(engine, "license", "issue", tenant_id, *options)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def apply(engine: Formwork, tenant_id: str, token: str) -> Result:
    return formwork(engine, "license", "apply", tenant_id, token)


def new_claim(api: Api, code: str = "BX-1") -> dict:
    project = new_project(api_creator(api), f"P-{code}")
    response = api.post("/records/expense/claim", {"code": code, "project": project["id"], "date": "2024-05-01",
                                                   "lines": [{"item": "taxi", "qty": 1, "price": "80"}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_issue_creates_a_private_key_readable_by_the_owner_only(engine: Formwork, license_key: Path) -> None:
    token = issue(engine, "acme", "--plan", "professional", "--seats", "5")
    assert token.startswith("fw1.") and token.count(".") == 2
    assert stat.S_IMODE(os.stat(license_key).st_mode) == 0o600
    assert license_key.with_suffix(".pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    grant = licenses.verify(token, "acme")
    assert (grant.plan, grant.seats, grant.modules, grant.expires_at) == ("professional", 5, None, None)


def test_trial_licenses_run_15_days_and_days_zero_is_already_expired(engine: Formwork) -> None:
    trial = licenses.verify(issue(engine, "acme", "--plan", "trial"), "acme")
    assert trial.expires_at is not None and trial.expires_at - trial.issued_at == timedelta(days=15)
    expired = licenses.verify(issue(engine, "acme", "--plan", "enterprise", "--days", "0"), "acme")
    assert expired.is_expired() and expired.read_only_reason().endswith("apply a new license to make changes")
    dated = licenses.verify(issue(engine, "acme", "--plan", "enterprise", "--modules", "base,cost",
                                  "--days", "30"), "acme")
    assert dated.modules == ("base", "cost") and not dated.is_expired()


def test_apply_stores_the_token_and_audits_it_in_the_same_chain(engine: Formwork, tenant: str) -> None:
    token = issue(engine, tenant, "--plan", "enterprise", "--seats", "10", "--modules", "base,expense")
    result = apply(engine, tenant, token)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"applied license to {tenant}: plan enterprise, seats 10, modules base, expense")
    with engine.db.tenant(tenant) as session:
        row = tenancy.get_tenant(session, tenant)
        assert row.license_token == token and row.seats == 10 and row.licensed_modules == ["base", "expense"]
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry is not None and (entry.action, entry.note) == ("license.apply", "license applied")
        assert entry.after is not None and entry.after["modules"] == ["base", "expense"]
        assert audit.verify(session, tenant) == []


@pytest.mark.parametrize("damage", ["payload", "signature", "truncated", "garbage"])
def test_a_tampered_token_is_refused(engine: Formwork, tenant: str, damage: str) -> None:
    token = issue(engine, tenant, "--plan", "enterprise", "--seats", "3")
    head, payload, signature = token.split(".")
    flipped = {"A": "B"}.get(payload[10], "A")
    damaged = {"payload": f"{head}.{payload[:10]}{flipped}{payload[11:]}.{signature}",
               "signature": f"{head}.{payload}.{signature[:-3]}{'AAA' if signature[-3:] != 'AAA' else 'BBB'}",
               "truncated": token[:-1], "garbage": "hello"}[damage]
    result = apply(engine, tenant, damaged)
    assert result.exit_code == 1
    assert "error: " in result.stderr and ("signature does not match" in result.stderr
                                           or "looks like 'fw1.<claims>.<signature>'" in result.stderr)
    with engine.db.tenant(tenant) as session:
        assert tenancy.get_tenant(session, tenant).license_token is None


def test_a_token_for_another_tenant_or_from_another_key_is_refused(
        engine: Formwork, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = apply(engine, tenant, issue(engine, "someone-else", "--plan", "enterprise"))
    assert other.exit_code == 1 and f"this license is for tenant 'someone-else', not {tenant!r}" in other.stderr
    verifying = os.environ["FORMWORK_LICENSE_KEY"]
    monkeypatch.setenv("FORMWORK_LICENSE_KEY", str(tmp_path / "forger.pem"))
    forged = issue(engine, tenant, "--plan", "enterprise")
    monkeypatch.setenv("FORMWORK_LICENSE_PUBLIC_KEY", str(Path(verifying).with_suffix(".pub")))
    refused = apply(engine, tenant, forged)
    assert refused.exit_code == 1 and "signed by another key" in refused.stderr


def test_unlicensed_modules_answer_403_not_licensed_and_cannot_be_enabled(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann = login(client, tenant, "ann")
    claim = new_claim(ann)
    assert apply(engine, tenant, issue(engine, tenant, "--plan", "enterprise", "--modules", "base")).exit_code == 0
    for path in ("/records/expense/claim", f"/records/expense/claim/{claim['id']}", "/schema/expense/claim",
                 "/reports/expense/by_project_month"):
        response = ann.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "not_licensed"
        assert "'expense' is not in this tenant's license" in response.get_json()["error"]["message"]
    assert ann.post("/records/expense/claim", {"code": "X"}).get_json()["error"]["code"] == "not_licensed"
    assert ann.get("/records/base/project").status_code == 200
    assert "expense" not in [m["name"] for m in ann.get("/modules").get_json()["modules"]]
    formwork(engine, "tenant", "disable", tenant, "expense")
    refused = formwork(engine, "tenant", "enable", tenant, "expense")
    assert refused.exit_code == 1 and f"module 'expense' is not in tenant {tenant!r}'s license" in refused.stderr


def test_tasks_of_an_unlicensed_module_cannot_be_completed(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "alice", "applicant")
    add_user(engine, tenant, "boss", "admin")
    add_user(engine, tenant, "pm", "project_manager")   # the project's manager approves (the admin does not)
    boss, alice, pm = login(client, tenant, "boss"), login(client, tenant, "alice"), login(client, tenant, "pm")
    project = new_project(api_creator(boss), "P-TASK")
    claim = alice.post("/records/expense/claim", {"code": "T-1", "project": project["id"], "date": "2024-05-01",
                                                  "lines": [{"item": "taxi", "qty": 1, "price": "80"}]}).get_json()
    assert alice.post(f"/records/expense/claim/{claim['id']}/submit").status_code == 200
    [task] = pm.get("/tasks").get_json()["items"]
    apply(engine, tenant, issue(engine, tenant, "--plan", "enterprise", "--modules", "base"))
    assert pm.get("/tasks").get_json()["items"] == []
    refused = pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": ""})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_licensed"


def test_active_users_are_bounded_by_seats_and_deactivated_users_do_not_count(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    apply(engine, tenant, issue(engine, tenant, "--plan", "professional", "--seats", "2"))
    for name in ("li", "wang"):
        assert formwork(engine, "user", "add", tenant, name, "--password", PASSWORD, "--role", "admin").exit_code == 0
    full = formwork(engine, "user", "add", tenant, "zhao", "--password", PASSWORD, "--role", "admin")
    assert full.exit_code == 1
    assert f"seats 2 of 2 in use in tenant {tenant!r}: deactivate a user" in full.stderr
    with engine.db.tenant(tenant) as session:
        tenancy.set_user_active(session, tenant, "wang", False)
    assert formwork(engine, "user", "add", tenant, "zhao", "--password", PASSWORD, "--role", "admin").exit_code == 0
    with engine.db.tenant(tenant) as session, pytest.raises(licenses.SeatsExhausted, match="seats 2 of 2 in use"):
        tenancy.set_user_active(session, tenant, "wang", True)
    info = login(client, tenant, "li").get("/license").get_json()
    assert (info["plan"], info["seats"], info["seats_used"]) == ("professional", 2, 2)


def test_an_expired_license_makes_the_tenant_read_only_but_keeps_everything(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "alice", "applicant")
    add_user(engine, tenant, "boss", "admin")
    add_user(engine, tenant, "pm", "project_manager")
    boss, alice, pm = login(client, tenant, "boss"), login(client, tenant, "alice"), login(client, tenant, "pm")
    project = new_project(api_creator(boss), "P-READ")
    body = {"code": "R-1", "project": project["id"], "date": "2024-05-01",
            "lines": [{"item": "taxi", "qty": 1, "price": "80"}]}
    claim = alice.post("/records/expense/claim", body).get_json()
    draft = alice.post("/records/expense/claim", {**body, "code": "R-2"}).get_json()
    assert alice.post(f"/records/expense/claim/{claim['id']}/submit").status_code == 200
    [task] = pm.get("/tasks").get_json()["items"]
    assert apply(engine, tenant, issue(engine, tenant, "--plan", "enterprise", "--days", "0")).exit_code == 0
    today = datetime.now(UTC).date().isoformat()
    writes = [
        alice.post("/records/expense/claim", {**body, "code": "R-3"}),
        alice.patch(f"/records/expense/claim/{draft['id']}", {"version": draft["version"], "data": {"note": "x"}}),
        boss.delete(f"/records/expense/claim/{draft['id']}?version={draft['version']}"),
        alice.post(f"/records/expense/claim/{draft['id']}/submit"),
        alice.post(f"/records/expense/claim/{claim['id']}/withdraw"),
        pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "ok"}),
    ]
    for response in writes:
        assert response.status_code == 403, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "read_only" and f"expired on {today}" in error["message"]
    assert alice.get("/records/expense/claim").get_json()["total"] == 2
    assert alice.get(f"/records/expense/claim/{claim['id']}/history").status_code == 200
    assert boss.get("/reports/expense/by_project_month").status_code == 200
    assert [t["id"] for t in pm.get("/tasks").get_json()["items"]] == [task["id"]]
    info = boss.get("/license").get_json()
    assert info["read_only"] is True and info["days_left"] == 0
    assert formwork(engine, "tenant", "disable", tenant, "site").exit_code == 0
    refused = formwork(engine, "tenant", "enable", tenant, "site")
    assert refused.exit_code == 1 and f"expired on {today}" in refused.stderr
    assert apply(engine, tenant, issue(engine, tenant, "--plan", "enterprise", "--days", "30")).exit_code == 0
    assert pm.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": "ok"}).status_code == 200


def test_a_trial_without_a_token_expires_15_days_after_creation(engine: Formwork, client: FlaskClient) -> None:
    tenant_id = new_tenant_id()
    result = formwork(engine, "tenant", "create", tenant_id, "--plan", "trial")
    assert result.exit_code == 0, result.output
    assert formwork(engine, "tenant", "enable", tenant_id, "base").exit_code == 0
    add_user(engine, tenant_id, "ann", "admin")
    ann = login(client, tenant_id, "ann")
    info = ann.get("/license").get_json()
    created = datetime.fromisoformat(info["issued_at"])
    assert datetime.fromisoformat(info["expires_at"]) - created == timedelta(days=15)
    assert (info["plan"], info["read_only"], info["is_signed"], info["days_left"]) == ("trial", False, False, 14)
    with engine.db.tenant(tenant_id) as session:  # sixteen days later
        row = tenancy.get_tenant(session, tenant_id)
        row.created_at, row.expires_at = created - timedelta(days=16), created - timedelta(days=1)
    refused = ann.post("/records/base/org_unit", {"unit_code": "O-1", "unit_name": "Branch"})
    assert refused.status_code == 403 and "its trial expired on" in refused.get_json()["error"]["message"]
    assert ann.get("/records/base/org_unit").status_code == 200


def test_a_stored_token_edited_in_the_database_makes_the_tenant_read_only(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann = login(client, tenant, "ann")
    apply(engine, tenant, issue(engine, tenant, "--plan", "enterprise", "--seats", "5"))
    with engine.db.tenant(tenant) as session:
        row = session.get(Tenant, tenant)
        assert row is not None and row.license_token is not None
        head, payload, signature = row.license_token.split(".")
        row.license_token = f"{head}.{payload[:-2]}AA.{signature}"
    refused = ann.post("/records/base/org_unit", {"unit_code": "O-1", "unit_name": "Branch"})
    assert refused.status_code == 403
    assert "license does not verify" in refused.get_json()["error"]["message"]


def test_the_license_endpoint_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/api/v1/license").status_code == 401


def add_active_users(engine: Formwork, tenant_id: str, count: int) -> list[str]:
    names = [f"user{n:02d}" for n in range(count)]
    with engine.db.tenant(tenant_id) as session:
        for name in names:
            tenancy.add_user(session, tenant_id, name, None, ["admin"])
    return names


def test_a_license_with_fewer_seats_than_active_users_is_refused_naming_them(engine: Formwork, tenant: str) -> None:
    names = add_active_users(engine, tenant, 15)
    refused = apply(engine, tenant, issue(engine, tenant, "--plan", "professional", "--seats", "5"))
    assert refused.exit_code == 1
    assert (f"this license has 5 seats but tenant {tenant!r} has 15 active users: deactivate 10 of them first "
            f"(active users: {', '.join(names)}), or apply a license with at least 15 seats") in refused.stderr
    with engine.db.tenant(tenant) as session:
        row = session.get(Tenant, tenant)
        assert row is not None and row.license_token is None and row.seats is None  # nothing changed
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "license.apply")).first() is None
    with engine.db.tenant(tenant) as session:
        for name in names[5:]:
            tenancy.set_user_active(session, tenant, name, False)
    applied = apply(engine, tenant, issue(engine, tenant, "--plan", "professional", "--seats", "5"))
    assert applied.exit_code == 0, applied.output
    assert "seats 5" in applied.stdout


def test_the_seat_refusal_reads_in_chinese_on_the_pages() -> None:
    from web.ui.error_text import error_text

    params = {"seats": 5, "tenant_id": "acme", "count": 7, "excess": 2, "active": "a, b, c, d, e, f, g"}
    assert error_text("too_few_seats", params, "zh", "English") == (
        "该授权只有 5 个席位，但租户 'acme' 有 7 个启用中的用户：请先停用其中 2 个"
        "（启用中的用户：a, b, c, d, e, f, g），或应用至少 7 个席位的授权")
