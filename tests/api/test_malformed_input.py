"""Malformed input answers 4xx with a clear message, never a 500: numbers, offsets, null tables,
lone surrogates, NUL characters and deeply nested JSON (SQLite and PostgreSQL)."""
from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from engine.errors import RecordInvalid
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import Api, add_user, api_creator, errors_of, login, new_project


@pytest.fixture
def store(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "keeper", "storekeeper", "project_manager", "system_admin")
    return login(client, tenant, "keeper")


def delivery(project_id: str, **extra: object) -> dict[str, object]:
    return {"number": "D-1", "project": project_id, "delivered_on": "2024-05-02",
            "items": [{"material": "rebar", "qty": "2.5", "unit_price": "4000.10"}], **extra}


def post_raw(api: Api, path: str, text: str):  # type: ignore[no-untyped-def]
    return api.client.post("/api/v1" + path, headers=api.headers, data=text.encode("utf-8", "surrogatepass"),
                           content_type="application/json")


def test_a_number_of_more_than_28_digits_is_a_field_error(store: Api) -> None:
    project = new_project(api_creator(store))
    sent = delivery(project["id"], contract_price="1" + "0" * 40, crates=10 ** 40, discount_rate="1e999999",
                    items=[{"material": "rebar", "qty": "1e-999999", "unit_price": "1" + "0" * 26}])
    errors = errors_of(store.post("/records/site/delivery", sent))
    assert errors["contract_price"] == "is too large: at most 26 digits before the decimal point"
    assert errors["crates"] == "is too large: at most 28 digits before the decimal point"
    assert errors["discount_rate"] == "is too large: at most 26 digits before the decimal point"
    assert errors["items[0].qty"] == "allows at most 3 decimal places"
    assert errors["items[0].unit_price"] == "is too large: at most 26 digits before the decimal point"


def test_a_computed_number_too_large_to_round_is_a_field_error(store: Api) -> None:
    project = new_project(api_creator(store))
    huge = "9" * 22
    sent = delivery(project["id"], items=[{"material": "rebar", "qty": huge, "unit_price": huge}])
    errors = errors_of(store.post("/records/site/delivery", sent))
    assert "needs more than 28 digits" in errors["items[0].amount"]


@pytest.mark.parametrize("offset", [str(2 ** 63), str(2 ** 31), "9" * 30])
def test_an_offset_past_the_largest_is_a_400(store: Api, offset: str) -> None:
    response = store.get("/records/site/delivery", query_string={"offset": offset})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["message"] == f"'offset' must be between 0 and 2147483647, not {offset}"


def test_the_largest_offset_lists_nothing(store: Api) -> None:
    response = store.get("/records/site/delivery", query_string={"offset": 2 ** 31 - 1})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == []


def test_a_table_sent_as_null_has_no_rows(store: Api) -> None:
    project = new_project(api_creator(store))
    response = store.post("/records/site/delivery", delivery(project["id"], items=None))
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert "items" not in record["data"] and record["data"]["total"] == "0.00"
    response = store.patch(f"/records/site/delivery/{record['id']}", {"version": 1, "data": {"items": None}})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("text", ['{"number": "\\ud800"}', '{"\\udfff": 1}', '{"data": {"number": ["a\\ud83d"]}}'])
def test_a_lone_surrogate_in_json_is_a_400(store: Api, text: str) -> None:
    response = post_raw(store, "/records/site/delivery", text)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "lone surrogate" in response.get_json()["error"]["message"]


def test_a_surrogate_pair_in_json_is_one_character(store: Api) -> None:
    project = new_project(api_creator(store))
    body = json.dumps(delivery(project["id"], supplier="砖厂 😀"), ensure_ascii=True)
    response = post_raw(store, "/records/site/delivery", body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["supplier"] == "砖厂 😀"


@pytest.mark.parametrize("depth", [2000, 200, 100_000])
def test_json_nested_too_deep_is_a_400(store: Api, depth: int) -> None:
    response = post_raw(store, "/records/site/delivery", '{"number": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["message"] == "the JSON body is nested more than 32 levels deep"


@pytest.mark.parametrize(("text", "message"), [
    ('{"version": 1e999}', "the JSON body at $.version has a number too large to compute with"),
    ('{"crates": NaN}', "the JSON body has NaN, which JSON does not allow: send a number"),
    ('{"crates": -Infinity}', "the JSON body has -Infinity, which JSON does not allow: send a number")])
def test_numbers_json_does_not_have_are_a_400(store: Api, text: str, message: str) -> None:
    response = store.client.patch("/api/v1/records/site/delivery/x", headers=store.headers, data=text,
                                  content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["message"] == message


def test_an_overlay_nested_too_deep_is_a_problem(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "ada", "admin")
    ada = login(client, tenant, "ada")
    response = ada.post("/designer/site/validate", {"overlay": "overlay: site\nx: " + "[" * 5000 + "]" * 5000})
    assert response.status_code == 200, response.get_json()
    problems = [p["message"] for p in response.get_json()["problems"]]
    assert problems == ["the document is nested more than 64 levels deep"]


def test_a_nul_character_in_a_json_body_is_a_400(store: Api, client: FlaskClient, tenant: str) -> None:
    project = new_project(api_creator(store))
    response = store.post("/records/site/delivery", delivery(project["id"], number="D\x00-1"))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["message"] == "the JSON body at $.number has a NUL character; remove it"
    response = client.post("/api/v1/auth/token", json={"tenant": tenant + "\x00", "username": "keeper",
                                                       "password": "x"})
    assert response.status_code == 400, response.get_json()


@pytest.mark.parametrize("path", ["/records/site/delivery/a%00b", "/records/site/delivery?q=number%3D%3D%27a%00%27",
                                  "/records/site/delivery?sort=%00", "/designer/users/a%00b"])
def test_a_nul_character_in_the_url_is_a_400(store: Api, path: str) -> None:
    response = store.get(path)
    assert response.status_code == 400, response.get_json()
    assert "NUL character" in response.get_json()["error"]["message"]


def test_a_nul_character_in_a_token_is_a_401(client: FlaskClient, tenant: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tenant}\x00.x"})
    assert response.status_code in (400, 401), response.get_json()


def test_a_text_value_with_a_nul_character_is_invalid(engine: Formwork, tenant: str) -> None:
    """The engine refuses NUL in text for every channel (forms, Excel imports), not only the REST API."""
    actor = Actor(tenant, "keeper", frozenset({"storekeeper", "project_manager", "system_admin"}))
    with engine.records(actor) as service, pytest.raises(RecordInvalid) as raised:
        service.create("site", "delivery", {"number": "D\x00-1", "supplier": "a\x00"})
    found = {e.field: e.message for e in raised.value.errors}
    assert found["number"] == found["supplier"] == "must not contain NUL characters"
