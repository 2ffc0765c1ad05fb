"""What the browser tests share: Debian's Chromium through Playwright, and the app served on a loopback port."""
from __future__ import annotations

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


@contextmanager
def serving(app: Flask, engine: Formwork) -> Iterator[str]:
    """Serve `app` from a thread on a free loopback port; yields its base URL, then stops and closes the engine."""
    from werkzeug.serving import make_server

    port = free_port()
    http = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name=f"page-server-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()
        engine.db.dispose()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
