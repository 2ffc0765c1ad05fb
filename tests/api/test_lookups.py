"""Lookups that read this record over the REST API (the `meters` fixture module): `this.<field>` in a lookup's
where (one ref hop further too), lists of lookups tried in order, `null` matching an empty field, `fill`
formulas in dependency order, readonly lookups copied at each save while the record is editable, and a
lookup into its own entity that never finds the record being saved."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, update

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import Record
from tests.conftest import Api, add_user, errors_of, login, new_tenant_id

BASE = "/records/meters"


@pytest.fixture
def reader(engine: Formwork, client: FlaskClient) -> tuple[Api, str]:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "meters", True, engine.catalog.modules())
    add_user(engine, tenant_id, "ann", "reader")
    return login(client, tenant_id, "ann"), tenant_id


def created(api: Api, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"{BASE}/{entity}", body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def test_a_reading_is_priced_from_its_meters_tariff_else_its_sites(reader: tuple[Api, str]) -> None:
    api, _tenant = reader
    north, south = (created(api, "site", {"name": name})["id"] for name in ("north", "south"))
    m1 = created(api, "meter", {"code": "M1", "site": north})["id"]
    m2 = created(api, "meter", {"code": "M2", "site": north})["id"]
    m3 = created(api, "meter", {"code": "M3", "site": south})["id"]
    created(api, "tariff", {"meter": m1, "price": "2", "valid_from": "2024-01-01", "valid_to": "2024-03-31"})
    created(api, "tariff", {"meter": m1, "price": "3", "valid_from": "2024-04-01"})
    created(api, "tariff", {"site": north, "price": "5", "valid_from": "2024-01-01"})   # the site's, no meter

    def reading(meter: str, day: str, value: str, **extra: Any) -> dict[str, Any]:
        body = {"meter": meter, "read_on": day, "value": value, **extra}
        data: dict[str, Any] = created(api, "reading", body)["data"]
        return data

    march, april = reading(m1, "2024-03-15", "10"), reading(m1, "2024-04-15", "30")
    assert (march["site"], march["tariff"], march["price"], march["cost"]) == (north, "2.00", "2.00", "20.00")
    assert (april["previous"], april["used"], april["tariff"], april["cost"]) == ("10.0", "20.0", "3.00", "60.00")
    fallback = reading(m2, "2024-03-15", "7")
    assert (fallback["tariff"], fallback["cost"]) == ("5.00", "35.00")     # no tariff of its own: the site's
    assert "tariff" not in reading(m3, "2024-03-15", "7")                   # south has none
    assert "tariff" not in reading(m1, "2023-12-31", "1")                   # before any tariff: nothing in force
    typed = reading(m2, "2024-03-16", "9", price="4.5")
    assert (typed["tariff"], typed["price"], typed["cost"]) == ("5.00", "4.50", "9.00")   # a typed value is kept


def test_lookups_that_wait_for_no_fill_are_asked_in_one_statement_each_in_its_tenant(
        engine: Formwork, reader: tuple[Api, str]) -> None:
    """A reading with its site given looks up its previous reading and its tariff in one statement (neither reads
    a field the save fills); without it the tariff waits for the site's fill. Each branch of that statement stays in
    the tenant: another tenant's readings and tariffs of the same meter are never found."""
    api, _tenant = reader
    north = created(api, "site", {"name": "north"})["id"]
    m1, m2 = (created(api, "meter", {"code": code, "site": north})["id"] for code in ("M1", "M2"))
    created(api, "tariff", {"meter": m1, "price": "2", "valid_from": "2024-01-01", "valid_to": "2024-03-31"})
    created(api, "tariff", {"meter": m1, "price": "3", "valid_from": "2024-04-01"})
    created(api, "tariff", {"site": north, "price": "5", "valid_from": "2024-01-01"})
    created(api, "reading", {"meter": m1, "read_on": "2024-03-15", "value": "10", "site": north})
    other = new_tenant_id()   # the same meter's newer reading and dearer tariff, in another tenant
    with engine.db.tenant(other) as session:
        tenancy.create_tenant(session, other, plan="enterprise")
        moment = datetime.now(UTC)
        for entity, data in (("reading", {"meter": m1, "site": north, "read_on": "2024-04-10", "value": "999.0"}),
                             ("tariff", {"meter": m1, "price": "9.00", "valid_from": "2024-04-02"})):
            session.add(Record(tenant_id=other, id=str(uuid.uuid4()), module="meters", entity=entity,
                               schema_version="1.0.0", status="draft", version=1, data=data, created_at=moment,
                               created_by="x", updated_at=moment, updated_by="x"))
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "UNION ALL" in statement and "'tariff'" in statement and "'reading'" in statement:
            seen.append(statement)  # the two lookups asked together

    event.listen(engine.db.engine, "before_cursor_execute", keep)
    try:
        together = created(api, "reading", {"meter": m1, "read_on": "2024-04-15", "value": "30", "site": north})
        asked, seen[:] = list(seen), []
        in_turn = created(api, "reading", {"meter": m1, "read_on": "2024-04-16", "value": "35"})
        waited, seen[:] = list(seen), []
        fallback = created(api, "reading", {"meter": m2, "read_on": "2024-04-16", "value": "7", "site": north})
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", keep)
    data = together["data"]
    assert (data["previous"], data["tariff"], data["cost"]) == ("10.0", "3.00", "60.00")
    assert (in_turn["data"]["previous"], in_turn["data"]["tariff"], in_turn["data"]["site"]) == ("30.0", "3.00", north)
    assert (fallback["data"]["tariff"], "previous" in fallback["data"]) == ("5.00", False)
    assert (len(asked), waited, len(seen)) == (1, [], 1)


