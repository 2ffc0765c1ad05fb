"""A Chinese reader of the REST API meets no English engine sentence and no regular expression: a sample of
failing requests (missing and malformed values, a bad option, a format, a rule, a refused action, missing
things, a decision by the wrong person, an unreadable import file), each answered with `?lang=zh` or
`Accept-Language: zh-CN`. Codes and params stay as an English request gets them."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.api.test_records import delivery, make_project
from tests.approvals.test_approval_api import new_claim, only_task, people  # noqa: F401 - the fixture
from tests.conftest import Api, add_user, login

ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:['’][a-z]+)?(?:[ ,;:]+[A-Za-z]{2,}){2,}")   # three English words or more
REGEX = re.compile(r"\\[dwsDWS]|\[[^\]]*\][{*+?]|\{\d+(,\d*)?\}|\(\?[:=!<]|\^\[|\]\$")


def messages(body: Any) -> Iterator[str]:
    """Every `message` a JSON answer holds, at any depth."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "message" and isinstance(value, str):
                yield value
            else:
                yield from messages(value)
    elif isinstance(body, list):
        for item in body:
            yield from messages(item)


def assert_chinese(response: Any, status: int) -> list[str]:
    assert response.status_code == status, response.get_json()
    said = list(messages(response.get_json()))
    assert said, response.get_json()
    for text in said:
        assert ENGLISH_RUN.search(text) is None, f"an English sentence reaches a Chinese reader: {text!r}"
        assert REGEX.search(text) is None, f"a regular expression reaches a Chinese reader: {text!r}"
        assert re.search(r"[\u4e00-\u9fff]", text), f"not Chinese: {text!r}"
    return said


def chinese(api: Api) -> Api:
    api.headers["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.5"
    return api


@pytest.fixture
def keeper(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "keeper", "storekeeper", "project_manager", "system_admin")
    return chinese(login(client, tenant, "keeper"))


def test_field_errors_and_rules_read_in_chinese(keeper: Api) -> None:
    project = make_project(keeper)
    body = delivery(project["id"], grade="z", crates="1.5", colour="red")
    said = assert_chinese(keeper.post("/records/site/delivery", body), 422)
    assert "须为整数" in said and "不是到货验收单的字段" in said and any("不是可选值" in text for text in said)
    body = delivery(project["id"], number="", items=[{"material": "sand", "qty": "-1"}])
    said = assert_chinese(keeper.post("/records/site/delivery", body), 422)
    assert "必填" in said and "不能小于 0" in said
    rule = keeper.post("/records/site/delivery", delivery(project["id"], inspected=True, grade=None))
    assert "验收后须评定等级" in assert_chinese(rule, 422)


def test_a_format_reads_as_an_example_never_the_pattern(keeper: Api) -> None:
    response = keeper.post("/records/base/trade", {"trade_key": "BAD KEY", "trade_name": "木工",
                                                   "skill_level": "skilled", "guide_price": "300"})
    assert "格式不正确，例如：a" in assert_chinese(response, 422)
    [error] = response.get_json()["errors"]
    assert (error["code"], error["params"]) == ("pattern_example", {"example": "a"})   # as in English


def test_refusals_and_missing_things_read_in_chinese(engine: Formwork, tenant: str, client: FlaskClient,
                                                     keeper: Api) -> None:
    project = make_project(keeper)
    add_user(engine, tenant, "kate", "foreman")
    kate = chinese(login(client, tenant, "kate"))
    [refused] = assert_chinese(kate.post("/records/site/delivery", delivery(project["id"])), 403)
    assert refused.startswith("您的角色（施工员）不能新建到货验收单")
    forbidden = kate.post("/records/site/delivery", delivery(project["id"])).get_json()["error"]
    assert forbidden["params"] == {"roles": "foreman", "action": "create", "entity": "Delivery"}  # unchanged
    assert_chinese(keeper.get("/reports/site/nope"), 404)
    assert_chinese(keeper.get("/records/site/delivery/no-such-id"), 404)
    assert_chinese(keeper.get("/records/site/nothing"), 404)
    assert_chinese(keeper.get("/no/such/route"), 404)
    english = keeper.client.get("/api/v1/reports/site/nope?lang=en", headers={"Authorization":
                                                                                keeper.headers["Authorization"]})
    assert english.get_json()["error"]["message"] == "module 'site' has no report 'nope'"


def test_a_decision_by_the_wrong_person_reads_in_chinese(people: dict[str, Api]) -> None:  # noqa: F811
    claim = new_claim(people)
    people["alice"].post(f"/records/expense/claim/{claim['id']}/submit")
    task = only_task(people["pm"])
    assert_chinese(chinese(people["fin"]).post(f"/tasks/{task['id']}/complete", {"decision": "approve"}), 403)
    assert_chinese(chinese(people["pm"]).post(f"/tasks/{task['id']}/complete", {"decision": "maybe"}), 400)
    assert_chinese(people["pm"].post("/tasks/nope/complete", {"decision": "approve"}), 404)


def test_an_unreadable_import_file_reads_in_chinese(keeper: Api) -> None:
    headers = {**keeper.headers}
    for name, content in (("rows.xlsx", b"not a workbook"), ("rows.csv", b"a,b\x00c\n")):
        response = keeper.client.post("/api/v1/records/site/delivery/import?lang=zh", headers=headers,
                                      data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
        assert_chinese(response, 400)
    nothing = keeper.client.post("/api/v1/records/site/delivery/import?lang=zh", headers=headers, data={},
                                 content_type="multipart/form-data")
    assert_chinese(nothing, 400)
