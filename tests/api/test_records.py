"""Records over HTTP: create, validate, compute, filter, sort, update with conflicts, hide, audit."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import tenancy
from engine.runtime import Formwork
from engine.security import audit
from tests.conftest import Api, add_user, api_creator, login, new_project, new_tenant_id


@pytest.fixture
def store(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "keeper", "storekeeper", "project_manager", "system_admin")
    return login(client, tenant, "keeper")


def make_project(api: Api, code: str = "P-001", **extra: object) -> dict:
    return new_project(api_creator(api), code, **extra)


def delivery(project_id: str, number: str = "D-1", **extra: object) -> dict:
    return {"number": number, "project": project_id, "delivered_on": "2024-05-02",
            "items": [{"material": "rebar", "qty": "2.5", "unit_price": "4000.10"},
                      {"material": "cement", "qty": 10, "unit_price": "35.55"}], **extra}


def said(response: TestResponse) -> list[dict[str, str]]:
    """Each field error's field and message (each also carries a code and params)."""
    return [{"field": e["field"], "message": e["message"]} for e in response.get_json()["errors"]]


def test_create_computes_fields_in_dependency_order(store: Api) -> None:
    project = make_project(store)
    too_precise = delivery(project["id"], items=[{"material": "cement", "qty": 10, "unit_price": "35.555"}])
    response = store.post("/records/site/delivery", too_precise)
    assert response.status_code == 422  # 35.555 has three decimals; money allows two
    assert said(response) == [{"field": "items[0].unit_price", "message": "allows at most 2 decimal places"}]
    response = store.post("/records/site/delivery", delivery(project["id"], discount_rate="10"))
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    data = record["data"]
    assert data["items"][0]["amount"] == "10000.25"
    assert data["items"][1]["amount"] == "355.50"
    assert data["total"] == "10355.75"
    assert data["payable"] == "9320.17"  # 10355.75 - round(1035.575, 2) = 10355.75 - 1035.58
    assert data["quantity_total"] == "12.500"
    assert data["is_large"] is False
    assert data["project_code"] == "P-001"
    assert data["grade"] == "b" and data["inspected"] is False  # defaults
    assert record["version"] == 1 and record["status"] == "draft" and record["created_by"] == "keeper"
    assert record["schema_version"] == "2.3.0"


def test_errors_come_back_field_by_field(store: Api) -> None:
    response = store.post("/records/site/delivery", {
        "number": "X" * 30, "project": "missing-id", "delivered_on": "not a date", "grade": "z",
        "crates": "1.5", "colour": "red", "items": [{"qty": -1}]})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert errors["delivered_on"].startswith("must be a date")
    assert errors["grade"] == "'z' is not one of a, b, c"
    assert errors["crates"] == "must be a whole number"
    assert errors["colour"].startswith("is not a field of Delivery")
    body = response.get_json()["error"]
    assert body["code"] == "invalid_record"
    response = store.post("/records/site/delivery", {
        "number": "X" * 30, "project": "missing-id", "delivered_on": "2024-01-01", "items": [{"qty": -1}]})
    errors = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert errors["number"] == "must be at most 20 characters (has 30)"
    assert errors["items[0].material"] == "is required"
    assert errors["items[0].qty"] == "must be at least 0"


def test_refs_must_exist_in_the_same_tenant(engine: Formwork, client: FlaskClient, store: Api) -> None:
    other = new_tenant_id()
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other)
        tenancy.set_module_enabled(session, other, "base", True, engine.catalog.modules())
    add_user(engine, other, "olga", "admin")
    foreign = make_project(login(client, other, "olga"), "OTHER-1")
    response = store.post("/records/site/delivery", delivery(foreign["id"]))
    assert response.status_code == 422
    assert any(e["field"] == "project" and "does not exist" in e["message"] for e in response.get_json()["errors"])


def test_rules_report_their_message(store: Api) -> None:
    project = make_project(store)
    response = store.post("/records/site/delivery", delivery(project["id"], discount_rate="150"))
    assert response.status_code == 422
    messages = [e["message"] for e in response.get_json()["errors"]]
    assert "must be a percentage between 0 and 100" in messages
    response = store.post("/records/site/delivery", delivery(project["id"], inspected=True, grade=None))
    errors = response.get_json()["errors"]
    assert {"field": "", "message": "An inspected delivery needs a grade", "code": "rule",
            "params": {"message": "An inspected delivery needs a grade"}} in errors


def test_unique_fields_are_unique_per_tenant(store: Api) -> None:
    project = make_project(store)
    assert store.post("/records/site/delivery", delivery(project["id"], "D-9")).status_code == 201
    response = store.post("/records/site/delivery", delivery(project["id"], "D-9"))
    assert response.status_code == 422
    assert said(response) == [{"field": "number", "message": "'D-9' is already used by another Delivery"}]


