"""The approval editor's pages: the modeler page, its check and save round trips, the draft in the designer."""
from __future__ import annotations

import json
import re

from engine.runtime import Formwork
from tests.conftest import add_user
from tests.overlays.test_designer_pages import boss, client, textarea  # noqa: F401  (fixtures)
from tests.overlays.test_process_editor_api import EXTRA_LEVEL, TICKET
from tests.web.conftest import Visitor, sign_in

PAGE = "/designer/labor/processes/day_labor_ticket"


def page_data(page: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script type="application/json" id="process-data">(.*?)</script>', page, re.S)
    assert match, "no process data on the page"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_the_designer_lists_the_processes_and_the_modeler_page_carries_the_bpmn(boss: Visitor) -> None:  # noqa: F811
    editor = boss.text("/designer/labor")
    assert f'href="{PAGE}"' in editor
    page = boss.text(PAGE)
    assert "vendor/bpmn-js/bpmn-modeler.production.min.js" in page and 'id="process-canvas"' in page
    data = page_data(page)
    assert data["xml"] == TICKET
    assert {"name": "project_manager", "label": {"zh": "项目经理", "en": "Project manager"}} in data["roles"]
    assert "work_content" in [f["name"] for f in data["fields"]]
    assert data["validate_url"] == PAGE + "/check" and data["save_url"] == PAGE + "/save"
    asset = boss.client.get("/designer/assets/vendor/bpmn-js/bpmn-modeler.production.min.js")
    assert asset.status_code == 200 and asset.content_length > 100_000
    asset.close()
    assert boss.get("/designer/labor/processes/nothing").status_code == 404


def test_check_and_save_round_trips(boss: Visitor) -> None:  # noqa: F811
    boss.get(PAGE)
    headers = {**boss.headers, "X-CSRF-Token": boss.token}
    broken = EXTRA_LEVEL.format(group="project_manger")
    result = boss.client.post(PAGE + "/check", json={"xml": broken}, headers=headers).get_json()
    assert [(p["element"], p["in_process"]) for p in result["problems"]] == [("pm_check", True)]
    assert boss.client.post(PAGE + "/check", json={"xml": broken}, headers=boss.headers).status_code == 400  # CSRF
    assert boss.client.post(PAGE + "/check", json={}, headers=headers).status_code == 400
    refused = boss.client.post(PAGE + "/save", json={"xml": "<nope/>"}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["saved"] is False
    saved = boss.client.post(PAGE + "/save", json={"xml": broken}, headers=headers).get_json()
    assert (saved["saved"], saved["valid"]) == (True, False)

    reopened = boss.text(PAGE)
    assert page_data(reopened)["xml"] == broken and "draft (not published)" in reopened
    shown = boss.get("/designer/labor")
    assert shown.status_code == 422                     # the draft's problem is listed, as for any overlay
    editor = shown.get_data(as_text=True)
    assert "project_manger" in editor and 'id="draft-notice"' in editor and "changed in the draft" in editor
    assert "day_labor_ticket: approvals/ticket_sign_off_tenant.bpmn" in textarea(editor)
    assert boss.post("/designer/labor/draft/discard").status_code == 302
    assert page_data(boss.text(PAGE))["xml"] == TICKET
    assert 'id="draft-notice"' not in boss.text("/designer/labor")


def test_only_administrators_open_the_modeler(engine: Formwork, tenant: str, client) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    add_user(engine, tenant, "clerk", "labor_clerk")
    clerk = sign_in(client, tenant, "clerk")
    assert clerk.get(PAGE).status_code == 403
    clerk.get("/")
    headers = {**clerk.headers, "X-CSRF-Token": clerk.token}
    assert clerk.client.post(PAGE + "/save", json={"xml": TICKET}, headers=headers).status_code == 403
