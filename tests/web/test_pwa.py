"""The installable app's server side: a public manifest and worker, and which responses the worker may keep."""
from __future__ import annotations

import json

from flask.testing import FlaskClient

from tests.web.conftest import Visitor


def test_manifest_worker_and_offline_page_are_public(browser_client: FlaskClient) -> None:
    manifest = browser_client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.get_data(as_text=True))
    assert body["start_url"].startswith("/tasks") and body["display"] == "standalone" and body["lang"] == "zh-CN"
    worker = browser_client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    script = worker.get_data(as_text=True)
    assert "__VERSION__" not in script and "__SHELL__" not in script and '"/offline"' in script
    offline = browser_client.get("/offline", headers={"Accept-Language": "zh-CN"})
    assert offline.status_code == 200 and offline.mimetype == "text/html"
    assert "暂无网络" in offline.get_data(as_text=True)
    assert "Formwork-Offline" not in offline.headers


def test_only_a_signed_in_users_pages_may_be_kept_offline(clerk: Visitor, browser_client: FlaskClient) -> None:
    page = clerk.get("/tasks")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    key = page.headers["Formwork-Offline"]
    assert len(key) == 24 and key == clerk.get("/").headers["Formwork-Offline"]
    assert "Formwork-Offline" not in clerk.get("/api/v1/tasks").headers
    assert "Formwork-Offline" not in clerk.get("/manifest.webmanifest").headers
    clerk.post("/logout")
    assert "Formwork-Offline" not in clerk.get("/login").headers


def test_the_new_shortcut_opens_the_users_usual_form(clerk: Visitor) -> None:
    answer = clerk.get("/new")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/new")
    assert answer.headers["Location"].startswith("/m/formshop/")
    html = clerk.text("/tasks")
    assert 'class="phone-nav"' in html and answer.headers["Location"] in html
