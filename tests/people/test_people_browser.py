"""Users and roles in headless Chromium: an administrator invites a user, gives a role and a project; the
user sets a password through the link, logs in and sees that project's records only."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from engine import tenancy
from engine.runtime import Formwork
from tests.browser import ARTIFACTS, CHROMIUM, DESKTOP, log_in, serving
from tests.conftest import PASSWORD, new_project

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: run `make test`", allow_module_level=True)
TENANT = "people-browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A tenant with every module, an administrator and two projects, served on a fresh SQLite file."""
    engine = Formwork(f"sqlite:///{tmp_path_factory.mktemp('people') / 'formwork.db'}")
    engine.initialise()
    installed = engine.catalog.modules()
    with engine.db.tenant(TENANT) as session:
        tenancy.create_tenant(session, TENANT, plan="professional", seats=10)
        for name in installed:
            tenancy.set_module_enabled(session, TENANT, name, True, installed)
        tenancy.add_user(session, TENANT, "boss", PASSWORD, ["admin"], display_name="王总")
    with engine.records(tenancy.Actor(TENANT, "boss", frozenset({"admin"}))) as records:
        for code in ("P-101", "P-202"):
            new_project(lambda entity, body: records.create("base", entity, body), code, manager="boss")
    with serving(create_app(engine, SECRET_KEY="people-browser"), engine) as url:
        yield url


def test_an_invited_user_sees_only_the_project_they_were_given(server: str, browser: Any) -> None:
    errors: list[str] = []
    admin_context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    admin: Any = admin_context.new_page()
    admin.on("pageerror", lambda error: errors.append(str(error)))
    log_in(admin, server, TENANT, "boss", PASSWORD)
    admin.click("a[href='/designer/']")
    admin.click("#open-people")
    assert "席位：已用 1 / 10" in admin.locator("#seats").inner_text()
    admin.fill("#invite-username", "zhang")
    admin.fill("#invite-name", "张生产")
    admin.check("#invite input[name=roles][value=production_manager]")
    admin.click("#invite-submit")
    link = admin.locator("#link-url").input_value()
    assert "/welcome/" + TENANT + "." in link
    admin.select_option("#project", label="Project P-101 (P-101)")
    admin.select_option("#position", "production_manager")
    admin.click("#add-project-submit")
    admin.locator("#project-list tr[data-project]").wait_for()
    assert "生产经理" in admin.locator("#project-list").inner_text()
    assert admin.locator("#roles input[value=production_manager]").is_checked()
    admin.screenshot(path=str(ARTIFACTS / "people-user-zh.png"), full_page=True)
    admin.goto(server + "/designer/users")
    assert "已邀请" in admin.locator("tr[data-user=zhang]").inner_text()
    admin.screenshot(path=str(ARTIFACTS / "people-list-zh.png"), full_page=True)

    user_context = browser.new_context(viewport=DESKTOP, locale="en-US")
    user: Any = user_context.new_page()
    user.on("pageerror", lambda error: errors.append(str(error)))
    user.goto(link)
    assert "张生产" in user.locator(".login-card").inner_text()
    user.fill("#password", PASSWORD)
    user.fill("#password_again", PASSWORD)
    user.click(".login-card button[type=submit]")
    user.wait_for_url(f"{server}/login?tenant={TENANT}")
    log_in(user, server, TENANT, "zhang", PASSWORD)
    user.goto(server + "/m/base/project")
    table = user.locator("table.data-table").first
    table.wait_for()
    assert "P-101" in table.inner_text() and "P-202" not in table.inner_text()
    user.screenshot(path=str(ARTIFACTS / "people-member-projects.png"), full_page=True)

    admin.goto(server + "/designer/users/zhang")
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.click("#deactivate")
    admin.locator("#activate").wait_for()
    user.goto(server + "/m/base/project")
    assert "/login" in user.url                           # the open session ended at once
    assert not errors, errors
    user_context.close()
    admin_context.close()
