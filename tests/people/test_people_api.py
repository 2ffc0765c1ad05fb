"""REST API /api/v1/designer/users: JSON in and out, the right status for every refusal, never a 500."""
from __future__ import annotations

from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import licenses
from tests.conftest import PASSWORD, Api, add_user, api_creator, login, new_project


def accept(client: FlaskClient, url: str, password: str = PASSWORD) -> int:
    """Set the password through the one-time link's page, as the invited user's browser does."""
    path = url.split("://", 1)[1].partition("/")[2]
    page = client.get("/" + path)
    assert page.status_code == 200, page.get_data(as_text=True)
    with client.session_transaction() as session:
        csrf = session["_csrf"]
    answer = client.post("/" + path, data={"_csrf": csrf, "password": password, "password_again": password})
    return answer.status_code


def invite(admin: Api, username: str, *roles: str) -> dict:   # type: ignore[type-arg]
    response = admin.post("/designer/users", {"username": username, "display_name": username.title(),
                                              "roles": list(roles)})
    assert response.status_code == 201, response.get_json()
    result: dict = response.get_json()   # type: ignore[type-arg]
    return result


def test_an_administrator_lists_and_invites_users(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    admin = login(client, tenant, "boss")
    listed = admin.get("/designer/users").get_json()
    assert [u["username"] for u in listed["items"]] == ["boss"]
    assert listed["seats"] == {"used": 1, "total": None}
    roles = {r["key"]: r for r in listed["roles"]}
    assert roles["admin"]["label"] == {"zh": "租户管理员", "en": "Tenant administrator"}
    assert roles["labor_clerk"]["label"]["zh"] == "劳务员"
    created = invite(admin, "li", "site_engineer")
    assert created["user"]["status"] == "invited" and created["user"]["roles"] == ["site_engineer"]
    assert created["link"]["url"].startswith("http://localhost/welcome/" + tenant + ".")
    assert admin.get("/designer/users/li").get_json()["link_expires_at"] == created["link"]["expires_at"]
    assert accept(client, created["link"]["url"]) == 302
    li = login(client, tenant, "li")
    assert li.get("/me").get_json()["roles"] == ["site_engineer"]
    assert admin.get("/designer/users/li").get_json()["status"] == "active"


def test_refusals_are_json_with_the_right_status(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    add_user(engine, tenant, "clerk", "labor_clerk")
    admin, clerk = login(client, tenant, "boss"), login(client, tenant, "clerk")
    assert clerk.get("/designer/users").status_code == 403
    assert client.get("/api/v1/designer/users").status_code == 401
    cases = [
        (admin.post("/designer/users", {"username": "x y", "roles": []}), 400, "bad_request"),
        (admin.post("/designer/users", {"username": "clerk", "roles": []}), 409, "conflict"),
        (admin.post("/designer/users", {"username": "li", "roles": "admin"}), 400, "bad_request"),
        (admin.post("/designer/users", {"username": "li", "roles": ["nobody"]}), 400, "bad_request"),
        (admin.post("/designer/users", {"username": "li", "email": "not-mail"}), 400, "bad_request"),
        (admin.post("/designer/users", {"roles": []}), 400, "bad_request"),
        (admin.get("/designer/users/ghost"), 404, "not_found"),
        (admin.patch("/designer/users/clerk", {"is_active": "no"}), 400, "bad_request"),
        (admin.patch("/designer/users/boss", {"roles": ["labor_clerk"]}), 409, "last_admin"),
        (admin.post("/designer/users/boss/deactivate"), 409, "last_admin"),
        (admin.post("/designer/users/clerk/projects", {"project": "nope", "position": "labor_clerk"}), 404,
         "not_found"),
        (admin.delete("/designer/users/clerk/projects/nope"), 404, "not_found"),
    ]
    for response, status, code in cases:
        body = response.get_json()
        assert (response.status_code, body["error"]["code"]) == (status, code), body
        assert body["error"]["message"]
    assert "did you mean" not in cases[3][0].get_json()["error"]["message"]
    assert "choose from admin," in cases[3][0].get_json()["error"]["message"]


def test_seats_are_refused_with_the_count(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    with engine.db.tenant(tenant) as session:
        licenses.apply(session, tenancy.get_tenant(session, tenant),
                       licenses.issue(tenant, "professional", seats=2), "test")
    admin = login(client, tenant, "boss")
    invite(admin, "li", "site_engineer")
    refused = admin.post("/designer/users", {"username": "wang", "roles": []})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "seats_exhausted"
    assert refused.get_json()["error"]["message"].startswith("seats 2 of 2 in use")
    assert admin.post("/designer/users/li/deactivate").get_json()["status"] == "deactivated"
    invite(admin, "wang")
    again = admin.post("/designer/users/li/activate")
    assert again.status_code == 403 and "seats 2 of 2 in use" in again.get_json()["error"]["message"]
    assert admin.get("/designer/users").get_json()["seats"] == {"used": 2, "total": 2}


def test_a_deactivated_users_token_is_refused_at_once(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    add_user(engine, tenant, "li", "site_engineer")
    admin, li = login(client, tenant, "boss"), login(client, tenant, "li")
    assert li.get("/me").status_code == 200
    assert admin.patch("/designer/users/li", {"is_active": False}).get_json()["is_active"] is False
    refused = li.get("/me")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    admin.post("/designer/users/li/activate")
    assert li.get("/me").status_code == 401          # the old token stays revoked
    assert login(client, tenant, "li").get("/me").status_code == 200


def test_roles_and_details_change_through_patch(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    admin = login(client, tenant, "boss")
    invite(admin, "li", "site_engineer")
    changed = admin.patch("/designer/users/li", {"roles": ["labor_clerk", "admin"], "display_name": "李工",
                                                 "email": "li@example.com"}).get_json()
    assert (changed["roles"], changed["display_name"], changed["email"]) == (["admin", "labor_clerk"], "李工",
                                                                             "li@example.com")
    assert admin.patch("/designer/users/boss", {"roles": ["site_engineer"]}).status_code == 200


def test_a_password_reset_gives_a_new_link(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    add_user(engine, tenant, "li", "site_engineer")
    admin = login(client, tenant, "boss")
    reset = admin.post("/designer/users/li/reset").get_json()
    assert reset["user"]["status"] == "reset" and reset["link"]["purpose"] == "reset"
    assert client.post("/api/v1/auth/token", json={"tenant": tenant, "username": "li",
                                                   "password": PASSWORD}).status_code == 401
    assert accept(client, reset["link"]["url"], "brand-new-pw") == 302
    assert client.post("/api/v1/auth/token", json={"tenant": tenant, "username": "li",
                                                   "password": "brand-new-pw"}).status_code == 201


def test_membership_through_the_api_gives_access_to_that_project(engine: Formwork, tenant: str,
                                                                  client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    admin = login(client, tenant, "boss")
    create = api_creator(admin)
    first = new_project(create, "P-001", manager="boss")
    new_project(create, "P-002", manager="boss")
    invite(admin, "zhang", "production_manager")
    with engine.db.tenant(tenant) as session:
        user = session.get(tenancy.User, (tenant, "zhang"))
        assert user is not None
        tenancy.set_password(session, user, PASSWORD)
    zhang = login(client, tenant, "zhang")
    assert zhang.get("/records/base/project").get_json()["total"] == 0
    added = admin.post("/designer/users/zhang/projects", {"project": first["id"], "position": "production_manager"})
    assert added.status_code == 201, added.get_json()
    body = added.get_json()
    assert [(p["title"], p["code"], p["positions"]) for p in body["items"]] == [
        ("Project P-001", "P-001", ["production_manager"])]
    assert {"key": "site_engineer", "label": {"zh": "施工员/现场工程师", "en": "Site engineer"}} in body["positions"]
    seen = zhang.get("/records/base/project").get_json()
    assert [r["data"]["project_code"] for r in seen["items"]] == ["P-001"]
    missing = admin.post("/designer/users/zhang/projects", {"project": first["id"]})
    assert missing.status_code == 400 and "choose the position" in missing.get_json()["error"]["message"]
    history = admin.get(f"/records/base/project/{first['id']}/history").get_json()["items"]
    assert any(entry.get("action") == "record.update" for entry in history)
    removed = admin.delete(f"/designer/users/zhang/projects/{first['id']}")
    assert removed.status_code == 200 and removed.get_json()["items"] == []
    assert zhang.get("/records/base/project").get_json()["total"] == 0
