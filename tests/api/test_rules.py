"""Value rules over the REST API and in the database: composite unique keys, warning rules,
auto-numbering and masked fields (the `rulebook` fixture module)."""
from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.counters import next_number
from engine.storage.indexes import index_names, unique_key_of
from engine.storage.models import Record
from tests.conftest import Api, add_user, all_at_once, errors_of, login, new_tenant_id

TICKETS = "/records/rulebook/ticket"


@pytest.fixture
def book(engine: Formwork) -> str:
    """A tenant with only the rulebook module, a clerk and a finance user."""
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "rulebook", True, engine.catalog.modules())
    add_user(engine, tenant_id, "clerk", "clerk")
    add_user(engine, tenant_id, "fin", "finance")
    return tenant_id


@pytest.fixture
def clerk(book: str, client: FlaskClient) -> Api:
    return login(client, book, "clerk")


@pytest.fixture
def site(clerk: Api) -> dict[str, Any]:
    response = clerk.post("/records/rulebook/site", {"code": "S01"})
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def ticket(site: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"site": site["id"], "work_date": "2024-05-01", "crew": "木工一班", "period": "2024-05", **extra}


def created(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(TICKETS, body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


# -- composite unique keys --------------------------------------------------------------------------


def test_a_composite_key_clash_names_its_fields_and_the_record_holding_them(clerk: Api, site: dict[str, Any]) -> None:
    first = created(clerk, ticket(site))
    message = errors_of(clerk.post(TICKETS, ticket(site)))["period"]
    assert message.startswith(f"site = {site['id']!r}, crew = '木工一班', period = '2024-05' is already used")
    assert first["data"]["ticket_no"] in message and first["id"] in message
    created(clerk, ticket(site, crew="钢筋班"))                  # another crew
    created(clerk, ticket(site, period="2024-06"))               # another month
    created(clerk, ticket(site, supplementary=True))             # the key holds where supplementary == false
    created(clerk, ticket(site, supplementary=True))
    assert clerk.delete(f"{TICKETS}/{first['id']}").status_code == 204
    created(clerk, ticket(site))                                 # only live records count


def test_a_clash_speaks_the_callers_language(clerk: Api, site: dict[str, Any]) -> None:
    created(clerk, ticket(site))
    response = clerk.client.post("/api/v1" + TICKETS, json=ticket(site),
                                 headers={**clerk.headers, "Accept-Language": "zh-CN"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "period"


def test_the_partial_unique_index_holds_in_the_database_per_tenant(engine: Formwork, book: str, clerk: Api,
                                                                  site: dict[str, Any]) -> None:
    first = created(clerk, ticket(site))
    with engine.db.platform() as session:
        assert "fw_rulebook__ticket__site__crew__period__u" in index_names(session.connection())
    spec = engine.catalog.modules()["rulebook"].entities["ticket"]

    def insert(tenant_id: str, **data: Any) -> None:
        with engine.db.tenant(tenant_id) as session:
            session.add(Record(id=f"raw-{new_tenant_id()}", module="rulebook", entity="ticket", schema_version="1.0.0",
                               status="draft", version=1, data={**first["data"], "ticket_no": new_tenant_id(), **data},
                               created_at=_now(), created_by="x", updated_at=_now(), updated_by="x"))

    with pytest.raises(IntegrityError) as clash:   # past the engine's check, the index refuses it
        insert(book)
    assert unique_key_of(spec, str(clash.value.orig)) == ("site", "crew", "period")
    insert(book, supplementary=True)                  # outside the index's condition
    insert(book, supplementary=True)
    other = new_tenant_id()
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other, plan="enterprise")
    insert(other)                                     # the same values in another tenant


# -- warning rules ---------------------------------------------------------------------------------


def test_a_warning_rule_saves_the_record_and_returns_its_warning(clerk: Api, site: dict[str, Any]) -> None:
    body = created(clerk, ticket(site, headcount=2, hours="9"))
    assert body["warnings"] == [{"rule": 2, "field": "hours", "message": "More than 4 overtime hours per person"}]
    assert body["status"] == "draft" and body["data"]["hours"] == "9.0"
    fixed = clerk.patch(f"{TICKETS}/{body['id']}", {"version": body["version"], "data": {"hours": "8"}})
    assert fixed.status_code == 200 and fixed.get_json()["warnings"] == []
    again = clerk.patch(f"{TICKETS}/{body['id']}", {"version": fixed.get_json()["version"], "data": {"hours": "8.5"}})
    assert [w["field"] for w in again.get_json()["warnings"]] == ["hours"]
    notes = [e["note"] for e in clerk.get(f"{TICKETS}/{body['id']}/history").get_json()["items"]]
    assert [n.partition("; warnings: ")[2] for n in notes] == [
        "More than 4 overtime hours per person", "", "More than 4 overtime hours per person"]


def test_error_rules_still_refuse_and_warnings_follow_the_language(clerk: Api, site: dict[str, Any]) -> None:
    refused = errors_of(clerk.post(TICKETS, ticket(site, headcount=0, hours="9")))
    assert refused == {"headcount": "The headcount must be positive"}   # no warning makes an error pass
    response = clerk.client.post("/api/v1" + TICKETS, json=ticket(site, headcount=1, hours="5"),
                                 headers={**clerk.headers, "Accept-Language": "zh"})
    assert response.status_code == 201 and response.get_json()["warnings"][0]["message"] == "加班超过每人4小时"


def test_the_openapi_document_describes_warnings(clerk: Api) -> None:
    document = clerk.get("/openapi.json").get_json()
    created_schema = document["paths"][TICKETS]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/RuleWarnings"} in [
        part.get("properties", {}).get("warnings") for part in created_schema["allOf"]]
    item = document["components"]["schemas"]["RuleWarnings"]["items"]
    assert set(item["properties"]) == {"rule", "conflict", "field", "message"}


# -- numbering -------------------------------------------------------------------------------------


def test_numbers_count_per_scope_and_cannot_be_written(clerk: Api, site: dict[str, Any]) -> None:
    numbers = [created(clerk, ticket(site, crew=f"c{n}"))["data"]["ticket_no"] for n in range(3)]
    assert numbers == ["T-S01-20240501-001", "T-S01-20240501-002", "T-S01-20240501-003"]
    next_day = created(clerk, ticket(site, crew="c9", work_date="2024-05-02"))
    assert next_day["data"]["ticket_no"] == "T-S01-20240502-001"   # the sequence counts per site and day
    refused = errors_of(clerk.post(TICKETS, ticket(site, crew="x", ticket_no="T-1")))
    assert refused["ticket_no"].startswith("is read-only: it is numbered automatically")
    update = clerk.patch(f"{TICKETS}/{next_day['id']}", {"version": 1, "data": {"ticket_no": "T-S01-X"}})
    assert errors_of(update)["ticket_no"].startswith("is read-only")
    same = clerk.patch(f"{TICKETS}/{next_day['id']}", {"version": 1, "data": {**next_day["data"], "note": "ok"}})
    assert same.status_code == 200 and same.get_json()["data"]["ticket_no"] == "T-S01-20240502-001"
    assert errors_of(clerk.post(TICKETS, {"site": site["id"], "crew": "y", "period": "2024-05"}))[
        "ticket_no"] == "is numbered from work_date: fill it in first"


def test_concurrent_creates_never_share_a_number(engine: Formwork, book: str, site: dict[str, Any]) -> None:
    actor = tenancy.Actor(book, "clerk", frozenset({"clerk"}))
    numbers: list[str] = []

    def create(index: int) -> None:
        with engine.records(actor) as records:
            made = records.create("rulebook", "ticket", ticket(site, crew=f"t{index}"))
        numbers.append(made["data"]["ticket_no"])

    assert not all_at_once(*(partial(create, i) for i in range(6)))
    assert sorted(numbers) == [f"T-S01-20240501-{n:03d}" for n in range(1, 7)]


def test_the_counter_row_is_locked_while_a_number_is_taken(engine: Formwork, book: str) -> None:
    """Without the audit lock around it: eight transactions taking numbers of one scope at once."""
    taken: list[int] = []

    def take() -> None:
        with engine.db.tenant(book) as session:
            taken.extend(next_number(session, book, "rulebook", "ticket", "ticket_no", "race-{seq}")
                         for _ in range(5))

    assert not all_at_once(*[take] * 8)
    assert sorted(taken) == list(range(1, 41))


def test_a_rolled_back_create_leaves_a_gap_not_a_duplicate(engine: Formwork, book: str,
                                                           site: dict[str, Any]) -> None:
    with engine.db.tenant(book) as session:
        assert next_number(session, book, "rulebook", "ticket", "ticket_no", "T-S01-20240701-{seq}") == 1
    actor = tenancy.Actor(book, "clerk", frozenset({"clerk"}))
    with engine.records(actor) as records:
        made = records.create("rulebook", "ticket", ticket(site, work_date="2024-07-01"))
    assert made["data"]["ticket_no"] == "T-S01-20240701-002"


def test_rules_reading_the_number_see_it_though_it_is_taken_last(clerk: Api) -> None:
    """The counter is asked once the record is sound (its row stays locked until the commit); the rules that read
    the number are checked with it, and a refusal gives the number back."""
    site = clerk.post("/records/rulebook/site", {"code": "S99"}).get_json()
    for _ in range(2):   # refused twice: the number taken the first time went back with the rollback
        refused = clerk.post(TICKETS, ticket(site, work_date="2024-05-09"))
        assert refused.status_code == 422, refused.get_json()
        assert errors_of(refused) == {"ticket_no": "This number is reserved"}
    warned = created(clerk, ticket(site, work_date="2024-05-10"))
    assert warned["data"]["ticket_no"] == "T-S99-20240510-001"
    assert warned["warnings"] == [{"rule": 4, "field": "ticket_no", "message": "This number needs a second look"}]


# -- masking ---------------------------------------------------------------------------------------


def test_masked_fields_are_masked_everywhere_for_other_roles(client: FlaskClient, book: str, clerk: Api,
                                                             site: dict[str, Any]) -> None:
    body = created(clerk, ticket(site, bank_account="6222 0200 0000 1234"))
    path = f"{TICKETS}/{body['id']}"
    assert body["data"]["bank_account"] == "6222 **** **** 1234"
    assert clerk.get(path).get_json()["data"]["bank_account"] == "6222 **** **** 1234"
    assert clerk.get(TICKETS).get_json()["items"][0]["data"]["bank_account"] == "6222 **** **** 1234"
    [entry] = clerk.get(f"{path}/history").get_json()["items"]
    assert entry["after"]["bank_account"] == "6222 **** **** 1234"
    finance = login(client, book, "fin")
    assert finance.get(path).get_json()["data"]["bank_account"] == "6222 0200 0000 1234"
    assert clerk.get(TICKETS, query_string={"q": "bank_account == '6222 0200 0000 1234'"}).status_code == 400
    assert clerk.get(TICKETS, query_string={"sort": "bank_account"}).status_code == 400
    assert finance.get(TICKETS, query_string={"sort": "bank_account"}).status_code == 200


def test_a_masked_value_sent_back_keeps_the_real_one(client: FlaskClient, book: str, clerk: Api,
                                                     site: dict[str, Any]) -> None:
    body = created(clerk, ticket(site, bank_account="6222020000001234"))
    path = f"{TICKETS}/{body['id']}"
    echoed = clerk.patch(path, {"version": 1, "data": {**body["data"], "note": "edited"}})
    assert echoed.status_code == 200, echoed.get_json()
    finance = login(client, book, "fin")
    assert finance.get(path).get_json()["data"]["bank_account"] == "6222020000001234"
    changed = clerk.patch(path, {"version": 2, "data": {"bank_account": "6228 4800 0000 0000 011"}})
    assert changed.get_json()["data"]["bank_account"] == "6228 **** **** ***0 011"
    assert finance.get(path).get_json()["data"]["bank_account"] == "6228 4800 0000 0000 011"


def _now() -> datetime:
    return datetime.now(UTC)
