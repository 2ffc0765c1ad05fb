"""The approval editor's REST round trips: read a process, validate an edited one, save it into the draft, publish."""
from __future__ import annotations

from pathlib import Path

import yaml
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import add_user, login
from tests.overlays.test_designer_api import administrator

ROOT = Path(__file__).resolve().parents[2]
TICKET = (ROOT / "modules" / "labor" / "approvals" / "ticket_sign_off.bpmn").read_text(encoding="utf-8")
LABOR_VERSION = yaml.safe_load((ROOT / "modules" / "labor" / "module.yaml").read_text(encoding="utf-8"))["version"]
PROCESS = "/designer/labor/processes/day_labor_ticket"
XML = {"Content-Type": "application/xml"}

# one more approval level before the site engineer: join -> pm_check -> site_sign_off
EXTRA_LEVEL = TICKET.replace(
    '<bpmn:sequenceFlow id="f_join" sourceRef="join" targetRef="site_sign_off" />',
    '<bpmn:sequenceFlow id="f_join" sourceRef="join" targetRef="pm_check" />\n'
    '    <bpmn:sequenceFlow id="f_pm_check" sourceRef="pm_check" targetRef="site_sign_off" />',
).replace(
    '    <bpmn:userTask id="site_sign_off"',
    '    <bpmn:userTask id="pm_check" name="项目经理确认" camunda:candidateGroups="{group}">\n'
    '      <bpmn:incoming>f_join</bpmn:incoming>\n      <bpmn:outgoing>f_pm_check</bpmn:outgoing>\n'
    '    </bpmn:userTask>\n    <bpmn:userTask id="site_sign_off"')


def put(api, path: str, xml: str):  # type: ignore[no-untyped-def]
    return api.client.put("/api/v1" + path, data=xml.encode(), headers={**api.headers, **XML})


def post_xml(api, path: str, xml: str):  # type: ignore[no-untyped-def]
    return api.client.post("/api/v1" + path, data=xml.encode(), headers={**api.headers, **XML})


