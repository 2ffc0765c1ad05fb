"""The OpenAPI document lists every /api/v1 route of the app, with every status an operation answers."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from engine.runtime import Formwork
from engine.tenancy import plugin_registry
from tests.conftest import add_user, login

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
RECORDS = re.compile(r"^/records/[^/{]+/[^/{]+")   # one entity's record paths in a tenant's document


def routes_of(client: FlaskClient) -> set[tuple[str, str]]:
    """(method, path after /api/v1 with parameters as `{}`) of every /api/v1 route."""
    found = set()
    for rule in client.application.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule.rule.removeprefix("/api/v1"))
            found |= {(method, path) for method in (rule.methods or set()) & METHODS}
    return found


def operations_of(document: dict, module: str = "{module}", entity: str = "{entity}") -> set[tuple[str, str]]:
    found = set()
    for path, item in document["paths"].items():
        generic = re.sub(r"\{[^}]+\}", "{}", path.replace(f"/records/{module}/{entity}", "/records/{}/{}"))
        found |= {(method.upper(), generic) for method in item if method.upper() in METHODS}
    return found


def test_every_api_route_is_in_the_public_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert routes_of(client) - operations_of(document) == set()


def test_every_api_route_is_in_the_tenants_document(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    document = login(client, tenant, "ann").get("/openapi.json").get_json()
    validate(document)
    assert routes_of(client) - operations_of(document, "site", "delivery") == set()
    assert ("DELETE", "/auth/token") in operations_of(document)


def test_the_tenants_document_has_every_record_route_of_each_entity_it_may_use_and_no_other_path(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ann", "admin")
    document = login(client, tenant, "ann").get("/openapi.json").get_json()
    record_routes = {route for route in routes_of(client) if route[1].startswith("/records/{}/{}")}
    assert len(record_routes) == 15   # with POST ./import, GET ./import/template, ./remind, GET ./approval, ./{id}/pdf,
    #                                   GET and POST ./pdf
    with engine.db.tenant(tenant) as session:
        modules, _ = engine.tenant_modules(session, tenant)
    entities = [(module, entity) for module, spec in modules.items() for entity in spec.entities]
    assert ("site", "delivery") in entities and len(entities) > 20
    for module, entity in entities:
        assert record_routes - operations_of(document, module, entity) == set(), (module, entity)
    # and the other way round: each documented operation is a route of the app
    generic = {(method, RECORDS.sub("/records/{}/{}", path)) for method, path in operations_of(document)}
    assert generic - routes_of(client) == set()


def test_the_routes_of_a_loaded_plugin_are_in_both_documents(engine: Formwork, tenant: str,
                                                             client: FlaskClient) -> None:
    """The notify plugin (plugins/notify, installed by `make install`) serves /api/v1/notifications."""
    if "notify" not in plugin_registry.loaded():
        pytest.skip("the notify plugin is not installed (make install installs it)")
    plugin_routes = {("GET", "/notifications"), ("POST", "/notifications/{}/read")}
    assert plugin_routes <= routes_of(client)
    add_user(engine, tenant, "ann", "admin")
    tenants = login(client, tenant, "ann").get("/openapi.json").get_json()
    assert plugin_routes <= operations_of(client.get("/api/v1/openapi.json").get_json())
    assert plugin_routes <= operations_of(tenants)


def test_every_operation_documents_400_and_401_unless_public(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() not in METHODS:
                continue
            public = {} in operation.get("security", document["security"]) or operation.get("security") == []
            expected = {"400"} if public else {"400", "401"}
            assert expected <= set(operation["responses"]), (method, path)
