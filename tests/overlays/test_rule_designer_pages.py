"""The designer's formula editor endpoints, rule builder, list view and permission matrix (over HTTP, real DB):
administrators only, bad formulas answered with problems, and each page writing the draft the dry run shows."""
from __future__ import annotations

from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from engine.customization.draft_edit import DraftOverlay
from engine.formula.library.descriptions import undescribed
from engine.runtime import Formwork
from tests.conftest import add_user
from tests.modules.test_labor import create_ticket, ticket_body, world  # noqa: F401 - fixture
from tests.overlays.test_draft_edit import admin
from tests.web.conftest import Visitor, sign_in

BASE = "/designer/labor/day_labor_ticket"


@pytest.fixture
def pages(engine: Formwork) -> FlaskClient:
    app: Flask = create_app(engine, TESTING=True, SECRET_KEY="rule-designer-tests")
    return app.test_client()


@pytest.fixture
def boss(engine: Formwork, tenant: str, pages: FlaskClient) -> Visitor:
    add_user(engine, tenant, "boss", "admin")
    return sign_in(pages, tenant, "boss")


def check(visitor: Visitor, formula: str, expect: str | None = None) -> dict[str, Any]:
    visitor.get(BASE + "/rules")
    response = visitor.client.post(BASE + "/formula", json={"formula": formula, "expect": expect},
                                   headers={**visitor.headers, "X-CSRF-Token": visitor.token})
    assert response.status_code == 200, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


def draft(engine: Formwork, tenant: str) -> dict[str, Any]:
    with engine.adjustments(admin(tenant)) as service:
        return DraftOverlay(service).load("labor")


def dry_run(engine: Formwork, tenant: str) -> dict[str, Any]:
    """The dry run of the draft, as the designer's publish page runs it."""
    with engine.adjustments(admin(tenant)) as service:
        overlay = DraftOverlay(service)
        return service.dry_run("labor", overlay.overlay("labor", overlay.load("labor")))


def test_only_administrators_reach_the_pages_and_endpoints(engine: Formwork, tenant: str,
                                                           pages: FlaskClient) -> None:
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = sign_in(pages, tenant, "clerk")
    for path in ("/rules", "/list", "/permissions", "/formula/vocabulary"):
        assert clerk.get(BASE + path).status_code == 403, path
    response = clerk.client.post(BASE + "/formula", json={"formula": "headcount > 1"},
                                 headers={**clerk.headers, "X-CSRF-Token": clerk.token})
    assert response.status_code == 403


def test_the_vocabulary_names_fields_by_label_follows_refs_and_describes_functions(boss: Visitor) -> None:
    boss.headers = {"Accept-Language": "zh-CN"}
    vocabulary = boss.client.get(BASE + "/formula/vocabulary", headers=boss.headers).get_json()
    fields = {f["key"]: f for f in vocabulary["fields"]}
    assert fields["headcount"]["label"] == "人数" and fields["headcount"]["type_label"] == "数字"
    project = fields["project"]
    assert project["target"] == "base.project"
    members = next(f for f in project["fields"] if f["key"] == "members")
    assert "user" in [f["key"] for f in members["fields"]]
    functions = {f["name"]: f for f in vocabulary["functions"]}
    assert functions["days_between"]["signature"].startswith("days_between(")
    assert functions["sum"]["doc"].startswith("合计")
    assert "params.late_entry_days" in [p["key"] for p in vocabulary["parameters"]]
    assert set(undescribed()) <= {"with_tax"}     # every built-in is described; the example plugin's is not


def test_a_bad_formula_is_an_answer_with_problems(boss: Visitor) -> None:
    unknown = check(boss, "headcont <= 30", "boolean")
    assert unknown["ok"] is False and unknown["problems"][0]["column"] == 1
    assert "did you mean 'headcount'" in unknown["problems"][0]["message"]
    boss.headers = {"Accept-Language": "zh-CN"}
    zh = check(boss, "headcont <= 30", "boolean")
    assert zh["problems"][0]["message"] == "没有字段 headcont（您是不是要写 人数（headcount）？）"
    mismatch = check(boss, "headcount + 1", "boolean")
    assert mismatch["type"] == "number" and mismatch["problems"][0]["message"] == "公式的结果应为是/否，而它是数字"
    broken = check(boss, "headcount <= ", "boolean")
    assert broken["ok"] is False and broken["problems"][0]["message"].startswith("公式不完整")
    operands = check(boss, "headcount + 'a' > 1", "boolean")["problems"][0]["message"]
    assert operands == "不能对数字和文本做加法运算"
    argument = check(boss, "round('a') > 1", "boolean")["problems"][0]["message"]
    assert argument == "round() 的第 1 个参数必须是数字，不能是文本"
    syntax = check(boss, "headcount + * 2 > 1", "boolean")["problems"][0]["message"]
    assert syntax == "语法错误：意外的 '*'（此处应为一个值）"
    assert check(boss, "", "boolean")["problems"] == []