def test_a_lookup_into_its_own_entity_never_finds_the_record_being_saved(reader: tuple[Api, str]) -> None:
    api, _tenant = reader
    site = created(api, "site", {"name": "north"})["id"]
    meter = created(api, "meter", {"code": "M1", "site": site})["id"]
    first = created(api, "reading", {"meter": meter, "read_on": "2024-05-01", "value": "100"})
    assert "previous" not in first["data"]
    second = created(api, "reading", {"meter": meter, "read_on": "2024-05-02", "value": "150"})
    assert (second["data"]["previous"], second["data"]["used"]) == ("100.0", "50.0")
    saved = api.patch(f"{BASE}/reading/{second['id']}", {"version": second["version"], "data": {"value": "160"}})
    assert saved.status_code == 200, saved.get_json()
    assert (saved.get_json()["data"]["previous"], saved.get_json()["data"]["used"]) == ("100.0", "60.0")
    again = api.patch(f"{BASE}/reading/{first['id']}", {"version": first["version"], "data": {"value": "90"}})
    assert "previous" not in again.get_json()["data"]                      # not itself, not the later one


def test_a_readonly_lookup_is_copied_while_editable_and_kept_afterwards(engine: Formwork,
                                                                         reader: tuple[Api, str]) -> None:
    api, tenant_id = reader
    site = created(api, "site", {"name": "north"})["id"]
    meter = created(api, "meter", {"code": "M1", "site": site})["id"]
    draft = created(api, "reading", {"meter": meter, "read_on": "2024-05-01", "value": "100"})
    assert errors_of(api.post(f"{BASE}/reading", {"meter": meter, "read_on": "2024-05-01", "value": "1",
                                                  "tariff": "9"})) == {"tariff": "is read-only"}
    created(api, "tariff", {"site": site, "price": "5", "valid_from": "2024-01-01"})
    saved = api.patch(f"{BASE}/reading/{draft['id']}", {"version": draft["version"], "data": {"value": "101"}})
    assert (saved.get_json()["data"]["tariff"], saved.get_json()["data"]["price"]) == ("5.00", "5.00")
    with engine.db.tenant(tenant_id) as session:    # where an approval would leave it (the module declares none)
        session.execute(update(Record).where(Record.id == draft["id"]).values(status="returned"))
    created(api, "tariff", {"meter": meter, "price": "7", "valid_from": "2024-01-01"})
    returned = api.patch(f"{BASE}/reading/{draft['id']}", {"version": saved.get_json()["version"],
                                                           "data": {"value": "102"}})
    assert returned.get_json()["data"]["tariff"] == "7.00"                 # returned to its author: copied again
    assert returned.get_json()["data"]["price"] == "5.00"                  # filled once, then kept
    with engine.db.tenant(tenant_id) as session:
        session.execute(update(Record).where(Record.id == draft["id"]).values(status="approved"))
    created(api, "tariff", {"meter": meter, "price": "9", "valid_from": "2024-02-01"})   # a newer agreement
    assert created(api, "reading", {"meter": meter, "read_on": "2024-05-02", "value": "1"})["data"]["tariff"] == "9.00"
    boss = add_user(engine, tenant_id, "boss", "admin")
    with engine.records(boss) as records:   # recomputing the approved reading (the daily scan does) keeps its copy
        entity = records.entity("meters", "reading")
        assert records.recompute(entity, records.visible_row(entity, draft["id"])) is False
        assert records.get("meters", "reading", draft["id"])["data"]["tariff"] == "7.00"
