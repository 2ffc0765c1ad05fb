"""In headless Chromium at 390x844 (zh-CN): lists as cards with a filter sheet and infinite scroll, the crew
leader's ticket form in steps with its computed values on one line, the task panel above a record's fields; at
1366 px the same pages keep their table and whole form.

Screenshots land in tests/artifacts/phone-*.png (git-ignored) for people to look at.
"""
from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, serving
from tests.web.test_browser import Tab

playwright_api = pytest.importorskip("playwright.sync_api")

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
TICKETS = "/m/labor/day_labor_ticket"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGUlEQVR4nGM4EaDxnxLMMGrAqAGjBgwXAwAC"
                       "kZ4g8QAAAABJRU5ErkJggg==")


@pytest.fixture
def site(demo_formwork: Formwork) -> Iterator[str]:
    app = create_app(demo_formwork, SECRET_KEY="phone-layout-tests")
    with serving(app, demo_formwork) as url:
        yield url


def phone_tab(browser: Any, site: str, user: str) -> Tab:
    tab = Tab(browser, site, "zh", PHONE)
    tab.context.close()           # again with a phone's touch and scale (Playwright's device emulation)
    tab.context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True,
                                      device_scale_factor=3)
    tab.page = tab.context.new_page()
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.log_in(user)
    return tab


def shot(tab: Tab, name: str) -> None:
    tab.page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)


def fits_the_screen(tab: Tab) -> None:
    widths = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{tab.page.url} scrolls sideways: {widths}"


def test_every_list_is_cards_on_a_phone_and_a_table_on_a_desk(site: str, browser: Any) -> None:
    desk = Tab(browser, site, "zh", DESK)
    desk.log_in("admin")
    lists = desk.page.eval_on_selector_all(".sidenav .nav-group a", "links => links.map(a => a.getAttribute('href'))")
    lists = [path for path in dict.fromkeys(lists) if path.count("/") == 3 and path.startswith("/m/")]
    assert len(lists) > 10 and TICKETS in lists
    phone = phone_tab(browser, site, "admin")
    for path in lists:
        phone.open(path)
        assert phone.page.locator(".record-cards").is_visible(), path
        assert not phone.page.locator(".table-card .data-table").is_visible(), path
        assert phone.page.locator(".record-card").count() >= 1, path
        desk.open(path)
        assert desk.page.locator(".table-card .data-table").is_visible(), path
        assert not desk.page.locator(".record-cards").is_visible(), path
    phone.open(TICKETS)
    shot(phone, "list-390-zh")
    desk.open(TICKETS)
    shot(desk, "list-1366-zh")
    phone.close()
    desk.close()


def test_a_ticket_card_shows_its_declared_fields_by_label_and_its_status_badge(site: str, browser: Any) -> None:
    phone = phone_tab(browser, site, "admin")
    phone.open(TICKETS)
    card = phone.page.locator(".record-card").first
    assert card.locator("dt").all_inner_texts() == ["用工日期", "班组", "工日", "金额"]
    assert card.locator(".record-card-title").inner_text().startswith("DG-")
    assert card.locator(".badge").inner_text().strip() in {"草稿", "审批中", "已通过", "已退回", "已撤回", "已驳回",
                                                          "已签认", "已完成"} or card.locator(".badge").count() == 1
    values = card.locator("dd").all_inner_texts()
    assert values[0][:4].isdigit() and "-" in values[0]             # a date as the list shows it
    assert "班" in values[1]                                          # the crew by its name, not its id
    fits_the_screen(phone)
    phone.close()
    desk = Tab(browser, site, "zh", DESK)                             # the same values as the table shows them
    desk.log_in("admin")
    desk.open(TICKETS)
    heads = [h.replace("▲", "").replace("▼", "").replace("↕", "").strip()
             for h in desk.page.locator(".data-table thead th").all_inner_texts()]
    cells = [c.strip() for c in desk.page.locator(".data-table tbody tr").first.locator("td").all_inner_texts()]
    assert [cells[heads.index(label)] for label in ("用工日期", "班组", "工日", "金额")] == values
    desk.close()


def test_the_filter_sheet_opens_from_a_button_and_filters(site: str, browser: Any) -> None:
    phone = phone_tab(browser, site, "admin")
    phone.open(TICKETS)
    page = phone.page
    assert not page.locator("#filter-sheet").is_visible()
    toggle = page.locator("[data-filter-toggle]")
    box = toggle.bounding_box()
    assert box is not None and box["y"] < 844 and box["height"] >= 44
    before = page.locator(".table-meta [role=status]").inner_text()
    toggle.click()
    sheet = page.locator("#filter-sheet")
    assert sheet.is_visible()
    shot(phone, "filter-sheet-390-zh")
    sheet.locator(".formula-box summary").click()
    sheet.locator("#q").fill("headcount >= 5")
    sheet.locator("button[type=submit]").click()
    page.wait_for_url("**q=headcount*")
    assert not page.locator("#filter-sheet").is_visible()
    assert page.locator("[data-filter-toggle] .count-badge").inner_text() == "1"
    assert page.locator(".table-meta [role=status]").inner_text() != before
    fits_the_screen(phone)
    phone.close()


