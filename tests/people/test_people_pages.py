"""Designer pages /designer/users and the one-time link page, through real HTTP requests of the app."""
from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import licenses
from tests.conftest import PASSWORD, add_user, new_project
from tests.web.conftest import Visitor, sign_in

LINK = re.compile(r'id="link-url" class="link-url"[^>]*value="([^"]+)"|value="([^"]+)" id="link-url"')


@pytest.fixture
def client(engine: Formwork) -> FlaskClient:
    return create_app(engine, TESTING=True, SECRET_KEY="people-pages").test_client()


@pytest.fixture
def boss(engine: Formwork, tenant: str, client: FlaskClient) -> Visitor:
    add_user(engine, tenant, "boss", "admin")
    return sign_in(client, tenant, "boss")


def link_in(page: str) -> str:
    match = LINK.search(page)
    assert match, "no one-time link on the page"
    return html.unescape(match.group(1) or match.group(2))


def test_only_tenant_administrators_open_the_users_pages(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = sign_in(client, tenant, "clerk")
    assert clerk.get("/designer/users").status_code == 403
    assert clerk.post("/designer/users", {"username": "sneaky"}).status_code == 403
    assert client.get("/designer/users").status_code in (302, 403)


def test_every_form_needs_the_csrf_token(boss: Visitor) -> None:
    refused = boss.post("/designer/users", {"username": "li"}, token=False)
    assert refused.status_code == 400
    assert boss.post("/designer/users/boss/roles", {"roles": "admin"}, token=False).status_code == 400


def test_the_list_shows_roles_status_and_seats(engine: Formwork, tenant: str, boss: Visitor) -> None:
    with engine.db.tenant(tenant) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant),
                       licenses.issue(tenant, "professional", seats=5), "test")
    add_user(engine, tenant, "li", "site_engineer")
    page = boss.text("/designer/users")
    assert "Seats: 2 of 5 in use" in page
    assert 'href="/designer/users/li"' in page and "Site engineer" in page
    assert 'value="project_manager"' in page and "Tenant administrator" in page
    assert "/designer/users" in boss.text("/designer/")
    zh = sign_in(boss.client, tenant, "boss", language="zh").text("/designer/users")
    assert "席位：已用 2 / 5" in zh and "施工员/现场工程师" in zh


def test_inviting_shows_the_link_once_and_the_user_sets_a_password(engine: Formwork, tenant: str, boss: Visitor,
                                                                   client: FlaskClient) -> None:
    answer = boss.post("/designer/users", [("username", "li"), ("display_name", "李工"), ("email", ""),
                                           ("roles", "site_engineer"), ("roles", "labor_clerk")])
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    url = link_in(page)
    assert "/welcome/" in url
    assert 'value="site_engineer" checked' in page and 'value="labor_clerk" checked' in page
    assert "/welcome/" not in boss.text("/designer/users/li")      # shown once, never again
    path = "/" + url.split("://", 1)[1].partition("/")[2]
    newcomer = Visitor(create_app(engine, TESTING=True, SECRET_KEY="people-pages").test_client())
    welcome = newcomer.get(path)
    assert welcome.status_code == 200 and welcome.headers["Referrer-Policy"] == "no-referrer"
    assert "李工" in welcome.get_data(as_text=True)
    mismatch = newcomer.post(path, {"password": "abcdefg", "password_again": "abcdefh"})
    assert mismatch.status_code == 422 and "The two passwords differ" in mismatch.get_data(as_text=True)
    short = newcomer.post(path, {"password": "abc", "password_again": "abc"})
    assert short.status_code == 422 and "at least 6 characters" in short.get_data(as_text=True)
    done = newcomer.post(path, {"password": PASSWORD, "password_again": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].startswith("/login")
    assert newcomer.get(path).status_code == 404
    sign_in(newcomer.client, tenant, "li")


def test_refusals_show_on_the_page_in_the_users_language(engine: Formwork, tenant: str, boss: Visitor) -> None:
    with engine.db.tenant(tenant) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant),
                       licenses.issue(tenant, "professional", seats=1), "test")
    full = boss.post("/designer/users", {"username": "li", "roles": "site_engineer"})
    assert full.status_code == 403
    assert "seats 1 of 1 in use" in full.get_data(as_text=True)
    assert 'value="li"' in full.get_data(as_text=True)             # what was typed is kept
    last = boss.post("/designer/users/boss/deactivate", {})
    assert last.status_code == 409 and "last active administrator" in last.get_data(as_text=True)
    zh = sign_in(boss.client, tenant, "boss", language="zh")
    again = zh.post("/designer/users/boss/roles", {"roles": "site_engineer"})
    assert again.status_code == 409 and "最后一位有效的管理员" in again.get_data(as_text=True)


def test_roles_projects_and_deactivation_from_the_users_page(engine: Formwork, tenant: str, boss: Visitor) -> None:
    add_user(engine, tenant, "zhang", "site_engineer")
    with engine.records(tenancy.Actor(tenant, "boss", frozenset({"admin"}))) as records:
        project = new_project(lambda entity, body: records.create("base", entity, body), "P-001", manager="boss")
    page = boss.text("/designer/users/zhang")
    assert f'<option value="{project["id"]}">Project P-001 (P-001)</option>' in page
    saved = boss.post("/designer/users/zhang/roles", [("roles", "site_engineer"), ("roles", "production_manager")])
    assert saved.status_code == 302
    added = boss.post("/designer/users/zhang/projects", {"project": project["id"], "position": "site_engineer"})
    assert added.status_code == 302
    page = boss.text("/designer/users/zhang")
    assert 'value="production_manager" checked' in page
    assert f'data-project="{project["id"]}"' in page and "Site engineer" in page
    with engine.records(tenancy.Actor(tenant, "zhang", frozenset({"site_engineer"}))) as records:
        assert records.find("base", "project").total == 1
    removed = boss.post(f"/designer/users/zhang/projects/{project['id']}/remove", {"position": "site_engineer"})
    assert removed.status_code == 302
    assert "Not on any project yet." in boss.text("/designer/users/zhang")
    assert boss.post("/designer/users/zhang/deactivate", {}).status_code == 302
    assert "deactivated" in boss.text("/designer/users/zhang")
    assert boss.get("/designer/users/ghost").status_code == 404


def test_a_password_reset_or_deactivation_ends_open_browser_sessions(engine: Formwork, tenant: str, boss: Visitor,
                                                                     client: FlaskClient) -> None:
    add_user(engine, tenant, "li", "site_engineer")
    other = create_app(engine, TESTING=True, SECRET_KEY="people-pages").test_client()
    li = sign_in(other, tenant, "li")
    assert li.get("/").status_code == 200
    assert boss.post("/designer/users/li/reset", {}).status_code == 200
    assert li.get("/").status_code == 302                      # sent to the login page
    with engine.db.tenant(tenant) as session:
        user = session.get(tenancy.User, (tenant, "li"))
        assert user is not None
        tenancy.set_password(session, user, PASSWORD)
    li = sign_in(other, tenant, "li")
    assert boss.post("/designer/users/li/deactivate", {}).status_code == 302
    assert li.get("/").status_code == 302
    assert boss.get("/").status_code == 200                    # the administrator's own session goes on