def test_the_preview_runs_on_the_newest_ticket_else_on_the_defaults(engine: Formwork, tenant: str, boss: Visitor,
                                                                  world: dict[str, Any]) -> None:  # noqa: F811
    defaults = check(boss, "days_per_person * 2", "number")
    assert defaults["ok"] is True and defaults["preview"]["display"] == "2"
    assert defaults["preview"]["record_title"] == "Sample record: a new record with the defaults"
    ticket = create_ticket(world["users"]["cost"], ticket_body(world, headcount=7))
    newest = check(boss, "headcount * 2 + 1", "number")
    assert newest["preview"]["display"] == "15"
    assert ticket["data"]["ticket_no"] in newest["preview"]["record_title"]
    assert check(boss, "headcount <= 30", "boolean")["preview"]["display"] == "yes"


def test_a_rule_saved_in_the_builder_is_in_the_draft_and_the_dry_run(engine: Formwork, tenant: str,
                                                                    boss: Visitor) -> None:
    page = boss.text(BASE + "/rules")
    assert "headcount == count(workers)" in page               # the module's own rules, read-only
    response = boss.post(BASE + "/rules", {"count": "0", "new-assert": "headcount <= 30", "new-when": "",
                                           "new-field": "headcount", "new-message_zh": "人数不能超过30人",
                                           "new-message_en": "At most 30 people", "new-severity": "error"})
    assert response.status_code == 302
    rules = draft(engine, tenant)["entities"]["day_labor_ticket"]["rules"]
    assert rules == [{"assert": "headcount <= 30", "message": {"zh": "人数不能超过30人", "en": "At most 30 people"},
                      "field": "headcount"}]
    assert 'value="headcount &lt;= 30"' in boss.text(BASE + "/rules")
    # a message without its condition is refused; the removal leaves no rules
    assert boss.post(BASE + "/rules", {"count": "1", "rule-0-assert": "headcount <= 30", "rule-0-message_zh": "x",
                                       "new-message_zh": "孤立的提示"}).status_code == 422
    report = dry_run(engine, tenant)
    assert "headcount <= 30" in yaml.safe_dump(report["diff"], allow_unicode=True)
    boss.post(BASE + "/rules", {"count": "1", "rule-0-assert": "headcount <= 30", "rule-0-message_zh": "x",
                                "_remove": "0"})
    assert "entities" not in draft(engine, tenant)


def test_the_list_view_and_permissions_write_only_what_differs(engine: Formwork, tenant: str,
                                                               boss: Visitor) -> None:
    page = boss.text(BASE + "/list")
    assert 'data-column="ticket_no"' in page and ">Headcount<" in page
    boss.post(BASE + "/list", [("column", "ticket_no"), ("column", "headcount"), ("column", "status"),
                               ("sort_field", "headcount"), ("sort_direction", "desc"), ("filter", "crew")])
    listed = draft(engine, tenant)["entities"]["day_labor_ticket"]["views"]["list"]
    assert listed == {"columns": ["ticket_no", "headcount", "status"], "sort": "-headcount", "filters": ["crew"]}
    page = boss.text(BASE + "/permissions")
    assert 'data-preset="user.name in project.members.user"' in page and "Crew leader" in page
    form = [("actions-crew_leader", a) for a in ("create", "read", "update", "submit", "export")]
    form += [("rows-crew_leader", "crew.leader_user == user.name or created_by == user.name")]
    form += [("readonly-crew_leader", f) for f in ("unit_price", "price_source", "price_adjust_reason", "cost_account")]
    boss.post(BASE + "/permissions", form)
    permissions = draft(engine, tenant)["entities"]["day_labor_ticket"]["permissions"]
    assert permissions["crew_leader"] == {"actions": ["create", "read", "update", "submit", "export"]}
    assert permissions["site_engineer"]["actions"] == []          # not in the form: no action left
    report = dry_run(engine, tenant)
    assert "headcount" in yaml.safe_dump(report["diff"], allow_unicode=True)


def test_a_rule_or_row_filter_that_does_not_check_is_refused_with_its_problem(engine: Formwork, tenant: str,
                                                                              boss: Visitor) -> None:
    boss.headers = {"Accept-Language": "zh-CN"}
    boss.get(BASE + "/rules")
    response = boss.post(BASE + "/rules", {"count": "0", "new-assert": "headcont <= 30", "new-message_zh": "人数过多"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "新增规则 · 条件（须成立）：没有字段 headcont（您是不是要写 人数（headcount）？）" in page
    assert 'value="headcont &lt;= 30"' in page                       # what was typed stays
    boss.get(BASE + "/permissions")
    response = boss.post(BASE + "/permissions", [("actions-crew_leader", "read"), ("rows-crew_leader", "headcount")])
    assert response.status_code == 422
    assert "班组长 · 数据范围（行过滤）：公式的结果应为是/否，而它是数字" in response.get_data(as_text=True)
    assert draft(engine, tenant) == {"overlay": "labor", "base_version": "1.6.0"}      # nothing saved


def test_a_row_formula_reads_the_row_and_its_parent(boss: Visitor) -> None:
    boss.get(BASE + "/rules")
    response = boss.client.post(BASE + "/formula", headers={**boss.headers, "X-CSRF-Token": boss.token},
                                json={"formula": "days + coalesce(ot_hours, 0) / 8 + parent.headcount",
                                      "expect": "number", "row_table": "workers"})
    assert response.get_json()["ok"] is True and response.get_json()["preview"] is None
    vocabulary = boss.client.get(BASE + "/formula/vocabulary?row_table=workers", headers=boss.headers).get_json()
    assert {"worker", "days", "parent"} <= {f["key"] for f in vocabulary["fields"]}
