"""API tokens expire, can be refreshed while alive, and are revoked by DELETE; old tokens get an expiry."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask.testing import FlaskClient

from app import create_app
from engine import tenancy
from engine.core.passwords import token_digest
from engine.ops import backup
from engine.runtime import Formwork
from engine.storage.migrate import alembic_config
from engine.storage.models import ApiToken
from tests import conftest
from tests.conftest import PASSWORD, add_user, login


def expire(engine: Formwork, tenant: str, token: str) -> None:
    with engine.db.tenant(tenant) as session:
        row = session.get(ApiToken, (tenant, token_digest(token)))
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)


def test_a_token_says_when_it_expires_after_the_configured_hours(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    for app, hours in ((create_app(engine, TESTING=True), 12), (create_app(engine, TESTING=True,
                                                                           FORMWORK_TOKEN_HOURS=2), 2)):
        issued = app.test_client().post("/api/v1/auth/token", json={"tenant": tenant, "username": "ann",
                                                                   "password": PASSWORD}).get_json()
        expires = datetime.fromisoformat(issued["expires_at"])
        assert issued["expires_in"] == hours * 3600
        assert abs((expires - datetime.now(UTC)) - timedelta(hours=hours)) < timedelta(minutes=1)


def test_an_expired_token_is_refused_with_token_expired(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann = login(client, tenant, "ann")
    assert ann.get("/me").status_code == 200
    expire(engine, tenant, ann.headers["Authorization"].split()[1])
    response = ann.get("/me")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_expired"
    assert ann.post("/auth/refresh").get_json()["error"]["code"] == "token_expired"   # log in again instead


def test_refresh_gives_a_new_token_and_ends_the_old_one(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann = login(client, tenant, "ann")
    response = ann.post("/auth/refresh")
    assert response.status_code == 201
    fresh = response.get_json()
    assert fresh["token"] != ann.headers["Authorization"].split()[1] and fresh["expires_in"] == 12 * 3600
    assert ann.get("/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh['token']}"}).get_json()[
        "username"] == "ann"


def test_delete_revokes_the_token_it_is_sent_with(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann, other = login(client, tenant, "ann"), login(client, tenant, "ann")
    assert ann.delete("/auth/token").status_code == 204
    assert ann.get("/me").get_json()["error"]["code"] == "unauthorized"
    assert other.get("/me").status_code == 200


@pytest.fixture(params=conftest.BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (a throw-away one on the PostgreSQL server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    assert conftest.PG_URL
    name = f"formwork_migration_{secrets.token_hex(4)}"
    with conftest._admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{conftest.PG_URL.rpartition('/')[0]}/{name}"
    finally:
        with conftest._admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_tokens_issued_before_the_upgrade_expire_counted_from_their_creation(empty_database: str) -> None:
    url = empty_database
    command.upgrade(alembic_config(url), "0011")
    created = {"recent": datetime.now(UTC) - timedelta(hours=1), "old": datetime.now(UTC) - timedelta(hours=13)}
    database = sa.create_engine(url)
    with database.begin() as connection:
        connection.execute(sa.text("INSERT INTO tenants (id, name, plan, is_active, created_at) "
                                   "VALUES ('acme', 'Acme', 'enterprise', true, :now)"), {"now": datetime.now(UTC)})
        connection.execute(sa.text("INSERT INTO users (tenant_id, username, display_name, password_hash, roles, "
                                   "is_active, created_at) VALUES ('acme', 'ann', 'Ann', '!', '[]', true, :now)"),
                           {"now": datetime.now(UTC)})
        for name, moment in created.items():
            connection.execute(sa.text("INSERT INTO api_tokens (tenant_id, token_hash, username, created_at) "
                                       "VALUES ('acme', :hash, 'ann', :at)"),
                               {"hash": token_digest(f"acme.{name}"), "at": moment})
    database.dispose()
    formwork = Formwork(url)
    try:
        formwork.initialise()
        with formwork.db.tenant("acme") as session:
            assert tenancy.actor_for_token(session, "acme", "acme.recent").username == "ann"
            with pytest.raises(tenancy.TokenExpired, match="the token expired at"):
                tenancy.actor_for_token(session, "acme", "acme.old")
    finally:
        formwork.db.dispose()


def test_a_backup_from_before_tokens_expired_restores_them_with_the_default_lifetime(engine: Formwork,
                                                                                   tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    with engine.db.tenant(tenant) as session:
        user = session.get(tenancy.User, (tenant, "ann"))
        assert user is not None
        recent, old = tenancy.issue_token(session, user).token, tenancy.issue_token(session, user).token
        session.get(ApiToken, (tenant, token_digest(old))).created_at = datetime.now(UTC) - timedelta(hours=13)
    document = backup.export_tenant(engine.db, tenant, with_tokens=True)
    for row in document["tables"]["api_tokens"]:
        del row["expires_at"]   # as a backup written before tokens expired
    backup.import_tenant(engine.db, document, replace=True)
    with engine.db.tenant(tenant) as session:
        assert tenancy.actor_for_token(session, tenant, recent).username == "ann"
        with pytest.raises(tenancy.TokenExpired):
            tenancy.actor_for_token(session, tenant, old)
