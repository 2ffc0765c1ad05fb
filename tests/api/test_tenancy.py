"""Tenant isolation, authentication and module availability over HTTP."""
from __future__ import annotations

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import PASSWORD, add_user, api_creator, login, new_project, new_tenant_id


def tenant_with(engine: Formwork, *modules: str, licensed: list[str] | None = None) -> str:
    tenant_id = new_tenant_id()
    installed = engine.catalog.modules()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise", modules=licensed)
        for name in modules:
            tenancy.set_module_enabled(session, tenant_id, name, True, installed)
    return tenant_id


def test_other_tenants_get_404_for_records_lists_and_schemas(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "site")
    b = tenant_with(engine, "base")
    add_user(engine, a, "ann", "admin")
    add_user(engine, b, "bob", "admin")
    ann, bob = login(client, a, "ann"), login(client, b, "bob")
    project = new_project(api_creator(ann), "A-001")
    record = ann.post("/records/site/delivery", {"number": "N1", "project": project["id"],
                                                 "delivered_on": "2024-01-02"}).get_json()
    assert bob.get(f"/records/base/project/{project['id']}").status_code == 404
    assert bob.get("/records/base/project").get_json() == {"items": [], "total": 0}
    assert bob.get(f"/records/site/delivery/{record['id']}").status_code == 404
    assert bob.get("/records/site/delivery").status_code == 404
    assert bob.get("/schema/site/delivery").status_code == 404
    assert bob.patch(f"/records/base/project/{project['id']}",
                     {"version": 1, "data": {"project_name": "x"}}).status_code == 404
    assert bob.delete(f"/records/base/project/{project['id']}").status_code == 404
    assert bob.get(f"/records/base/project/{project['id']}/history").status_code == 404
    assert [m["name"] for m in bob.get("/modules").get_json()["modules"]] == ["base"]


def test_a_token_of_one_tenant_cannot_be_replayed_for_another(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "base")
    add_user(engine, a, "ann", "admin")
    token = login(client, a, "ann").headers["Authorization"].split()[1]
    forged = "other-tenant." + token.split(".", 1)[1]
    response = client.get("/api/v1/modules", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_login_errors_are_401_and_do_not_say_which_part_was_wrong(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "base")
    add_user(engine, a, "ann", "admin")
    for tenant_id, user, password in [(a, "ann", "wrong"), (a, "nobody", PASSWORD), ("ghost", "ann", PASSWORD)]:
        response = client.post("/api/v1/auth/token", json={"tenant": tenant_id, "username": user,
                                                           "password": password})
        assert response.status_code == 401
        assert response.get_json()["error"]["message"] == "wrong tenant, user name or password"
    assert client.get("/api/v1/modules").status_code == 401
    assert client.post("/api/v1/auth/token", data="{not json", content_type="application/json").status_code == 400


def test_revoked_tokens_stop_working(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "base")
    add_user(engine, a, "ann", "admin")
    ann = login(client, a, "ann")
    assert ann.get("/modules").status_code == 200
    assert ann.delete("/auth/token").status_code == 204
    assert ann.get("/modules").status_code == 401


def test_unlicensed_modules_are_refused_and_cannot_be_enabled(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "base", licensed=["base"])
    with engine.db.tenant(a) as session:
        try:
            tenancy.set_module_enabled(session, a, "site", True, engine.catalog.modules())
            raise AssertionError("enabling an unlicensed module must fail")
        except Exception as error:
            assert "not in tenant" in str(error)
    add_user(engine, a, "ann", "admin")
    ann = login(client, a, "ann")
    response = ann.get("/records/site/delivery")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_licensed"


def test_disabled_modules_disappear_but_keep_their_records(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "expense")
    add_user(engine, a, "ann", "admin")
    ann = login(client, a, "ann")
    assert {m["name"] for m in ann.get("/modules").get_json()["modules"]} == {"base", "expense"}
    with engine.db.tenant(a) as session:
        tenancy.set_module_enabled(session, a, "expense", False, engine.catalog.modules())
    assert ann.get("/records/expense/claim").status_code == 404
    with engine.db.tenant(a) as session:
        tenancy.set_module_enabled(session, a, "expense", True, engine.catalog.modules())
    assert ann.get("/records/expense/claim").status_code == 200


def test_unknown_routes_and_methods_answer_json(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "base")
    add_user(engine, a, "ann", "admin")
    ann = login(client, a, "ann")
    missing = ann.get("/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert ann.client.put("/api/v1/modules", headers=ann.headers).status_code == 405
    response = ann.get("/records/nope/thing")
    assert response.status_code == 404 and "not enabled" in response.get_json()["error"]["message"]


def test_openapi_documents_are_valid_openapi_3_1(engine: Formwork, client: FlaskClient) -> None:
    a = tenant_with(engine, "site", "expense")
    add_user(engine, a, "ann", "admin")
    public = client.get("/api/v1/openapi.json").get_json()
    validate(public)
    document = login(client, a, "ann").get("/openapi.json").get_json()
    validate(document)
    assert "/records/site/delivery" in document["paths"]
    assert "/records/base/project/{id}/history" in document["paths"]
