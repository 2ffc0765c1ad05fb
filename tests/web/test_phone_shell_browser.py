"""The pages on a phone, in headless Chromium with Playwright's device emulation (touch, mobile, 2x pixels).

No page scrolls sideways at 360 px for the demo's people (admin, who reaches every list, the site engineer and
the crew leader); the closed menu leaves no blank block at 390x844; the bottom navigation shows on phones only,
with targets of at least 44x44 px, and offers the crew leader 新建点工单. Screenshots at 390x844 and 1366 px land in
tests/artifacts/phone-*.png.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from tests.browser import ARTIFACTS, CHROMIUM, serving
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs chromium)", allow_module_level=True)

NARROW = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1366, "height": 900}
# the elements sticking out on the right that no scrolling box clips: what makes the page scroll sideways
OVERFLOW = """() => {
  const root = document.scrollingElement, width = root.clientWidth, wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let up = el.parentElement, clipped = false;
    while (up && up !== document.body) {
      if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
      up = up.parentElement;
    }
    if (!clipped) wide.push(el.tagName.toLowerCase() + '.' + el.className + ' → ' + Math.round(box.right) + 'px');
  }
  return {scroll: root.scrollWidth, client: width, wide: wide.slice(0, 5)};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    engine = demo_engine(tmp_path_factory)
    app = create_app(engine, SECRET_KEY="phone-shell-tests")
    with serving(app, engine) as url:
        yield url


def phone(browser: Any, server: str, username: str, viewport: dict[str, int] = NARROW) -> Any:
    """A signed-in tab of a phone (touch, mobile viewport, 2x pixels), in Chinese."""
    mobile = viewport["width"] <= 640
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=mobile, has_touch=mobile,
                                  device_scale_factor=2 if mobile else 1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(server + "/login")
    page.fill("#tenant", DEMO_TENANT)
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(server + "/")
    return page


def visit(page: Any, server: str, path: str) -> dict[str, Any]:
    response = page.goto(server + path)
    assert response.status == 200, (path, response.status)
    return dict(page.evaluate(OVERFLOW))


def list_paths(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(".nav-group .nav-list a", "links => links.map(a => a.getAttribute('href'))"))


def first_record(page: Any) -> str | None:
    link = page.query_selector("main .data-table tbody a[href^='/m/']")
    return str(link.get_attribute("href")) if link else None


# admin reaches every list; the site engineer and the crew leader see their own pages (row filters, fewer columns)
@pytest.mark.parametrize("username", ["admin", "site", "crew1"])
def test_no_page_scrolls_sideways_at_360_px(browser: Any, server: str, username: str) -> None:
    page = phone(browser, server, username)
    paths = ["/", "/tasks", "/my/submissions", "/labor/calendar", "/reports", "/new"]
    lists = list_paths(page)
    assert lists, f"{username} sees no list"
    wide: dict[str, Any] = {}
    records = 0
    for path in paths + lists:
        found = visit(page, server, path)
        if found["scroll"] > found["client"] + 1:
            wide[path] = found
        record = first_record(page) if path in lists and records < 4 else None
        if record:   # a record page of a few lists
            records += 1
            found = visit(page, server, record)
            if found["scroll"] > found["client"] + 1:
                wide[record] = found
    visit(page, server, "/reports")
    reports = page.eval_on_selector_all("main a[href^='/reports/']", "links => links.map(a => a.getAttribute('href'))")
    for path in reports[:3]:
        found = visit(page, server, path)
        if found["scroll"] > found["client"] + 1:
            wide[path] = found
    assert records, f"{username}: no record page visited"
    assert not wide, f"{username}: pages wider than 360 px: {wide}"
    assert not page.errors, page.errors


@pytest.mark.parametrize("path", ["/tasks", "/labor/calendar"])
def test_the_closed_menu_leaves_no_blank_block(browser: Any, server: str, path: str) -> None:
    page = phone(browser, server, "site", PHONE)
    visit(page, server, path)
    nav = page.locator(".sidenav").bounding_box()
    main = page.locator("main").bounding_box()
    assert nav["height"] < 70, f"the closed menu is {nav['height']} px tall"
    assert main["y"] - (nav["y"] + nav["height"]) < 2, "a gap between the menu and the page"
    heading = page.locator("main h1").first.bounding_box()
    assert heading["y"] < 260, f"the page's title starts {heading['y']} px down"


def test_bottom_navigation_on_phones_only(browser: Any, server: str) -> None:
    page = phone(browser, server, "crew1", PHONE)
    visit(page, server, "/tasks")
    items = page.locator(".phone-nav a")
    assert page.locator(".phone-nav").is_visible()
    labels = [text.strip() for text in items.all_inner_texts()]
    assert any("待办" in label for label in labels) and any("新建点工单" in label for label in labels), labels
    assert any("模块" in label for label in labels) and any("我的" in label for label in labels), labels
    for index in range(items.count()):
        box = items.nth(index).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (labels[index], box)
    page.locator(".phone-nav a", has_text="模块").click()
    assert page.locator(".nav-details").evaluate("menu => menu.open")
    page.locator(".phone-nav a", has_text="新建点工单").click()
    page.wait_for_url(server + "/m/labor/day_labor_ticket/new")
    assert page.locator("main h1").inner_text().startswith("新建")
    desk = phone(browser, server, "crew1", WIDE)
    visit(desk, server, "/tasks")
    assert not desk.locator(".phone-nav").is_visible()
    assert desk.locator(".sidenav .nav-list").first.is_visible(), "the desktop keeps its open side menu"


def test_screenshots_at_phone_and_desktop_width(browser: Any, server: str) -> None:
    """For people to look at: inbox, calendar, a list and a form, at 390x844 and at 1366 px."""
    shots = {"inbox": "/tasks", "calendar": "/labor/calendar", "list": "/m/labor/day_labor_ticket",
             "form": "/m/labor/day_labor_ticket/new"}
    for label, viewport in (("390", PHONE), ("1366", WIDE)):
        page = phone(browser, server, "site", viewport)
        for name, path in shots.items():
            found = visit(page, server, path)
            assert found["scroll"] <= found["client"] + 1, (path, found)
            target = ARTIFACTS / f"phone-{name}-{label}.png"
            page.screenshot(path=str(target), full_page=name != "form")
            assert target.stat().st_size > 5000
        assert not page.errors, page.errors
