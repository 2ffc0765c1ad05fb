"""Two hosts and two workers on one PostgreSQL database: every request served, every timer fired exactly once.

Each "host" is its own gunicorn (the first with two worker processes) with its own instance folder and metrics
folder; they share only the database, the uploads folder and the instance key, as docs/deploy.md asks. A page
session made on one host opens pages on the other and is ended there, an API token from one works on the other,
and two `formwork worker` processes fire each approval timer once and schedule one daily scan.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from engine import tenancy
from engine.approvals.service import TIMER_JOB
from engine.reports import scan
from engine.runtime import Formwork
from engine.storage.migrate import upgrade
from engine.storage.models import AuditEntry
from engine.storage.workflow_models import Job
from tests.cli.test_cli import FORMWORK, ROOT
from tests.cli.test_serve import free_port
from tests.conftest import FIXTURES, PASSWORD, own_database

GUNICORN = str(Path(FORMWORK).with_name("gunicorn"))
RECORDS = 12
TENANT = "multi"


@pytest.fixture
def database(engine: Formwork, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Formwork]:
    """A database of its own holding one tenant with the visa module, whose first escalation is due after 1 s."""
    if engine.db.dialect != "postgresql":
        pytest.skip("several hosts share one PostgreSQL database; SQLite is one host's file")
    with own_database("postgresql", tmp_path_factory, "hosts") as url:
        upgrade(url)
        formwork = Formwork(url)
        visa = tmp_path / "visa"
        shutil.copytree(FIXTURES / "modules" / "visa", visa)
        process = visa / "approvals" / "escalation.bpmn"
        process.write_text(process.read_text(encoding="utf-8").replace(">PT4H<", ">PT1S<"), encoding="utf-8")
        formwork.catalog.install(visa)
        with formwork.db.tenant(TENANT) as session:
            tenancy.create_tenant(session, TENANT, plan="enterprise")
            tenancy.set_module_enabled(session, TENANT, "visa", True, formwork.catalog.modules())
            tenancy.add_user(session, TENANT, "sub", PASSWORD, ["manager"])
            tenancy.add_user(session, TENANT, "sam", PASSWORD, ["director"])
        yield formwork
        formwork.db.dispose()


def host_environment(formwork: Formwork, folder: Path, uploads: Path) -> dict[str, str]:
    environment = {**os.environ, "FORMWORK_DATABASE_URL": formwork.db.url, "FORMWORK_INSTANCE": str(folder),
                   "FORMWORK_UPLOADS": str(uploads), "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
                   "FORMWORK_LOG_FORMAT": "json"}
    environment.pop("FORMWORK_SECRET_KEY", None)  # the session key must come from what hosts share
    return environment


@pytest.fixture
def hosts(database: Formwork, tmp_path: Path) -> Iterator[list[str]]:
    """Two web hosts (a gunicorn each) and two `formwork worker`s, one per host; the web hosts' base URLs."""
    uploads = tmp_path / "shared-uploads"
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for number in range(2):
            folder = tmp_path / f"host{number}"
            (folder / "metrics").mkdir(parents=True)
            environment = host_environment(database, folder, uploads)
            port = free_port()
            with (folder / "web.log").open("wb") as log:
                processes.append(subprocess.Popen(
                    [GUNICORN, "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                     "--threads", "2", "app:create_app()"],
                    env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log))
            with (folder / "worker.log").open("wb") as log:
                processes.append(subprocess.Popen([FORMWORK, "worker", "--interval", "0.2"], env=environment,
                                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            wait_until_ready(base)
        yield bases
    finally:
        for process in processes:
            process.send_signal(signal.SIGQUIT if process.args[0] == GUNICORN else signal.SIGTERM)
        for process in processes:
            process.wait(timeout=20)


def wait_until_ready(base: str) -> None:
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{base} never became ready")


def call(opener: urllib.request.OpenerDirector, method: str, url: str, body: Any = None,
         token: str | None = None, form: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with opener.open(request, timeout=20) as response:
            raw = response.read().decode()
            parsed = json.loads(raw) if response.headers.get_content_type() == "application/json" else raw
            return response.status, parsed, response
    except urllib.error.HTTPError as error:
        raw = error.read().decode()
        return error.code, json.loads(raw) if error.headers.get_content_type() == "application/json" else raw, error


def counted(base: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` with `labels` that the host's /metrics shows (all its processes)."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


def test_two_hosts_and_two_workers_share_one_database(database: Formwork, hosts: list[str]) -> None:
    opener = urllib.request.build_opener()
    status, issued, _ = call(opener, "POST", hosts[0] + "/api/v1/auth/token",
                             {"tenant": TENANT, "username": "sub", "password": PASSWORD})
    assert status == 201
    token = issued["token"]  # issued by the first host, used on both
    ids = []
    for n in range(RECORDS):
        status, record, answer = call(opener, "POST", f"{hosts[n % 2]}/api/v1/records/visa/escalating",
                                      {"data": {"code": f"V-{n}", "total": "100"}}, token=token)
        assert status == 201, record
        assert record["status"] == "in_review" and re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
        ids.append(record["id"])

    # every escalation timer fires (after 1 s) whichever worker claims it: each record moves to the director
    _, director, _ = call(opener, "POST", hosts[1] + "/api/v1/auth/token",
                          {"tenant": TENANT, "username": "sam", "password": PASSWORD})
    asked: Counter[str] = Counter()
    escalated: list[str] = []
    for attempt in range(400):
        base = hosts[attempt % 2]
        status, listed, _ = call(opener, "GET", base + "/api/v1/tasks", token=director["token"])
        assert status == 200
        asked[base] += 1
        escalated = sorted(task["record_id"] for task in listed["items"])
        if len(escalated) == RECORDS:
            break
        time.sleep(0.1)
    assert escalated == sorted(ids)
    time.sleep(1)  # a timer fired twice would show by now
    with database.db.tenant(TENANT) as session:
        fired = Counter(session.scalars(select(AuditEntry.target_id).where(
            AuditEntry.tenant_id == TENANT, AuditEntry.action == "process.timer")))
        timer_jobs = session.execute(select(Job.key, Job.state, Job.attempts).where(
            Job.tenant_id == TENANT, Job.kind == TIMER_JOB)).all()
        scans = session.scalars(select(Job.state).where(Job.tenant_id == TENANT, Job.kind == scan.SCAN_JOB)).all()
    assert {record_id: fired[record_id] for record_id in ids} == dict.fromkeys(ids, 1)
    done = [key for key, state, attempts in timer_jobs if (state, attempts) == ("done", 1)]
    assert len(done) == len(set(done)) == RECORDS   # one run of one claim per instance's first timer
    assert not [row for row in timer_jobs if row[1] in ("running", "failed")]
    assert sorted(scans) == ["done", "queued"]  # both workers started at once: one daily scan ran, the next waits

    # each host's /metrics adds up the counts of its processes: its web process's requests, its worker's jobs
    assert [counted(base, "formwork_http_requests_total", endpoint="/api/v1/tasks") for base in hosts] == \
        [asked[base] for base in hosts]
    assert sum(counted(base, "formwork_jobs_total", kind=TIMER_JOB, outcome="done") for base in hosts) == RECORDS
    # both read the queue from the database: the directors' timers and tomorrow's scan wait
    assert [counted(base, "formwork_jobs_queue", state="queued") for base in hosts] == [RECORDS + 1] * 2

    # a page session made on one host opens pages on the other and is ended there, for both
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, page, _ = call(browser, "GET", hosts[0] + "/login")
    status, _, answer = call(browser, "POST", hosts[0] + "/login", form={
        "tenant": TENANT, "username": "sub", "password": PASSWORD, "_csrf": csrf_of(page)})
    assert status == 200 and not answer.url.endswith("/login")  # redirected to the dashboard
    status, dashboard, answer = call(browser, "GET", hosts[1] + "/tasks")
    assert status == 200 and answer.url == hosts[1] + "/tasks", "the other host did not accept the session"
    # a change on the second host with the CSRF token of the session the first host made
    status, _, answer = call(browser, "POST", hosts[1] + "/logout", form={"_csrf": csrf_of(dashboard)})
    assert status == 200 and "/login" in answer.url
    _, _, answer = call(browser, "GET", hosts[0] + "/tasks")
    assert "/login" in answer.url  # ended on every host


def csrf_of(page: str) -> str:
    found = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)
