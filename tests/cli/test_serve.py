"""`formwork init`, `demo` and `serve` as `make run` uses them, spoken to over real HTTP."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_cli import FORMWORK, ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What `make run` has: the default SQLite database in a fresh instance folder."""
    found = {**os.environ, "FORMWORK_INSTANCE": str(tmp_path_factory.mktemp("instance"))}
    found.pop("FORMWORK_DATABASE_URL", None)
    return found


@pytest.fixture(scope="module")
def server(environment: dict[str, str]) -> Iterator[str]:
    # demo twice: it must be idempotent. The first writes a month of tickets through the engine, 30 s on an idle
    # machine and several times that beside the rest of the suite: the limit only catches a hang
    for step in (["init"], ["demo"], ["demo"]):
        subprocess.run([FORMWORK, *step], env=environment, cwd=ROOT, check=True, capture_output=True, timeout=900)
    port = free_port()
    process = subprocess.Popen([FORMWORK, "serve", "--port", str(port)], env=environment, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_demo_tenant_works_over_http(server: str) -> None:
    status, body = call("POST", server + "/auth/token", {"tenant": "demo", "username": "alice", "password": "demo1234"})
    assert status == 201
    alice = body["token"]
    status, claims = call("GET", server + "/records/expense/claim", token=alice)
    assert status == 200 and claims["total"] == 0  # applicants see their own claims only
    _, admin = call("POST", server + "/auth/token", {"tenant": "demo", "username": "admin", "password": "demo1234"})
    _, claims = call("GET", server + "/records/expense/claim?sort=code", token=admin["token"])
    assert claims["total"] == 3
    assert claims["items"][0]["data"]["total"] == "2247.00"  # 2 × 553.50 + 3 × 380
    _, projects = call("GET", server + "/records/base/project?q=contract_amount%20%3E%2080000000", token=alice)
    assert [p["data"]["project_code"] for p in projects["items"]] == ["XM-2024-001"]
    status, created = call("POST", server + "/records/expense/claim", {"data": {
        "code": "BX-TEST-1", "project": projects["items"][0]["id"], "date": "2024-06-01",
        "lines": [{"item": "打车", "qty": 1, "price": "56.5"}]}}, token=alice)
    assert status == 201 and created["data"]["total"] == "56.50"
    status, error = call("POST", server + "/records/expense/claim", {"data": {"code": "BX-TEST-2"}}, token=alice)
    assert status == 422 and {e["field"] for e in error["errors"]} == {"project", "date"}


def test_openapi_describes_the_tenants_entities(server: str) -> None:
    status, public = call("GET", server + "/openapi.json")
    assert status == 200 and public["openapi"] == "3.1.0"
    _, token = call("POST", server + "/auth/token", {"tenant": "demo", "username": "admin", "password": "demo1234"})
    _, document = call("GET", server + "/openapi.json", token=token["token"])
    assert "/records/expense/claim/{id}" in document["paths"]
    claim = document["components"]["schemas"]["expense.claim"]["properties"]["data"]
    assert claim["properties"]["total"]["readOnly"] is True
    assert set(claim["required"]) == {"code", "project", "date"}


def test_serve_queues_the_daily_scan_of_every_tenant(server: str, environment: dict[str, str]) -> None:
    listing = ""
    for _ in range(20):
        listing = subprocess.run([FORMWORK, "jobs", "list"], env=environment, cwd=ROOT, check=True,
                                 capture_output=True, text=True, timeout=60).stdout
        if "scan.daily\tqueued" in listing:
            break
        time.sleep(0.5)
    [scan] = [line.split("\t") for line in listing.splitlines() if "\tscan.daily\t" in line]
    assert (scan[0], scan[2], scan[3]) == ("demo", "scan.daily", "queued")   # due at start, then daily
