"""Every response carries the security headers, and no template or script of ours needs inline script or eval.

The policy forbids inline script, so the second half of this file keeps the templates and our own scripts
free of what it would block; tests/browser.py fails every browser test whose page reports a violation.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import cli, create_app
from engine.runtime import Formwork
from tests.conftest import add_user, login
from tests.web.conftest import sign_in
from web.uploads import file_response

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_DIRECTIVES = {
    "default-src": {"'self'"}, "script-src": {"'self'"}, "object-src": {"'none'"}, "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"}, "form-action": {"'self'"}, "img-src": {"'self'", "data:", "blob:"},
}


def policy_of(response: TestResponse) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {name: set(sources) for name, *sources in (d.split() for d in header.split(";") if d.strip())}


def assert_secured(response: TestResponse, where: str) -> None:
    """`response` carries every security header with a policy that forbids inline script and eval."""
    response.close()
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    policy = policy_of(response)
    for directive, sources in REQUIRED_DIRECTIVES.items():
        assert policy.get(directive) == sources, f"{where}: {directive} is {policy.get(directive)}"
    assert "'unsafe-eval'" not in {source for sources in policy.values() for source in sources}, where


@pytest.fixture
def app(engine: Formwork) -> Iterator[Flask]:
    app = create_app(engine, TESTING=True, SECRET_KEY="header-tests")

    @app.get("/test-only/fails")
    def fails() -> str:
        raise RuntimeError("a bug in a view")

    yield app


@pytest.fixture
def operator_client(engine: Formwork, app: Flask) -> FlaskClient:
    """A client signed in to the operators' console."""
    client, name, password = app.test_client(), f"op-{secrets.token_hex(3)}", "operator-pw-1"
    result = CliRunner().invoke(cli, ["operator", "add", name, "--password", password],
                                env={"FORMWORK_DATABASE_URL": engine.db.url})
    assert result.exit_code == 0, result.output
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert token
    response = client.post("/admin/login", data={"name": name, "password": password, "_csrf": token.group(1)})
    assert response.status_code == 302
    return client


def get_routes_without_arguments(app: Flask) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith("/test-only"))


def test_every_get_route_without_arguments_answers_with_the_security_headers(
        engine: Formwork, tenant: str, app: Flask, operator_client: FlaskClient) -> None:
    add_user(engine, tenant, "boss", "admin")
    visitors = {"anonymous": app.test_client(), "tenant admin": sign_in(app.test_client(), tenant, "boss").client,
                "operator": operator_client}
    routes = get_routes_without_arguments(app)
    assert {"/", "/login", "/tasks", "/designer/", "/admin/", "/api/v1/me", "/api/v1/notifications"} <= set(routes)
    for who, client in visitors.items():
        for route in routes:
            response = client.get(route)
            assert response.status_code < 500, f"{who} {route}: {response.status_code}"
            assert_secured(response, f"{who} GET {route} ({response.status_code})")


def test_pages_with_arguments_static_files_api_answers_and_errors_carry_the_security_headers(
        engine: Formwork, tenant: str, app: Flask) -> None:
    add_user(engine, tenant, "boss", "admin")
    page = sign_in(app.test_client(), tenant, "boss")
    api = login(app.test_client(), tenant, "boss")
    unit = api.post("/records/base/org_unit", {"unit_code": "ORG-H", "unit_name": "总部"}).get_json()
    samples = {
        f"/m/base/org_unit/{unit['id']}": 200, f"/m/base/org_unit/{unit['id']}/edit": 200,
        "/m/base/org_unit": 200, "/m/base/org_unit/new": 200, "/m/base/org_unit/export.csv": 200,
        "/designer/labor": 200, "/designer/labor/processes/day_labor_ticket": 200, "/designer/users/boss": 200,
        "/assets/pages/app.js": 200, "/assets/vendor/echarts/echarts.min.js": 200,
        "/designer/assets/process_editor.js": 200, "/admin/static/vendor/jquery.min.js": 200,
        "/m/base/org_unit/no-such-record": 404, "/no/such/page": 404, "/designer": 308,
        "/test-only/fails": 500,
    }
    for path, status in samples.items():
        response = page.client.get(path)
        assert response.status_code == status, f"{path}: {response.status_code}"
        assert_secured(response, f"GET {path}")
    api_samples = {f"/records/base/org_unit/{unit['id']}": 200, "/openapi.json": 200, "/notifications": 200,
                   "/records/base/no_such_entity": 404}
    for path, status in api_samples.items():
        response = api.get(path)
        assert response.status_code == status, f"/api/v1{path}: {response.status_code}"
        assert_secured(response, f"GET /api/v1{path}")
    secret_link = app.test_client().get("/welcome/not-a-real-token")   # a view's stricter header is kept
    assert secret_link.status_code == 404 and secret_link.headers["Referrer-Policy"] == "no-referrer"
    assert policy_of(secret_link)["script-src"] == {"'self'"} and secret_link.headers["X-Frame-Options"] == "DENY"
    rejected = app.test_client().post("/api/v1/auth/token", json={"tenant": tenant, "username": "boss",
                                                                  "password": "wrong"})
    assert rejected.status_code == 401
    assert_secured(rejected, "POST /api/v1/auth/token with a wrong password")


