"""API errors carry a stable code and params beside the message: top-level `message_code`/`params`, and
`code`/`params` on each field error."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.core import error_codes
from engine.runtime import Formwork
from tests.api.test_records import delivery, make_project
from tests.api.test_rules import TICKETS, ticket
from tests.conftest import Api, add_user, login, new_tenant_id


@pytest.fixture
def store(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "keeper", "storekeeper", "project_manager", "system_admin")
    return login(client, tenant, "keeper")


def test_field_errors_carry_their_code_and_params(store: Api) -> None:
    project = make_project(store)
    body = delivery(project["id"], number="", items=[{"material": "sand", "qty": "-1"}])
    response = store.post("/records/site/delivery", body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["message_code"], error["params"]) == ("invalid_record", "invalid_record", {})
    assert response.get_json()["errors"] == [
        {"field": "number", "message": "is required", "code": "required", "params": {}},
        {"field": "items[0].qty", "message": "must be at least 0", "code": "min", "params": {"min": "0"}},
    ]
    for entry in response.get_json()["errors"]:
        assert error_codes.render(entry["code"], entry["params"]) == entry["message"]


def test_an_unknown_field_is_named_by_its_code(store: Api) -> None:
    project = make_project(store)
    response = store.post("/records/site/delivery", delivery(project["id"], colour="red"))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.get_json()["errors"]] == [("colour", "unknown_field")]


def test_every_field_error_has_a_code_and_params_even_before_it_is_named(store: Api) -> None:
    project = make_project(store)
    response = store.post("/records/site/delivery", delivery(project["id"], colour="red"))
    assert response.status_code == 422
    [entry] = response.get_json()["errors"]
    assert entry["field"] == "colour" and entry["message"].startswith("is not a field of Delivery")
    assert isinstance(entry["code"], str) and isinstance(entry["params"], dict)


def test_not_found_names_what_is_missing(store: Api) -> None:
    response = store.get("/reports/site/nope")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert (error["code"], error["message_code"]) == ("not_found", "report_not_found")
    assert error["params"]["module"] == "site" and error["params"]["name"] == "nope"
    assert error_codes.render(error["message_code"], error["params"]) == error["message"]


def test_forbidden_names_the_action_and_the_roles(engine: Formwork, tenant: str, client: FlaskClient,
                                                  store: Api) -> None:
    project = make_project(store)
    add_user(engine, tenant, "kate", "foreman")
    response = login(client, tenant, "kate").post("/records/site/delivery", delivery(project["id"]))
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert (error["code"], error["message_code"]) == ("forbidden", "action_forbidden")
    assert error["params"] == {"roles": "foreman", "action": "create", "entity": "Delivery"}
    assert error_codes.render(error["message_code"], error["params"]) == error["message"]


def test_a_conflict_keeps_its_code_and_adds_params(engine: Formwork, tenant: str, client: FlaskClient,
                                                   store: Api) -> None:
    add_user(engine, tenant, "boss", "admin")
    admin = login(client, tenant, "boss")
    response = admin.post("/designer/users", {"username": "keeper", "roles": []})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert (error["code"], error["message_code"]) == ("conflict", "user_exists")
    assert error["params"] == {"username": "keeper", "tenant_id": tenant}
    last = admin.post("/designer/users/boss/deactivate").get_json()["error"]
    assert (last["code"], last["message_code"]) == ("last_admin", "last_admin")  # a class code stays as it was
    assert last["params"] == {"what": "deactivate", "username": "boss"}


def test_a_stale_version_is_still_a_conflict(store: Api) -> None:
    project = make_project(store)
    record = store.post("/records/site/delivery", delivery(project["id"])).get_json()
    stale = store.patch(f"/records/site/delivery/{record['id']}", {"version": record["version"] + 5,
                                                                   "data": {"supplier": "Acme"}})
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "conflict" and isinstance(error["params"], dict) and error["message_code"]


def test_an_http_error_has_the_same_shape(store: Api) -> None:
    error = store.get("/no/such/route").get_json()["error"]
    assert (error["code"], error["message_code"]) == ("not_found", "http_404")   # a code of the tables: it has words
    assert error["params"] == {"path": "/api/v1/no/such/route", "method": "GET", "status": 404}


def test_the_record_service_names_its_errors(store: Api) -> None:
    project = make_project(store)
    record = store.post("/records/site/delivery", delivery(project["id"])).get_json()
    path = f"/records/site/delivery/{record['id']}"
    responses = {
        "module_not_enabled": store.get("/records/nosuch/delivery"),
        "entity_not_found": store.get("/records/site/delivry"),
        "record_not_found": store.get("/records/site/delivery/no-such-id"),
        "param_not_whole_number": store.get("/records/site/delivery?limit=many"),
        "param_out_of_range": store.get("/records/site/delivery?limit=0"),
        "version_missing": store.patch(path, {"data": {"supplier": "Acme"}}),
        "version_conflict": store.patch(path, {"version": record["version"] + 5, "data": {"supplier": "Acme"}}),
    }
    for code, response in responses.items():
        error = response.get_json()["error"]
        assert error["message_code"] == code, (code, error)
        assert error_codes.render(code, error["params"]) == error["message"]


def test_a_composite_key_clash_is_named_by_its_code(engine: Formwork, client: FlaskClient) -> None:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "rulebook", True, engine.catalog.modules())
    add_user(engine, tenant_id, "clerk", "clerk")
    clerk = login(client, tenant_id, "clerk")
    site = clerk.post("/records/rulebook/site", {"code": "S01"}).get_json()
    assert clerk.post(TICKETS, ticket(site)).status_code == 201
    [entry] = clerk.post(TICKETS, ticket(site)).get_json()["errors"]
    assert (entry["field"], entry["code"]) == ("period", "unique_key")
    assert error_codes.render(entry["code"], entry["params"]) == entry["message"]
    # in Chinese: the key's fields by label, a reference by its label alone, the holder by its title; no id
    response = clerk.client.post("/api/v1" + TICKETS, json=ticket(site),
                                 headers={**clerk.headers, "Accept-Language": "zh"})
    [said] = response.get_json()["errors"]
    assert "已被另一条" in said["message"] and site["id"] not in str(response.get_json()), said
    assert "site =" not in said["message"] and "period" not in said["message"], said
