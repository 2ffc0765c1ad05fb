"""In headless Chromium: an operator signs in at /admin, lets a tenant's license expire, the tenant sees it."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from engine.tenancy import operators
from tests.browser import CHROMIUM, log_in, serving
from tests.conftest import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")

TENANT = "browser-lic"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh SQLite database with one tenant, one of its users and one operator, served from a thread."""
    engine = Formwork(f"sqlite:///{tmp_path_factory.mktemp('admin-browser') / 'formwork.db'}")
    engine.initialise()
    with engine.db.tenant(TENANT) as session:
        tenancy.create_tenant(session, TENANT, plan="enterprise")
        tenancy.set_module_enabled(session, TENANT, "base", True, engine.catalog.modules())
        tenancy.add_user(session, TENANT, "li", PASSWORD, ["admin"], display_name="李工")
    with engine.db.platform() as session:
        operators.add(session, "ops", "operator-pw-1")
    with serving(create_app(engine, SECRET_KEY="admin-browser"), engine) as url:
        yield url


def test_an_operator_expires_a_license_and_the_tenant_sees_it_is_read_only(server: str, browser: Any) -> None:
    page = browser.new_context(locale="en-US").new_page()
    page.goto(server + "/admin/tenants/")
    assert page.url.startswith(server + "/admin/login")
    page.fill("#name", "ops")
    page.fill("#password", "operator-pw-1")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/admin/tenants/")   # back to the page asked for
    page.goto(server + "/admin/licenses/")
    page.fill("input[name=tenant]", TENANT)
    page.select_option("select[name=plan]", "professional")
    page.fill("input[name=seats]", "3")
    page.fill("input[name=days]", "0")
    page.click("text=Issue and apply")
    assert f"license issued and applied to {TENANT}" in page.inner_text("body")
    row = page.locator("tr.license-row", has_text=TENANT).inner_text()
    assert "professional" in row and "1 / 3" in row and "read-only" in row

    tenant = browser.new_context(locale="zh-CN").new_page()
    log_in(tenant, server, TENANT, "li", PASSWORD)
    today = datetime.now(UTC).date().isoformat()
    assert f"授权已于 {today} 到期，本租户为只读" in tenant.inner_text(".license-banner")
    assert "授权：专业版，已用席位 1 / 3" in tenant.inner_text(".license-line")
