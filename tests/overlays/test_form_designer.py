"""The visual form designer's page and JSON endpoints `/designer/<module>/<entity>[/model|/publish]`."""
from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from engine import tenancy
from engine.customization.overlays import MAIN, Overlay
from engine.customization.process_editor import ProcessEditor
from engine.runtime import Formwork
from tests.conftest import add_user
from tests.web.conftest import Visitor, sign_in

MODEL = "/designer/labor/day_labor_ticket/model"


@pytest.fixture
def client(engine: Formwork) -> FlaskClient:
    app: Flask = create_app(engine, TESTING=True, SECRET_KEY="form-designer-tests")
    return app.test_client()


@pytest.fixture
def boss(engine: Formwork, tenant: str, client: FlaskClient) -> Visitor:
    add_user(engine, tenant, "boss", "admin")
    visitor = sign_in(client, tenant, "boss")
    visitor.get("/designer/labor/day_labor_ticket")
    return visitor


def save(boss: Visitor, overlay: Any) -> Any:
    return boss.client.post(MODEL, json={"overlay": overlay}, headers={**boss.headers, "X-CSRF-Token": boss.token})


def field(model: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in model["entity"]["fields"] if f["key"] == key)


def test_only_tenant_administrators_reach_the_form_designer(engine: Formwork, tenant: str,
                                                            client: FlaskClient) -> None:
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = sign_in(client, tenant, "clerk")
    assert clerk.get("/designer/labor/day_labor_ticket").status_code == 403
    assert clerk.get(MODEL).status_code == 403
    response = clerk.client.post(MODEL, json={"overlay": {}}, headers={**clerk.headers, "X-CSRF-Token": clerk.token})
    assert response.status_code in (400, 403)
    assert clerk.get("/designer/labor/day_labor_ticket/publish").status_code == 403


def test_the_page_and_the_model_show_the_entity_as_cards(boss: Visitor) -> None:
    page = boss.text("/designer/labor/day_labor_ticket")
    assert 'id="fd-config"' in page and 'data-tab="form"' in page and 'data-tab="process"' in page
    assert "/designer/labor/day_labor_ticket/rules" in page and "/designer/labor?entity=day_labor_ticket" in page
    assert "formula_editor.js" not in page or "form_designer.js" in page
    assert 'href="/designer/labor/day_labor_ticket"' in boss.text("/designer/")
    assert 'href="/designer/labor/day_labor_ticket"' in boss.text("/designer/labor")
    model = boss.get(MODEL).get_json()
    assert model["overlay"] == {"overlay": "labor", "base_version": "1.6.0"} and model["problems"] == []
    titles = [s["title"]["en"] if s["title"] else None for s in model["entity"]["sections"]]
    assert titles[:2] == ["Work", "Reason"] and titles[-1] is None      # the fields in no section come last
    reason = field(model, "reason_type")
    assert reason["type"] == "enum" and reason["from_catalog"] is True and reason["options"][0]["key"] == "extra_work"
    assert "site_engineer" in field(model, "amount")["hidden_for"]
    assert {"key": "crew_leader", "label": "Crew leader"} in model["roles"]
    assert {"key": "enum", "label": "Single choice"} in model["types"]
    assert any(t["key"] == "base.project" for t in model["targets"])


