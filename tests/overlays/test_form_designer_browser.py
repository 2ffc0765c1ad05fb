"""The visual form designer in headless Chromium, on the demo tenant, only by clicking and typing (never YAML): the
administrator adds 天气 (a required single choice) and a computed field to 点工单, moves a field to another
section, hides one from 施工员, dry-runs and publishes; then the crew leader's new-ticket form shows them and
the site engineer's does not show the hidden field. The form follows the designer's sections."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from tests.browser import ARTIFACTS, CHROMIUM, log_in, serving
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test`", allow_module_level=True)

WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
NEW_TICKET = "/m/labor/day_labor_ticket/new"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    engine = demo_engine(tmp_path_factory)
    with serving(create_app(engine, SECRET_KEY="form-designer"), engine) as url:
        yield url


def saved(page: Any) -> None:
    """Wait for the debounced autosave to answer."""
    page.wait_for_selector("body[data-fd-state='saved'], body[data-fd-state='problems']")


def option(page: Any, zh: str, en: str) -> None:
    page.click("#fd-add-option")
    row = page.locator("#fd-options li").last
    row.locator("[data-prop='option-zh']").fill(zh)
    row.locator("[data-prop='option-en']").fill(en)


def drag(page: Any, source: str, target: str) -> None:
    """HTML5 drag and drop with the mouse: `source` dropped on the upper half of `target` (both on screen)."""
    page.set_viewport_size({"width": WIDE["width"], "height": 2600})
    page.evaluate("window.scrollTo(0, 0)")
    start, end = page.locator(source).bounding_box(), page.locator(target).bounding_box()
    page.mouse.move(start["x"] + 40, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 40, end["y"] + 5, steps=8)
    page.mouse.up()
    page.set_viewport_size(WIDE)


def model(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("() => fetch(location.pathname + '/model').then(r => r.json())"))


def sections(page: Any) -> list[list[str]]:
    return [list(s["fields"]) for s in model(page)["entity"]["sections"]]


def test_an_administrator_designs_the_ticket_form_by_clicking(demo: str, browser: Any) -> None:
    url = demo
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, url, DEMO_TENANT, "admin", DEMO_PASSWORD)
    page.goto(url + "/designer/labor")
    page.click("#visual-designer a[data-entity='day_labor_ticket']")
    page.wait_for_selector(".fd-card[data-field='reason_type']")
    assert page.locator(".designer-tabs a.is-active").inner_text() == "表单"
    assert [a.inner_text() for a in page.locator(".designer-tabs a").all()] == [
        "表单", "规则", "列表视图", "权限", "流程", "源码", "试运行与发布"]

    # 天气: a required single choice with three options, in the first section
    page.click(".fd-section[data-section='0'] .fd-add-field")
    page.fill("#fd-label-zh", "天气")
    page.fill("#fd-label-en", "Weather")
    page.select_option("#fd-type", "enum")
    page.locator("#fd-options li").first.locator("[data-prop='option-zh']").fill("晴")
    page.locator("#fd-options li").first.locator("[data-prop='option-en']").fill("Sunny")
    option(page, "雨", "Rain")
    option(page, "雪", "Snow")
    page.check("#fd-required")
    saved(page)
    assert page.locator(".fd-section[data-section='0'] .fd-card[data-field='weather']").count() == 1
    assert page.locator("#fd-status").inner_text() == "已保存到草稿"
    assert "天气" in page.locator("#fd-preview").inner_text()

    # a computed field in the 工日 section: 工日合计 = headcount * days_per_person
    page.click(".fd-section[data-section='2'] .fd-add-field")
    page.fill("#fd-label-zh", "工日合计")
    page.fill("#fd-label-en", "Total man-days")
    page.select_option("#fd-type", "decimal")
    page.fill("#fd-formula", "headcount * days_per_person")
    assert page.get_attribute("#fd-formula", "data-formula") == "" and page.get_attribute(
        "#fd-visible_if", "data-expect") == "boolean"
    saved(page)
    page.screenshot(path=str(ARTIFACTS / "form-designer-field-zh.png"), full_page=True)

    # move 备注 from 证据与签字 to 事由 by dragging, and 加班小时 up one place with its button
    drag(page, ".fd-card[data-field='remark']", ".fd-section[data-section='1'] .fd-card[data-field='reason']")
    saved(page)
    page.click(".fd-card[data-field='overtime_hours'] [data-move='up']")
    saved(page)
    layout = sections(page)
    assert layout[1][:3] == ["reason_type", "remark", "reason"] and "remark" not in layout[4]
    assert layout[2][:4] == ["headcount", "overtime_hours", "days_per_person", "workers"]
    assert "total_man_days" in layout[2]

    # hide 加班小时 from 施工员
    page.click(".fd-card[data-field='overtime_hours']")
    page.check("#fd-panel-body input[data-role='site_engineer']")
    saved(page)
    current = model(page)
    assert current["problems"] == []
    patch = current["overlay"]["entities"]["day_labor_ticket"]
    assert patch["fields"]["weather"] == {"type": "enum", "label": {"zh": "天气", "en": "Weather"}, "required": True,
                                          "options": {"sunny": {"zh": "晴", "en": "Sunny"},
                                                      "rain": {"zh": "雨", "en": "Rain"},
                                                      "snow": {"zh": "雪", "en": "Snow"}}}
    assert patch["fields"]["total_man_days"]["formula"] == "headcount * days_per_person"
    assert "overtime_hours" in patch["permissions"]["site_engineer"]["hidden_fields"]
    assert "amount" in patch["permissions"]["site_engineer"]["hidden_fields"]      # the whole list is written
    page.screenshot(path=str(ARTIFACTS / "form-designer-1366-zh.png"), full_page=True)
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(page.url)
    phone.click(".fd-card[data-field='weather'] .fd-card-label")     # its label: the card's middle may be ↑ at 390 px
    phone.screenshot(path=str(ARTIFACTS / "form-designer-390-zh.png"), full_page=True)
    phone.close()

    # dry run and publish, with the confirmation
    page.click(".designer-tabs a[data-tab='publish']")
    page.click("#dry-run")
    page.locator("#dry-run-report").wait_for()
    assert "weather" in page.locator("#dry-run-report").inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#publish")
    page.wait_for_selector("text=1.6.0+t1")
    page.screenshot(path=str(ARTIFACTS / "form-designer-published-zh.png"), full_page=True)
    assert not errors, errors
    context.close()

    # the crew leader's new ticket shows 天气 with its options and the computed field; the site engineer's
    # form does not show 加班小时
    leader = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    log_in(leader, url, DEMO_TENANT, "crew1", DEMO_PASSWORD)
    leader.goto(url + NEW_TICKET)
    weather = leader.locator("[data-field='weather']")
    assert "天气" in weather.inner_text()
    choices = weather.locator("option, label").all_inner_texts()
    assert all(any(name in c for c in choices) for name in ("晴", "雨", "雪")), choices
    assert "工日合计" in leader.locator("[data-field='total_man_days']").inner_text()
    assert leader.locator("[data-field='overtime_hours']").count() == 1
    order = leader.eval_on_selector_all("form [data-field]", "nodes => nodes.map(n => n.getAttribute('data-field'))")
    order = list(dict.fromkeys(order))
    assert order.index("weather") == order.index("location") + 1          # where the designer put it
    assert order.index("remark") == order.index("reason_type") + 1
    leader.screenshot(path=str(ARTIFACTS / "form-designer-crew-leader-zh.png"), full_page=True)
    site = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    log_in(site, url, DEMO_TENANT, "site", DEMO_PASSWORD)
    site.goto(url + NEW_TICKET)
    assert site.locator("[data-field='weather']").count() == 1
    assert site.locator("[data-field='overtime_hours']").count() == 0
