"""Record creation with an idempotency key: a retried send (a phone's draft after a lost answer) creates
nothing twice — not the record, its files, its approval run or its audit entry — over REST and the page form."""
from __future__ import annotations

import io
import json
import threading
import urllib.request
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.runtime import Formwork
from engine.storage.models import AuditEntry, Record, StoredFile
from engine.storage.workflow_models import ProcessInstance
from tests.browser import serving
from tests.conftest import Api, add_user, login
from tests.web.conftest import sign_in
from tests.web.test_pages import order_form, supplier_id

ESCALATING = "/records/visa/escalating"   # its approval starts on create


def send(api: Api, body: dict[str, Any], key: str, path: str = ESCALATING) -> Any:
    return api.client.post("/api/v1" + path, json=body, headers={**api.headers, "Idempotency-Key": key})


def counts(engine: Formwork, tenant: str, record_id: str, entity: str = "escalating") -> tuple[int, int, int]:
    """(records of the entity, approval runs of the record, audit entries of its creation)."""
    with engine.db.tenant(tenant) as session:
        records = session.scalar(select(func.count()).select_from(Record).where(
            Record.entity == entity, Record.deleted_at.is_(None)))
        runs = session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.record_id == record_id))
        created = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.target_id.contains(record_id), AuditEntry.action == "record.create"))
    return int(records or 0), int(runs or 0), int(created or 0)


def test_a_create_sent_twice_with_one_key_makes_one_record_one_run_one_audit_entry(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "sub", "manager")
    api = login(client, tenant, "sub")
    body = {"code": "V-once", "total": "100"}
    key = str(uuid.uuid4())
    first = send(api, body, key)
    assert first.status_code == 201 and "Idempotent-Replay" not in first.headers, first.get_json()
    record = first.get_json()
    assert record["status"] == "in_review"
    again = send(api, body, key)
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    assert again.get_json()["id"] == record["id"] and again.headers["Location"].endswith(record["id"])
    assert counts(engine, tenant, record["id"]) == (1, 1, 1)
    # without a key, the same body is a second record: the key, not the values, says "the same send"
    assert send(api, body, "").status_code == 201


def test_a_key_reused_for_other_values_or_another_entity_is_refused(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "sub", "manager")
    api = login(client, tenant, "sub")
    key = "draft-" + uuid.uuid4().hex
    record = send(api, {"code": "V-one", "total": "100"}, key).get_json()
    for body, path in (({"code": "V-one", "total": "999"}, ESCALATING),
                       ({"code": "V-one", "total": "100"}, "/records/visa/by_amount")):
        refused = send(api, body, key, path)
        assert refused.status_code == 409, refused.get_json()
        error = refused.get_json()["error"]
        assert error["message_code"] == "idempotency_key_reused" and key in error["message"]
        zh = api.client.post("/api/v1" + path, json=body,
                             headers={**api.headers, "Idempotency-Key": key, "Accept-Language": "zh-CN"})
        assert "幂等键" in zh.get_json()["error"]["message"]
    assert counts(engine, tenant, record["id"]) == (1, 1, 1)
    assert send(api, {"code": "V-two", "total": "1"}, "bad key with spaces").status_code == 400
    # keys belong to a user: another user's same key is a send of their own
    add_user(engine, tenant, "sub2", "manager")
    other = send(login(client, tenant, "sub2"), {"code": "V-one", "total": "100"}, key)
    assert other.status_code == 201 and other.get_json()["id"] != record["id"]


def test_a_refused_create_keeps_its_key_free_for_the_corrected_send(
        engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "sub", "manager")
    api = login(client, tenant, "sub")
    key = uuid.uuid4().hex
    invalid = send(api, {"code": "V-bad", "total": "-5"}, key)
    assert invalid.status_code == 422
    fixed = send(api, {"code": "V-bad", "total": "5"}, key)
    assert fixed.status_code == 201, fixed.get_json()


def test_a_form_sent_twice_with_its_key_stores_one_record_and_its_files_once(
        engine: Formwork, app: Flask, shop: str) -> None:
    visitor = sign_in(app.test_client(), shop, "clerk")
    html = visitor.text("/m/formshop/order/new")
    assert 'name="_idempotency_key"' in html
    supplier = supplier_id(visitor, "Acme 建材")
    key = uuid.uuid4().hex

    def post(number: str = "PO-ONCE") -> Any:
        form = [*order_form(number, supplier), ("_idempotency_key", key),
                ("contract", (io.BytesIO(b"%PDF-1.4 scan"), "scan.pdf", "application/pdf"))]
        return visitor.post("/m/formshop/order/new", form)

    def stored() -> tuple[int, int]:
        with engine.db.tenant(shop) as session:
            files = session.scalar(select(func.count()).select_from(StoredFile))
            orders = session.scalar(select(func.count()).select_from(Record).where(Record.entity == "order"))
        return int(orders or 0), int(files or 0)

    first = post()
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    assert stored() == (1, 1)
    again = post()
    assert again.status_code == 302 and again.location == first.location
    assert stored() == (1, 1)
    assert "nothing was created twice" in visitor.text(again.location)
    other = post("PO-OTHER")
    assert other.status_code == 409 and "idempotency key" in other.get_data(as_text=True)
    assert stored() == (1, 1)


def test_two_sends_racing_with_one_key_make_one_record(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    """Two threads against a real server: whichever transaction commits first creates, the other replays it."""
    add_user(engine, tenant, "sub", "manager")
    token = login(client, tenant, "sub").headers["Authorization"]
    app = client.application
    key = uuid.uuid4().hex
    answers: list[tuple[int, str]] = []
    with serving(app, engine) as base:
        def post() -> None:
            request = urllib.request.Request(base + "/api/v1" + ESCALATING, method="POST",
                                             data=json.dumps({"code": "V-race", "total": "7"}).encode(),
                                             headers={"Authorization": token, "Content-Type": "application/json",
                                                      "Idempotency-Key": key})
            with urllib.request.urlopen(request, timeout=60) as response:
                answers.append((response.status, json.loads(response.read())["id"]))

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    assert sorted(status for status, _ in answers) == [200, 200, 200, 201]
    assert len({record_id for _, record_id in answers}) == 1
    assert counts(engine, tenant, answers[0][1]) == (1, 1, 1)
