"""A list's `q` filter that does not check (an unknown field, operands of the wrong types, a syntax error) is
answered in the reader's language: Chinese with `?lang=zh`, the engine's English by default; the formula error's
code and params (the reason as a part by its own code) are the same in both."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.api.test_records import make_project
from tests.conftest import Api, add_user, login

PROJECTS = "/records/base/project"


@pytest.fixture
def keeper(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "keeper", "storekeeper", "project_manager", "system_admin")
    api = login(client, tenant, "keeper")
    make_project(api)
    return api


def answer(api: Api, q: str, lang: str | None = None) -> dict:
    query = {"q": q, **({"lang": lang} if lang else {})}
    response = api.get(PROJECTS, query_string=query)
    assert response.status_code == 400, response.get_json()
    return response.get_json()["error"]


def english_words(text: str, *names: str) -> list[str]:
    """Words of three ASCII letters or more left once the names the filter wrote or the error named are taken out
    (and the formula language's own words, `user.name`)."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in {"user", "name", "roles", "null"}]


def values(params: object) -> list[str]:
    """The texts the params put into the message (the reason's own params too)."""
    if isinstance(params, dict):
        return [text for key, value in params.items() if key != "message" for text in values(value)]
    return [str(params)]


def test_an_unknown_field_in_a_filter_reads_in_chinese(keeper: Api) -> None:
    english = answer(keeper, "project_cod == 'P-001'")
    assert english["message"] == "unknown field 'project_cod' (did you mean 'project_code'?) at column 1"
    zh = answer(keeper, "project_cod == 'P-001'", "zh")
    assert zh["message"] == "未知字段 'project_cod'（您是否要写 'project_code'？）（位置 第 1 列）"
    assert english["message_code"] == zh["message_code"] == "formula_at"
    assert zh["params"] == english["params"]
    assert zh["params"]["reason"]["code"] == "formula_unknown_field"
    assert zh["params"]["reason"]["params"] == {"field": "project_cod", "suggestion": "project_code"}


def test_a_type_mismatch_in_a_filter_reads_in_chinese(keeper: Api) -> None:
    english = answer(keeper, "project_code + 1 > 0")
    assert english["message"] == "cannot add text and a number at column 14"
    zh = answer(keeper, "project_code + 1 > 0", "zh")
    assert zh["message"] == "不能对文本和数字做加法运算（位置 第 14 列）"
    assert zh["params"]["reason"]["code"] == "formula_cannot_arith"


@pytest.mark.parametrize("q", ["project_code ==", "project_code == 'a' and", "round(project_code) > 1",
                               "if(project_code, 1, 2) > 0", "project_code.name == 'x'", "project_code < 1",
                               "projet_code in ['a']", "user.nam == 'x'", "params.nothing == 1", "count() > 1"])
def test_every_failing_filter_reads_in_chinese(keeper: Api, q: str) -> None:
    zh = answer(keeper, q, "zh")
    assert re.search(r"[\u4e00-\u9fff]", zh["message"]), zh
    assert english_words(zh["message"], *re.findall(r"[a-z_.]+", q), *values(zh["params"])) == [], zh["message"]
    assert answer(keeper, q)["message"] != zh["message"]
