"""Webhooks against a real local HTTP server: signature, retries with backoff, the delivery log, replay."""
from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1]))

from formwork_webhooks import DELIVERIES, plugin

from app import cli
from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import Actor, plugin_registry

SECRET = "s3cret-key"


class Receiver:
    """A local endpoint that records each request and answers with the next queued status (default 200)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formwork]:
    if plugin.name not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    formwork = Formwork(f"sqlite:///{tmp_path_factory.mktemp('db') / 'formwork.db'}")
    formwork.initialise()
    yield formwork
    formwork.db.dispose()


def subscribe(engine: Formwork, tenant: str, url: str, events: list[str]) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
        tenancy.set_module_enabled(session, tenant, "base", True, engine.catalog.modules())
        plugin_registry.set_enabled(session, tenant, "webhooks", True, settings={
            "subscriptions": [{"url": url, "events": events, "secret": SECRET}]})


def create_org_unit(engine: Formwork, tenant: str, code: str) -> dict[str, Any]:
    with engine.records(Actor(tenant, "admin", frozenset({"admin"}))) as records:
        return records.create("base", "org_unit", {"unit_code": code, "unit_name": f"Unit {code}"})


def work(engine: Formwork, hours: int = 0) -> None:
    engine.run_jobs(datetime.now(UTC) + timedelta(hours=hours))


def test_an_event_is_posted_as_signed_json(engine: Formwork, receiver: Receiver) -> None:
    subscribe(engine, "hooks-a", receiver.url, ["record.created"])
    created = create_org_unit(engine, "hooks-a", "HQ")
    work(engine)
    [(headers, body)] = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Formwork-Signature"] == expected
    assert headers["X-Formwork-Event"] == "record.created"
    payload = json.loads(body)
    assert (payload["event"], payload["tenant"], payload["module"], payload["entity"]) == (
        "record.created", "hooks-a", "base", "org_unit")
    assert payload["record"]["id"] == created["id"] and payload["record"]["unit_code"] == "HQ"
    [logged] = engine.plugins.store("webhooks", "hooks-a").list(DELIVERIES)
    assert (logged["state"], logged["response_code"]) == ("delivered", 200)


def test_a_failed_delivery_is_retried_with_backoff_and_logged(engine: Formwork, receiver: Receiver) -> None:
    subscribe(engine, "hooks-b", receiver.url, ["*"])
    receiver.statuses = [500]
    create_org_unit(engine, "hooks-b", "HQ")
    work(engine)
    assert len(receiver.requests) == 1
    work(engine)  # the retry waits for its backoff
    assert len(receiver.requests) == 1
    work(engine, hours=1)
    assert len(receiver.requests) == 2
    log = engine.plugins.store("webhooks", "hooks-b").list(DELIVERIES)
    assert sorted((item["state"], item["response_code"]) for item in log) == [("delivered", 200), ("failed", 500)]
    assert receiver.requests[0][1] == receiver.requests[1][1]  # the same body, so the same signature


def test_a_delivery_is_replayed_from_the_command_line(engine: Formwork, receiver: Receiver) -> None:
    subscribe(engine, "hooks-c", receiver.url, ["record.created"])
    create_org_unit(engine, "hooks-c", "HQ")
    work(engine)
    [first] = engine.plugins.store("webhooks", "hooks-c").list(DELIVERIES)
    runner = CliRunner()
    environment = {"FORMWORK_DATABASE_URL": engine.db.url}
    result = runner.invoke(cli, ["webhooks", "replay", "hooks-c", first["id"]], env=environment)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"replayed {first['id']} as ") and result.output.endswith(": delivered (200)\n")
    assert len(receiver.requests) == 2 and receiver.requests[1][1] == receiver.requests[0][1]
    listing = runner.invoke(cli, ["webhooks", "list", "hooks-c"], env=environment)
    assert listing.exit_code == 0 and listing.output.count("\tdelivered\t200\t") == 2
    missing = runner.invoke(cli, ["webhooks", "replay", "hooks-c", "nope"], env=environment)
    assert missing.exit_code == 1 and "hooks-c has no webhook delivery 'nope'" in missing.output
    anywhere = runner.invoke(cli, ["webhooks", "replay", first["id"]], env=environment)  # the tenant is found
    assert anywhere.exit_code == 0 and len(receiver.requests) == 3


def test_settings_are_checked_against_the_schema(engine: Formwork) -> None:
    with engine.db.tenant("hooks-d") as session:
        tenancy.create_tenant(session, "hooks-d")
        with pytest.raises(Exception, match="settings of plugin webhooks are invalid"):
            plugin_registry.set_enabled(session, "hooks-d", "webhooks", True, settings={
                "subscriptions": [{"url": "ftp://x", "events": ["record.exploded"], "secret": "short"}]})
