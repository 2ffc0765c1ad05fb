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
from tests.browser import ARTIFACTS, CHROMIUM, log_in, serving
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


ROLE_KEYS = ("crew_leader", "site_engineer", "labor_clerk", "project_cost_engineer", "production_manager",
             "project_manager", "submitter")
SMALL_TICKET = {"reason_type": "extra_work", "reason": "楼层零星垃圾清理及材料倒运", "headcount": 2,
                "days_per_person": "1"}   # under every review threshold: the site engineer's signature ends it


def zoom(page: Any) -> float:
    return float(page.evaluate("() => window.formworkModeler.get('canvas').zoom()"))


def click_on(page: Any, selector: str) -> None:
    """Click where an element of the diagram is drawn (lane labels let clicks through to the lane)."""
    box = page.locator(selector).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def open_editor(page: Any, url: str) -> None:
    page.goto(url + "/designer/labor")
    page.click("#processes tr[data-entity='day_labor_ticket'] a")
    page.wait_for_selector("body[data-process-ready='true']")
    page.wait_for_selector("body[data-process-checked]")


def test_an_administrator_adds_an_approval_level_only_by_clicking_and_typing(demo: tuple[str, Formwork],
                                                                            browser: Any) -> None:
    url, engine = demo
    waiting = next(t for t in tasks_on_all(engine, SITE) if t["bpmn_id"] == "site_sign_off")  # started before publish
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss() if d.type == "beforeunload" else d.accept()))
    log_in(page, url, DEMO_TENANT, "admin", DEMO_PASSWORD)
    open_editor(page, url)
    assert page.locator("#process-problem-list li").count() == 0
    assert "点工单" in page.locator("h1").inner_text()

    # the diagram fills the screen, readable; it zooms by the buttons and by Ctrl+wheel
    canvas = page.locator("#process-canvas").bounding_box()
    assert canvas["height"] >= 480 and canvas["width"] >= 700
    opened = zoom(page)
    assert 0.55 <= opened <= 1
    page.screenshot(path=str(ARTIFACTS / "process-editor-1366-zh.png"))
    page.click("#zoom-in")
    assert zoom(page) > opened
    page.click("#zoom-out")
    page.click("#zoom-out")
    assert zoom(page) < opened
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    before = zoom(page)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_function(f"() => window.formworkModeler.get('canvas').zoom() > {before}")
    page.click("#zoom-fit")
    page.screenshot(path=str(ARTIFACTS / "process-editor-fit-1366-zh.png"))

    # roles by their labels: the lanes on the diagram, a lane's role in the panel
    lanes = page.locator(".fw-lane-label").all_inner_texts()
    assert {"提交人", "施工员/现场工程师", "生产经理", "项目商务经理/预算员"} <= set(lanes)
    click_on(page, ".fw-lane-label[data-element='lane_site_engineer']")
    picked = page.locator("#properties-body [data-prop='laneRole'] option:checked").inner_text()
    assert picked == "施工员/现场工程师"
    panel = page.locator("#process-properties").inner_text()
    assert "提交人" in panel and not [key for key in ROLE_KEYS if key in panel], panel

    # 添加审批层级 with nothing but a lane selected: before the end event a signed ticket reaches
    page.click("#add-level")
    page.keyboard.type("项目经理复核")
    page.click("#role-search")
    page.keyboard.type("项目经理")
    page.click("#properties-body label[data-role-label='项目经理']")
    new_id = page.evaluate("() => window.formworkModeler.get('selection').get()[0].id")
    assert page.evaluate(f"""() => {{ const e = window.formworkModeler.get('elementRegistry').get('{new_id}');
        return [e.type, e.businessObject.name, e.businessObject.get('camunda:candidateGroups'),
                e.incoming.map(f => f.id).sort(), e.outgoing.map(f => f.target.id)]; }}""") == [
        "bpmn:UserTask", "项目经理复核", "project_manager", ["f_back_charge_ok", "f_other_reason", "f_visa_ok"],
        ["signed"]]
    assert page.locator(f".fw-task-roles[data-element='{new_id}']").inner_text() == "项目经理"
    panel = page.locator("#process-properties").inner_text()
    assert "项目经理" in panel and not [key for key in ROLE_KEYS if key in panel], panel
    page.screenshot(path=str(ARTIFACTS / "process-editor-level-1366-zh.png"))

    # a role that is not declared is marked on the diagram and listed in the panel, where it is unticked
    page.evaluate(f"""() => {{ const m = window.formworkModeler, e = m.get('elementRegistry').get('{new_id}');
        m.get('modeling').updateProperties(e, {{'camunda:candidateGroups': 'project_manager,project_manger'}});
        m.get('selection').select(e); }}""")
    page.click("#check-process")
    page.locator(f".fw-problem-badge[data-element='{new_id}']").wait_for()
    listed = page.locator(f"#process-problem-list li[data-element='{new_id}']").inner_text()
    assert "项目经理复核" in listed and "您是否要写 'project_manager'？" in listed
    page.click("#properties-body label.unknown")
    page.click("#check-process")
    page.locator(".fw-problem-badge").first.wait_for(state="detached")

    # leaving with unsaved changes asks (and staying keeps them); once saved, it does not
    page.click("#to-publish", no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"] and "/processes/" in page.url
    page.click("#save-process")
    page.wait_for_selector("body[data-process-saved]")
    assert page.locator("#process-status").inner_text() == "已保存到草稿。"

    # the designer shows the draft's process; dry run and publish
    page.click("#to-publish")
    page.locator("#draft-notice").wait_for()
    assert dialogs == ["beforeunload"]
    assert page.locator("#draft-processes a[data-entity='day_labor_ticket']").count() == 1
    page.click("#dry-run")
    page.locator("#dry-run-report").wait_for()
    page.click("#publish")
    page.locator("#versions tr[data-version$='+t1']").wait_for()
    assert page.locator("#draft-notice").count() == 0
    assert not errors, errors
    context.close()

    # on a phone the editor opens readable too
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = phone.new_page()
    log_in(page, url, DEMO_TENANT, "admin", DEMO_PASSWORD)
    open_editor(page, url)
    assert zoom(page) >= 0.55 and page.locator("#process-canvas").bounding_box()["height"] >= 360
    assert page.locator("#add-level").is_visible()
    page.screenshot(path=str(ARTIFACTS / "process-editor-390-zh.png"))
    left = page.evaluate("() => window.formworkModeler.get('canvas').viewbox().x")
    page.evaluate("""() => { const canvas = document.getElementById('process-canvas');   // a one-finger drag
        const at = (x) => new Touch({identifier: 1, target: canvas, clientX: x, clientY: 500});
        canvas.dispatchEvent(new TouchEvent('touchstart', {touches: [at(300)], bubbles: true, cancelable: true}));
        canvas.dispatchEvent(new TouchEvent('touchmove', {touches: [at(100)], bubbles: true, cancelable: true}));
        canvas.dispatchEvent(new TouchEvent('touchend', {touches: [], bubbles: true, cancelable: true})); }""")
    assert page.evaluate("() => window.formworkModeler.get('canvas').viewbox().x") > left
    opened = zoom(page)
    page.tap("#zoom-in")
    assert zoom(page) > opened
    phone.close()

    # the ticket started before publishing finishes on its old process: no new level appears for it
    record_id = waiting["record_id"]
    with engine.approvals(SITE) as approvals:
        approvals.complete(waiting["id"], "approve", "ok")
    assert all(t["bpmn_id"] != new_id for who in (PM, SITE, ALICE) for t in tasks_on(engine, who, record_id))
    with engine.records(ALICE) as records:
        old = records.get("labor", "day_labor_ticket", record_id)
    assert "+t" not in old.get("schema_version", "")

    # a new ticket, signed by the site engineer, comes to the project manager as 项目经理复核
    body = {**{key: old["data"][key] for key in COPIED if old["data"].get(key) is not None}, **SMALL_TICKET}
    body.pop("unit_price", None)
    with engine.records(ALICE) as records:
        ticket = records.create("labor", "day_labor_ticket", body)  # numbered by the engine
    with engine.approvals(ALICE) as approvals:
        approvals.submit("labor", "day_labor_ticket", ticket["id"])
    assert tasks_on(engine, PM, ticket["id"]) == []
    [signing] = tasks_on(engine, SITE, ticket["id"])
    with engine.approvals(SITE) as approvals:
        approvals.complete(signing["id"], "approve", "现场核实无误")
    [review] = tasks_on(engine, PM, ticket["id"])
    assert (review["bpmn_id"], review["title"]) == (new_id, "项目经理复核")
    with engine.approvals(PM) as approvals:
        approvals.complete(review["id"], "approve", "同意")
    with engine.records(ALICE) as records:
        assert records.get("labor", "day_labor_ticket", ticket["id"])["status"] == "signed"


def tasks_on_all(engine: Formwork, who: tenancy.Actor) -> list[dict[str, Any]]:
    with engine.approvals(who) as approvals:
        return approvals.inbox()
