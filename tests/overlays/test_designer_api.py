"""The designer's REST API: validate, dry-run, publish, versions, diff and rollback, for tenant administrators only."""
from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from engine.runtime import Formwork
from tests.conftest import Api, add_user, login

FIXTURES = Path(__file__).parent / "fixtures"
OVERLAY = (FIXTURES / "overlay.yaml").read_text(encoding="utf-8")
BPMN = {"approvals/ticket_v2.bpmn": (FIXTURES / "approvals" / "ticket_v2.bpmn").read_text(encoding="utf-8")}


def administrator(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "boss", "admin")
    return login(client, tenant, "boss")


def test_validate_reports_problems_at_overlay_line_and_column(engine: Formwork, tenant: str,
                                                              client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    assert api.post("/designer/labor/validate", {"overlay": OVERLAY, "files": BPMN}).get_json() == {
        "valid": True, "problems": []}
    typo = OVERLAY.replace("headcount <= 50", "headcont <= 50")
    result = api.post("/designer/labor/validate", {"overlay": typo, "files": BPMN}).get_json()
    assert result["valid"] is False
    [problem] = result["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == ("overlay.yaml", 12, 18)
    assert "unknown field 'headcont' (did you mean 'headcount'?)" in problem["message"]
    assert problem["text"].startswith("overlay.yaml:12:18: ")
    broken = api.post("/designer/labor/validate", {"overlay": "overlay: labor\nbase_version: [", "files": BPMN})
    assert broken.get_json()["problems"][0]["message"].startswith("YAML syntax error")
    assert api.post("/designer/labor/validate", {"files": BPMN}).status_code == 400
    raw = api.client.post("/api/v1/designer/labor/validate", data=typo.split("workflows:")[0].encode(),
                          headers={**api.headers, "Content-Type": "application/yaml"})
    assert [p["line"] for p in raw.get_json()["problems"]] == [12]     # the YAML as the body works too


def test_dry_run_publish_diff_and_rollback(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    current = api.get("/designer/labor").get_json()
    assert (current["version"], current["overlay"], current["versions"]) == (
        "1.6.0", None, [{"version": "1.6.0", "state": "current"}])
    dry = api.post("/designer/labor/dryrun", {"overlay": OVERLAY, "files": BPMN})
    assert dry.status_code == 200 and dry.get_json()["published"] is False
    assert dry.get_json()["diff"]["entities"]["day_labor_ticket"]["fields_added"] == ["weather"]
    assert api.get("/designer/labor").get_json()["version"] == "1.6.0"

    published = api.post("/designer/labor/publish", {"overlay": OVERLAY, "files": BPMN}).get_json()
    assert (published["published"], published["to_version"]) == (True, "1.6.0+t1")
    current = api.get("/designer/labor").get_json()
    assert (current["version"], current["overlay"], current["files"]) == ("1.6.0+t1", OVERLAY, BPMN)
    fields = next(m for m in api.get("/modules").get_json()["modules"] if m["name"] == "labor")[
        "entities"]["day_labor_ticket"]["fields"]
    assert fields["weather"]["default"] == "sunny"

    again = OVERLAY.replace("production_review_amount: 3000", "production_review_amount: 4000")
    second = api.post("/designer/labor/publish", {"overlay": again})       # the BPMN comes from 1.6.0+t1
    assert second.status_code == 200, second.get_json()
    diff = api.get("/designer/labor/versions/1.6.0+t2/diff").get_json()
    assert (diff["from_version"], diff["to_version"], diff["entities"]) == ("1.6.0+t1", "1.6.0+t2", {})
    assert diff["parameters"] == {"production_review_amount": {"from": 3000, "to": 4000}}
    assert api.get("/designer/labor/versions/1.6.0+t9/diff").status_code == 404

    back = api.post("/designer/labor/rollback").get_json()
    assert (back["from_version"], back["to_version"]) == ("1.6.0+t2", "1.6.0+t1")
    assert [v["state"] for v in api.get("/designer/labor/versions").get_json()["items"]] == [
        "catalog", "current", "rolled_back"]


def test_an_invalid_overlay_is_refused_with_its_problems(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    api = administrator(engine, tenant, client)
    unknown = OVERLAY.replace("  day_labor_ticket:\n    fields", "  day_labour_ticket:\n    fields")
    response = api.post("/designer/labor/publish", {"overlay": unknown, "files": BPMN})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_declaration"
    assert error["details"][0]["text"] == ("overlay.yaml:5:3: module 'labor' has no entity 'day_labour_ticket' "
                                           "(did you mean 'day_labor_ticket'?); an overlay adjusts the module's "
                                           "entities")
    missing = api.post("/designer/labor/dryrun", {"overlay": OVERLAY})
    assert missing.status_code == 422
    assert "BPMN file 'approvals/ticket_v2.bpmn' was not found" in missing.get_json()["error"]["details"][0]["text"]
    assert api.get("/designer/nope").status_code == 404
    assert api.post("/designer/labor/rollback").status_code == 409


def test_only_tenant_administrators_use_the_designer(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = login(client, tenant, "clerk")
    assert clerk.get("/designer/labor").status_code == 403
    refused = clerk.post("/designer/labor/publish", {"overlay": OVERLAY, "files": BPMN})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/designer/labor").status_code == 401


def test_the_designer_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert {"/designer/{module}", "/designer/{module}/validate", "/designer/{module}/dryrun",
            "/designer/{module}/publish", "/designer/{module}/rollback",
            "/designer/{module}/versions/{version}/diff"} <= set(document["paths"])