def test_update_needs_the_current_version(store: Api) -> None:
    project = make_project(store)
    record = store.post("/records/site/delivery", delivery(project["id"])).get_json()
    path = f"/records/site/delivery/{record['id']}"
    assert store.patch(path, {"data": {"supplier": "ACME"}}).status_code == 400
    first = store.patch(path, {"version": 1, "data": {"supplier": "ACME", "discount_rate": 50}})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["version"] == 2
    assert first.get_json()["data"]["payable"] == "5177.87"  # 10355.75 - round(5177.875, 2)
    stale = store.patch(path, {"version": 1, "data": {"supplier": "Other"}})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"
    assert store.get(path).get_json()["data"]["supplier"] == "ACME"


def test_filters_sort_and_pages_run_in_sql(store: Api) -> None:
    project = make_project(store)
    other = make_project(store, "P-002")
    start = date(2024, 3, 1)
    for index in range(12):
        body = delivery((project if index % 3 else other)["id"], f"D-{index:02d}",
                        delivered_on=(start + timedelta(days=index)).isoformat(),
                        items=[{"material": "sand", "qty": index + 1, "unit_price": "100"}])
        assert store.post("/records/site/delivery", body).status_code == 201
    listing = store.get("/records/site/delivery", query_string={
        "q": "total >= 500 and project.project_code == 'P-001'", "sort": "-total", "limit": 3, "offset": 1}).get_json()
    totals = [item["data"]["total"] for item in listing["items"]]
    assert listing["total"] == 6  # indexes 4,5,7,8,10,11 (multiples of 3 belong to P-002)
    assert totals == ["1100.00", "900.00", "800.00"]
    by_date = store.get("/records/site/delivery", query_string={
        "q": "delivered_on < date('2024-03-04')", "sort": "delivered_on"}).get_json()
    assert [i["data"]["number"] for i in by_date["items"]] == ["D-00", "D-01", "D-02"]
    default_sort = store.get("/records/site/delivery", query_string={"limit": 1}).get_json()
    assert default_sort["items"][0]["data"]["number"] == "D-11"  # the view's "-delivered_on"


@pytest.mark.parametrize(("query", "fragment"), [
    ({"q": "total >"}, "column"),
    ({"q": "totl > 1"}, "did you mean 'total'"),
    ({"q": "total"}, "bool"),
    ({"sort": "colour"}, "cannot sort by 'colour'"),
    ({"limit": "many"}, "'limit' must be a whole number"),
    ({"limit": 100000}, "between 1 and 500"),
])
def test_bad_list_queries_are_400_with_a_reason(store: Api, query: dict, fragment: str) -> None:
    response = store.get("/records/site/delivery", query_string=query)
    assert response.status_code == 400
    assert fragment in response.get_json()["error"]["message"]


def test_hidden_fields_stay_hidden_everywhere(engine: Formwork, tenant: str, client: FlaskClient,
                                             store: Api) -> None:
    project = make_project(store)
    record = store.post("/records/site/delivery", delivery(project["id"], supplier="ACME",
                                                         contract_price="99.00")).get_json()
    add_user(engine, tenant, "fred", "foreman")
    foreman = login(client, tenant, "fred")
    path = f"/records/site/delivery/{record['id']}"
    seen = foreman.get(path).get_json()["data"]
    assert "contract_price" not in seen and "supplier" not in seen and seen["total"] == "10355.75"
    listed = foreman.get("/records/site/delivery").get_json()["items"][0]["data"]
    assert "contract_price" not in listed
    history = foreman.get(path + "/history").get_json()["items"]
    assert history and all("contract_price" not in (e["after"] or {}) for e in history)
    schema = foreman.get("/schema/site/delivery").get_json()
    assert "contract_price" not in schema["properties"]["data"]["properties"]
    modules = foreman.get("/modules").get_json()["modules"]
    site = next(m for m in modules if m["name"] == "site")
    assert "supplier" not in site["entities"]["delivery"]["fields"]
    assert foreman.get("/records/site/delivery", query_string={"q": "contract_price > 1"}).status_code == 400
    assert foreman.post("/records/site/delivery", delivery(project["id"], "D-77")).status_code == 403
    assert foreman.patch(path, {"version": 1, "data": {"supplier": "x"}}).status_code == 403


