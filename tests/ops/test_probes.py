"""/healthz, /readyz and /metrics, the request id and the JSON log line, on a real database through the app."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from app import create_app
from engine.runtime import Formwork
from engine.storage import jobs
from engine.storage.workflow_models import Job
from tests.conftest import add_user, login
from web import metrics, request_log


def samples(client: FlaskClient, **kwargs: object) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_healthz_answers_without_the_database(tmp_path: Path) -> None:
    client = create_app(Formwork(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"), TESTING=True).test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_is_ready_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready"})


def test_readyz_is_503_when_the_schema_is_behind(tmp_path: Path) -> None:
    client = create_app(Formwork(f"sqlite:///{tmp_path / 'empty.db'}"), TESTING=True).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert "revision none" in body["reason"] and "formwork init" in body["reason"]


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/no/such/folder/x.db",
                                 "postgresql+psycopg://postgres@127.0.0.1:9/formwork?connect_timeout=2"])
def test_readyz_is_503_with_a_json_reason_when_the_database_is_unreachable(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FORMWORK_LOG_FORMAT", "json")
    client = create_app(Formwork(url.format(tmp=tmp_path)), TESTING=True).test_client()
    capsys.readouterr()
    response = client.get("/readyz", headers={"X-Request-ID": "probe-42"})
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert response.get_json()["reason"].startswith("the database does not answer (OperationalError")
    assert "127.0.0.1" not in response.get_json()["reason"]  # an unauthenticated probe learns no address
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    # the engine's own warning carries the request's id too, not only the request's closing line
    [warning] = [line for line in lines if line["logger"] == "formwork.readiness"]
    assert (warning["level"], warning["request_id"], warning["path"]) == ("WARNING", "probe-42", "/readyz")
    [done] = [line for line in lines if line["logger"] == "formwork.request"]
    assert done["status"] == 503 and done["request_id"] == "probe-42"


def test_metrics_count_requests_jobs_and_read_the_queue(engine: Formwork, tenant: str) -> None:
    client = create_app(engine, TESTING=True).test_client()
    before = samples(client)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/records/base/project").status_code == 401
    with engine.db.tenant(tenant) as session:
        for n in range(3):
            jobs.enqueue(session, tenant, "test.metrics", {"n": n})
    middle = samples(client)
    ok = {"method": "GET", "endpoint": "/healthz", "status": "200"}
    assert value(middle, "formwork_http_requests_total", **ok) == \
        value(before, "formwork_http_requests_total", **ok) + 1
    refused = {"method": "GET", "endpoint": "/api/v1/records/<module>/<entity>", "status": "401"}
    assert value(middle, "formwork_http_requests_total", **refused) == \
        value(before, "formwork_http_requests_total", **refused) + 1
    timed = {"method": "GET", "endpoint": "/healthz"}
    assert value(middle, "formwork_http_request_duration_seconds_count", **timed) == \
        value(before, "formwork_http_request_duration_seconds_count", **timed) + 1
    assert value(middle, "formwork_http_request_duration_seconds_bucket", le="+Inf", **timed) >= 1
    queued = value(before, "formwork_jobs_queue", state="queued")
    assert value(middle, "formwork_jobs_queue", state="queued") == queued + 3
    assert value(middle, "formwork_database_up") == 1

    def handler(job: jobs.ClaimedJob, _moment: datetime) -> None:
        if job.payload["n"] == 2:
            raise RuntimeError("refused")
        with engine.db.tenant(job.tenant_id) as session:
            jobs.finish(session, job)

    assert jobs.run_due(engine.db, {"test.metrics": handler}, observe=metrics.count_job) == (2, 1)
    after = samples(client)
    assert value(after, "formwork_jobs_total", kind="test.metrics", outcome="done") == \
        value(middle, "formwork_jobs_total", kind="test.metrics", outcome="done") + 2
    assert value(after, "formwork_jobs_total", kind="test.metrics", outcome="failed") == \
        value(middle, "formwork_jobs_total", kind="test.metrics", outcome="failed") + 1
    assert value(after, "formwork_jobs_queue", state="queued") == queued + 1
    with engine.db.tenant(tenant) as session:  # the retried one is due again later: not for other tests' workers
        session.execute(update(Job).where(Job.kind == "test.metrics").values(state="cancelled"))


def test_metrics_answer_loopback_or_the_configured_token(engine: Formwork) -> None:
    open_app = create_app(engine, TESTING=True).test_client()
    refused = open_app.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 403 and refused.get_json()["error"]["message_code"] == "metrics_forbidden"
    guarded = create_app(engine, TESTING=True, FORMWORK_METRICS_TOKEN="scrape-s3cret").test_client()
    assert guarded.get("/metrics").status_code == 403  # with a token, loopback alone is not enough
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert guarded.get("/metrics", headers={"Authorization": "Bearer scrape-s3cret"},
                       environ_base=remote).status_code == 200


def test_every_answer_carries_a_request_id(client: FlaskClient) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-ID"] != made
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:1"}).headers["X-Request-ID"] == "lb-7f3a:1"
    for insane in ("a b", "x" * 129, "<script>"):
        answered = client.get("/nowhere", headers={"X-Request-ID": insane})
        assert answered.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", answered.headers["X-Request-ID"])


def test_json_log_line_of_a_request(engine: Formwork, tenant: str, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FORMWORK_LOG_FORMAT", "json")
    client = create_app(engine, TESTING=True).test_client()
    add_user(engine, tenant, "ops1", "admin")
    api = login(client, tenant, "ops1")
    capsys.readouterr()
    response = api.get("/records/base/project?limit=1")
    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line["logger"] == "formwork.request"]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["level"], line["method"], line["path"], line["status"], line["tenant"]) == \
        ("INFO", "GET", "/api/v1/records/base/project", 200, tenant)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert line["message"].startswith("GET /api/v1/records/base/project 200 ")
    monkeypatch.delenv("FORMWORK_LOG_FORMAT")
    request_log.configure()
