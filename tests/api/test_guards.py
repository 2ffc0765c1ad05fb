"""Snapshots, task facts and guards over the REST API and the approval endpoints (the `guardbook` fixture
module): `freeze: submit|create`, `task_fact`, `on: submit` rules, membership rules, `readonly_when` and
`append_only` (administrators refused too)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import AuditEntry
from tests.conftest import Api, add_user, decide, errors_of, login, new_tenant_id

SITES, SHEETS, LINES, ENTRIES = ("/records/guardbook/" + name for name in ("site", "sheet", "sheet_line", "entry"))


@pytest.fixture
def book(engine: Formwork) -> str:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
        tenancy.set_module_enabled(session, tenant_id, "guardbook", True, engine.catalog.modules())
    for name, role in (("clerk", "clerk"), ("stranger", "clerk"), ("boss", "manager"), ("root", "admin")):
        add_user(engine, tenant_id, name, role)
    return tenant_id


@pytest.fixture
def people(book: str, client: FlaskClient) -> dict[str, Api]:
    return {name: login(client, book, name) for name in ("clerk", "stranger", "boss", "root")}


def created(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def updated(api: Api, path: str, record: dict[str, Any], data: dict[str, Any]) -> Any:
    return api.patch(f"{path}/{record['id']}", {"version": record["version"], "data": data})


@pytest.fixture
def site(people: dict[str, Api]) -> dict[str, Any]:
    return created(people["clerk"], SITES, {"code": "S1", "rate": "100", "members": [{"user": "clerk"}]})


def sheet(people: dict[str, Api], site: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return created(people["clerk"], SHEETS, {"code": "A", "site": site["id"], "qty": "2",
                                             "lines": [{"item": "bricks"}], **extra})


def set_rate(people: dict[str, Api], site: dict[str, Any], rate: str) -> dict[str, Any]:
    current = people["clerk"].get(f"{SITES}/{site['id']}").get_json()
    response = updated(people["clerk"], SITES, current, {"rate": rate})
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def read(api: Api, path: str, record: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"{path}/{record['id']}")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


# -- freeze -------------------------------------------------------------------------------------------


def test_a_submit_frozen_field_follows_its_source_in_draft_and_keeps_the_submitted_value(
        people: dict[str, Api], site: dict[str, Any]) -> None:
    first = sheet(people, site)
    assert first["data"]["price"] == "100.00" and first["data"]["amount"] == "200.00"
    set_rate(people, site, "120")
    draft = updated(people["clerk"], SHEETS, first, {"qty": "3"}).get_json()
    assert draft["data"]["price"] == "120.00" and draft["data"]["amount"] == "360.00"  # a draft recomputes
    set_rate(people, site, "130")  # changed after the last save, before the submission: the snapshot takes it
    submitted = people["clerk"].post(f"{SHEETS}/{first['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "in_review"
    assert submitted.get_json()["data"]["price"] == "130.00"
    set_rate(people, site, "999")  # after the submission the source moves; the document keeps its price
    kept = decide(people["boss"], first["id"])
    assert kept["status"] == "approved"
    assert kept["data"]["price"] == "130.00" and kept["data"]["amount"] == "390.00"
    assert read(people["clerk"], SHEETS, first)["data"]["price"] == "130.00"


def test_a_create_frozen_field_is_computed_once(people: dict[str, Api], site: dict[str, Any]) -> None:
    first = sheet(people, site)
    assert first["data"]["rate_at_create"] == "100.00"
    set_rate(people, site, "150")
    again = updated(people["clerk"], SHEETS, first, {"qty": "5"}).get_json()
    assert again["data"]["rate_at_create"] == "100.00" and again["data"]["price"] == "150.00"


def test_the_daily_scan_refreshes_a_draft_but_leaves_a_submitted_snapshot(engine: Formwork, book: str,
                                                                         people: dict[str, Api],
                                                                         site: dict[str, Any]) -> None:
    draft = sheet(people, site, code="D", due_date="2024-01-01")
    submitted = sheet(people, site, code="S", due_date="2024-01-01")
    assert people["clerk"].post(f"{SHEETS}/{submitted['id']}/submit").status_code == 200
    taken = read(people["clerk"], SHEETS, submitted)["data"]["days_overdue"]
    assert taken > 0
    engine.scan([book], date(2100, 1, 1))
    assert read(people["clerk"], SHEETS, draft)["data"]["days_overdue"] == (date(2100, 1, 1) - date(2024, 1, 1)).days
    assert read(people["clerk"], SHEETS, submitted)["data"]["days_overdue"] == taken


# -- task facts ---------------------------------------------------------------------------------------


def test_the_actor_and_time_of_a_task_are_written_to_its_fields(people: dict[str, Api],
                                                                 site: dict[str, Any]) -> None:
    first = sheet(people, site)
    assert people["clerk"].post(f"{SHEETS}/{first['id']}/submit").status_code == 200
    before = datetime.now(UTC)
    done = decide(people["boss"], first["id"])
    signed_at = datetime.fromisoformat(done["data"]["signed_at"])
    assert done["data"]["signer"] == "boss"
    assert before - timedelta(seconds=5) <= signed_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert done["data"]["signed_on"] == signed_at.date().isoformat()


def test_a_task_fact_is_read_only_for_users(people: dict[str, Api], site: dict[str, Any]) -> None:
    first = sheet(people, site)
    assert errors_of(updated(people["clerk"], SHEETS, first, {"signer": "clerk"}))["signer"] == "is read-only"
    response = people["clerk"].post(SHEETS, {"code": "B", "site": site["id"], "qty": "1",
                                             "signed_at": "2024-05-01T08:00:00"})
    assert errors_of(response)["signed_at"] == "is read-only"


def test_a_returned_task_writes_no_fact(people: dict[str, Api], site: dict[str, Any]) -> None:
    first = sheet(people, site)
    assert people["clerk"].post(f"{SHEETS}/{first['id']}/submit").status_code == 200
    returned = decide(people["boss"], first["id"], "return")
    assert returned["status"] == "returned" and "signer" not in returned["data"]


# -- submit-time rules --------------------------------------------------------------------------------


def test_a_submit_rule_refuses_the_submission_not_the_draft(people: dict[str, Api], site: dict[str, Any]) -> None:
    empty = created(people["clerk"], SHEETS, {"code": "E", "site": site["id"], "qty": "1"})  # saved as a draft
    assert empty["status"] == "draft" and empty["data"]["line_count"] == 0
    refused = people["clerk"].post(f"{SHEETS}/{empty['id']}/submit")
    assert refused.status_code == 422, refused.get_json()
    assert [e["message"] for e in refused.get_json()["errors"]] == ["At least one line"]
    assert read(people["clerk"], SHEETS, empty)["status"] == "draft"
    fixed = updated(people["clerk"], SHEETS, empty, {"lines": [{"item": "sand"}]})
    assert fixed.status_code == 200, fixed.get_json()
    assert people["clerk"].post(f"{SHEETS}/{empty['id']}/submit").status_code == 200


# -- membership ---------------------------------------------------------------------------------------


def test_a_membership_rule_reads_the_acting_user(people: dict[str, Api], site: dict[str, Any]) -> None:
    response = people["stranger"].post(SHEETS, {"code": "X", "site": site["id"], "qty": "1"})
    assert errors_of(response)["site"] == "You are not a member of the site"
    assert sheet(people, site)["status"] == "draft"


# -- readonly_when ------------------------------------------------------------------------------------


def test_lines_are_locked_with_their_header_for_administrators_too(people: dict[str, Api],
                                                                   site: dict[str, Any]) -> None:
    header = sheet(people, site)
    line = created(people["clerk"], LINES, {"sheet": header["id"], "note": "first"})
    assert updated(people["clerk"], LINES, line, {"note": "edited"}).status_code == 200  # the header is a draft
    line = read(people["clerk"], LINES, line)
    assert people["clerk"].post(f"{SHEETS}/{header['id']}/submit").status_code == 200
    for api in (people["clerk"], people["root"]):
        refused = updated(api, LINES, line, {"note": "late"})
        assert refused.status_code == 409, refused.get_json()
        error = refused.get_json()["error"]
        assert error["message_code"] == "record_read_only_when"
        assert "is read-only (sheet.status not in" in error["message"]
        assert api.delete(f"{LINES}/{line['id']}").status_code == 409
    added = people["root"].post(LINES, {"sheet": header["id"], "note": "new"})
    assert added.status_code == 409 and added.get_json()["error"]["message_code"] == "record_read_only_when_create"
    assert read(people["clerk"], LINES, line)["data"]["note"] == "edited"


def test_a_returned_header_unlocks_its_lines(people: dict[str, Api], site: dict[str, Any]) -> None:
    header = sheet(people, site)
    line = created(people["clerk"], LINES, {"sheet": header["id"], "note": "first"})
    assert people["clerk"].post(f"{SHEETS}/{header['id']}/submit").status_code == 200
    decide(people["boss"], header["id"], "return")
    assert updated(people["clerk"], LINES, line, {"note": "fixed"}).status_code == 200


# -- append_only --------------------------------------------------------------------------------------


def test_an_append_only_entity_refuses_updates_and_deletes_by_anyone(engine: Formwork, book: str,
                                                                     people: dict[str, Api]) -> None:
    entry = created(people["clerk"], ENTRIES, {"amount": "50"})
    for api in (people["clerk"], people["root"]):
        refused = updated(api, ENTRIES, entry, {"amount": "60"})
        assert refused.status_code == 409, refused.get_json()
        assert refused.get_json()["error"]["message_code"] == "record_append_only"
        assert "append-only" in refused.get_json()["error"]["message"]
        assert api.delete(f"{ENTRIES}/{entry['id']}").status_code == 409
    reversal = created(people["root"], ENTRIES, {"amount": "-50", "reverses": entry["id"]})
    assert reversal["data"]["reverses"] == entry["id"]
    assert read(people["clerk"], ENTRIES, entry)["data"]["amount"] == "50.00"
    with engine.db.tenant(book) as session:
        actions = {a.action for a in session.query(AuditEntry).filter(AuditEntry.target_id == entry["id"])}
    assert actions == {"record.create"}
