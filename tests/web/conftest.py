"""Fixtures of the page tests: a tenant with the formshop module and its users, signed-in clients."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import PASSWORD, new_tenant_id

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
USERS = {"clerk": ("文员小王", ["clerk"]), "clerk2": ("Clerk Two", ["clerk"]), "viewer": ("Vera Viewer", ["viewer"]),
         "outsider": ("Otto", ["outsider"]), "boss": ("Boss", ["admin"])}


@pytest.fixture
def shop(engine: Formwork) -> str:
    """A fresh tenant with only the formshop module, its users, and two suppliers."""
    tenant_id = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, name=f"表单测试 {tenant_id}", plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "formshop", True, installed)
        for username, (name, roles) in USERS.items():
            tenancy.add_user(session, tenant_id, username, PASSWORD, roles, display_name=name)
    boss = tenancy.Actor(tenant_id, "boss", frozenset({"admin"}))
    with engine.records(boss) as records:
        for name in ("Acme 建材", "Beta Steel"):
            records.create("formshop", "supplier", {"name": name})
    return tenant_id


@pytest.fixture
def app(engine: Formwork) -> Flask:
    return create_app(engine, TESTING=True, SECRET_KEY="page-tests")


@pytest.fixture
def browser_client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


class Visitor:
    """A browser-like client: remembers the CSRF token of the last page it read."""

    def __init__(self, client: FlaskClient, language: str = "en") -> None:
        self.client = client
        self.headers = {"Accept-Language": "zh-CN,zh;q=0.9" if language == "zh" else "en-US,en;q=0.9"}
        self.token = ""

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        response = self.client.get(path, headers=self.headers, **kwargs)
        html = response.get_data(as_text=True)
        match = CSRF.search(html)
        if match:
            self.token = match.group(1)
        return response

    def post(self, path: str, data: dict | list | None = None, *, token: bool = True, **kwargs: object):  # type: ignore[no-untyped-def]
        if not self.token:
            self.get("/login")
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        if token:
            items.append(("_csrf", self.token))
        return self.client.post(path, data=_multi(items), headers=self.headers, **kwargs)

    def text(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


def _multi(items: list[tuple[str, object]]):  # type: ignore[no-untyped-def]
    from werkzeug.datastructures import MultiDict

    return MultiDict(items)


def sign_in(client: FlaskClient, tenant_id: str, username: str, *, language: str = "en",
            password: str = PASSWORD) -> Visitor:
    visitor = Visitor(client, language)
    visitor.get("/login")
    response = visitor.post("/login", {"tenant": tenant_id, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    visitor.get("/")
    return visitor


@pytest.fixture
def clerk(browser_client: FlaskClient, shop: str) -> Visitor:
    return sign_in(browser_client, shop, "clerk")