def test_reads_the_effective_process_by_entity_file_or_process_id(engine: Formwork, tenant: str,
                                                                   client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    items = api.get("/designer/labor/processes").get_json()["items"]
    ticket = next(i for i in items if i["entity"] == "day_labor_ticket")
    assert (ticket["file"], ticket["process_id"], ticket["draft"]) == (
        "approvals/ticket_sign_off.bpmn", "day_labor_sign_off", False)
    for ref in ("day_labor_ticket", "approvals/ticket_sign_off.bpmn", "day_labor_sign_off"):
        response = api.get(f"/designer/labor/processes/{ref}")
        assert response.status_code == 200, ref
        assert response.mimetype == "application/xml"
        assert response.get_data(as_text=True) == TICKET
        assert response.headers["X-Formwork-Source"] == "published"
    described = api.get(PROCESS + "?format=json").get_json()
    assert (described["entity"], described["source"], described["version"]) == ("day_labor_ticket", "published",
                                                                                  LABOR_VERSION)
    missing = api.get("/designer/labor/processes/day_labour_ticket")
    assert missing.status_code == 404
    assert "did you mean 'day_labor_ticket'" in missing.get_json()["error"]["message"]


def test_validate_names_the_broken_element(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    good = post_xml(api, PROCESS + "/validate", EXTRA_LEVEL.format(group="project_manager")).get_json()
    assert (good["valid"], good["problems"], good["file"]) == (True, [], "approvals/ticket_sign_off_tenant.bpmn")

    broken = post_xml(api, PROCESS + "/validate", EXTRA_LEVEL.format(group="project_manger")).get_json()
    assert broken["valid"] is False
    [problem] = broken["problems"]
    assert (problem["element"], problem["in_process"]) == ("pm_check", True)
    assert problem["file"] == "./approvals/ticket_sign_off_tenant.bpmn"
    assert "'project_manger' is not a declared role (did you mean 'project_manager'?)" in problem["message"]

    condition = TICKET.replace("reason_type == 'rework'", "reason_typ == 'rework'")
    [flow] = post_xml(api, PROCESS + "/validate", condition).get_json()["problems"]
    assert flow["element"] == "f_rework" and "reason_typ" in flow["message"]

    malformed = post_xml(api, PROCESS + "/validate", "<bpmn:definitions").get_json()
    assert malformed["valid"] is False and malformed["problems"][0]["message"].startswith("malformed XML")
    json_body = api.post(PROCESS + "/validate", {"xml": EXTRA_LEVEL.format(group="project_manager")}).get_json()
    assert json_body["valid"] is True
    assert api.post(PROCESS + "/validate", {}).status_code == 400


def test_save_keeps_a_draft_that_publish_takes(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    saved = put(api, PROCESS, EXTRA_LEVEL.format(group="project_manger"))
    assert saved.status_code == 200
    assert (saved.get_json()["saved"], saved.get_json()["valid"]) == (True, False)   # a draft may have problems
    assert saved.get_json()["problems"][0]["element"] == "pm_check"
    draft = api.get(PROCESS)  # the editor reopens the draft
    assert draft.headers["X-Formwork-Source"] == "draft"
    assert 'camunda:candidateGroups="project_manger"' in draft.get_data(as_text=True)
    described = api.get("/designer/labor").get_json()
    assert described["draft"]["files"] == ["approvals/ticket_sign_off_tenant.bpmn"]
    assert "day_labor_ticket: approvals/ticket_sign_off_tenant.bpmn" in described["draft"]["overlay"]
    assert described["version"] == LABOR_VERSION                                          # nothing published yet

    refused = api.post("/designer/labor/publish", {"overlay": described["draft"]["overlay"]})
    assert refused.status_code == 422
    assert any("project_manger" in p["message"] and p["element"] == "pm_check"
               for p in refused.get_json()["error"]["details"])

    fixed = put(api, PROCESS, EXTRA_LEVEL.format(group="project_manager")).get_json()
    assert (fixed["valid"], fixed["file"]) == (True, "approvals/ticket_sign_off_tenant.bpmn")
    overlay = api.get("/designer/labor").get_json()["draft"]["overlay"]
    dry = api.post("/designer/labor/dryrun", {"overlay": overlay}).get_json()
    assert dry["diff"]["entities"]["day_labor_ticket"]["workflow"] == {
        "from": "approvals/ticket_sign_off.bpmn", "to": "approvals/ticket_sign_off_tenant.bpmn"}
    published = api.post("/designer/labor/publish", {"overlay": overlay})
    assert published.status_code == 200, published.get_json()
    after = api.get("/designer/labor").get_json()
    assert (after["version"], after["draft"]) == (f"{LABOR_VERSION}+t1", None)  # publishing took the draft
    assert after["files"]["approvals/ticket_sign_off_tenant.bpmn"] == EXTRA_LEVEL.format(group="project_manager")
    current = api.get(PROCESS + "?format=json").get_json()
    assert (current["source"], current["file"], current["version"]) == (
        "published", "approvals/ticket_sign_off_tenant.bpmn", f"{LABOR_VERSION}+t1")
    assert "pm_check" in current["xml"]

    again = put(api, PROCESS, EXTRA_LEVEL.format(group="site_engineer")).get_json()  # edits the same overlay file
    assert again["file"] == "approvals/ticket_sign_off_tenant.bpmn"
    assert api.delete("/designer/labor/draft").get_json() == {"discarded": True}
    assert api.get(PROCESS + "?format=json").get_json()["source"] == "published"
    back = api.post("/designer/labor/rollback").get_json()
    assert back["to_version"] == LABOR_VERSION
    assert api.get(PROCESS).get_data(as_text=True) == TICKET


def test_errors_are_json_and_only_administrators_edit(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    not_bpmn = put(api, PROCESS, "<html><body>no</body></html>")
    assert not_bpmn.status_code == 422
    assert "not a BPMN 2.0 file" in not_bpmn.get_json()["error"]["details"][0]["message"]
    assert put(api, PROCESS, "   ").status_code == 400
    assert api.get("/designer/labor").get_json()["draft"] is None                  # nothing was stored
    assert api.get("/designer/nothing/processes/x").status_code == 404
    assert api.get("/designer/labor/processes/worker").status_code == 404           # no process
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = login(client, tenant, "clerk")
    assert clerk.get(PROCESS).status_code == 403
    assert put(clerk, PROCESS, TICKET).status_code == 403
    assert post_xml(clerk, PROCESS + "/validate", TICKET).status_code == 403
    assert clerk.delete("/designer/labor/draft").status_code == 403


def test_the_process_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert {"/designer/{module}/processes", "/designer/{module}/processes/{process}",
            "/designer/{module}/processes/{process}/validate", "/designer/{module}/draft"} <= set(document["paths"])


def test_publishing_an_overlay_that_drops_the_drafts_process_asks_first(engine: Formwork, tenant: str,
                                                                       client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    assert put(api, PROCESS, EXTRA_LEVEL.format(group="project_manager")).get_json()["valid"] is True
    replaced = f"overlay: labor\nbase_version: {LABOR_VERSION}\n"               # the YAML, without `workflows:`
    refused = api.post("/designer/labor/publish", {"overlay": replaced})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["details"]) == ("draft_process_dropped",
                                              {"files": ["approvals/ticket_sign_off_tenant.bpmn"]})
    assert "confirm_drop_process" in error["message"]
    assert api.get("/designer/labor").get_json()["draft"] is not None                # nothing was lost
    assert api.post("/designer/labor/dryrun", {"overlay": replaced}).status_code == 200   # a dry run drops nothing

    kept = api.get("/designer/labor").get_json()["draft"]["overlay"]                 # naming it publishes as before
    assert api.post("/designer/labor/publish", {"overlay": kept}).status_code == 200
    assert put(api, PROCESS, EXTRA_LEVEL.format(group="site_engineer")).status_code == 200
    confirmed = api.post("/designer/labor/publish", {"overlay": replaced, "confirm_drop_process": True})
    assert confirmed.status_code == 200, confirmed.get_json()
    after = api.get("/designer/labor").get_json()
    assert (after["version"], after["draft"]) == (f"{LABOR_VERSION}+t2", None)
    assert api.get(PROCESS).get_data(as_text=True) == TICKET                          # the module's process again
