"""Lighthouse-style checks of the installable app, in headless Chromium at 390x844 with device emulation.

The manifest parses and names the app, its start page, standalone display, theme colour and 192/512 px PNG icons
(fetched, sizes read); the service worker registers and controls the page after a reload; with the server stopped
and the browser offline, the inbox and a record page opened before still render (as saved copies), a page never
opened shows the offline page, and after logout nothing of the user's is left to read offline; tap targets of the
bottom navigation, the inbox and the new-ticket form are at least 44x44 px.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT
from tests.browser import CHROMIUM, serving
from tests.demo_copy import demo_engine

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs chromium)", allow_module_level=True)

PHONE = {"width": 390, "height": 844}
# the visible controls a thumb is meant to hit: links and buttons of the bottom navigation, buttons in main
TAP_TARGETS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(el => { const box = el.getBoundingClientRect(), style = getComputedStyle(el);
                  return box.width > 0 && box.height > 0 && box.right > 0 && box.left < innerWidth
                         && style.visibility !== 'hidden'; })   // not the off-screen default submit button
  .map(el => { const box = el.getBoundingClientRect();
               return {text: (el.innerText || el.value || el.name || '').trim().slice(0, 20),
                       width: Math.round(box.width), height: Math.round(box.height)}; })"""


def new_phone(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True,
                                  device_scale_factor=3)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return context, page


def log_in(page: Any, server: str, username: str) -> None:
    page.goto(server + "/login")
    page.fill("#tenant", DEMO_TENANT)
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(server + "/")


def controlled(page: Any) -> bool:
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()
    return bool(page.evaluate("() => navigator.serviceWorker.controller !== null"))


def test_manifest_icons_and_service_worker(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = demo_engine(tmp_path_factory)
    with serving(create_app(engine, SECRET_KEY="pwa-tests"), engine) as server:
        context, page = new_phone(browser)
        log_in(page, server, "crew1")
        page.goto(server + "/tasks")
        href = page.locator("link[rel=manifest]").get_attribute("href")
        assert page.locator("meta[name=theme-color]").get_attribute("content")
        assert page.locator("link[rel=apple-touch-icon]").count() == 1
        answer = page.request.get(server + href)
        assert answer.ok and answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] and manifest["short_name"] and manifest["theme_color"].startswith("#")
        assert manifest["display"] == "standalone" and manifest["lang"] == "zh-CN"
        start = page.request.get(server + manifest["start_url"])   # signed in: the inbox itself
        assert start.ok and start.url.startswith(server + "/tasks")
        sizes = set()
        for icon in manifest["icons"]:
            image = page.request.get(server + icon["src"])
            assert image.ok and image.headers["content-type"] == "image/png", icon
            width, height = Image.open(io.BytesIO(image.body())).size
            assert icon["sizes"] == f"{width}x{height}", icon
            sizes.add((width, icon["purpose"]))
        assert {(192, "any"), (512, "any"), (192, "maskable"), (512, "maskable")} <= sizes
        shortcut = page.request.get(server + manifest["shortcuts"][1]["url"], max_redirects=0)
        assert shortcut.status == 302 and shortcut.headers["location"].endswith("/m/labor/day_labor_ticket/new")
        worker = page.request.get(server + "/sw.js")
        assert worker.ok and worker.headers["service-worker-allowed"] == "/"
        assert "javascript" in worker.headers["content-type"]
        assert controlled(page), "the service worker does not control the page after a reload"
        assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL") == server + "/sw.js"
        assert not page.errors, page.errors
        context.close()


def test_the_inbox_and_opened_records_read_offline_until_logout(browser: Any,
                                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = demo_engine(tmp_path_factory)
    context, page = new_phone(browser)
    with serving(create_app(engine, SECRET_KEY="pwa-tests"), engine) as server:
        log_in(page, server, "site")
        page.goto(server + "/tasks")
        assert controlled(page)
        page.goto(server + "/m/labor/day_labor_ticket")
        record = page.locator("main .data-table tbody a[href^='/m/']").first.get_attribute("href")
        page.goto(server + record)
        title = page.locator("main h1").inner_text()
        page.goto(server + "/tasks")
        inbox_heading = page.locator("main h1").inner_text()
        page.wait_for_timeout(300)   # the worker stores the last page after answering
        context.set_offline(True)    # no signal
        page.goto(server + "/tasks")
        assert page.locator("main h1").inner_text() == inbox_heading
        assert page.locator(".offline-notice").is_visible(), "a saved copy says so"
        page.goto(server + record)
        assert page.locator("main h1").inner_text() == title
        assert page.locator(".offline-notice").is_visible()
        page.goto(server + "/labor/calendar")     # never opened
        assert page.locator("h1").inner_text() == "暂无网络"
        # back online, logging out empties what the worker kept for this user
        context.set_offline(False)
        page.goto(server + "/tasks")
        page.click("header form[action='/logout'] button")
        page.wait_for_url(server + "/login")
        kept = page.evaluate("""async () => (await caches.keys()).includes('formwork-pages')
            ? (await (await caches.open('formwork-pages')).keys()).length : 0""")
        assert kept == 0, "pages of the user who logged out are still kept"
        context.set_offline(True)
        page.goto(server + record)
        assert page.locator("h1").inner_text() == "暂无网络"
        context.set_offline(False)
        assert not page.errors, page.errors
    context.close()


def test_tap_targets_at_least_44_px(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = demo_engine(tmp_path_factory)
    with serving(create_app(engine, SECRET_KEY="pwa-tests"), engine) as server:
        small: list[Any] = []
        for username, path in (("site", "/tasks"), ("crew1", "/tasks"), ("crew1", "/m/labor/day_labor_ticket/new")):
            context, page = new_phone(browser)
            log_in(page, server, username)
            page.goto(server + path)
            targets = page.evaluate(TAP_TARGETS, ".phone-nav a, main .button, main button, main select, "
                                                 "main input[type=text], main input[type=date]")
            assert targets, path
            small += [(username, path, target) for target in targets
                      if target["width"] < 44 or target["height"] < 44]
            assert not page.errors, page.errors
            context.close()
        assert not small, f"tap targets smaller than 44x44 px: {small}"
