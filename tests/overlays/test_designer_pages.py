"""The designer pages `/designer`: editor, live check and preview, form editor, dry run, publish, rollback."""
from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from engine.runtime import Formwork
from tests.conftest import add_user
from tests.web.conftest import Visitor, sign_in

SIMPLE = """overlay: labor
base_version: 1.6.0
entities:
  day_labor_ticket:
    fields:
      weather: {type: enum, default: sunny, label: {zh: 天气, en: Weather},
                options: {sunny: {zh: 晴, en: Sunny}, rain: {zh: 雨, en: Rain}}}
      location: {label: {zh: 作业部位, en: Work area}}
"""


@pytest.fixture
def client(engine: Formwork) -> FlaskClient:
    app: Flask = create_app(engine, TESTING=True, SECRET_KEY="designer-tests")
    return app.test_client()


@pytest.fixture
def boss(engine: Formwork, tenant: str, client: FlaskClient) -> Visitor:
    add_user(engine, tenant, "boss", "admin")
    return sign_in(client, tenant, "boss")


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="overlay-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no overlay editor on the page"
    return html.unescape(match.group(1))


def test_only_tenant_administrators_see_the_designer(engine: Formwork, tenant: str, client: FlaskClient) -> None:
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = sign_in(client, tenant, "clerk")
    assert clerk.get("/designer/").status_code == 403
    assert clerk.get("/designer/labor").status_code == 403
    assert "/designer/" not in clerk.text("/")


def test_the_editor_starts_from_the_current_overlay_and_previews_the_form(boss: Visitor) -> None:
    index = boss.text("/designer/")
    assert 'href="/designer/labor"' in index and "/designer/" in boss.text("/")
    page = boss.text("/designer/labor?entity=day_labor_ticket")
    assert textarea(page) == "overlay: labor\nbase_version: 1.6.0\n"
    assert 'id="form-preview"' in page and 'data-field="location"' in page
    assert 'data-field="reason"' in page                        # not hidden yet


def test_the_live_check_reports_problems_by_line_and_previews_a_valid_overlay(boss: Visitor) -> None:
    boss.get("/designer/labor")
    headers = {**boss.headers, "X-CSRF-Token": boss.token}
    typo = SIMPLE.replace("location: {label", "locaton: {label")
    result = boss.client.post("/designer/labor/check", json={"overlay": typo, "entity": "day_labor_ticket"},
                              headers=headers).get_json()
    assert [(p["line"], p["column"]) for p in result["problems"]] == [(8, 7)]
    assert "did you mean 'location'" in result["problems"][0]["message"]
    assert result["problems"][0]["where"] == "line 8, column 7" and result["preview"] == ""
    valid = boss.client.post("/designer/labor/check", json={"overlay": SIMPLE, "entity": "day_labor_ticket"},
                             headers=headers).get_json()
    assert valid["problems"] == []
    assert 'data-field="weather"' in valid["preview"] and "Work area" in valid["preview"]
    forged = boss.client.post("/designer/labor/check", json={"overlay": SIMPLE}, headers=boss.headers)
    assert forged.status_code == 400


def test_the_form_editor_writes_into_the_yaml(boss: Visitor) -> None:
    boss.get("/designer/labor")
    added = boss.post("/designer/labor", {
        "overlay": "overlay: labor\nbase_version: 1.6.0\n", "_action": "edit", "edit_entity": "day_labor_ticket",
        "edit_action": "add_field", "field_key": "weather", "field_type": "enum", "label_zh": "天气",
        "label_en": "Weather", "required": "1", "default": "sunny", "options": "sunny:晴:Sunny, rain:雨:Rain"})
    assert added.status_code == 200
    text = textarea(added.get_data(as_text=True))
    assert "weather:\n        type: enum\n        label:\n          zh: 天气\n          en: Weather\n" in text
    hidden = boss.post("/designer/labor", {"overlay": text, "_action": "edit", "edit_entity": "day_labor_ticket",
                                           "edit_action": "hide", "field_key": "reason"})
    page = hidden.get_data(as_text=True)
    assert "reason:\n        hidden: true" in textarea(page)
    assert 'data-field="weather"' in page and 'data-field="reason"' not in page   # the preview follows
    refused = boss.post("/designer/labor", {"overlay": "overlay: [", "_action": "edit", "edit_entity": "x",
                                            "edit_action": "hide", "field_key": "y"})
    assert refused.status_code == 422 and "the YAML does not parse" in refused.get_data(as_text=True)


def test_dry_run_publish_and_roll_back_from_the_page(boss: Visitor) -> None:
    boss.get("/designer/labor")
    dry = boss.post("/designer/labor", {"overlay": SIMPLE, "_action": "dryrun"}).get_data(as_text=True)
    assert 'id="dry-run-report"' in dry and "1.6.0 → 1.6.0+t1" in dry and "+ field weather" in dry
    assert 'data-version="1.6.0+t1"' not in dry
    published = boss.post("/designer/labor", {"overlay": SIMPLE, "_action": "publish"}).get_data(as_text=True)
    assert "Published 1.6.0+t1." in published and 'data-version="1.6.0+t1"' in published
    assert textarea(boss.text("/designer/labor")) == SIMPLE
    assert "+ field weather" in boss.text("/designer/labor/versions/1.6.0+t1")
    back = boss.post("/designer/labor/rollback", {})
    assert back.status_code == 302
    assert "Rolled back from 1.6.0+t1 to 1.6.0." in boss.text("/designer/labor")
    invalid = boss.post("/designer/labor", {"overlay": SIMPLE.replace("1.6.0", "0.1.0"), "_action": "publish"})
    assert invalid.status_code == 422 and "written against labor 0.1.0" in invalid.get_data(as_text=True)
