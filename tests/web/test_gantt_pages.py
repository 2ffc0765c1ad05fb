# ruff: noqa: F811 - `world`, the schedule module tests' fixture, is imported once and requested by name
"""The Gantt page of a schedule plan and the schedule key indicators, through the Flask test client."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import add_user
from tests.modules.test_schedule import a_plan, a_task, world  # noqa: F401
from tests.web.conftest import sign_in

GANTT = re.compile(r'<script type="application/json" id="gantt-data">(.*?)</script>', re.S)


@pytest.fixture
def plan(world: dict[str, Any]) -> dict[str, Any]:
    """A plan (status date 2024-06-20) with a summary, a finished task, a late successor and a key milestone."""
    plan = a_plan(world, "JH-G1")
    summary = a_task(world, plan, "1", "2024-05-01", "2024-06-30", task_type="summary")
    done = a_task(world, plan, "1.1", "2024-05-01", "2024-05-10", parent=summary["id"], actual_start="2024-05-02",
                  actual_finish="2024-05-10", percent_complete="100")
    a_task(world, plan, "1.2", "2024-05-11", "2024-06-10", parent=summary["id"], actual_start="2024-05-12",
           percent_complete="40", predecessors=[{"predecessor": done["id"], "dep_type": "finish_to_start"}])
    a_task(world, plan, "1.3", "2024-06-15", "2024-06-15", parent=summary["id"], task_type="milestone",
           is_contract_node=True, penalty_per_day="10000")
    return plan


def gantt_of(html: str) -> dict[str, Any]:
    match = GANTT.search(html)
    assert match, "the page has no Gantt data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_the_gantt_page_sends_every_task_with_planned_baseline_actual_and_links(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], plan: dict[str, Any]) -> None:
    page = sign_in(browser_client, tenant, "prod", language="zh")
    record = page.text(f"/m/schedule/schedule_plan/{plan['id']}")
    assert f'href="/m/schedule/schedule_plan/{plan["id"]}/gantt"' in record and "甘特图" in record
    html = page.text(f"/m/schedule/schedule_plan/{plan['id']}/gantt")
    assert "计划 JH-G1 甘特图" in html and "共 4 项任务" in html and "基线" in html
    data = gantt_of(html)
    tasks = [dict(zip(data["fields"], row, strict=True)) for row in data["tasks"]]
    assert [t["wbs_code"] for t in tasks] == ["1", "1.1", "1.2", "1.3"]
    assert tasks[1]["actual_finish"] == "2024-05-10" and tasks[1]["baseline_start"] == "2024-05-01"
    assert tasks[2]["predecessors"] == [1] and tasks[2]["light"] == "yellow"  # after 1.1; 10 days late on 06-20
    assert (tasks[3]["task_type"], tasks[3]["is_key"]) == ("milestone", True)
    assert data["status_date"] == "2024-06-20" and data["labels"]["baseline_start"] == "基线开始"


def test_the_gantt_obeys_read_permissions(
        engine: Formwork, browser_client: FlaskClient, tenant: str, world: dict[str, Any],
        plan: dict[str, Any]) -> None:
    add_user(engine, tenant, "cashier", "cashier")                # no role in the schedule module
    cashier = sign_in(browser_client, tenant, "cashier")
    assert cashier.get(f"/m/schedule/schedule_plan/{plan['id']}/gantt").status_code == 403
    prod = sign_in(browser_client.application.test_client(), tenant, "prod")
    assert prod.get("/m/schedule/schedule_plan/no-such-plan/gantt").status_code == 404
    empty = a_plan(world, "JH-EMPTY")
    assert "This plan has no tasks yet." in prod.text(f"/m/schedule/schedule_plan/{empty['id']}/gantt")


def test_schedule_figures_warn_beyond_their_thresholds(
        browser_client: FlaskClient, tenant: str, world: dict[str, Any], plan: dict[str, Any]) -> None:
    html = sign_in(browser_client, tenant, "prod").text("/")
    delayed = html.split("Delayed tasks")[0].rsplit("<a ", 1)[1] + html.split("Delayed tasks")[1].split("</a>")[0]
    assert "is-warning" in delayed and ">2<" in delayed and "Beyond the warning threshold 0" in delayed
    on_time = html.split("On-time completion")[0].rsplit("<a ", 1)[1] + html.split("On-time completion")[1].split(
        "</a>")[0]
    assert "is-warning" not in on_time and "100" in on_time and "%" in on_time    # 1.1 finished on its baseline
