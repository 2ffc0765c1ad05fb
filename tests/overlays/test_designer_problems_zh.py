"""A Chinese administrator reads a bad overlay's problems in Chinese: the designer's live check and editor page, and
the designer API with `?lang=zh` (over HTTP, real database). English readers and `file:line:col` texts stay as
they were."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from engine.runtime import Formwork
from tests.conftest import add_user, login
from tests.web.conftest import Visitor, sign_in

HEAD = "overlay: labor\nbase_version: 1.6.0\n"
BROKEN = {   # each overlay breaks one thing; the key the administrator typed must show, the engine's English not
    "locaton": "entities:\n  day_labor_ticket:\n    fields:\n      locaton: {label: {zh: 部位, en: Area}}\n",
    "snow": "entities:\n  day_labor_ticket:\n    fields:\n      weather: {type: enum, default: snow, "
            "options: {sunny: {zh: 晴, en: Sunny}}}\n",
    "amout": "entities:\n  day_labor_ticket:\n    views:\n      list: {filters: [amout]}\n",
    "crew_leadr": "entities:\n  day_labor_ticket:\n    permissions:\n      crew_leadr: {actions: [read]}\n",
    "requird": "entities:\n  day_labor_ticket:\n    fields:\n      note: {type: text, requird: true}\n",
}
ENGLISH = re.compile(r"\b(is not|did you mean|unknown|must be|needs|not declared|has no)\b")


@pytest.fixture
def pages(engine: Formwork) -> FlaskClient:
    app: Flask = create_app(engine, TESTING=True, SECRET_KEY="designer-zh-tests")
    return app.test_client()


@pytest.fixture
def boss(engine: Formwork, tenant: str, pages: FlaskClient) -> Visitor:
    add_user(engine, tenant, "boss", "admin")
    return sign_in(pages, tenant, "boss", language="zh")


def chinese(message: str, typed: str) -> None:
    assert re.search(r"[\u4e00-\u9fff]", message), message
    assert typed in message, message
    assert not ENGLISH.search(message), message


def test_the_live_check_lists_a_bad_overlays_problems_in_chinese(boss: Visitor) -> None:
    boss.get("/designer/labor")
    headers = {**boss.headers, "X-CSRF-Token": boss.token}
    for typed, body in BROKEN.items():
        result = boss.client.post("/designer/labor/check", json={"overlay": HEAD + body, "entity": "day_labor_ticket"},
                                  headers=headers).get_json()
        assert result["problems"], typed
        for problem in result["problems"]:
            chinese(problem["message"], typed)
            assert problem["code"].startswith("decl_") and problem["where"].startswith("第")


def test_the_editor_page_shows_the_problems_in_chinese(boss: Visitor) -> None:
    boss.get("/designer/labor")
    page = boss.post("/designer/labor", {"overlay": HEAD + BROKEN["locaton"], "_action": "validate"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "没有字段 &#39;locaton&#39;" in text or "没有字段 'locaton'" in text
    assert "has no field" not in text


def test_the_designer_api_answers_in_the_readers_language(engine: Formwork, tenant: str, pages: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    api = login(pages, tenant, "boss")
    overlay = HEAD + BROKEN["snow"]
    zh = api.client.post("/api/v1/designer/labor/validate?lang=zh", json={"overlay": overlay},
                         headers=api.headers).get_json()
    [problem] = zh["problems"]
    chinese(problem["message"], "snow")
    assert problem["code"] == "decl_default_not_an_option"
    assert problem["params"] == {"default": "snow", "name": "weather", "suggestion": ""}
    assert problem["text"].startswith("overlay.yaml:") and "is not one of its options" in problem["text"]
    en = api.post("/designer/labor/validate", {"overlay": overlay}).get_json()
    assert en["problems"][0]["message"] == "default 'snow' of 'weather' is not one of its options"

    refused = api.client.post("/api/v1/designer/labor/publish", json={"overlay": overlay},
                              headers={**api.headers, "Accept-Language": "zh-CN"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_declaration" and error["message"] == "调整包有 1 处问题"
    chinese(error["details"][0]["message"], "snow")
    assert error["details"][0]["text"].endswith("is not one of its options")   # the shape clients already read
