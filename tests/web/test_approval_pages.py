"""The approval on the pages: the record page's task panel (the step's fields decided with the decision, errors
beside them), with whom a record waits (record page, list column, my submissions), and who must not see it."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import add_user, login, tasks
from tests.modules.helpers_finance import get, post, setup_world, submit
from tests.modules.test_cost import budget_with_lines, change_body, line_body
from tests.web.conftest import Visitor, sign_in


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    built = setup_world(engine, tenant, client)
    add_user(engine, tenant, "pm_elsewhere", "project_manager")    # not a member of the project
    built["users"]["pm_elsewhere"] = login(client, tenant, "pm_elsewhere")
    built["tenant"] = tenant
    return built


@pytest.fixture
def order(world: dict[str, Any]) -> dict[str, Any]:
    """A 6,500.00 change order submitted by the site engineer: the project cost engineer prices it next."""
    budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    made = post(world["users"]["site"], "cost", "change_order", change_body(world))
    submit(world["users"]["site"], "cost", "change_order", made["id"])
    return made


def page(order: dict[str, Any]) -> str:
    return f"/m/cost/change_order/{order['id']}"


def decide_on_page(visitor: Visitor, order: dict[str, Any], task_id: str, decision: str, comment: str,
                   **fields: str) -> Any:
    """Post the panel as a browser does: the decision, the comment and the fields typed in (each named in
    `_field`, as the panel names the fields it shows)."""
    visitor.get(page(order))
    return visitor.post(f"{page(order)}/tasks/{task_id}", [("decision", decision), ("comment", comment),
                                                           *fields.items(), *(("_field", n) for n in fields)])


def test_the_task_panel_shows_the_amounts_and_the_steps_fields_and_saves_them_with_the_decision(
        world: dict[str, Any], order: dict[str, Any], browser_client: FlaskClient) -> None:
    cost = sign_in(browser_client, world["tenant"], "cost", language="zh")
    html = cost.text(page(order))
    panel = html[html.index('class="card task-panel"'):html.index("</section>", html.index('class="card task-panel"'))]
    assert "商务核价(审定金额)" in panel and "申报金额" in panel and "6,500.00" in panel   # the amount decided on
    assert 'name="approved_amount"' in panel and 'name="responsible_party"' in panel
    assert 'name="description"' not in panel                         # only the step's editable fields
    [task] = tasks(world["users"]["cost"], order["id"])
    done = decide_on_page(cost, order, task["id"], "approve", "核定 6000", approved_amount="6000")
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    stored = get(world["users"]["cost"], "cost", "change_order", order["id"])
    assert stored["data"]["approved_amount"] == "6000.00" and stored["status"] == "in_review"
    after = cost.text(page(order))
    assert "审批进度" in after and "核定 6000" in after and 'class="card task-panel"' not in after
    assert re.search(r"当前等待：pm\b", after)                        # the project manager approves next


def test_a_refused_value_comes_back_beside_its_field_with_the_input_kept(
        world: dict[str, Any], order: dict[str, Any], browser_client: FlaskClient) -> None:
    cost = sign_in(browser_client, world["tenant"], "cost")
    [task] = tasks(world["users"]["cost"], order["id"])
    refused = decide_on_page(cost, order, task["id"], "approve", "金额待核", approved_amount="-5")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    field = html[html.index('data-field="approved_amount"'):]
    field = field[:field.index("</div>")]
    assert 'value="-5"' in field and 'class="error"' in field and 'aria-invalid="true"' in field
    assert "金额待核" in html                                         # the comment is kept too
    assert "Amounts decided on" in html and "Filled in at this step" in html and "Waiting on cost" in html
    assert tasks(world["users"]["cost"], order["id"]) == [task]      # nothing was decided
    assert "approved_amount" not in get(world["users"]["cost"], "cost", "change_order", order["id"])["data"]


def test_a_rejection_without_changes_sends_no_fields(world: dict[str, Any], order: dict[str, Any],
                                                     browser_client: FlaskClient) -> None:
    cost = sign_in(browser_client, world["tenant"], "cost")
    [task] = tasks(world["users"]["cost"], order["id"])
    done = decide_on_page(cost, order, task["id"], "reject", "重复申报")
    assert done.status_code == 302
    assert get(world["users"]["cost"], "cost", "change_order", order["id"])["status"] == "rejected"


def test_the_submitter_sees_with_whom_it_waits_without_the_fields_hidden_from_them(
        world: dict[str, Any], order: dict[str, Any], browser_client: FlaskClient) -> None:
    [task] = tasks(world["users"]["cost"], order["id"])
    world["users"]["cost"].post(f"/tasks/{task['id']}/complete",
                                {"decision": "approve", "data": {"approved_amount": "6123.45"}})
    site = sign_in(browser_client, world["tenant"], "site", language="zh")
    html = site.text(page(order))
    assert "当前等待：pm" in html and "pm_elsewhere" not in html
    assert "6,123.45" not in html and "6123.45" not in html           # approved_amount is hidden from site
    assert 'class="card task-panel"' not in html
    listed = site.text("/m/cost/change_order")
    assert "待审批人" in listed and re.search(r"<td[^>]*>\s*pm\s*</td>", listed)
    mine = site.text("/my/submissions")
    assert "QZ-001" in mine and "项目经理审批" in mine and "<strong>pm</strong>" in mine


def test_my_submissions_lists_only_what_i_submitted(world: dict[str, Any], order: dict[str, Any],
                                                    browser_client: FlaskClient) -> None:
    pm = sign_in(browser_client, world["tenant"], "pm")
    assert "QZ-001" not in pm.text("/my/submissions")


def test_who_may_not_read_the_record_neither_sees_nor_decides_its_task(
        world: dict[str, Any], order: dict[str, Any], browser_client: FlaskClient) -> None:
    [task] = tasks(world["users"]["cost"], order["id"])
    stranger = sign_in(browser_client, world["tenant"], "pm_elsewhere")
    assert stranger.get(page(order)).status_code == 404
    stranger.get("/")
    forged = stranger.post(f"{page(order)}/tasks/{task['id']}", {"decision": "approve", "approved_amount": "1"})
    assert forged.status_code == 404
    assert tasks(world["users"]["cost"], order["id"]) == [task]
    assert "QZ-001" not in stranger.text("/m/cost/change_order")


def test_a_task_that_is_not_mine_is_refused_on_the_page(world: dict[str, Any], order: dict[str, Any],
                                                         browser_client: FlaskClient) -> None:
    [task] = tasks(world["users"]["cost"], order["id"])
    pm = sign_in(browser_client, world["tenant"], "pm")               # may read it; the task is the cost engineer's
    refused = decide_on_page(pm, order, task["id"], "approve", "")
    assert refused.status_code == 302
    assert tasks(world["users"]["cost"], order["id"]) == [task]
    assert "approved_amount" not in get(world["users"]["cost"], "cost", "change_order", order["id"])["data"]
