"""Browser sessions end on the server: a copy of the cookie taken before logging out opens nothing after it."""
from __future__ import annotations

import http.client
import re
import secrets
from collections.abc import Iterator
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from click.testing import CliRunner

from app import cli, create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import User
from tests.browser import serving
from tests.conftest import PASSWORD, add_user

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class Browser:
    """A bare HTTP client over a real socket that keeps its cookies in one header we can copy."""

    def __init__(self, base: str, cookie: str = "") -> None:
        self.host = urlsplit(base).netloc
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of one request; Set-Cookie replaces the session cookie."""
        connection = http.client.HTTPConnection(self.host, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie(header)
            self.cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
        connection.close()
        return response.status, response.headers.get("Location", ""), text

    def form(self, page: str, action: str, fields: dict[str, str]) -> tuple[int, str, str]:
        token = CSRF.search(self.request("GET", page)[2])
        assert token, f"{page} has no CSRF field"
        return self.request("POST", action, {**fields, "_csrf": token.group(1)})


@pytest.fixture
def server(engine: Formwork) -> Iterator[str]:
    app = create_app(Formwork(engine.db.url), TESTING=True, SECRET_KEY="session-tests")
    with serving(app, app.extensions["formwork"]) as base:
        yield base


def signed_in(base: str, tenant: str, username: str) -> Browser:
    browser = Browser(base)
    status, location, _ = browser.form("/login", "/login", {"tenant": tenant, "username": username,
                                                           "password": PASSWORD})
    assert status == 302 and not location.endswith("/login"), location
    assert browser.request("GET", "/")[0] == 200
    return browser


def test_a_copied_session_cookie_stops_working_after_logout(engine: Formwork, tenant: str, server: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    ann = signed_in(server, tenant, "ann")
    stolen = Browser(server, ann.cookie)
    assert stolen.request("GET", "/")[0] == 200           # the copy works while the session lives
    token = CSRF.search(ann.request("GET", "/")[2])
    assert token
    assert ann.request("POST", "/logout", {"_csrf": token.group(1)})[0] == 302
    status, location, _ = stolen.request("GET", "/")
    assert status == 302 and "/login" in location
    assert signed_in(server, tenant, "ann").request("GET", "/")[0] == 200   # logging in again works


def test_a_password_change_or_deactivation_ends_copied_sessions_for_good(engine: Formwork, tenant: str,
                                                                         server: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    before_reset = Browser(server, signed_in(server, tenant, "ann").cookie)
    with engine.db.tenant(tenant) as session:
        user = session.get(User, (tenant, "ann"))
        assert user is not None
        tenancy.set_password(session, user, PASSWORD)          # the same password, set again
    assert before_reset.request("GET", "/")[0] == 302
    before_deactivation = Browser(server, signed_in(server, tenant, "ann").cookie)
    with engine.db.tenant(tenant) as session:
        tenancy.set_user_active(session, tenant, "ann", False)
        tenancy.set_user_active(session, tenant, "ann", True)
    assert before_deactivation.request("GET", "/")[0] == 302    # coming back does not revive old sessions


def test_a_copied_operator_cookie_stops_working_after_logout(engine: Formwork, server: str) -> None:
    name = f"op-{secrets.token_hex(3)}"
    result = CliRunner().invoke(cli, ["operator", "add", name, "--password", "operator-pw-1"],
                                env={"FORMWORK_DATABASE_URL": engine.db.url})
    assert result.exit_code == 0, result.output
    operator = Browser(server)
    assert operator.form("/admin/login", "/admin/login", {"name": name, "password": "operator-pw-1"})[0] == 302
    stolen = Browser(server, operator.cookie)
    assert stolen.request("GET", "/admin/")[0] == 200
    assert operator.form("/admin/", "/admin/logout", {})[0] == 302
    status, location, _ = stolen.request("GET", "/admin/")
    assert status == 302 and "/admin/login" in location


def test_cookies_are_http_only_and_same_site_lax_and_secure_when_configured(
        engine: Formwork, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = create_app(engine, TESTING=True, SECRET_KEY="cookie-tests").test_client().get("/login")
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("FORMWORK_SECURE_COOKIES", "1")
    app = create_app(engine, TESTING=True, SECRET_KEY="cookie-tests")
    for path in ("/login", "/admin/login"):
        cookies = app.test_client().get(path, base_url="https://formwork.example").headers.getlist("Set-Cookie")
        assert cookies and all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies), cookies
