"""Password guessing: failed logins are counted per account and per address in the database, on every login."""
from __future__ import annotations

import re
import secrets
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import User
from engine.tenancy import invitations
from tests.conftest import PASSWORD, add_user

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def address() -> str:
    """A client address of this test only: the per-address count is shared by the whole database."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def app_of(engine: Formwork, **config: object) -> Flask:
    return create_app(engine, TESTING=True, SECRET_KEY="throttle-tests", **config)


def token_login(client: FlaskClient, tenant: str, username: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", json={"tenant": tenant, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_an_account_locks_after_five_failures_with_429_retry_after_and_a_chinese_message(
        engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = app_of(engine).test_client()
    for _ in range(5):   # from five addresses: the account's count does not depend on the address
        assert token_login(client, tenant, "ann", "wrong-pw", address()).status_code == 401
    refused = token_login(client, tenant, "ann", PASSWORD, address())
    assert refused.status_code == 429
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_attempts" and "登录失败次数过多" in error["message"]
    assert error["details"]["retry_after"] == int(refused.headers["Retry-After"])


def test_a_locked_account_logs_in_after_the_lock_and_a_success_clears_its_failures(
        engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = app_of(engine, FORMWORK_LOGIN_MAX_FAILURES=2, FORMWORK_LOGIN_LOCK_SECONDS=1).test_client()
    ip = address()
    for _ in range(2):
        assert token_login(client, tenant, "ann", "wrong-pw", ip).status_code == 401
    assert token_login(client, tenant, "ann", PASSWORD, ip).status_code == 429
    time.sleep(1.2)
    assert token_login(client, tenant, "ann", PASSWORD, ip).status_code == 201
    # the success forgot the failures: two more are allowed before the next lock
    for _ in range(2):
        assert token_login(client, tenant, "ann", "wrong-pw", ip).status_code == 401
    again = token_login(client, tenant, "ann", PASSWORD, ip)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1


def test_each_further_lock_lasts_twice_as_long(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = app_of(engine, FORMWORK_LOGIN_MAX_FAILURES=1, FORMWORK_LOGIN_LOCK_SECONDS=1).test_client()
    ip = address()
    assert token_login(client, tenant, "ann", "wrong-pw", ip).status_code == 401
    assert token_login(client, tenant, "ann", "wrong-pw", ip).headers["Retry-After"] == "1"
    time.sleep(1.2)
    assert token_login(client, tenant, "ann", "wrong-pw", ip).status_code == 401
    assert token_login(client, tenant, "ann", "wrong-pw", ip).headers["Retry-After"] == "2"


def test_the_count_is_shared_by_every_worker_that_shares_the_database(engine: Formwork, tenant: str) -> None:
    """Two apps with their own engines and connection pools, as two gunicorn workers or two hosts."""
    add_user(engine, tenant, "ann", "admin")
    other = Formwork(engine.db.url)
    try:
        first, second = app_of(engine).test_client(), app_of(other).test_client()
        for attempt in range(5):
            client = first if attempt % 2 else second
            assert token_login(client, tenant, "ann", "wrong-pw", address()).status_code == 401
        assert token_login(first, tenant, "ann", PASSWORD, address()).status_code == 429
        assert token_login(second, tenant, "ann", PASSWORD, address()).status_code == 429
    finally:
        other.db.dispose()


def test_one_address_guessing_many_accounts_is_stopped(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = app_of(engine, FORMWORK_LOGIN_IP_MAX_FAILURES=3).test_client()
    ip = address()
    for name in ("bob", "cat", "dan"):
        assert token_login(client, tenant, name, "guess-pw", ip).status_code == 401
    assert token_login(client, tenant, "ann", PASSWORD, ip).status_code == 429
    assert token_login(client, tenant, "ann", PASSWORD, address()).status_code == 201   # others go on


def test_successful_logins_do_not_count_against_the_address(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = app_of(engine, FORMWORK_LOGIN_IP_MAX_FAILURES=3).test_client()
    ip = address()
    for _ in range(6):
        assert token_login(client, tenant, "ann", PASSWORD, ip).status_code == 201


def test_the_login_page_locks_too_and_says_so_in_chinese(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    client = app_of(engine, FORMWORK_LOGIN_MAX_FAILURES=2).test_client()
    headers, ip = {"Accept-Language": "zh-CN,zh;q=0.9"}, address()

    def attempt(password: str):  # type: ignore[no-untyped-def]
        token = CSRF.search(client.get("/login", headers=headers).get_data(as_text=True))
        assert token
        return client.post("/login", data={"tenant": tenant, "username": "ann", "password": password,
                                           "_csrf": token.group(1)}, headers=headers, environ_base={"REMOTE_ADDR": ip})

    assert attempt("wrong-pw").status_code == 401
    assert attempt("wrong-pw").status_code == 401
    refused = attempt(PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in refused.get_data(as_text=True)


def test_the_operator_login_locks_too(engine: Formwork) -> None:
    from click.testing import CliRunner

    from app import cli

    name = f"op-{secrets.token_hex(3)}"
    result = CliRunner().invoke(cli, ["operator", "add", name, "--password", "operator-pw-1"],
                                env={"FORMWORK_DATABASE_URL": engine.db.url})
    assert result.exit_code == 0, result.output
    client = app_of(engine, FORMWORK_LOGIN_MAX_FAILURES=2).test_client()

    def attempt(password: str):  # type: ignore[no-untyped-def]
        token = CSRF.search(client.get("/admin/login").get_data(as_text=True))
        assert token
        return client.post("/admin/login", data={"name": name, "password": password, "_csrf": token.group(1)},
                           environ_base={"REMOTE_ADDR": address()})

    assert attempt("wrong-pw-1").status_code == 401
    assert attempt("wrong-pw-1").status_code == 401
    refused = attempt("operator-pw-1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in refused.get_data(as_text=True)


def test_guessing_invitation_links_is_stopped_per_address(engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "boss", "admin")
    with engine.db.tenant(tenant) as session:
        tenancy.add_user(session, tenant, "li", None, ["admin"])
        link = invitations.issue(session, session.get(User, (tenant, "li")), "invite", "boss")
    client = app_of(engine, FORMWORK_LOGIN_IP_MAX_FAILURES=3).test_client()
    ip = address()
    for _ in range(3):
        guess = f"{tenant}.{secrets.token_urlsafe(32)}"
        assert client.get(f"/welcome/{guess}", environ_base={"REMOTE_ADDR": ip}).status_code == 404
    refused = client.get(f"/welcome/{link.token}", environ_base={"REMOTE_ADDR": ip})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get(f"/welcome/{link.token}", environ_base={"REMOTE_ADDR": address()}).status_code == 200


@pytest.mark.parametrize("who", ["unknown user", "unknown tenant", "user without a password"])
def test_unknown_users_take_as_long_as_known_ones(engine: Formwork, tenant: str, who: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMWORK_SCRYPT_LOG2_N", "14")   # production cost, so the hash is what is measured
    add_user(engine, tenant, "ann", "admin")
    with engine.db.tenant(tenant) as session:
        tenancy.add_user(session, tenant, "invited", None, ["admin"])
    client = app_of(engine).test_client()
    target = {"unknown user": (tenant, "nobody"), "unknown tenant": ("t-nowhere", "ann"),
              "user without a password": (tenant, "invited")}[who]

    def seconds(tenant_id: str, username: str) -> float:
        started = time.perf_counter()
        response = token_login(client, tenant_id, username, "wrong-pw", address())
        assert response.status_code == 401
        assert response.get_json()["error"]["message"] == "wrong tenant, user name or password"
        return time.perf_counter() - started

    # interleaved, and the fastest of each: a busy machine slows single requests, never below the hash's cost
    pairs = [(seconds(tenant, "ann"), seconds(*target)) for _ in range(4)]   # 4 stays under the lock's 5
    known, unknown = min(pair[0] for pair in pairs), min(pair[1] for pair in pairs)
    assert unknown > 0.6 * known, pairs


def test_parallel_guesses_cannot_slip_past_the_count(engine: Formwork, tenant: str) -> None:
    """Each attempt is counted before its password is checked: twelve at once get at most five answers."""
    from concurrent.futures import ThreadPoolExecutor

    add_user(engine, tenant, "ann", "admin")
    app = app_of(engine)

    def guess(_: int) -> int:
        response = token_login(app.test_client(), tenant, "ann", "wrong-pw", address())
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(guess, range(12)))
    assert statuses.count(401) == 5 and statuses.count(429) == 7, statuses
