"""What a restricted user reads back by other paths than a list: masked table columns in records and their history,
and the records a unique key or a declared conflict names in its message (only the ones the user may read)."""
from __future__ import annotations

from typing import Any

import pytest

from engine import tenancy
from engine.errors import RecordInvalid
from engine.runtime import Formwork
from engine.tenancy import Actor
from tests.conftest import add_user

PHONE = "13800000001"


@pytest.fixture
def vault(engine: Formwork, tenant: str) -> dict[str, Any]:
    """The vault fixture module enabled: a team at the north site (the member's rows) and a secret one at the south
    site; the actors by role."""
    with engine.db.tenant(tenant) as session:
        tenancy.set_module_enabled(session, tenant, "vault", True, engine.catalog.modules())
    admin = add_user(engine, tenant, "root", "admin")
    with engine.records(admin) as records:
        north = records.create("vault", "team", {"name": "north crew", "site": "north", "slot": "1",
                                                 "day": "2024-05-01", "roster": [{"worker": "ann", "phone": PHONE}]})
        south = records.create("vault", "team", {"name": "Operation Nightjar", "site": "south", "slot": "7",
                                                 "day": "2024-05-02", "crew_code": "X"})
    return {"admin": admin, "member": add_user(engine, tenant, "mia", "member"),
            "boss": add_user(engine, tenant, "bo", "boss"), "clerk": add_user(engine, tenant, "cy", "clerk"),
            "north": north, "south": south}


def test_a_masked_table_column_is_masked_in_the_record_and_its_history(engine: Formwork,
                                                                        vault: dict[str, Any]) -> None:
    north = vault["north"]["id"]
    with engine.records(vault["member"]) as records:
        shown = records.get("vault", "team", north)["data"]["roster"]
        history = records.history("vault", "team", north)
    assert shown == [{"worker": "ann", "phone": "138******01"}], shown
    assert PHONE not in str(history) and "138******01" in str(history), history
    with engine.records(vault["boss"]) as records:
        assert records.get("vault", "team", north)["data"]["roster"][0]["phone"] == PHONE


def test_a_masked_table_column_is_masked_in_list_answers(engine: Formwork, vault: dict[str, Any]) -> None:
    with engine.records(vault["member"]) as records:
        items = records.find("vault", "team").items
    assert PHONE not in str(items) and [i["data"]["roster"][0]["phone"] for i in items] == ["138******01"]


def _refusal(engine: Formwork, actor: Actor, data: dict[str, Any]) -> str:
    with engine.records(actor) as records, pytest.raises(RecordInvalid) as refused:
        records.create("vault", "team", data)
    return str([(e.field, e.message) for e in refused.value.errors])


def test_a_unique_key_clash_names_no_record_the_user_may_not_read(engine: Formwork, vault: dict[str, Any]) -> None:
    message = _refusal(engine, vault["member"], {"name": "mine", "site": "south", "slot": "7"})
    assert "already used" in message, message
    assert "Nightjar" not in message and vault["south"]["id"] not in message, message
    readable = _refusal(engine, vault["member"], {"name": "mine", "site": "north", "slot": "1"})
    assert "north crew" in readable and vault["north"]["id"] in readable, readable   # one they may read is named


def test_a_conflict_names_no_record_the_user_may_not_read(engine: Formwork, vault: dict[str, Any]) -> None:
    message = _refusal(engine, vault["member"], {"name": "mine", "site": "south", "day": "2024-05-02"})
    assert "another Team" in message, message
    assert "Nightjar" not in message and vault["south"]["id"] not in message, message
    readable = _refusal(engine, vault["member"], {"name": "mine", "site": "north", "day": "2024-05-01"})
    assert "north crew" in readable, readable


def test_a_masked_table_column_sent_back_as_read_keeps_its_real_value(engine: Formwork,
                                                                      vault: dict[str, Any]) -> None:
    north = vault["north"]["id"]
    with engine.records(vault["member"]) as records:
        read = records.get("vault", "team", north)
        roster = [*read["data"]["roster"], {"worker": "bob", "phone": "13900000002"}]
        records.update("vault", "team", north, {"roster": roster}, read["version"])
    with engine.records(vault["boss"]) as records:
        phones = [row["phone"] for row in records.get("vault", "team", north)["data"]["roster"]]
    assert phones == [PHONE, "13900000002"], phones


def test_a_conflict_warning_in_the_history_keeps_no_title_or_value_of_it(engine: Formwork,
                                                                          vault: dict[str, Any]) -> None:
    with engine.records(vault["admin"]) as records:
        written = records.create("vault", "team", {"name": "north two", "site": "north", "day": "2024-06-01",
                                                   "crew_code": "X"})
    assert "Nightjar" in str(written["warnings"])          # the administrator may read the other team
    with engine.records(vault["member"]) as records:
        history = records.history("vault", "team", written["id"])
        own = records.create("vault", "team", {"name": "north three", "site": "north", "day": "2024-06-02",
                                                "crew_code": "X"})
    assert history and "Nightjar" not in str(history) and "'X'" not in history[0]["note"], history
    # the warning stays for the auditors, naming the other record by id only and its fields without their values
    assert history[0]["note"].endswith(f"warnings: another Team has crew_code: id {vault['south']['id']}"), history
    assert "Nightjar" not in str(own["warnings"]) and "another Team" in str(own["warnings"]), own["warnings"]


def test_a_clash_message_quotes_no_hidden_value_of_the_users_own_record(engine: Formwork,
                                                                       vault: dict[str, Any]) -> None:
    with engine.records(vault["admin"]) as records:
        slot = records.create("vault", "team", {"name": "A", "site": "north", "slot": "7", "day": "2024-07-01"})
        day = records.create("vault", "team", {"name": "B", "site": "north", "slot": "8", "day": "2024-05-02"})
    for record, hidden in ((slot, "'7'"), (day, "2024-05-02")):
        with engine.records(vault["clerk"]) as records, pytest.raises(RecordInvalid) as refused:
            records.update("vault", "team", record["id"], {"site": "south"}, record["version"])
        message = str([(e.field, e.message) for e in refused.value.errors])
        assert "south" in message and hidden not in message, message
