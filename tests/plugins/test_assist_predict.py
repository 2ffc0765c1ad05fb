"""The assist plugin's predictions over HTTP on the demo: delay risk with the caller's permissions, delay signals
that become a delay risk once a person posts it, the assignee of an open task, a model stored per tenant."""
from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

sys.path.insert(0, str(Path(__file__).parents[2] / "plugins" / "assist"))

from formwork_assist import plugin
from formwork_assist.delay import service, synthetic
from formwork_assist.delay.features import History, Task

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine.runtime import Formwork
from engine.storage.workflow_models import HumanTask, TaskCandidate
from engine.tenancy import SYSTEM_ACTOR, Actor, plugin_registry
from tests.web.conftest import sign_in

CARD = re.compile(r'<section class="card plugin-card".*?</section>', re.S)
GANTT = re.compile(r'<script type="application/json" id="gantt-data">(.*?)</script>', re.S)
ADMIN = Actor(tenant_id=DEMO_TENANT, username=SYSTEM_ACTOR, roles=frozenset({"admin"}))


@pytest.fixture(scope="module")
def demo(demo_formwork: Formwork) -> Iterator[tuple[Formwork, Any]]:
    if plugin.name not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    with demo_formwork.db.tenant(DEMO_TENANT) as session:
        plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True, settings={})
    yield demo_formwork, create_app(demo_formwork, TESTING=True).test_client()


