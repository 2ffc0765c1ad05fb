"""Declared conflicts over the REST API: another live record with the same fields (and an overlapping date
range) refuses a save or warns (the `clashbook` fixture module)."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from engine import tenancy
from engine.core.actor import Actor
from engine.runtime import Formwork
from engine.storage.models import Record
from engine.storage.queries import Clash, RecordQuery
from tests.conftest import Api, add_user, errors_of, login, new_tenant_id

RATES = "/records/clashbook/rate"
TICKETS = "/records/clashbook/ticket"


def clashbook_tenant(engine: Formwork) -> str:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "clashbook", True, engine.catalog.modules())
    add_user(engine, tenant_id, "clerk", "clerk")
    return tenant_id


@pytest.fixture
def book(engine: Formwork) -> str:
    return clashbook_tenant(engine)


@pytest.fixture
def clerk(book: str, client: FlaskClient) -> Api:
    return login(client, book, "clerk")


def created(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def rate(no: str, start: str | None, end: str | None, **extra: Any) -> dict[str, Any]:
    return {"rate_no": no, "crew": "木工一班", "valid_from": start, "valid_to": end, **extra}


def ticket(no: str, **extra: Any) -> dict[str, Any]:
    return {"ticket_no": no, "crew": "木工一班", "work_date": "2024-05-01", "location": "3#楼5层", **extra}


def set_status(engine: Formwork, tenant_id: str, record_id: str, status: str) -> None:
    """Where an approval would have left the record (the fixture module declares none)."""
    with engine.db.tenant(tenant_id) as session:
        session.execute(update(Record).where(Record.id == record_id).values(status=status))


# -- error conflicts: overlapping validity ---------------------------------------------------------


def test_an_overlapping_range_is_refused_on_the_first_match_field_naming_the_other_record(clerk: Api) -> None:
    first = created(clerk, RATES, rate("R-1", "2024-01-01", "2024-06-30"))
    errors = errors_of(clerk.post(RATES, rate("R-2", "2024-06-30", "2024-12-31")))
    assert list(errors) == ["crew"]
    assert errors["crew"] == (f"another Rate has crew = '木工一班', company = None and an overlapping "
                              f"valid_from–valid_to period: 'R-1' (id {first['id']})")
    errors_of(clerk.post(RATES, rate("R-3", "2023-01-01", "2025-01-01")))     # contains it
    errors_of(clerk.post(RATES, rate("R-4", "2024-03-01", "2024-03-31")))     # inside it


def test_adjacent_ranges_and_other_match_values_are_accepted(clerk: Api) -> None:
    created(clerk, RATES, rate("R-1", "2024-01-01", "2024-06-30"))
    created(clerk, RATES, rate("R-2", "2024-07-01", "2024-12-31"))            # the day after
    created(clerk, RATES, rate("R-3", "2023-01-01", "2023-12-31"))            # the year before
    created(clerk, RATES, rate("R-4", "2024-03-01", "2024-03-31", crew="钢筋班"))
    created(clerk, RATES, rate("R-5", "2024-03-01", "2024-03-31", company="劳务甲"))  # empty matches empty only


def test_an_empty_bound_is_open_on_either_side(clerk: Api) -> None:
    created(clerk, RATES, rate("R-1", "2024-01-01", None))                    # in force from 2024 on
    errors_of(clerk.post(RATES, rate("R-2", "2030-01-01", "2030-12-31")))
    errors_of(clerk.post(RATES, rate("R-3", None, "2024-01-01")))
    errors_of(clerk.post(RATES, rate("R-4", None, None)))
    created(clerk, RATES, rate("R-5", None, "2023-12-31"))                    # open start, ends before
    errors_of(clerk.post(RATES, rate("R-6", "2023-06-01", "2023-06-30")))     # now meets R-5
    created(clerk, RATES, rate("R-7", "2023-06-01", "2023-06-30", company="劳务甲"))


def test_a_record_never_clashes_with_itself_and_edits_are_checked(clerk: Api) -> None:
    first = created(clerk, RATES, rate("R-1", "2024-01-01", "2024-06-30"))
    second = created(clerk, RATES, rate("R-2", "2024-07-01", "2024-12-31"))
    same = clerk.patch(f"{RATES}/{first['id']}", {"version": first["version"], "data": {"valid_to": "2024-06-15"}})
    assert same.status_code == 200, same.get_json()
    moved = clerk.patch(f"{RATES}/{second['id']}", {"version": second["version"], "data": {"valid_from": "2024-06-01"}})
    assert "'R-1'" in errors_of(moved)["crew"]


def test_rejected_and_deleted_records_do_not_count(engine: Formwork, book: str, clerk: Api) -> None:
    first = created(clerk, RATES, rate("R-1", "2024-01-01", "2024-12-31"))
    set_status(engine, book, first["id"], "rejected")
    second = created(clerk, RATES, rate("R-2", "2024-01-01", "2024-12-31"))
    errors_of(clerk.post(RATES, rate("R-3", "2024-05-01", "2024-05-31")))
    assert clerk.delete(f"{RATES}/{second['id']}").status_code == 204
    created(clerk, RATES, rate("R-3", "2024-05-01", "2024-05-31"))


def test_a_clash_speaks_the_callers_language(clerk: Api) -> None:
    first = created(clerk, RATES, rate("R-1", "2024-01-01", "2024-12-31"))
    response = clerk.client.post("/api/v1" + RATES, json=rate("R-2", "2024-01-01", "2024-12-31"),
                                 headers={**clerk.headers, "Accept-Language": "zh"})
    # in Chinese: labels, not keys; 为空, not None; the other record by its title, no id
    assert errors_of(response)["crew"] == ("已有相同（班组=木工一班、劳务公司为空）且生效日期至失效日期期间重叠的单价："
                                           "「R-1」")
    assert first["id"] not in str(response.get_json())


# -- warning conflicts: duplicate tickets ----------------------------------------------------------


def test_a_duplicate_ticket_warns_and_is_saved(clerk: Api) -> None:
    first = created(clerk, TICKETS, ticket("T-1"))
    assert first["warnings"] == []
    second = created(clerk, TICKETS, ticket("T-2"))
    assert second["warnings"] == [{"rule": None, "conflict": 1, "field": "crew",
                                   "message": f"Possible duplicate ('T-1' (id {first['id']}))"}]
    assert clerk.get(f"{TICKETS}/{second['id']}").status_code == 200
    assert created(clerk, TICKETS, ticket("T-3", location="3#楼6层"))["warnings"] == []
    assert created(clerk, TICKETS, ticket("T-4", work_date="2024-05-02"))["warnings"] == []
    notes = [e["note"] for e in clerk.get(f"{TICKETS}/{second['id']}/history").get_json()["items"]]
    assert notes[0].endswith(f"; warnings: Possible duplicate (id {first['id']})")   # readers of the history vary


def test_voided_tickets_do_not_count_and_the_oldest_clash_is_named(engine: Formwork, book: str, clerk: Api) -> None:
    first = created(clerk, TICKETS, ticket("T-1"))
    set_status(engine, book, first["id"], "voided")
    second = created(clerk, TICKETS, ticket("T-2"))
    assert second["warnings"] == []
    third = created(clerk, TICKETS, ticket("T-3"))
    assert [w["message"] for w in third["warnings"]] == [f"Possible duplicate ('T-2' (id {second['id']}))"]
    fixed = clerk.patch(f"{TICKETS}/{third['id']}", {"version": third["version"], "data": {"location": "2#楼"}})
    assert fixed.status_code == 200 and fixed.get_json()["warnings"] == []


def test_other_tenants_records_never_count(engine: Formwork, client: FlaskClient, clerk: Api) -> None:
    created(clerk, RATES, rate("R-1", "2024-01-01", "2024-12-31"))
    created(clerk, TICKETS, ticket("T-1"))
    other = login(client, clashbook_tenant(engine), "clerk")
    created(other, RATES, rate("R-1", "2024-01-01", "2024-12-31"))
    assert created(other, TICKETS, ticket("T-1"))["warnings"] == []


def test_several_checks_in_one_query_see_only_the_tenants_own_records(engine: Formwork, book: str,
                                                                      client: FlaskClient, clerk: Api) -> None:
    """The checks of one record go to the database as one UNION ALL: each part keeps to the tenant and finds the
    oldest clash of its own check (here the same check twice, and one that matches nothing)."""
    other = clashbook_tenant(engine)
    theirs = created(login(client, other, "clerk"), TICKETS, ticket("T-0"))
    mine = [created(clerk, TICKETS, ticket(f"T-{n}")) for n in (1, 2)]
    same = Clash({"crew": "木工一班", "work_date": "2024-05-01", "location": "3#楼5层"})
    nowhere = Clash({"crew": "木工一班", "work_date": "2024-05-01", "location": "nowhere"})
    for tenant_id, expected, next_one in ((book, mine[0]["id"], mine[1]["id"]), (other, theirs["id"], None)):
        with engine.records(Actor(tenant_id, "clerk", frozenset({"clerk"}))) as records:
            entity = records.entity("clashbook", "ticket")
            query = RecordQuery(records.session, entity, records.evaluation(entity))
            found = query.conflicting_each([same, nowhere, same], exclude_id=None)
            assert [row.id if row is not None else None for row in found] == [expected, None, expected]
            excluded = query.conflicting_each([same, same], exclude_id=expected)
            assert [row.id if row is not None else None for row in excluded] == [next_one, next_one]
