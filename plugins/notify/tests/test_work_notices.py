"""Work notices (DingTalk 工作通知, WeCom 应用消息) against a real local HTTP server standing in for both APIs."""
from __future__ import annotations

import json
import re
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from formwork_notify import plugin

from app import create_app
from engine import tenancy
from engine.errors import BadRequest
from engine.runtime import Formwork
from engine.storage.models import AuditEntry
from engine.tenancy import Actor, plugin_registry

PASSWORD = "secret-pw"
BASE_URL = "https://fw.example.com"
sys.path.insert(0, str(Path(__file__).parent))
from test_notify import BPMN, MODULE  # noqa: E402  the module and process of the notify tests

from tests.web.conftest import sign_in  # noqa: E402


class WorkApi:
    """DingTalk's and WeCom's token and message endpoints: hands out tokens for the right credentials, records
    each message it takes, and refuses the next `refuse_wecom` WeCom messages (a rate limit)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, list[str]], dict[str, Any]]] = []
        self.refuse_wecom = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                if url.path == "/gettoken" and query == {"appkey": ["dk"], "appsecret": ["ds"]}:
                    self._answer({"errcode": 0, "access_token": "ding-token", "expires_in": 7200})
                elif url.path == "/cgi-bin/gettoken" and query == {"corpid": ["ww1"], "corpsecret": ["cs"]}:
                    self._answer({"errcode": 0, "access_token": "wecom-token", "expires_in": 7200})
                else:
                    self._answer({"errcode": 40001, "errmsg": "invalid credential"})

            def do_POST(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if url.path == "/cgi-bin/message/send" and api.refuse_wecom:
                    api.refuse_wecom -= 1
                    self._answer({"errcode": 45009, "errmsg": "api freq out of limit"})
                    return
                api.messages.append((url.path, query, body))
                self._answer({"errcode": 0, "errmsg": "ok", "task_id": 1})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sent(self, path: str) -> list[tuple[dict[str, list[str]], dict[str, Any]]]:
        return [(query, body) for p, query, body in self.messages if p == path]


DINGTALK = "/topapi/message/corpconversation/asyncsend_v2"
WECOM = "/cgi-bin/message/send"


@pytest.fixture
def work_api() -> Iterator[WorkApi]:
    found = WorkApi()
    yield found
    found.server.shutdown()
    found.server.server_close()


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


def settings(api: str) -> dict[str, Any]:
    return {"base_url": BASE_URL,
            "dingtalk_work": {"agent_id": 2001, "app_key": "dk", "app_secret": "ds", "api_base": api,
                              "users": {"bob": "ding-bob"}},
            "wecom_work": {"agent_id": "1000002", "corp_id": "ww1", "corp_secret": "cs", "api_base": api,
                           "users": {"bob": "wc-bob"}}}


def setup_tenant(engine: Formwork, tenant: str, chosen: dict[str, Any]) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        tenancy.set_module_enabled(session, tenant, "notify_demo", True, engine.catalog.modules())
        tenancy.add_user(session, tenant, "ann", PASSWORD, ["applicant"])
        for manager in ("bob", "carl", "dan"):
            tenancy.add_user(session, tenant, manager, PASSWORD, ["manager"])
        plugin_registry.set_enabled(session, tenant, "notify", True, settings=chosen)


def token(client: Any, tenant: str, user: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"tenant": tenant, "username": user, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def submit(engine: Formwork, tenant: str, code: str, region: str = "east") -> dict[str, Any]:
    with engine.approvals(Actor(tenant, "ann", frozenset({"applicant"}))) as approvals:
        record = approvals.records.create("notify_demo", "request", {"code": code, "region": region})
        approvals.submit("notify_demo", "request", record["id"])
    return record


def work(engine: Formwork, hours: int = 0) -> None:
    engine.run_jobs(datetime.now(UTC) + timedelta(hours=hours))


def test_a_new_task_sends_one_work_notice_to_each_person_offered_it_and_a_retry_sends_nothing_twice(
        engine: Formwork, work_api: WorkApi) -> None:
    setup_tenant(engine, "work-a", settings(work_api.base))
    client = create_app(engine, TESTING=True).test_client()
    dan = token(client, "work-a", "dan")   # dan gives his own ids; carl gives none and is skipped
    saved = client.put("/api/v1/notifications/account", headers=dan, json={"dingtalk": "ding-dan", "wecom": "wc-dan"})
    assert saved.get_json() == {"dingtalk": "ding-dan", "wecom": "wc-dan"}
    assert client.put("/api/v1/notifications/account", headers=dan, json={"qq": "1"}).status_code == 400
    work_api.refuse_wecom = 1
    record = submit(engine, "work-a", "R-1")
    work(engine)

    [(query, ding)] = work_api.sent(DINGTALK)
    assert query == {"access_token": ["ding-token"]}
    assert ding["agent_id"] == 2001 and ding["userid_list"] == "ding-bob,ding-dan"
    [task] = client.get("/api/v1/tasks", headers=dan).get_json()["items"]
    link = f"{BASE_URL}/m/notify_demo/request/{record['id']}#task-{task['id']}"
    card = ding["msg"]["action_card"]
    assert ding["msg"]["msgtype"] == "action_card" and card["single_url"] == link
    assert "新待办" in card["title"] and "经理审批 Manager review" in card["markdown"]
    assert work_api.sent(WECOM) == []   # refused: the delivery failed and waits for its retry

    work(engine, hours=1)   # the job queue retries: WeCom now, DingTalk not again
    assert len(work_api.sent(DINGTALK)) == 1
    [(query, wecom)] = work_api.sent(WECOM)
    assert query == {"access_token": ["wecom-token"]}
    assert wecom["touser"] == "wc-bob|wc-dan" and wecom["agentid"] == 1000002 and wecom["msgtype"] == "textcard"
    assert wecom["textcard"]["url"] == link and "R-1" in wecom["textcard"]["description"]
    assert "#" not in wecom["textcard"]["description"] and "*" not in wecom["textcard"]["description"]
    work(engine, hours=2)
    assert len(work_api.messages) == 2

    bob = token(client, "work-a", "bob")   # 转交: the delegate alone is told
    delegated = client.post(f"/api/v1/tasks/{task['id']}/delegate", headers=bob, json={"to": "dan"})
    assert delegated.status_code == 200, delegated.get_json()
    work(engine)
    assert work_api.sent(DINGTALK)[-1][1]["userid_list"] == "ding-dan"
    assert work_api.sent(WECOM)[-1][1]["touser"] == "wc-dan"
    titles = [item["title"] for item in client.get("/api/v1/notifications", headers=dan).get_json()["items"]]
    assert titles.count("新待办 / New task: 经理审批 Manager review") == 2   # the role's notice and his own
    assert client.get("/api/v1/notifications", headers=dan).get_json()["unread"] == 2

    page = sign_in(create_app(engine, TESTING=True, SECRET_KEY="notify-pages").test_client(), "work-a", "dan",
                   language="zh", password=PASSWORD)
    header = page.text("/tasks")
    badge = r'class="tasks-link notify-link" href="/notifications".*?aria-label="2 条未读消息">2<'
    assert re.search(badge, header, re.S)
    listing = page.text("/notifications")
    assert listing.count("新待办 / New task: 经理审批 Manager review") == 2 and "共 2 条，2 条未读" in listing
    [first, _] = re.findall(r'action="(/notifications/[^"]+/open)"', listing)
    opened = page.post(first)
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/m/notify_demo/request/{record['id']}#task-{task['id']}"
    assert 'aria-label="1 条未读消息">1<' in page.text("/tasks")


def test_no_work_notice_for_a_task_whose_record_nobody_offered_it_may_read(engine: Formwork,
                                                                            work_api: WorkApi) -> None:
    setup_tenant(engine, "work-b", settings(work_api.base))
    submit(engine, "work-b", "R-W", region="west")   # managers read the east only
    work(engine)
    assert work_api.messages == []
    page = sign_in(create_app(engine, TESTING=True, SECRET_KEY="notify-pages").test_client(), "work-b", "dan",
                   password=PASSWORD)
    assert 'aria-label="0 unread notifications">0<' in page.text("/tasks")   # the role's notice is not his to read
    with engine.db.tenant("work-b") as session:
        plugin_registry.set_enabled(session, "work-b", "notify", False)
    assert "notify-link" not in page.text("/tasks")   # no badge where the plugin is off


def test_work_notice_settings_are_checked_and_their_secrets_never_shown(engine: Formwork) -> None:
    with engine.db.tenant("work-c") as session:
        tenancy.create_tenant(session, "work-c", plan="enterprise")
        no_link = {"dingtalk_work": {"agent_id": 1, "app_key": "k", "app_secret": "s"}}
        with pytest.raises(BadRequest, match="'base_url' is a dependency of 'dingtalk_work'"):
            plugin_registry.set_enabled(session, "work-c", "notify", True, settings=no_link)
        with pytest.raises(BadRequest, match="corp_secret"):
            plugin_registry.set_enabled(session, "work-c", "notify", True, settings={
                "base_url": BASE_URL, "wecom_work": {"agent_id": 1, "corp_id": "ww"}})
        plugin_registry.set_enabled(session, "work-c", "notify", True, settings=settings("http://127.0.0.1:9"))
    with engine.db.tenant("work-c") as session:
        entries = [entry.after for entry in session.query(AuditEntry).filter_by(action="plugin.enable")]
    assert entries[-1]["settings"]["dingtalk_work"]["app_secret"] == "***"
    assert entries[-1]["settings"]["wecom_work"]["corp_secret"] == "***"