def _token(client: Any, user: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": user,
                                                     "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def _projects(engine: Formwork) -> list[str]:
    with engine.records(ADMIN) as records:
        items = records.find("base", "project", sort="project_code").items
        return [item["id"] for item in items]


def _open_tasks(engine: Formwork, project: str) -> set[str]:
    with engine.records(ADMIN) as records:
        items = records.find("schedule", "wbs_task", q=f"project == '{project}' and actual_finish == null "
                                                          "and task_type != 'summary'", limit=500).items
        return {item["id"] for item in items}


def test_delay_risk_lists_the_open_tasks_riskiest_first_each_with_reasons(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    first = _projects(engine)[0]
    answer = client.get(f"/api/v1/assist/delay-risk?project={first}", headers=_token(client, "pm"))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["mode"] == "rule"          # the demo has too few finished tasks for a model
    assert {item["id"] for item in body["items"]} == _open_tasks(engine, first)
    probabilities = [item["probability"] for item in body["items"]]
    assert probabilities == sorted(probabilities, reverse=True)
    for item in body["items"]:
        assert item["reasons"][0]["feature"] == "rule" and len(item["reasons"]) >= 2
        assert all(reason["zh"] and reason["en"] for reason in item["reasons"])
        assert item["level"] in {"high", "medium", "low"}
    late = next(item for item in body["items"] if item["wbs_code"] == "1")   # the slab, 80 % and past its finish
    assert late["level"] == "high" and any(r["feature"] == "slip_days" for r in late["reasons"])


def test_a_caller_sees_only_the_tasks_their_row_filters_let_them_read(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    first, second, _third = _projects(engine)
    site2 = _token(client, "site2")            # a site engineer on the second project only
    answer = client.get(f"/api/v1/assist/delay-risk?project={second}", headers=site2)
    assert answer.status_code == 200
    assert {item["id"] for item in answer.get_json()["items"]} == _open_tasks(engine, second)
    refused = client.get(f"/api/v1/assist/delay-risk?project={first}", headers=site2)
    assert refused.status_code == 404 and refused.get_json()["error"]["message_code"] == "assist_project_not_found"
    crew = client.get(f"/api/v1/assist/delay-risk?project={first}", headers=_token(client, "crew1"))
    # a crew leader reads only the tasks of their crew: the demo's tasks name no crew
    assert crew.status_code in (200, 404)
    assert crew.status_code == 404 or crew.get_json()["items"] == []


def test_unknown_project_missing_query_and_plugin_off_are_coded(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    pm = _token(client, "pm")
    unknown = client.get("/api/v1/assist/delay-risk?project=nope", headers=pm)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["message_code"] == "assist_project_not_found"
    missing = client.get("/api/v1/assist/delay-risk", headers=pm)
    assert missing.status_code == 400 and missing.get_json()["error"]["message_code"] == "assist_query_missing"
    with engine.db.tenant(DEMO_TENANT) as session:
        plugin_registry.set_enabled(session, DEMO_TENANT, "assist", False)
    try:
        off = client.get(f"/api/v1/assist/delay-risk?project={_projects(engine)[0]}", headers=pm)
        assert off.status_code == 422
        assert off.get_json()["error"]["code"] == "plugin_not_enabled"
        assert off.get_json()["error"]["message_code"] == "assist_not_enabled"
        assert client.get("/api/v1/assist/assignee?task=x", headers=pm).status_code == 422
    finally:
        with engine.db.tenant(DEMO_TENANT) as session:
            plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True, settings={})


def test_a_delay_signal_becomes_a_risk_once_a_person_posts_the_suggestion(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    pm = _token(client, "pm")
    task = sorted(_open_tasks(engine, _projects(engine)[0]))[0]
    answer = client.post("/api/v1/assist/delay-signals", headers=pm,
                         json={"text": "昨夜暴雨，基坑积水，商砼供应中断，明日停工", "task": task})
    assert answer.status_code == 200
    body = answer.get_json()
    assert [s["word"] for s in body["signals"]] == ["暴雨", "商砼供应", "停工"]
    suggestion = body["suggestion"]
    assert suggestion["data"]["risk_source"] == "weather" and suggestion["data"]["task"] == task
    created = client.post(f"/api/v1/records/{suggestion['module']}/{suggestion['entity']}", headers=pm, json={
        **suggestion["data"], "risk_no": "R-ASSIST-1", "owner": "prod", "due_date": "2099-01-01"})
    assert created.status_code == 201, created.get_json()
    assert client.post("/api/v1/assist/delay-signals", headers=pm, json={"text": ""}).status_code == 400
    hidden = client.post("/api/v1/assist/delay-signals", headers=_token(client, "site2"),
                         json={"text": "暴雨", "task": task})
    assert hidden.status_code == 404


def test_the_assignee_of_an_open_task_ranks_who_may_decide_it(demo: tuple[Formwork, Any]) -> None:
    _engine, client = demo
    prod = _token(client, "prod")
    inbox = client.get("/api/v1/tasks", headers=prod).get_json()
    items = inbox["items"] if isinstance(inbox, dict) else inbox
    task = items[0]
    answer = client.get(f"/api/v1/assist/assignee?task={task['id']}", headers=prod)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert "prod" in [c["username"] for c in body["candidates"]]
    assert [c["rank"] for c in body["candidates"]] == list(range(1, len(body["candidates"]) + 1))
    assert all(c["reason"]["zh"] and c["reason"]["en"] for c in body["candidates"])
    unknown = client.get("/api/v1/assist/assignee?task=nope", headers=prod)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["message_code"] == "assist_task_not_found"


def test_a_task_several_people_may_take_shows_who_suits_it(demo: tuple[Formwork, Any]) -> None:
    _engine, client = demo   # before the test below takes prod's task away
    prod = _token(client, "prod")
    inbox = client.get("/api/v1/tasks", headers=prod).get_json()
    items = inbox["items"] if isinstance(inbox, dict) else inbox
    offered = next(task for task in items if not task.get("assignee"))
    page = sign_in(client, DEMO_TENANT, "prod", language="zh", password=DEMO_PASSWORD).text(
        f"/m/{offered['module']}/{offered['entity']}/{offered['record_id']}")
    panel = re.search(rf'<section class="card task-panel"[^>]*data-task="{offered["id"]}".*?</section>', page, re.S)
    assert panel, "no panel of the offered task"
    hint = re.search(r'<p class="muted small task-hint">(.*?)</p>', panel.group(0), re.S)
    assert hint and html.unescape(hint.group(1)).startswith("建议：") and "prod（" in html.unescape(hint.group(1))


def test_the_gantt_marks_risky_rows_and_the_dashboard_lists_them(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    with engine.records(ADMIN) as records:
        plan = records.find("schedule", "schedule_plan", sort="plan_code").items[0]
        slab = records.find("schedule", "wbs_task", q=f"plan == '{plan['id']}' and wbs_code == '1'").items[0]
    page = sign_in(client, DEMO_TENANT, "pm", language="zh", password=DEMO_PASSWORD)
    found = GANTT.search(page.text(f"/m/schedule/schedule_plan/{plan['id']}/gantt"))
    assert found
    marks = json.loads(html.unescape(found.group(1)))["marks"]
    assert marks[slab["id"]]["tone"] == "danger" and "已滞后" in marks[slab["id"]]["tooltip"]
    card = CARD.search(page.text("/"))
    assert card and "延误风险" in card.group(0) and "按透明规则估计" in card.group(0)
    assert len(re.findall(r'href="/m/schedule/wbs_task/[^"]+"', card.group(0))) == 5
    assert card.group(0).count("badge-danger") >= 1
    cashier = sign_in(client, DEMO_TENANT, "cashier", language="zh", password=DEMO_PASSWORD)  # reads no WBS task
    theirs = CARD.search(cashier.text("/"))
    assert theirs and "/m/schedule/wbs_task/" not in theirs.group(0) and "暂无未完成任务" in theirs.group(0)


def test_a_trained_model_is_stored_in_the_tenant_and_used_with_its_reasons(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    made = synthetic.history(200, seed=2)
    real = service.load_history(engine, DEMO_TENANT)
    merged = History(tasks={**made.tasks, **real.tasks}, progress={**made.progress, **real.progress},
                     signals={**made.signals, **real.signals}, weather={**made.weather, **real.weather})
    trained = service.train_tenant(engine, DEMO_TENANT, merged)
    assert trained.model is not None and trained.finished >= 200
    [stored] = engine.plugins.store("assist", DEMO_TENANT).list(service.COLLECTION, limit=1)
    assert stored["model"]["coefs"] == list(trained.model.coefs)
    answer = client.get(f"/api/v1/assist/delay-risk?project={_projects(engine)[0]}", headers=_token(client, "pm"))
    body = answer.get_json()
    assert body["mode"] == "model" and body["model"]["finished_tasks"] >= 200
    assert all(item["reasons"] and item["reasons"][0]["feature"] != "rule" for item in body["items"])


def test_history_reads_the_demo_reports_into_progress_points(demo: tuple[Formwork, Any]) -> None:
    engine, _client = demo
    history = service.load_history(engine, DEMO_TENANT)
    slab = next(task for task in history.tasks.values() if task.code == "1" and task.name.startswith("3#楼 5层"))
    assert isinstance(slab, Task) and [pct for _day, pct in history.progress[slab.id]][-1] == 80.0


def test_the_administrator_sees_whom_to_give_a_task_nobody_was_offered(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    with engine.db.tenant(DEMO_TENANT) as session:
        task = session.scalars(select(HumanTask).where(HumanTask.state == "open", HumanTask.module == "schedule",
                                                       HumanTask.bpmn_id == "production_review")).first()
        assert task is not None
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == task.id))
        task.incident = "no_candidate"   # as when nobody on the project held the role
    inbox = sign_in(client, DEMO_TENANT, "admin", language="zh", password=DEMO_PASSWORD).text("/tasks")
    hint = re.search(r'<p class="muted small task-hint">(.*?)</p>', inbox, re.S)
    assert hint and html.unescape(hint.group(1)).startswith("建议：prod（办理此步骤")


def test_a_schedule_record_that_signals_a_delay_offers_the_risk_form_filled_in(demo: tuple[Formwork, Any]) -> None:
    engine, client = demo
    with engine.records(ADMIN) as records:
        plan = records.find("schedule", "schedule_plan", sort="plan_code").items[0]
        task = records.find("schedule", "wbs_task", q=f"plan == '{plan['id']}' and wbs_code == '1'").items[0]
        records.update("schedule", "wbs_task", task["id"], {"remark": "昨夜暴雨，基坑积水；商砼供应中断"},
                       version=task["version"])
    pm = sign_in(client, DEMO_TENANT, "pm", language="zh", password=DEMO_PASSWORD)
    page = pm.text(f"/m/schedule/wbs_task/{task['id']}")
    card = next((c for c in CARD.findall(page) if "延误信号" in c), "")
    assert "提报延期风险（天气）" in card and "暴雨" in card and "商砼供应" in card
    link = html.unescape(re.search(r'href="([^"]+)"', card).group(1))
    assert link.startswith("/m/schedule/delay_risk/new?") and f"task={task['id']}" in link
    assert f"predicted_delay_days={max(0, task['data']['delay_days'] or 0)}" in link      # the task's days late so far
    form = pm.text(link)   # the new risk's form, filled in for the person to check
    assert re.search(r'<option value="weather"\s+selected', form)
    assert "暴雨" in html.unescape(re.search(r'<textarea[^>]*name="description"[^>]*>(.*?)</textarea>', form,
                                             re.S).group(1))
    assert re.search(rf'<option value="{task["id"]}"\s+selected', form)
    # a link fills in only what the user may write: never a read-only field
    filled = pm.text("/m/schedule/delay_risk/new?risk_no=R-LINK-1&auto_generated=true&nonsense=1")
    assert 'value="R-LINK-1"' in filled
    locked = re.search(r'<input type="checkbox"[^>]*name="auto_generated"[^>]*>', filled)
    assert locked and "disabled" in locked.group(0) and "checked" not in locked.group(0)
    # someone who reads the task but may not raise a risk is offered nothing
    gm = sign_in(client, DEMO_TENANT, "gm", language="zh", password=DEMO_PASSWORD)
    assert "延误信号" not in gm.text(f"/m/schedule/wbs_task/{task['id']}")
    with engine.db.tenant(DEMO_TENANT) as session:   # the plugin off: no offer
        plugin_registry.set_enabled(session, DEMO_TENANT, "assist", False)
    try:
        assert "延误信号" not in sign_in(client, DEMO_TENANT, "pm", language="zh", password=DEMO_PASSWORD).text(
            f"/m/schedule/wbs_task/{task['id']}")
    finally:
        with engine.db.tenant(DEMO_TENANT) as session:
            plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True, settings={})