# -- what the policy would block: none of it in our templates and scripts ---------------------------------

TEMPLATES = sorted(path for folder in ("web/templates", "designer/templates", "admin/templates", "plugins")
                   for path in (ROOT / folder).rglob("*.html"))
SCRIPTS = sorted(path for folder in ("web/static", "designer/static", "admin", "plugins")
                 for path in (ROOT / folder).rglob("*.js") if "vendor" not in path.parts)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^<>]*?\son[a-z]+\s*=", re.I)
SCRIPT_URL = re.compile(r"javascript\s*:", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
# what a script would need 'unsafe-eval' or inline script for: eval, Function(), string timers, handlers in markup
UNSAFE_SCRIPT = re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|\bset(?:Timeout|Interval)\s*\(\s*[\"']"
                           r"|\son[a-z]+\s*=\s*\\?[\"']|javascript\s*:|setAttribute\(\s*[\"']on", re.I)


def test_the_scanned_folders_hold_the_templates_and_scripts() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in TEMPLATES + SCRIPTS}
    assert {"web/templates/pages/base.html", "designer/templates/designer/process.html",
            "admin/templates/formwork_admin/_layout.html", "web/static/pages/app.js",
            "designer/static/process_editor.js"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_template_carries_inline_script_inline_handlers_or_style_elements(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for name, pattern in {"an inline <script>": INLINE_SCRIPT, "an inline event handler": INLINE_HANDLER,
                          "a javascript: URL": SCRIPT_URL, "a <style> element": STYLE_ELEMENT}.items():
        found = [text.count("\n", 0, match.start()) + 1 for match in pattern.finditer(text)]
        assert not found, f"{path.relative_to(ROOT)} has {name} on line(s) {found}: move it to a static file"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_script_of_ours_needs_eval_or_writes_inline_handlers(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [text.count("\n", 0, match.start()) + 1 for match in UNSAFE_SCRIPT.finditer(text)]
    assert not found, f"{path.relative_to(ROOT)} uses eval or inline handlers on line(s) {found}"


@pytest.mark.parametrize("declared", ["text/javascript", "application/javascript", "application/x-javascript",
                                      "text/ecmascript", "text/javascript1.5", "text/jscript", "TEXT/CSS",
                                      "text/html; charset=utf-8", "application/xhtml+xml", "text/xml",
                                      "image/svg+xml"])
def test_a_stored_file_a_browser_would_run_or_render_goes_out_as_bytes(app: Flask, declared: str) -> None:
    """The policy trusts scripts of our origin; an uploaded file must not become one (`<script src=/files/..>`)."""
    with app.test_request_context():
        response = file_response(b"document.title = 'ran'", declared, "plan.dwg", inline=False)
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("declared", ["image/png", "application/pdf", "text/csv", "text/plain",
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"])
def test_a_stored_file_of_a_passive_type_keeps_its_type(app: Flask, declared: str) -> None:
    with app.test_request_context():
        assert file_response(b"...", declared, "plan", inline=False).mimetype == declared
