"""What the browser tests share: Debian's Chromium through Playwright, and the app served on a loopback port.

Every page opened through `launch` or `chromium` reports the Content-Security-Policy violations its console
shows; tests/conftest.py fails the test during which one was reported, so every browser test also checks
that the pages run under the policy (web/security_headers.py).
"""
from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from engine.runtime import Formwork

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]   # and nothing that reaches the network
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"   # screenshots for people to look at (git-ignored)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_whole(app: Any) -> Any:
    """`app` with each response read and closed before it is sent: Werkzeug's development server skips the
    body's close() when a browser resets the connection while it navigates on, which leaves a static file open
    (a ResourceWarning, an error under pytest)."""
    def whole(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
    return whole


@contextmanager
def serving(app: Flask, engine: Formwork) -> Iterator[str]:
    """Serve `app` from a thread on a free loopback port; yields its base URL, then stops and closes the engine."""
    from werkzeug.serving import make_server

    port = free_port()
    http = make_server("127.0.0.1", port, read_whole(app), threaded=True)
    thread = threading.Thread(target=http.serve_forever, name=f"page-server-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()
        engine.db.dispose()


# what Chromium writes to the console when the policy blocks something
CSP_VIOLATION = re.compile(r"Content Security Policy|Refused to (?:execute|evaluate|apply|load|connect|frame)")
_csp_violations: list[str] = []


def take_csp_violations() -> list[str]:
    """The violations reported since the last call (and forget them)."""
    found = list(_csp_violations)
    _csp_violations.clear()
    return found


def _watch(context: Any) -> Any:
    def console(message: Any) -> None:
        if CSP_VIOLATION.search(message.text):
            page = message.page.url if message.page else "?"
            _csp_violations.append(f"{page}: {message.text}")

    context.on("console", console)
    return context


class WatchedBrowser:
    """A Playwright browser whose contexts and pages report CSP violations (see `take_csp_violations`)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        return _watch(self._browser.new_context(**options))

    def new_page(self, **options: Any) -> Any:
        page = self._browser.new_page(**options)
        _watch(page.context)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


def launch(playwright: Any) -> WatchedBrowser:
    """Debian's headless Chromium (never a downloaded browser), watched for CSP violations; close it when done."""
    return WatchedBrowser(playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS))


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium (never a downloaded browser), watched for CSP violations."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, server: str, tenant: str, username: str, password: str) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto(server + "/login")
    page.fill("#tenant", tenant)
    page.fill("#username", username)
    page.fill("#password", password)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(server + "/")


def all_steps(page: Any) -> None:
    """Show a phone's stepped form (web/static/pages/phone.js) as one page, for tests about something else that
    fill fields of several steps at once; tests/web/test_phone_layouts.py goes through the steps themselves."""
    page.locator("form.record-form").first.wait_for(state="attached")
    page.evaluate("document.querySelectorAll('form.record-form.is-stepped').forEach(form => {"
                  " form.classList.remove('is-stepped');"
                  " form.querySelectorAll('.step-bar, .step-nav, [data-step-next], [data-step-back]')"
                  ".forEach(part => part.remove()); })")