def test_saving_keeps_the_overlay_minimal_and_renaming_an_option_keeps_its_key(boss: Visitor) -> None:
    overlay = boss.get(MODEL).get_json()["overlay"]
    changed = copy.deepcopy(overlay)
    changed["entities"] = {"day_labor_ticket": {
        "fields": {
            "reason_type": {"label": {"zh": "事由分类", "en": "Reason"},            # the catalog's: dropped
                            "options": {"rework": {"zh": "返工", "en": "Rework"},     # renamed: kept, same key
                                        "cleanup": {"zh": "清理/杂活", "en": "Cleanup / odd jobs"}}},
            "headcount": {"min": 1, "max": 100, "required": True},                    # only max changes
            "weather": {"type": "enum", "label": {"zh": "天气", "en": "Weather"}, "required": True, "default": None,
                        "options": {"sunny": {"zh": "晴", "en": "Sunny"}, "rain": {"zh": "雨", "en": "Rain"}}}},
        "permissions": {"site_engineer": {"hidden_fields": [
            "agreed_price", "unit_price", "price_source", "price_adjust_reason", "amount", "weather"]}}}}
    answer = save(boss, changed)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["saved"] is True and body["problems"] == []
    assert body["overlay"]["entities"]["day_labor_ticket"]["fields"] == {
        "reason_type": {"options": {"rework": {"zh": "返工", "en": "Rework"}}},
        "headcount": {"max": 100},
        "weather": {"type": "enum", "label": {"zh": "天气", "en": "Weather"}, "required": True,
                    "options": {"sunny": {"zh": "晴", "en": "Sunny"}, "rain": {"zh": "雨", "en": "Rain"}}}}
    rework = next(o for o in field(body, "reason_type")["options"] if o["key"] == "rework")
    assert rework["label"] == {"zh": "返工", "en": "Rework"} and rework["from_catalog"] is True
    assert field(body, "weather")["type_label"] == "Single choice" and field(body, "weather")["hidden_for"] == [
        "site_engineer"]
    assert 'data-field="weather"' in body["preview_html"]
    again = boss.get(MODEL).get_json()                  # kept in the draft: the source tab shows the same
    assert again["overlay"] == body["overlay"]
    assert "weather:" in boss.text("/designer/labor")


def test_a_bad_overlay_is_saved_with_its_problems(boss: Visitor) -> None:
    overlay = {"overlay": "labor", "base_version": "1.6.0", "entities": {"day_labor_ticket": {"fields": {
        "oops": {"label": {"zh": "无类型"}}}}}}
    answer = save(boss, overlay)
    assert answer.status_code == 200
    body = answer.get_json()
    assert "'oops'" in body["problems"][0]["message"] and body["preview_html"] == ""
    assert field(body, "oops")["type"] == ""                 # still shown, to be fixed in the panel
    overlay["entities"]["day_labor_ticket"]["fields"] = {"headcount": {"visible_if": "headcont > 2"}}
    typo = save(boss, overlay).get_json()
    assert "headcont" in " ".join(p["message"] for p in typo["problems"])
    garbage = save(boss, {"overlay": "labor", "base_version": "1.6.0", "entities": {"day_labor_ticket": "x"}})
    assert garbage.status_code == 200 and garbage.get_json()["problems"]
    assert save(boss, ["not", "a", "mapping"]).status_code == 400
    page = boss.client.get("/designer/labor/day_labor_ticket/publish", headers=boss.headers)
    assert page.status_code == 200 and 'id="publish-problems"' in page.get_data(as_text=True)


def test_dry_run_and_publish_the_draft(boss: Visitor) -> None:
    overlay = {"overlay": "labor", "base_version": "1.6.0", "entities": {"day_labor_ticket": {"fields": {
        "remark": {"label": {"zh": "说明", "en": "Notes"}}}}}}
    assert save(boss, overlay).status_code == 200
    boss.get("/designer/labor/day_labor_ticket/publish")
    dry = boss.post("/designer/labor/day_labor_ticket/publish", {"_action": "dryrun"}).get_data(as_text=True)
    assert 'id="dry-run-report"' in dry and "1.6.0 → 1.6.0+t1" in dry
    done = boss.post("/designer/labor/day_labor_ticket/publish", {"_action": "publish"}).get_data(as_text=True)
    assert "1.6.0+t1" in done and 'data-tab="process"' in done
    assert boss.get(MODEL).get_json()["overlay"]["entities"]["day_labor_ticket"]["fields"]["remark"]["label"][
        "en"] == "Notes"
    assert boss.get("/designer/labor/nothing_here").status_code == 404


def test_a_draft_whose_yaml_does_not_parse_is_a_problem_to_fix_in_the_source(engine: Formwork, tenant: str,
                                                                            boss: Visitor) -> None:
    with engine.adjustments(tenancy.Actor(tenant, "boss", frozenset({"admin"}))) as service:
        ProcessEditor(service).put_draft("labor", Overlay(MAIN, {MAIN: "overlay: ["}), note="typed by hand")
    answer = boss.get(MODEL)
    assert answer.status_code == 422 and "does not parse" in answer.get_json()["problems"][0]["message"]
