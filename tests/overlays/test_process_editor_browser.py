"""The approval editor in headless Chromium, on the demo tenant: add an approval level to the day-labor ticket
sign-off in bpmn-js, see a broken element marked with its problem, fix it, save, publish; then a new ticket goes
through the new level while the ticket started before publishing keeps its old flow."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, CHROMIUM, DESKTOP, log_in, serving
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test`", allow_module_level=True)

COPIED = ("project", "work_date", "crew", "trade", "location", "reason_type", "reason", "work_content", "headcount",
          "days_per_person", "unit_price", "photos", "crew_leader_signature", "cost_account")


def actor(username: str, *roles: str) -> tenancy.Actor:
    return tenancy.Actor(DEMO_TENANT, username, frozenset(roles))


SITE, PM, ALICE = (actor("site", "site_engineer"), actor("pm", "project_manager"),
                   actor("alice", "applicant", "project_cost_engineer"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Formwork]]:
    engine = demo_engine(tmp_path_factory)
    with serving(create_app(engine, SECRET_KEY="process-editor"), engine) as url:
        yield url, engine


def tasks_on(engine: Formwork, who: tenancy.Actor, record_id: str) -> list[dict[str, Any]]:
    with engine.approvals(who) as approvals:
        return [task for task in approvals.inbox() if task["record_id"] == record_id]


def test_an_administrator_adds_an_approval_level_in_the_modeler(demo: tuple[str, Formwork], browser: Any) -> None:
    url, engine = demo
    waiting = next(t for t in tasks_on_all(engine, SITE) if t["bpmn_id"] == "site_sign_off")  # started before publish
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, url, DEMO_TENANT, "admin", DEMO_PASSWORD)
    page.goto(url + "/designer/labor")
    page.click("#processes tr[data-entity='day_labor_ticket'] a")
    page.wait_for_selector("body[data-process-ready='true']")
    page.wait_for_selector("body[data-process-checked]")
    assert page.locator("#process-problem-list li").count() == 0
    assert "点工单" in page.locator("h1").inner_text()

    # a new approval level on the flow from the entry join to the site engineer's sign-off
    page.evaluate("""() => { const m = window.formworkModeler;
        m.get('selection').select(m.get('elementRegistry').get('f_join')); }""")
    page.click("#insert-step")
    new_id = page.evaluate("() => window.formworkModeler.get('selection').get()[0].id")
    assert page.evaluate(f"""() => {{ const e = window.formworkModeler.get('elementRegistry').get('{new_id}');
        return [e.type, e.incoming[0].id, e.outgoing[0].target.id]; }}""") == [
        "bpmn:UserTask", "f_join", "site_sign_off"]
    page.fill("#properties-body [data-prop='name']", "项目经理确认")
    page.press("#properties-body [data-prop='name']", "Tab")
    page.fill("#properties-body [data-prop='candidateGroups']", "project_manger")   # a typo, on purpose
    page.press("#properties-body [data-prop='candidateGroups']", "Tab")
    page.click("#check-process")
    badge = page.locator(f".fw-problem-badge[data-element='{new_id}']")
    badge.wait_for()
    assert page.locator(f".djs-element.fw-error[data-element-id='{new_id}']").count() == 1
    listed = page.locator(f"#process-problem-list li[data-element='{new_id}']").inner_text()
    assert "'project_manger' is not a declared role (did you mean 'project_manager'?)" in listed
    page.click(f"#process-problem-list li[data-element='{new_id}']")    # zooms to the element
    page.screenshot(path=str(ARTIFACTS / "process-editor-problem-zh.png"), full_page=True)

    # fix it in the properties panel (the role picker), give the step a task form, save into the draft
    page.evaluate(f"""() => {{ const m = window.formworkModeler;
        m.get('selection').select(m.get('elementRegistry').get('{new_id}')); }}""")
    page.fill("#properties-body [data-prop='candidateGroups']", "")
    page.press("#properties-body [data-prop='candidateGroups']", "Tab")
    page.select_option("#properties-body [data-prop='addRole']", "project_manager")
    assert page.input_value("#properties-body [data-prop='candidateGroups']") == "project_manager"
    page.select_option("#properties-body [data-prop='editable']", ["work_content"])
    page.click("#save-process")
    page.wait_for_selector("body[data-process-saved]")
    assert page.locator("#process-status").inner_text() == "已保存到草稿。"
    assert page.locator(".fw-problem-badge").count() == 0
    page.screenshot(path=str(ARTIFACTS / "process-editor-fixed-zh.png"), full_page=True)

    # the draft is the overlay the designer publishes, with the usual dry run
    page.click("#to-publish")
    page.locator("#draft-notice").wait_for()
    assert "day_labor_ticket: approvals/ticket_sign_off_tenant.bpmn" in page.input_value("#overlay-text")
    page.click("#dry-run")
    page.locator("#dry-run-report").wait_for()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#publish")
    page.locator("#versions tr[data-version$='+t1']").wait_for()
    assert page.locator("#draft-notice").count() == 0
    assert not errors, errors
    context.close()

    # the ticket started before publishing finishes on its old process: no new level appears for it
    record_id = waiting["record_id"]
    with engine.approvals(SITE) as approvals:
        approvals.complete(waiting["id"], "approve", "ok")
    assert all(t["bpmn_id"] != new_id for who in (PM, SITE, ALICE) for t in tasks_on(engine, who, record_id))
    with engine.records(ALICE) as records:
        old = records.get("labor", "day_labor_ticket", record_id)
    assert "+t" not in old.get("schema_version", "")

    # a new ticket goes through the project manager's new level first, then the site engineer
    body = {key: old["data"][key] for key in COPIED if old["data"].get(key) is not None}
    with engine.records(ALICE) as records:
        ticket = records.create("labor", "day_labor_ticket", body)  # numbered by the engine
    with engine.approvals(ALICE) as approvals:
        approvals.submit("labor", "day_labor_ticket", ticket["id"])
    [first] = tasks_on(engine, PM, ticket["id"])
    assert (first["bpmn_id"], first["title"]) == (new_id, "项目经理确认")
    assert tasks_on(engine, SITE, ticket["id"]) == []
    with engine.approvals(PM) as approvals:
        approvals.complete(first["id"], "approve", "同意")
    assert [t["bpmn_id"] for t in tasks_on(engine, SITE, ticket["id"])] == ["site_sign_off"]


def tasks_on_all(engine: Formwork, who: tenancy.Actor) -> list[dict[str, Any]]:
    with engine.approvals(who) as approvals:
        return approvals.inbox()
