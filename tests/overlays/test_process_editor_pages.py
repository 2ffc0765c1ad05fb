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


def test_the_yaml_page_asks_before_publishing_away_the_drafts_process(boss: Visitor) -> None:  # noqa: F811
    boss.get(PAGE)
    headers = {**boss.headers, "X-CSRF-Token": boss.token}
    saved = boss.client.post(PAGE + "/save", json={"xml": EXTRA_LEVEL.format(group="project_manager")},
                             headers=headers).get_json()
    assert saved["valid"] is True
    editor = boss.text("/designer/labor")                 # the draft's process is shown, with a link to it
    assert re.search(r'id="draft-processes".*?href="' + PAGE + '"', editor, re.S)

    replaced = textarea(editor).replace("workflows:\n  day_labor_ticket: approvals/ticket_sign_off_tenant.bpmn\n", "")
    assert "workflows" not in replaced
    dry = boss.post("/designer/labor", {"overlay": replaced, "_action": "dryrun"})   # the dry run warns already
    assert dry.status_code == 200 and 'id="drop-process-confirm"' in dry.get_data(as_text=True)
    assert 'id="drop-process-confirm"' not in boss.post("/designer/labor", {"overlay": textarea(editor),
                                                                            "_action": "dryrun"}).get_data(as_text=True)
    refused = boss.post("/designer/labor", {"overlay": replaced, "_action": "publish"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'id="drop-process-confirm"' in page and 'name="confirm_drop_process"' in page
    assert "approvals/ticket_sign_off_tenant.bpmn" in page and textarea(page) == replaced   # the text is kept
    assert 'id="draft-notice"' in boss.text("/designer/labor")                             # and so is the draft

    published = boss.post("/designer/labor", {"overlay": replaced, "_action": "publish", "confirm_drop_process": "1"})
    assert published.status_code == 200
    after = published.get_data(as_text=True)
    assert 'id="draft-notice"' not in after and 'id="drop-process-confirm"' not in after
    assert page_data(boss.text(PAGE))["xml"] == TICKET


def test_the_refusal_speaks_chinese(boss: Visitor) -> None:  # noqa: F811
    boss.get(PAGE)
    headers = {**boss.headers, "X-CSRF-Token": boss.token}
    boss.client.post(PAGE + "/save", json={"xml": EXTRA_LEVEL.format(group="project_manager")}, headers=headers)
    boss.headers["Accept-Language"] = "zh-CN"
    page = boss.post("/designer/labor", {"overlay": "overlay: labor\n", "_action": "publish"}).get_data(as_text=True)
    assert "发布将丢弃草稿中的审批流程" in page and "确认丢弃草稿中的流程并发布" in page
