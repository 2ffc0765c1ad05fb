"""After a form, `next` leads only to a path on this site: on the login pages and in the operators' console."""
from __future__ import annotations

import re
import secrets

import pytest
from click.testing import CliRunner
from flask import Flask

from app import cli, create_app
from engine.runtime import Formwork
from tests.conftest import PASSWORD, add_user
from tests.web.conftest import Visitor

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
ELSEWHERE = ["//evil.example/x", "/\\evil.example/x", "\\\\evil.example", "https://evil.example/x",
             "http:/evil.example", "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example", " //evil.example",
             "evil.example/x", "data:text/html,x"]


@pytest.fixture
def app(engine: Formwork) -> Flask:
    return create_app(engine, TESTING=True, SECRET_KEY="redirect-tests")


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_login_page_never_leaves_the_site(app: Flask, engine: Formwork, tenant: str, target: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    visitor = Visitor(app.test_client())
    visitor.get("/login")
    response = visitor.post("/login", {"tenant": tenant, "username": "ann", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.location == "/"


def test_the_login_page_follows_a_path_on_the_site_with_its_query(app: Flask, engine: Formwork, tenant: str) -> None:
    add_user(engine, tenant, "ann", "admin")
    visitor = Visitor(app.test_client())
    visitor.get("/login")
    response = visitor.post("/login", {"tenant": tenant, "username": "ann", "password": PASSWORD,
                                       "next": "/tasks?state=open"})
    assert response.location == "/tasks?state=open"


def operator_client(app: Flask, engine: Formwork, target: str):  # type: ignore[no-untyped-def]
    name = f"op-{secrets.token_hex(3)}"
    result = CliRunner().invoke(cli, ["operator", "add", name, "--password", "operator-pw-1"],
                                env={"FORMWORK_DATABASE_URL": engine.db.url})
    assert result.exit_code == 0, result.output
    client = app.test_client()
    token = CSRF.search(client.get(f"/admin/login?next={target}").get_data(as_text=True))
    assert token
    response = client.post("/admin/login", data={"name": name, "password": "operator-pw-1", "_csrf": token.group(1),
                                                 "next": target})
    return client, response


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_operator_console_never_leaves_the_site(app: Flask, engine: Formwork, tenant: str, target: str) -> None:
    client, response = operator_client(app, engine, target)
    assert response.status_code == 302 and response.location == "/admin/"
    token = CSRF.search(client.get("/admin/jobs/").get_data(as_text=True))
    assert token
    response = client.post("/admin/jobs/retry", data={"tenant": tenant, "job": "none", "_csrf": token.group(1),
                                                     "next": target})
    assert response.status_code == 302 and response.location == "/admin/jobs/"


def test_the_operator_login_follows_a_console_path(app: Flask, engine: Formwork) -> None:
    _client, response = operator_client(app, engine, "/admin/audit/")
    assert response.status_code == 302 and response.location == "/admin/audit/"