def test_the_next_page_of_cards_loads_at_the_end_of_the_list(site: str, browser: Any) -> None:
    phone = phone_tab(browser, site, "admin")
    phone.open(TICKETS)
    page = phone.page
    assert page.locator(".pager a[rel=next]").count() == 1, "the demo has more than one page of tickets"
    first = page.locator(".record-card").count()
    assert first == 25
    page.locator(".pager").scroll_into_view_if_needed()
    page.wait_for_function("n => document.querySelectorAll('.record-card').length > n", arg=first)
    titles = page.locator(".record-card-title").all_inner_texts()
    assert len(titles) > first and len(set(titles)) == len(titles)    # the second page, not the first again
    phone.close()


def test_the_crew_leaders_ticket_form_goes_in_steps_and_saves(site: str, browser: Any, tmp_path: Path) -> None:
    photo = tmp_path / "site.png"
    photo.write_bytes(PNG)
    phone = phone_tab(browser, site, "crew1")
    phone.open(TICKETS + "/new")
    page = phone.page
    form = page.locator("form.record-form")
    assert "is-stepped" in (form.get_attribute("class") or "")
    assert page.locator(".form-step.is-current").count() == 1
    assert page.locator(".step-count").inner_text().startswith("第 1 步，共 ")
    # no computed box on the page, empty or not: their values are on the one summary line, the empty ones left out
    assert "所属月份" not in page.locator(".computed-summary").inner_text()
    assert page.locator(".field-computed:visible").count() == 0
    assert not page.locator("button.button-primary[value=save]").is_visible()
    for element in page.locator(".form-step.is-current input:visible, .form-step.is-current select:visible, "
                                "[data-step-next]").all():
        box = element.bounding_box()
        assert box is not None and box["height"] >= 44
    shot(phone, "ticket-form-390-zh")
    page.locator("#f-project").select_option(index=1)
    page.fill("#f-work_date", date.today().isoformat())
    page.locator("#f-crew").select_option(index=1)
    page.fill("#f-location", "3#楼 5层 东侧")
    page.locator(".computed-summary .summary-line").filter(has_text=f"所属月份 {date.today():%Y-%m}").wait_for()
    page.click("[data-step-next]")
    page.locator("#f-reason_type").select_option("extra_work")
    page.fill("#f-reason", "楼梯间临时加固，合同外零星工作")
    page.fill("#f-work_content", "搭设临时支撑")
    page.click("[data-step-next]")
    for remove in page.locator(".form-step.is-current [data-remove-row]").all():   # no worker rows: headcount
        remove.click()
    page.fill("#f-headcount", "4")
    summary = page.locator(".computed-summary")
    summary.locator(".summary-line").filter(has_text="工日 4.00").wait_for()
    summary.click()
    assert "工日" in summary.locator(".summary-list").inner_text()
    while page.locator("[data-step-next]").is_visible():
        page.click("[data-step-next]")
    page.set_input_files("#f-photos", [str(photo)])
    page.set_input_files("#f-crew_leader_signature", [str(photo)])
    shot(phone, "ticket-form-last-step-390-zh")
    page.click("button.button-primary[value=save]")
    page.wait_for_url(lambda url: "/m/labor/day_labor_ticket/" in url and "/new" not in url)
    assert "/new" not in page.url and page.locator(".field-list").is_visible(), page.url
    assert "3#楼 5层 东侧" in page.inner_text(".field-list")
    fits_the_screen(phone)
    phone.close()
    desk = Tab(browser, site, "zh", DESK)
    desk.log_in("crew1")
    desk.open(TICKETS + "/new")
    assert desk.page.locator(".form-step").count() == 0 and desk.page.locator(".field-computed").first.is_visible()
    shot(desk, "ticket-form-1366-zh")
    desk.close()


def test_the_task_panel_comes_before_the_records_fields(site: str, browser: Any) -> None:
    phone = phone_tab(browser, site, "site")
    phone.open("/tasks")
    link = phone.page.locator(f"a[href*='{TICKETS}/']").first
    href = link.get_attribute("href")
    assert href
    phone.open(href.split("#")[0])
    panel = phone.page.locator(".task-panel").first.bounding_box()
    fields = phone.page.locator("#fields-heading").bounding_box()
    assert panel is not None and fields is not None and panel["y"] < fields["y"]
    fits_the_screen(phone)
    shot(phone, "task-record-390-zh")
    desk = Tab(browser, site, "zh", DESK)
    desk.log_in("site")
    desk.open(href.split("#")[0])
    shot(desk, "task-record-1366-zh")
    phone.close()
    desk.close()
