"""A pip-installed plugin, end to end: each registration kind, per-tenant enablement, isolation of failures."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from engine import tenancy
from engine.declarations.loader import validate_paths
from engine.runtime import Formwork
from engine.storage import jobs
from engine.storage.workflow_models import Job
from engine.tenancy import plugin_registry
from tests.cli.test_cli import run as cli
from tests.conftest import Api, add_user, login, new_tenant_id

PACKAGES = Path(__file__).parent / "packages"
ROOT = Path(__file__).parents[2]
FORMWORK = str(Path(sys.executable).with_name("formwork"))


def enable(engine: Formwork, tenant: str, settings: dict[str, Any] | None = None) -> None:
    with engine.db.tenant(tenant) as session:
        plugin_registry.set_enabled(session, tenant, "fwtest_tax", True, settings=settings)


@pytest.fixture
def client(plugged: Formwork) -> FlaskClient:
    return create_app(plugged, TESTING=True).test_client()


@pytest.fixture
def api(plugged: Formwork, tenant: str, client: FlaskClient) -> Api:
    """An applicant of a tenant that enabled fwtest_tax."""
    enable(plugged, tenant)
    add_user(plugged, tenant, "li", "applicant")
    add_user(plugged, tenant, "fin", "finance")
    return login(client, tenant, "li")


def claim(api: Api, amount: str = "1000", **extra: Any) -> dict[str, Any]:
    response = api.post("/records/fwtest_claims/claim", {"code": f"C-{time.monotonic_ns()}", "amount": amount,
                                                       **extra})
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def tenant_jobs(engine: Formwork, tenant: str, kind: str) -> list[Job]:
    with engine.db.platform() as session:
        return list(session.scalars(select(Job).where(Job.tenant_id == tenant, Job.kind == kind)
                                    .order_by(Job.created_at)))


def run_jobs_until_settled(engine: Formwork, rounds: int = 8) -> None:
    """Run the worker as if hours passed, so backoffs expire and every retry gets its turn."""
    moment = datetime.now(UTC)
    for _ in range(rounds):
        moment += timedelta(hours=1)
        engine.run_jobs(moment)


# -- loading ---------------------------------------------------------------------------------------

def test_the_installed_plugin_loads_and_the_broken_one_is_reported(plugged: Formwork) -> None:
    assert plugin_registry.loaded()["fwtest_tax"].version == "1.0.0"
    [failure] = [f for f in plugin_registry.failures() if f.name == "broken_plugin"]
    assert "ModuleNotFoundError" in failure.error and "formwork_dependency_that_does_not_exist" in failure.error


def test_a_module_shipped_by_a_plugin_is_installed_by_init(plugged: Formwork) -> None:
    spec = plugged.catalog.modules()["fwtest_claims"]
    assert spec.entities["claim"].fields["tax_id"].type == "fwtest_tax_id"


# -- formula functions -----------------------------------------------------------------------------

def test_a_plugin_function_computes_a_field_where_the_plugin_is_enabled(api: Api) -> None:
    record = claim(api, "1234.60")
    assert record["data"]["tax"] == "111.11"


def test_a_tenant_without_the_plugin_gets_a_clear_error(plugged: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(plugged, tenant, "li", "applicant")
    api = login(client, tenant, "li")
    response = api.post("/records/fwtest_claims/claim", {"code": "C-1", "amount": "10"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "plugin_not_enabled"
    assert (f"uses function fwtest_vat() from plugin fwtest_tax, which is not enabled for tenant {tenant}"
            in error["message"])
    modules = api.get("/modules")  # the tenant and its other modules go on; this one is left out
    assert modules.status_code == 200
    assert "fwtest_claims" not in str(modules.get_json())


def test_a_filter_with_a_python_only_plugin_function_is_a_clear_400(api: Api) -> None:
    claim(api, "100")
    response = api.get("/records/fwtest_claims/claim", query_string={"q": "fwtest_vat(amount) > 1"})
    assert response.status_code == 400
    assert "fwtest_vat" in response.get_json()["error"]["message"]
    assert api.get("/records/fwtest_claims/claim", query_string={"q": "tax > 1"}).get_json()["total"] == 1


# -- field types -----------------------------------------------------------------------------------

def test_a_plugin_field_type_coerces_validates_and_describes_itself(api: Api) -> None:
    record = claim(api, "10", tax_id="91350100m000100y43")
    assert record["data"]["tax_id"] == "91350100M000100Y43"
    response = api.post("/records/fwtest_claims/claim", {"code": "C-bad", "amount": "10", "tax_id": "123"})
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [
        ("tax_id", "must be an 18-character tax id (统一社会信用代码)")]
    schema = api.get("/schema/fwtest_claims/claim").get_json()["properties"]["data"]["properties"]["tax_id"]
    assert schema["pattern"] == "^[0-9A-Z]{18}$" and schema["x-formwork-widget"] == "text"
    found = api.get("/records/fwtest_claims/claim", query_string={"q": "tax_id == '91350100M000100Y43'"})
    assert found.get_json()["total"] == 1


# -- service tasks ---------------------------------------------------------------------------------

def test_a_service_task_sets_a_variable_a_gateway_routes_on(api: Api, client: FlaskClient, tenant: str) -> None:
    small = claim(api, "500")
    assert api.post(f"/records/fwtest_claims/claim/{small['id']}/submit").get_json()["status"] == "approved"
    large = claim(api, "250000")
    assert api.post(f"/records/fwtest_claims/claim/{large['id']}/submit").get_json()["status"] == "in_review"
    finance = login(client, tenant, "fin")
    [task] = [t for t in finance.get("/tasks").get_json()["items"] if t["record_id"] == large["id"]]
    assert task["bpmn_id"] == "finance_review"


def test_service_task_settings_come_from_the_tenant(plugged: Formwork, api: Api, tenant: str) -> None:
    enable(plugged, tenant, {"limit": 100})
    record = claim(api, "500")
    assert api.post(f"/records/fwtest_claims/claim/{record['id']}/submit").get_json()["status"] == "in_review"


def test_a_failing_service_task_waits_is_retried_and_becomes_an_incident(plugged: Formwork, api: Api,
                                                                          tenant: str) -> None:
    enable(plugged, tenant, {"bureau": "down"})
    record = claim(api, "500")
    submitted = api.post(f"/records/fwtest_claims/claim/{record['id']}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "in_review"
    assert api.get("/tasks").get_json()["items"] == []  # the process waits at the service task
    [job] = tenant_jobs(plugged, tenant, "process.service")
    assert job.state == "queued"
    run_jobs_until_settled(plugged)
    [job] = tenant_jobs(plugged, tenant, "process.service")
    assert (job.state, job.attempts) == ("failed", 5)
    assert "the credit bureau does not answer" in job.last_error
    assert job.id in {j.id for j in jobs.listing(plugged.db, failed_only=True)}
    enable(plugged, tenant, {"bureau": "up"})  # the cause is fixed; the operator retries the incident
    jobs.retry(plugged.db, tenant, job.id)
    run_jobs_until_settled(plugged, rounds=1)
    assert api.get(f"/records/fwtest_claims/claim/{record['id']}").get_json()["status"] == "approved"


def test_a_blocking_failure_fails_the_users_step(plugged: Formwork, api: Api, tenant: str) -> None:
    enable(plugged, tenant, {"bureau": "down"})
    record = claim(api, "500")
    found = plugin_registry.service_task("fwtest.check_credit")
    assert found is not None
    plugin, task = found
    blocking = dataclasses.replace(task, blocking=True)
    plugin.service_tasks["fwtest.check_credit"] = blocking
    try:
        response = api.post(f"/records/fwtest_claims/claim/{record['id']}/submit")
    finally:
        plugin.service_tasks["fwtest.check_credit"] = task
    assert response.status_code == 422
    assert "the credit bureau does not answer" in response.get_json()["error"]["message"]
    assert api.get(f"/records/fwtest_claims/claim/{record['id']}").get_json()["status"] == "draft"


# -- hooks -----------------------------------------------------------------------------------------

def test_a_hook_receives_record_created_after_the_commit(plugged: Formwork, api: Api, tenant: str) -> None:
    record = claim(api, "77.70")
    store = plugged.plugins.store("fwtest_tax", tenant)
    assert store.list("seen") == []  # queued with the change, run by the worker after the commit
    [job] = tenant_jobs(plugged, tenant, "plugin.hook")
    assert job.payload["event"] == "record.created"
    run_jobs_until_settled(plugged, rounds=1)
    [seen] = store.list("seen")
    assert seen["event"] == "record.created" and seen["record"] == record["id"]
    assert (seen["module"], seen["entity"], seen["amount"], seen["amount_type"]) == (
        "fwtest_claims", "claim", "77.70", "Decimal")


def test_no_hook_runs_for_a_rolled_back_change(plugged: Formwork, api: Api, tenant: str) -> None:
    response = api.post("/records/fwtest_claims/claim", {"code": "C-x", "amount": "ten"})
    assert response.status_code == 422
    assert tenant_jobs(plugged, tenant, "plugin.hook") == []


def test_hooks_of_a_plugin_the_tenant_did_not_enable_do_not_run(plugged: Formwork, tenant: str,
                                                                client: FlaskClient) -> None:
    add_user(plugged, tenant, "admin1", "admin")
    api = login(client, tenant, "admin1")
    assert api.post("/records/base/org_unit", {"unit_code": "ORG-1", "unit_name": "HQ"}).status_code == 201
    assert tenant_jobs(plugged, tenant, "plugin.hook") == []


def test_process_completed_reaches_the_hook(plugged: Formwork, api: Api, tenant: str) -> None:
    record = claim(api, "10")
    api.post(f"/records/fwtest_claims/claim/{record['id']}/submit")
    run_jobs_until_settled(plugged, rounds=1)
    [finished] = plugged.plugins.store("fwtest_tax", tenant).list("finished")
    assert finished["record"] == record["id"] and finished["task"] == {"end_event": "approved"}


def test_a_hook_that_raises_is_retried_then_an_incident_and_the_engine_goes_on(plugged: Formwork, api: Api,
                                                                                tenant: str) -> None:
    claim(api, "1", note="boom")
    run_jobs_until_settled(plugged)
    [job] = tenant_jobs(plugged, tenant, "plugin.hook")
    assert (job.state, job.attempts) == ("failed", 5)
    assert "hook record.created of plugin fwtest_tax failed: RuntimeError: the hook exploded" in job.last_error
    claim(api, "2")
    run_jobs_until_settled(plugged, rounds=1)
    assert len(plugged.plugins.store("fwtest_tax", tenant).list("seen")) == 1


def test_a_hook_that_hangs_is_abandoned_and_recorded(plugged: Formwork, api: Api, tenant: str) -> None:
    claim(api, "1", note="hang")
    started = time.monotonic()
    _done, failed = plugged.run_jobs(datetime.now(UTC) + timedelta(seconds=1))
    assert time.monotonic() - started < 2.5
    [job] = tenant_jobs(plugged, tenant, "plugin.hook")
    assert failed >= 1 and job.state == "queued" and job.attempts == 1
    assert "did not finish within 0.5s and was abandoned" in job.last_error


# -- web and command line --------------------------------------------------------------------------

def test_a_plugin_blueprint_is_served(client: FlaskClient) -> None:
    response = client.get("/fwtest/ping")
    assert response.status_code == 200 and response.get_json() == {"plugin": "fwtest_tax", "version": "1.0.0"}


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script with the test plugins on its path (no database: what it runs here needs none)."""
    environment = {**os.environ,
                   "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([FORMWORK, *args], capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120)


def test_plugin_commands_list_enable_and_disable(plugged: Formwork) -> None:
    """In this process, where the test plugins are loaded (the next test runs the console script)."""
    tenant = new_tenant_id()
    with plugged.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
    bad = cli(plugged, "plugin", "enable", tenant, "fwtest_tax", "--settings", '{"limit": 0}', check=False)
    assert bad.returncode == 1 and "settings of plugin fwtest_tax are invalid: limit: 0 is less than" in bad.stderr
    assert cli(plugged, "plugin", "enable", tenant, "fwtest_tax", "--settings", "{nope", check=False).returncode == 1
    unknown = cli(plugged, "plugin", "enable", tenant, "fwtest_taks", check=False)
    assert unknown.returncode == 1
    assert "plugin 'fwtest_taks' is not installed (did you mean 'fwtest_tax'?)" in unknown.stderr
    ok = cli(plugged, "plugin", "enable", tenant, "fwtest_tax", "--settings", '{"limit": 5}')
    assert ok.returncode == 0 and ok.stdout == f"enabled plugin fwtest_tax for {tenant}\n"
    listing = cli(plugged, "plugin", "list").stdout.splitlines()
    [acme] = [line for line in listing if line.startswith("fwtest_tax\t")]
    assert acme.startswith("fwtest_tax\t1.0.0\tloaded\ttenants: ") and tenant in acme
    [broken] = [line for line in listing if line.startswith("broken_plugin\t")]
    assert "\tfailed\tModuleNotFoundError" in broken
    assert cli(plugged, "plugin", "disable", tenant, "fwtest_tax").stdout == \
        f"disabled plugin fwtest_tax for {tenant}\n"
    with plugged.db.tenant(tenant) as session:
        assert plugin_registry.enabled_plugins(session, tenant) == {}


def test_a_plugin_cli_command_runs_under_formwork(plugin_site: Path) -> None:
    result = run(plugin_site, "fwtest-hello", "li")
    assert result.returncode == 0 and result.stdout == "hello li from fwtest_tax\n"
    assert "fwtest-hello" in run(plugin_site, "--help").stdout


# -- validation ------------------------------------------------------------------------------------

def test_an_unknown_service_task_topic_is_a_load_problem_at_its_line(plugged: Formwork, tmp_path: Path) -> None:
    source = PACKAGES / "fwtest_tax" / "fwtest_tax" / "module"
    folder = tmp_path / "fwtest_claims"
    (folder / "approvals").mkdir(parents=True)
    (folder / "module.yaml").write_text((source / "module.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    bpmn = (source / "approvals" / "claim.bpmn").read_text(encoding="utf-8")
    (folder / "approvals" / "claim.bpmn").write_text(bpmn.replace('topic="fwtest.check_credit"',
                                                                  'topic="fwtest.check_credt"'), encoding="utf-8")
    [problem] = validate_paths([folder])
    line = next(n for n, text in enumerate(bpmn.splitlines(), 1) if "serviceTask" in text)
    assert (problem.file, problem.line) == (f"{folder}/approvals/claim.bpmn", line)
    assert problem.message == ("service task 'check_credit': no installed plugin handles the service task topic "
                               "'fwtest.check_credt' (did you mean 'fwtest.check_credit'?)")


def test_the_new_record_page_shows_a_plugin_field_type_as_its_widget(plugged: Formwork, api: Api,
                                                                      client: FlaskClient, tenant: str) -> None:
    from tests.web.conftest import sign_in

    page = sign_in(client, tenant, "li").text("/m/fwtest_claims/claim/new")
    assert 'name="tax_id"' in page and "Tax id" in page
