"""Assist over the REST API on a copy of the demo: a sentence into a ticket's fields, a phrase into a list filter,
what a caller may not read never suggested, and every refusal coded (never a 500)."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).parents[2] / "plugins" / "assist"))  # whether or not it is pip-installed

from formwork_assist import plugin
from formwork_assist.evaluation import evaluate_parsing
from formwork_assist.service import today

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine.runtime import Formwork
from engine.tenancy import plugin_registry

TICKET = {"module": "labor", "entity": "day_labor_ticket"}
EXAMPLE = "今天木工一班5个人在3号楼5层支模，每人一天，加班2小时"


@pytest.fixture(scope="module")
def client(demo_formwork: Formwork) -> Iterator[FlaskClient]:
    if "assist" not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    with demo_formwork.db.tenant(DEMO_TENANT) as session:
        plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True)
    yield create_app(demo_formwork, TESTING=True).test_client()


def token(client: FlaskClient, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": username,
                                                     "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def ask(client: FlaskClient, username: str, text: str, what: str = "parse", **body: Any) -> Any:
    return client.post(f"/api/v1/assist/{what}", json={**TICKET, "text": text, **body},
                       headers=token(client, username))


def test_the_issues_sentence_fills_the_ticket_with_reasons(client: FlaskClient) -> None:
    answer = ask(client, "site", EXAMPLE)
    assert answer.status_code == 200
    result = answer.get_json()
    fields = result["fields"]
    assert fields["crew"]["title"] == "木工一班" and fields["crew"]["source"] == "木工一班"
    assert fields["trade"]["title"] == "木工" and "主要工种" in fields["trade"]["why"]
    assert fields["project"]["title"] == "城南安置房一期"
    assert result["values"]["work_date"] == today().isoformat()
    assert result["values"]["headcount"] == 5
    assert result["values"]["days_per_person"] == "1" and fields["days_per_person"]["source"] == "一天"
    assert result["values"]["overtime_hours"] == "2" and "加班" in fields["overtime_hours"]["why"]
    assert result["values"]["location"] == "3号楼5层"
    assert result["values"]["reason_type"] == "extra_work"
    assert all(0 < item["confidence"] <= 1 and item["why"] for item in fields.values())
    assert result["unused"] == []


def test_numerals_relative_dates_and_unused_words(client: FlaskClient) -> None:
    result = ask(client, "site", "昨天钢筋班五个人干了两个半小时返工，天气很热").get_json()
    assert result["values"]["work_date"] == (today() - timedelta(days=1)).isoformat()
    assert result["values"]["headcount"] == 5 and result["values"]["overtime_hours"] == "2.5"
    assert result["values"]["reason_type"] == "rework"
    assert "天气" in result["unused"]


def test_a_crew_the_caller_cannot_read_is_never_suggested(client: FlaskClient) -> None:
    # crew2 leads 钢筋班 only: 木工一班 is outside their rows (its trade 木工 they may read, and it was said)
    result = ask(client, "crew2", EXAMPLE).get_json()
    assert "crew" not in result["values"] and "一班" in result["unused"]
    assert all(item.get("title") != "木工一班" for item in result["fields"].values())
    own = ask(client, "crew2", "今天钢筋班3个人返工").get_json()
    assert own["fields"]["crew"]["title"] == "钢筋班"


def test_a_crew_that_does_not_exist_is_never_invented(client: FlaskClient) -> None:
    result = ask(client, "site", "今天木工三班5个人支模").get_json()
    assert "crew" not in result["values"] and result["values"]["headcount"] == 5


@pytest.mark.parametrize(("username", "body", "status", "code"), [
    ("site", {"entity": "no_such_entity"}, 404, "not_found"),
    ("labor", {}, 403, "forbidden"),                            # the labor clerk only reads tickets
    ("site", {"text": ""}, 400, "bad_request"),
    ("site", {"text": "长" * 501}, 400, "bad_request"),
])
def test_refusals_are_coded(client: FlaskClient, username: str, body: dict[str, Any], status: int, code: str) -> None:
    answer = client.post("/api/v1/assist/parse", json={**TICKET, "text": EXAMPLE, **body},
                         headers=token(client, username))
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code


def test_a_tenant_without_assist_is_told_to_enable_it(client: FlaskClient, demo_formwork: Formwork) -> None:
    with demo_formwork.db.tenant(DEMO_TENANT) as session:
        plugin_registry.set_enabled(session, DEMO_TENANT, "assist", False)
    try:
        answer = ask(client, "site", EXAMPLE)
        error = answer.get_json()["error"]
        assert answer.status_code == 422 and error["code"] == "plugin_not_enabled"
        assert "formwork plugin enable demo assist" in error["message"]
    finally:
        with demo_formwork.db.tenant(DEMO_TENANT) as session:
            plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True)


def test_a_phrase_becomes_a_filter_the_list_accepts(client: FlaskClient) -> None:
    answer = ask(client, "pm", "上个月超过2000元的点工单", "filter")
    assert answer.status_code == 200, answer.get_json()
    made = answer.get_json()
    first = date.today().replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    assert f"work_date >= date('{last_month.isoformat()}')" in made["formula"] and "amount > 2000" in made["formula"]
    assert any("上个月" in line for line in made["why"])
    listed = client.get("/api/v1/records/labor/day_labor_ticket", query_string={"q": made["formula"]},
                        headers=token(client, "pm"))
    assert listed.status_code == 200
    assert all(float(item["data"]["amount"]) > 2000 for item in listed.get_json()["items"])

    crew = ask(client, "site", "木工一班本周的点工单", "filter").get_json()
    assert "crew.crew_name == '木工一班'" in crew["formula"] and "work_date >=" in crew["formula"]


def test_a_phrase_with_nothing_to_filter_by_is_refused(client: FlaskClient) -> None:
    answer = ask(client, "site", "随便看看", "filter")
    assert answer.status_code == 400 and answer.get_json()["error"]["message_code"] == "assist_filter_not_understood"


def test_held_out_sentences_are_read_right_and_no_crew_is_invented(demo_formwork: Formwork,
                                                                   client: FlaskClient) -> None:
    scored = evaluate_parsing(demo_formwork, DEMO_TENANT)
    assert scored["sentences"] >= 40
    assert scored["accuracy"] >= 0.85, scored["misses"]
    assert scored["invented_crews"] == 0