def test_row_filters_limit_what_a_role_sees(engine: Formwork, tenant: str, client: FlaskClient,
                                           store: Api) -> None:
    project = make_project(store)
    mine = store.post("/records/site/delivery", delivery(project["id"], "MINE")).get_json()
    add_user(engine, tenant, "kate", "storekeeper")
    kate = login(client, tenant, "kate")
    assert kate.post("/records/site/delivery", delivery(project["id"], "KATE")).status_code == 201
    assert [i["data"]["number"] for i in kate.get("/records/site/delivery").get_json()["items"]] == ["KATE"]
    assert kate.get(f"/records/site/delivery/{mine['id']}").status_code == 404


def test_delete_is_soft_and_audited(store: Api, engine: Formwork, tenant: str) -> None:
    project = make_project(store)
    record = store.post("/records/site/delivery", delivery(project["id"])).get_json()
    path = f"/records/site/delivery/{record['id']}"
    assert store.delete(path).status_code == 204
    assert store.get(path).status_code == 404
    assert store.get("/records/site/delivery").get_json()["total"] == 0
    assert store.post("/records/site/delivery", delivery(project["id"])).status_code == 201  # number free again
    with engine.db.tenant(tenant) as session:
        actions = [e.action for e in audit.entries_for(session, tenant, "record", record["id"])]
        assert actions == ["record.create", "record.delete"]
        assert audit.verify(session, tenant) == []


def test_history_lists_who_changed_what(store: Api) -> None:
    project = make_project(store)
    record = store.post("/records/site/delivery", delivery(project["id"])).get_json()
    path = f"/records/site/delivery/{record['id']}"
    store.patch(path, {"version": 1, "data": {"supplier": "ACME"}})
    items = store.get(path + "/history").get_json()["items"]
    assert [i["action"] for i in items] == ["record.create", "record.update"]
    assert items[1]["actor"] == "keeper"
    assert items[1]["before"].get("supplier") is None and items[1]["after"]["supplier"] == "ACME"


def test_rule_when_and_field_readonly_and_min_length(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    """The permits fixture module (tests/fixtures/modules/permits)."""
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "permits", True, engine.catalog.modules())
    add_user(engine, tenant, "ann", "admin")
    ann = login(client, tenant, "ann")
    response = ann.post("/records/permits/permit", {"code": "P1", "hot_work": True, "issued_by": "me"})
    assert response.status_code == 422
    assert said(response) == [{"field": "issued_by", "message": "is read-only"}]
    response = ann.post("/records/permits/permit", {"code": "P1", "hot_work": True})
    assert {e["field"]: e["message"] for e in response.get_json()["errors"]} == {
        "code": "must be at least 4 characters"}
    response = ann.post("/records/permits/permit", {"code": "P-001", "hot_work": True})
    assert said(response) == [{"field": "watcher", "message": "Hot work needs a fire watcher"}]
    zh = ann.client.post("/api/v1/records/permits/permit", json={"code": "P-001", "hot_work": True},
                         headers={**ann.headers, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.get_json()["errors"][0]["message"] == "动火作业须有监护人"
    created = ann.post("/records/permits/permit", {"code": "P-002"}).get_json()
    assert created["data"] == {"code": "P-002", "hot_work": False, "issued_by": "safety office"}


def test_reports_aggregate_in_sql_with_the_readers_row_filter(engine: Formwork, tenant: str, client: FlaskClient,
                                                            store: Api) -> None:
    project = make_project(store)
    other = make_project(store, "P-002")
    for number, (proj, day, price) in enumerate([(project, "2024-03-05", "10.05"), (project, "2024-03-20", "20.10"),
                                                 (project, "2024-04-01", "1"), (other, "2024-03-09", "0.33")]):
        body = delivery(proj["id"], f"R-{number}", delivered_on=day,
                        items=[{"material": "m", "qty": 3, "unit_price": price}])
        assert store.post("/records/site/delivery", body).status_code == 201
    report = store.get("/reports/site/by_project_month").get_json()
    assert report["columns"] == ["project", "month_delivered_on", "deliveries", "total", "average", "largest"]
    rows = {(r[0], r[1]): r[2:] for r in report["rows"]}
    assert rows[(project["id"], 3)] == [2, "90.45", "45.23", "60.30"]  # avg 45.225 rounds half up
    assert rows[(project["id"], 4)] == [1, "3.00", "3.00", "3.00"]
    assert rows[(other["id"], 3)] == [1, "0.99", "0.99", "0.99"]
    narrowed = store.get("/reports/site/by_project_month", query_string={"q": "total > 50"}).get_json()
    assert narrowed["rows"] == [[project["id"], 3, 1, "60.30", "60.30", "60.30"]]
    add_user(engine, tenant, "kate", "storekeeper")
    assert login(client, tenant, "kate").get("/reports/site/by_project_month").get_json()["rows"] == []
    assert store.get("/reports/site/nope").status_code == 404
