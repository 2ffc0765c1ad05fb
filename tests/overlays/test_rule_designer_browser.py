"""The rule builder, list view and permission matrix in headless Chromium, on the demo tenant, only by clicking and
typing (never YAML): an administrator adds the rule `headcount <= 30` to 点工单 with the formula editor's
autocomplete, shows a list column, ticks a permission, dry-runs and publishes; then a crew leader's ticket of 40
people is refused with the rule's message."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from engine import tenancy
from engine.errors import RecordInvalid
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, CHROMIUM, log_in, serving
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test`", allow_module_level=True)

RULES = "/designer/labor/day_labor_ticket/rules"
COPIED = ("project", "work_date", "crew", "trade", "location", "reason_type", "reason", "work_content",
          "days_per_person", "photos", "crew_leader_signature")
ALICE = tenancy.Actor(DEMO_TENANT, "alice", frozenset({"applicant", "project_cost_engineer"}))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Formwork]]:
    engine = demo_engine(tmp_path_factory)
    with serving(create_app(engine, SECRET_KEY="rule-designer"), engine) as url:
        yield url, engine


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def test_an_administrator_adds_a_rule_a_column_and_a_permission_by_clicking(demo: tuple[str, Formwork],
                                                                          browser: Any) -> None:
    url, engine = demo
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, url, DEMO_TENANT, "admin", DEMO_PASSWORD)
    page.goto(url + RULES)
    assert page.locator("h1").inner_text() == "点工单 · 规则"
    assert page.locator("#catalog-rules tbody tr").count() >= 10       # the module's own, read-only

    # the condition, with the field inserted from the suggestions (typed by its label)
    condition = page.locator("#new-assert")
    condition.click()
    condition.press_sequentially("人数")
    option = page.locator("#new-assert-suggest li[data-key='headcount']")
    option.wait_for()
    assert "人数" in option.inner_text() and "数字" in option.inner_text()
    shot(page, "rule-builder-suggest-1366-zh.png")
    option.click()
    assert condition.input_value() == "headcount"
    condition.press_sequentially(" <= ")
    page.wait_for_selector("#new-assert[data-formula-state='problem']")
    assert "公式不完整" in page.locator("#new-assert + .formula-box .formula-problem").inner_text()
    condition.press_sequentially("30")
    page.wait_for_selector("#new-assert[data-formula-state='ok']")
    status = page.locator("#new-assert + .formula-box .formula-status").inner_text()
    assert "结果类型：是/否" in status and "示例值：是" in status and "示例记录：DG-" in status
    page.fill("#new-message_zh", "人数不能超过30人")
    page.fill("#new-message_en", "At most 30 people")
    page.select_option("#new-field", label="人数")
    page.select_option("#new-severity", "error")
    shot(page, "rule-builder-1366-zh.png")
    page.click("#add-rule")
    page.locator(".flash-success").wait_for()
    assert page.locator("#rule-0-assert").input_value() == "headcount <= 30"

    # the phone width, with the formula editor open on the saved rule
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#rule-0-assert").scroll_into_view_if_needed()
    page.locator("#rule-0-assert").click()
    page.locator("#rule-0-assert").press("End")
    page.locator("#rule-0-assert").press_sequentially(" and head")
    page.locator("#rule-0-assert-suggest li[data-key='headcount']").wait_for()
    shot(page, "rule-builder-390-zh.png", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    page.goto(url + RULES)
    page.set_viewport_size({"width": 1366, "height": 900})

    # a list column: 加班小时(合计), moved up before 状态
    page.click(".designer-tabs a[data-tab='list']")
    page.wait_for_load_state()  # the ↑ buttons move rows once the page's script has loaded
    row = page.locator("#list-columns li[data-column='overtime_hours']")
    row.locator("input[type=checkbox]").check()
    for _ in range(12):
        if page.locator("#list-columns li").nth(9).get_attribute("data-column") == "overtime_hours":
            break
        row.locator("[data-move='up']").click()
    page.click("#save-list")
    page.locator(".flash-success").wait_for()
    page.wait_for_load_state()  # the notice is parsed before the list below it: read the list once it is all there
    columns = page.locator("#list-columns li:has(input:checked)").evaluate_all(
        "items => items.map(li => li.getAttribute('data-column'))")
    assert columns[-2:] == ["overtime_hours", "status"]
    shot(page, "list-view-1366-zh.png")

    # a permission: crew leaders may export
    page.click(".designer-tabs a[data-tab='permissions']")
    page.check("tr[data-role='crew_leader'] input[data-action='export']")
    page.click("#save-permissions")
    page.locator(".flash-success").wait_for()
    assert page.is_checked("tr[data-role='crew_leader'] input[data-action='export']")
    shot(page, "permissions-1366-zh.png")

    # dry run and publish on the module's page
    page.click("#to-publish")
    page.locator("#draft-notice").wait_for()
    page.click("#dry-run")
    page.locator("#dry-run-report").wait_for()
    assert "headcount <= 30" in page.locator("#dry-run-report").inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#publish")
    page.locator("#versions tr[data-version$='+t1']").wait_for()
    assert not errors, errors
    context.close()

    # a crew leader's ticket of 40 people is refused with the rule's message
    with engine.records(ALICE) as records:
        old = records.find("labor", "day_labor_ticket", limit=1).items[0]
        crew = records.get("base", "crew", old["data"]["crew"])
    leader = tenancy.Actor(DEMO_TENANT, crew["data"]["leader_user"], frozenset({"crew_leader"}))
    body = {key: old["data"][key] for key in COPIED if old["data"].get(key) is not None}
    with pytest.raises(RecordInvalid) as refused, engine.records(leader, "zh") as records:
        records.create("labor", "day_labor_ticket", {**body, "headcount": 40})
    assert any(e.field == "headcount" and e.message == "人数不能超过30人" for e in refused.value.errors), \
        refused.value.errors
    with engine.records(leader, "zh") as records:
        assert records.create("labor", "day_labor_ticket", {**body, "headcount": 3})["data"]["headcount"] == 3
