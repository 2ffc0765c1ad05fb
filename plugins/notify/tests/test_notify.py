"""Notify end to end: in-app inbox over the API, DingTalk/WeCom robots on a local HTTP server, SMTP via aiosmtpd."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).parents[1]))

from formwork_notify import plugin
from formwork_notify.channels import dingtalk_url

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import Actor, plugin_registry

PASSWORD = "secret-pw"
MODULE = """\
module: notify_demo
version: 1.0.0
title: {zh: 请款, en: Requests}
roles: {applicant: {zh: 申请人, en: Applicant}, manager: {zh: 经理, en: Manager}}
entities:
  request:
    title: {zh: 请款单, en: Request}
    title_field: code
    fields:
      code: {type: text, required: true, label: {zh: 单号, en: No.}}
      region: {type: text, default: east, label: {zh: 区域, en: Region}}
    permissions: {applicant: {actions: [create, read, submit]}, manager: {actions: [read], rows: "region == 'east'"}}
    workflow: {process: request.bpmn}
"""
BPMN = """\
<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="request" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="经理审批 Manager review" camunda:candidateGroups="manager" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="approved" />
    <bpmn:endEvent id="approved" />
  </bpmn:process>
</bpmn:definitions>
"""


class Robot:
    """A local group-robot endpoint: records path, query and JSON of each message, answers errcode 0."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, list[str]], dict[str, Any]]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urllib.parse.urlsplit(self.path)
                robot.received.append((url.path, urllib.parse.parse_qs(url.query), body))
                payload = b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def robot() -> Iterator[Robot]:
    found = Robot()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:  # a free port: the controller checks it can connect before returning
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    if plugin.name not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    folder = tmp_path_factory.mktemp("notify_demo")
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    (folder / "request.bpmn").write_text(BPMN, encoding="utf-8")
    formwork = Formwork(f"sqlite:///{tmp_path_factory.mktemp('db') / 'formwork.db'}")
    formwork.initialise()
    formwork.catalog.install(folder)
    yield formwork
    formwork.db.dispose()


def setup_tenant(engine: Formwork, tenant: str, settings: dict[str, Any]) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        tenancy.set_module_enabled(session, tenant, "notify_demo", True, engine.catalog.modules())
        tenancy.add_user(session, tenant, "ann", PASSWORD, ["applicant"])
        tenancy.add_user(session, tenant, "bob", PASSWORD, ["manager"])
        plugin_registry.set_enabled(session, tenant, "notify", True, settings=settings)


def token(client: Any, tenant: str, user: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"tenant": tenant, "username": user, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_a_new_task_and_its_decision_reach_the_inbox_the_robots_and_the_mail(
        engine: Formwork, robot: Robot, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    setup_tenant(engine, "notify-a", {
        "dingtalk": {"webhook": f"{robot.base}/robot/send?access_token=abc", "secret": "SECdemo"},
        "wecom": {"webhook": f"{robot.base}/cgi-bin/webhook/send?key=k1"},
        "email": {"host": "127.0.0.1", "port": port, "sender": "formwork@example.com", "to": ["pm@example.com"]}})
    with engine.approvals(Actor("notify-a", "ann", frozenset({"applicant"}))) as approvals:
        record = approvals.records.create("notify_demo", "request", {"code": "R-1"})
        approvals.submit("notify_demo", "request", record["id"])
    engine.run_jobs()

    dingtalk, wecom = sorted(robot.received, key=lambda r: r[0] != "/robot/send")
    assert dingtalk[2]["msgtype"] == "markdown" and "新待办 / New task" in dingtalk[2]["markdown"]["title"]
    assert "经理审批 Manager review" in dingtalk[2]["markdown"]["text"]
    timestamp, sign = dingtalk[1]["timestamp"][0], dingtalk[1]["sign"][0]
    expected = base64.b64encode(hmac.new(b"SECdemo", f"{timestamp}\nSECdemo".encode(), hashlib.sha256).digest())
    assert sign == expected.decode() and dingtalk[1]["access_token"] == ["abc"]
    assert wecom[0] == "/cgi-bin/webhook/send" and wecom[1]["key"] == ["k1"]
    assert wecom[2]["msgtype"] == "markdown" and "notify_demo.request R-1" in wecom[2]["markdown"]["content"]
    [mail] = box.messages
    assert mail["To"] == "pm@example.com" and "New task" in str(make_header(decode_header(mail["Subject"])))

    client = create_app(engine, TESTING=True).test_client()
    bob = token(client, "notify-a", "bob")
    inbox = client.get("/api/v1/notifications", headers=bob).get_json()
    assert inbox["unread"] == 1 and inbox["items"][0]["record_id"] == record["id"]
    item_id = inbox["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{item_id}/read", headers=bob).get_json()["read"] is True
    assert client.get("/api/v1/notifications", headers=bob).get_json()["unread"] == 0
    ann = token(client, "notify-a", "ann")
    assert client.get("/api/v1/notifications", headers=ann).get_json()["items"] == []
    assert client.post(f"/api/v1/notifications/{item_id}/read", headers=ann).status_code == 404
    assert client.get("/api/v1/notifications").status_code == 401

    [task] = [t for t in client.get("/api/v1/tasks", headers=bob).get_json()["items"]]
    client.post(f"/api/v1/tasks/{task['id']}/complete", headers=bob, json={"decision": "approve", "comment": "ok"})
    engine.run_jobs()
    titles = [item["title"] for item in client.get("/api/v1/notifications", headers=ann).get_json()["items"]]
    assert sorted(titles) == ["审批意见 / Decision: 经理审批 Manager review 同意 / approved",
                              "审批结束 / Approval finished: notify_demo.request R-1 → approved"]


def test_a_role_notice_reaches_only_holders_who_may_read_its_record(engine: Formwork) -> None:
    setup_tenant(engine, "notify-b", {})
    with engine.approvals(Actor("notify-b", "ann", frozenset({"applicant"}))) as approvals:
        for code, region in (("R-E", "east"), ("R-W", "west")):
            record = approvals.records.create("notify_demo", "request", {"code": code, "region": region})
            approvals.submit("notify_demo", "request", record["id"])
    engine.run_jobs()
    stored = engine.plugins.store("notify", "notify-b").list("notifications", owner=["role:manager"], limit=10)
    assert len(stored) == 2   # both notices were written for the role ...

    client = create_app(engine, TESTING=True).test_client()
    bob = token(client, "notify-b", "bob")
    items = client.get("/api/v1/notifications", headers=bob).get_json()["items"]
    assert [item["body"].rsplit(" ", 1)[-1] for item in items] == ["R-E"]   # ... bob reads only the east one
    west = next(item for item in stored if "R-W" in item["body"])
    assert client.post(f"/api/v1/notifications/{west['id']}/read", headers=bob).status_code == 404


def test_a_signed_dingtalk_url_keeps_its_access_token() -> None:
    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC1", now_ms=1700000000000)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["access_token"] == ["t"] and query["timestamp"] == ["1700000000000"]
    assert dingtalk_url("https://x/robot/send?access_token=t", None) == "https://x/robot/send?access_token=t"
