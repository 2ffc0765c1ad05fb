"""The 项目成本中心 module (modules/cost) over the REST API: budgets, budget control, change orders, actual cost."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import assert_only_members_see, decide, errors_of, outsider, tasks
from tests.modules.helpers_finance import (
    get,
    items,
    post,
    report,
    route,
    setup_world,
    submit,
)

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture
def world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    return setup_world(engine, tenant, client)


def budget_with_lines(world: dict[str, Any], *lines: dict[str, Any], revenue: str = "9000000.00") -> dict[str, Any]:
    cost = world["users"]["cost"]
    budget = post(cost, "cost", "cost_budget", {"project": world["project"]["id"],  # doc_no is numbered
                                                "budget_type": "target_cost", "revenue_amount": revenue})
    assert budget["data"]["doc_no"] == f"MB-{world['project']['data']['project_code']}-01"
    made = [post(cost, "cost", "cost_budget_line", {"budget": budget["id"], **line}) for line in lines]
    return {"budget": get(cost, "cost", "cost_budget", budget["id"]), "lines": made}


def line_body(world: dict[str, Any], code: str, **extra: Any) -> dict[str, Any]:
    return {"cost_account": world["accounts"][code]["id"], **extra}


def entry_body(world: dict[str, Any], code: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"project": world["project"]["id"], "cost_account": world["accounts"][code]["id"], "amount": amount,
            "occurred_date": YESTERDAY, "source_type": "other", "source_no": "LY-001", **extra}


def as_dicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]


def set_control(world: dict[str, Any], code: str, mode: str) -> None:
    ann = world["users"]["ann"]
    account = get(ann, "base", "cost_account", world["accounts"][code]["id"])
    response = ann.patch(f"/records/base/cost_account/{account['id']}",
                         {"version": account["version"], "data": {"control_mode": mode}})
    assert response.status_code == 200, response.get_json()


# --- budgets ------------------------------------------------------------------------------------------------

def test_budget_lines_price_quantities_and_the_budget_totals_profit_and_margin(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", unit="t", quantity="120.555", unit_price="4150.33"),
                             line_body(world, "0102", manual_amount="80000"))
    first, second = (line["data"] for line in made["lines"])
    assert first["original_amount"] == "500343.03" and first["target_amount"] == "500343.03"   # 120.555 × 4150.33
    assert second["original_amount"] == "80000.00"
    assert first["account_code"] == "0201" and first["control_mode"] == "soft" and first["is_current"] is True
    budget = made["budget"]["data"]
    assert (budget["total_amount"], budget["line_count"]) == ("580343.03", 2)
    assert budget["target_profit"] == "8419656.97" and budget["target_margin"] == "93.55"


def test_one_line_per_account_in_a_budget(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100"))
    body = {"budget": made["budget"]["id"], **line_body(world, "0201", manual_amount="5")}
    response = world["users"]["cost"].post("/records/cost/cost_budget_line", body)
    assert "line_key" in errors_of(response)


def test_budget_lines_splits_and_cost_entries_take_leaf_accounts_only(world: dict[str, Any]) -> None:
    ann, cost = world["users"]["ann"], world["users"]["cost"]
    material = post(ann, "base", "cost_account", {"account_code": "02", "account_name": "材料费",
                                                   "cost_element": "material"})
    assert material["data"]["is_leaf"] is True           # no child account yet
    post(ann, "base", "cost_account", {"account_code": "0203", "account_name": "周转材料租赁",
                                       "cost_element": "material", "parent_code": "02"})
    assert get(ann, "base", "cost_account", material["id"])["data"]["is_leaf"] is False
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))

    def refused(entity: str, body: dict[str, Any], what: str) -> None:
        response = cost.post(f"/records/cost/{entity}", body)
        assert errors_of(response)["cost_account"] == (
            f"{what} take leaf accounts only: choose a leaf account such as 0102, not one with child accounts")
        zh = cost.client.post(f"/api/v1/records/cost/{entity}", json=body,
                              headers={**cost.headers, "Accept-Language": "zh"}).get_json()
        assert any(e["field"] == "cost_account" and "只能选末级科目(如0102)" in e["message"] for e in zh["errors"])

    refused("cost_budget_line", {"budget": made["budget"]["id"], "cost_account": material["id"],
                                 "manual_amount": "5000"}, "Budget lines")
    refused("actual_cost_entry", {**entry_body(world, "0201", "800"), "cost_account": material["id"]},
            "Actual cost entries")
    refused("contract_cost_split", {"contract": world["material"]["id"], "cost_account": material["id"],
                                    "amount": "800"}, "Contract cost splits")
    assert post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "800"))["data"]["budget_line"] == \
        made["lines"][0]["id"]


# --- actual cost and budget control -------------------------------------------------------------------------

def test_actual_cost_entries_roll_up_into_the_dynamic_cost_of_their_budget_line(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    cost = world["users"]["cost"]
    entry = post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "30000.50", tax_amount="3451.38"))
    assert entry["data"]["budget_line"] == made["lines"][0]["id"]
    assert entry["data"]["amount_excl_tax"] == "26549.12" and entry["data"]["period"] == YESTERDAY[:7]
    post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "20000", contract=world["material"]["id"]))
    line = get(cost, "cost", "cost_budget_line", made["lines"][0]["id"])["data"]
    assert (line["non_contract_cost"], line["actual_cost"]) == ("30000.50", "50000.50")
    assert line["available_amount"] == "69999.50" and line["pending_cost"] == "69999.50"
    assert line["dynamic_cost"] == "100000.00" and line["variance"] == "0.00" and line["variance_rate"] == "0.00"
    assert line["consumption_rate"] == "30.00" and line["alert_level"] == "green"


def test_a_forecast_overrun_shows_as_variance_and_a_red_light(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    cost = world["users"]["cost"]
    post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "60000"))
    line = made["lines"][0]
    response = cost.patch(f"/records/cost/cost_budget_line/{line['id']}",
                          {"version": get(cost, "cost", "cost_budget_line", line["id"])["version"],
                           "data": {"pending_forecast": "52000"}})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["dynamic_cost"], data["variance"], data["variance_rate"]) == ("112000.00", "12000.00", "12.00")
    assert data["alert_level"] == "red"
    # the red line raised one alert for the project manager, who reads it, and closes it with a resolution
    pm = world["users"]["pm"]
    [alert] = pm.get("/records/base/alert").get_json()["items"]
    assert (alert["data"]["level"], alert["data"]["value"], alert["data"]["threshold"]) == ("red", "12.00", "10.00")
    assert (alert["data"]["owner"], alert["data"]["source_id"], alert["data"]["alert_status"]) == (
        "pm", line["id"], "open")
    cost.patch(f"/records/cost/cost_budget_line/{line['id']}",
               {"version": get(cost, "cost", "cost_budget_line", line["id"])["version"],
                "data": {"pending_forecast": "53000"}})
    assert pm.get("/records/base/alert").get_json()["total"] == 1   # still red: raised once
    path = f"/records/base/alert/{alert['id']}"
    assert "resolution" in errors_of(pm.patch(path, {"version": alert["version"], "data": {"alert_status": "closed"}}))
    closed = pm.patch(path, {"version": alert["version"],
                             "data": {"alert_status": "closed", "resolution": "已与分包确认，下月回落"}})
    assert closed.status_code == 200 and closed.get_json()["data"]["alert_status"] == "closed"
    assert pm.patch(path, {"version": closed.get_json()["version"], "data": {"level": "yellow"}}).status_code == 422
    frequency = report(world["users"]["gm"], "base", "risk_alert_frequency")
    assert [(row["level"], row["raised"], row["still_open"]) for row in as_dicts(frequency)] == [("red", 1, 0)]


def test_a_hard_controlled_account_refuses_an_entry_over_the_target(world: dict[str, Any]) -> None:
    set_control(world, "0201", "hard")
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="50000"))
    cost = world["users"]["cost"]
    post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "49999.99"))
    response = cost.post("/records/cost/actual_cost_entry", entry_body(world, "0201", "0.02", source_no="LY-002"))
    assert response.status_code == 422
    assert "超出目标成本" in str(response.get_json()) or "Over the target cost" in str(response.get_json())
    assert get(cost, "cost", "cost_budget_line", made["lines"][0]["id"])["data"]["actual_cost"] == "49999.99"
    post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "0.01", source_no="LY-003"))


def test_a_soft_controlled_account_lets_the_overrun_through_with_a_red_light(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="1000"))
    post(world["users"]["cost"], "cost", "actual_cost_entry", entry_body(world, "0201", "1500"))
    line = get(world["users"]["cost"], "cost", "cost_budget_line", made["lines"][0]["id"])["data"]
    assert line["available_amount"] == "-500.00" and line["alert_level"] == "red"


def test_a_closed_period_refuses_new_entries(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    post(cost, "cost", "cost_period", {"project": world["project"]["id"], "period": YESTERDAY[:7]})
    assert "occurred_date" in errors_of(cost.post("/records/cost/actual_cost_entry", entry_body(world, "0201", "10")))


def test_a_manual_entry_needs_its_source_and_nobody_edits_entries(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    body = entry_body(world, "0201", "10")
    del body["source_no"]
    assert "attachments" in errors_of(cost.post("/records/cost/actual_cost_entry", body))
    entry = post(cost, "cost", "actual_cost_entry", {**body, "attachments": ["uploads/a.pdf"]})
    assert cost.patch(f"/records/cost/actual_cost_entry/{entry['id']}",
                      {"version": entry["version"], "data": {"amount": "11"}}).status_code == 403
    assert cost.delete(f"/records/cost/actual_cost_entry/{entry['id']}").status_code == 403


def test_the_labor_module_can_post_day_labor_cost_with_these_fields(world: dict[str, Any]) -> None:
    budget = budget_with_lines(world, line_body(world, "0102", manual_amount="5000"))["budget"]
    body = {"project": world["project"]["id"], "cost_account": world["accounts"]["0102"]["id"], "amount": "1575.00",
            "source_type": "day_labor_summary", "source_no": "HZ-2024-05-01", "source_id": "abc",
            "occurred_date": YESTERDAY}
    # source_id names the posting record of whatever entity: a live one (here the budget stands in for it)
    refused = world["users"]["cost"].post("/records/cost/actual_cost_entry", body)
    assert refused.status_code == 422 and [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [
        ("source_id", "missing_any_ref")]
    entry = post(world["users"]["cost"], "cost", "actual_cost_entry", {**body, "source_id": budget["id"]})
    assert entry["data"]["is_non_contract"] is True and entry["data"]["budget_line"]
    assert [e["id"] for e in items(world["users"]["cost"], "cost", "actual_cost_entry",
                                   f"source_id == '{budget['id']}'")] == [entry["id"]]


# --- budget approval ----------------------------------------------------------------------------------------

def test_a_budget_goes_through_countersign_to_the_general_manager(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100"))
    budget_id = made["budget"]["id"]
    submit(world["users"]["cost"], "cost", "cost_budget", budget_id)
    route(world, budget_id, "pm", "costdept")
    assert tasks(world["users"]["engdept"], budget_id) and tasks(world["users"]["fin"], budget_id)
    decide(world["users"]["fin"], budget_id)
    assert not tasks(world["users"]["vgm"], budget_id)          # waits for the other countersigner
    decide(world["users"]["engdept"], budget_id)
    assert route(world, budget_id, "vgm", "gm")["status"] == "approved"


def test_one_countersigner_rejecting_rejects_the_budget(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100"))
    budget_id = made["budget"]["id"]
    submit(world["users"]["cost"], "cost", "cost_budget", budget_id)
    route(world, budget_id, "pm", "costdept")
    decide(world["users"]["engdept"], budget_id, "reject", "工程量偏低")
    assert decide(world["users"]["fin"], budget_id)["status"] == "rejected"


def test_an_approved_adjustment_moves_the_target_and_large_ones_reach_the_gm(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"),
                             line_body(world, "0202", manual_amount="100000"))
    cost, line = world["users"]["cost"], made["lines"][0]
    small = post(cost, "cost", "cost_budget_adjustment", {
        "doc_no": "TZ-001", "budget": made["budget"]["id"],
        "lines": [{"budget_line": line["id"], "adjust_amount": "-10000"}],
        "reason": "钢材价格下降"})
    assert (small["data"]["adjust_rate"], small["data"]["lines"][0]["after_amount"]) == ("5.00", "90000.00")
    submit(cost, "cost", "cost_budget_adjustment", small["id"])
    assert route(world, small["id"], "pm", "costdept", "vgm")["status"] == "approved"    # 5 %, a cut: no GM, no finance
    assert get(cost, "cost", "cost_budget_line", line["id"])["data"]["target_amount"] == "90000.00"
    assert get(cost, "cost", "cost_budget", made["budget"]["id"])["data"]["total_amount"] == "190000.00"
    large = post(cost, "cost", "cost_budget_adjustment", {
        "doc_no": "TZ-002", "budget": made["budget"]["id"],
        "lines": [{"budget_line": line["id"], "adjust_amount": "9600"}],
        "reason": "增加钢筋用量"})
    assert large["data"]["adjust_rate"] == "5.05"
    submit(cost, "cost", "cost_budget_adjustment", large["id"])
    assert route(world, large["id"], "pm", "costdept", "fin", "vgm", "gm")["status"] == "approved"
    assert get(cost, "cost", "cost_budget_line", line["id"])["data"]["target_amount"] == "99600.00"
    # one adjustment moves several lines: each budget line rolls up its own rows
    other = made["lines"][1]
    moves = [{"budget_line": line["id"], "adjust_amount": "-600"}, {"budget_line": other["id"], "adjust_amount": "600"}]
    zero = cost.post("/records/cost/cost_budget_adjustment", {
        "doc_no": "TZ-003", "budget": made["budget"]["id"], "reason": "科目间调剂",
        "lines": [*moves, {"budget_line": other["id"], "adjust_amount": "0"}]})
    assert zero.status_code == 422 and "lines" in errors_of(zero)
    both = post(cost, "cost", "cost_budget_adjustment", {"doc_no": "TZ-003", "budget": made["budget"]["id"],
                                                         "reason": "科目间调剂", "lines": moves})
    assert both["data"]["adjust_amount"] == "0.00"
    submit(cost, "cost", "cost_budget_adjustment", both["id"])
    assert route(world, both["id"], "pm", "costdept", "vgm")["status"] == "approved"
    assert [get(cost, "cost", "cost_budget_line", x["id"])["data"]["target_amount"] for x in (line, other)] == [
        "99000.00", "100600.00"]


# --- change orders ------------------------------------------------------------------------------------------

def change_body(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"doc_no": "QZ-001", "project": world["project"]["id"], "change_type": "site_visa",
            "visa_category": "economic", "side": "expense_side", "contract": world["material"]["id"],
            "reason_category": "site_condition", "occurred_date": YESTERDAY, "location": "3#楼 地下室",
            "description": "地下室底板增加钢筋网片一层", "cost_account": world["accounts"]["0201"]["id"],
            "items": [{"item_name": "钢筋网片", "unit": "t", "quantity": "1.5", "unit_price": "4333.33"}],
            "photos": ["uploads/p1.jpg"], **extra}


def test_change_order_amounts_and_rules(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    site = world["users"]["site"]
    order = post(site, "cost", "change_order", change_body(world))
    assert "approved_amount" not in order["data"] and "budget_line" not in order["data"]       # hidden from site
    data = get(world["users"]["cost"], "cost", "change_order", order["id"])["data"]
    assert (data["claimed_amount"], data["decision_amount"]) == ("6500.00", "6500.00")
    assert data["budget_line"] == made["lines"][0]["id"] and data["over_budget"] is False
    errors = errors_of(site.post("/records/cost/change_order", change_body(world, doc_no="QZ-002", description="短",
                                                                            photos=[])))
    assert set(errors) == {"description", "photos"}
    errors = errors_of(site.post("/records/cost/change_order", change_body(
        world, doc_no="QZ-003", items=[], manual_claimed_amount="100", visa_category="schedule",
        is_invalid_cost=True, contract=world["income"]["id"])))
    assert {"schedule_impact_days", "responsible_party", "contract"} <= set(errors)
    errors = errors_of(site.post("/records/cost/change_order", change_body(world, doc_no="QZ-004", items=[])))
    assert {"items", "manual_claimed_amount"} <= set(errors)


def test_a_small_change_order_is_priced_by_the_cost_engineer_and_approved_by_the_pm(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    order = post(world["users"]["site"], "cost", "change_order", change_body(world))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    record = route(world, order["id"], "cost", "pm", data={"cost": {"approved_amount": "6000"}})
    assert record["status"] == "approved"
    line = get(world["users"]["cost"], "cost", "cost_budget_line", made["lines"][0]["id"])["data"]
    assert (line["change_cost"], line["contracted_cost"]) == ("6000.00", "6000.00")
    assert line["available_amount"] == "94000.00"
    assert all(not tasks(world["users"][n], order["id"]) for n in ("costdept", "vgm", "gm"))
    # the contract's change amount follows (cost contributes it to base.contract)
    contract = get(world["users"]["cost"], "base", "contract", world["material"]["id"])["data"]
    assert (contract["change_amount"], contract["current_amount"]) == ("6000.00", "1006000.00")


def test_a_change_order_split_over_budget_lines_charges_each_line(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100000"),
                             line_body(world, "0202", manual_amount="100000"))
    first, second = made["lines"]
    claimed = [{"budget_line": first["id"], "amount": "4500"}, {"budget_line": second["id"], "amount": "2000"}]
    order = post(world["users"]["site"], "cost", "change_order", change_body(world, cost_account=None,
                                                                               cost_splits=claimed))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    uneven = [{"budget_line": first["id"], "amount": "4000"}, {"budget_line": second["id"], "amount": "1000"}]
    [task] = tasks(world["users"]["cost"], order["id"])
    refused = world["users"]["cost"].post(f"/tasks/{task['id']}/complete", {
        "decision": "approve", "data": {"approved_amount": "6000", "cost_splits": uneven}})
    assert refused.status_code == 422 and "cost_splits" in errors_of(refused)
    splits = [{"budget_line": first["id"], "amount": "4000"}, {"budget_line": second["id"], "amount": "2000"}]
    record = route(world, order["id"], "cost", "pm", data={"cost": {"approved_amount": "6000", "cost_splits": splits}})
    assert record["status"] == "approved"
    lines = [get(world["users"]["cost"], "cost", "cost_budget_line", x["id"])["data"] for x in (first, second)]
    assert [(x["change_cost"], x["available_amount"]) for x in lines] == [("4000.00", "96000.00"),
                                                                         ("2000.00", "98000.00")]


def test_design_changes_and_amounts_add_steps(world: dict[str, Any]) -> None:
    budget_with_lines(world, line_body(world, "0201", manual_amount="10000000"))
    order = post(world["users"]["site"], "cost", "change_order", change_body(
        world, change_type="design_change", items=[{"item_name": "结构加固", "quantity": "1", "unit_price": "60000"}]))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    assert route(world, order["id"], "chief", "cost", "pm", "costdept", "vgm")["status"] == "approved"
    big = post(world["users"]["site"], "cost", "change_order", change_body(
        world, doc_no="QZ-009", items=[{"item_name": "基坑支护变更", "quantity": "1", "unit_price": "600000"}]))
    submit(world["users"]["site"], "cost", "change_order", big["id"])
    route(world, big["id"], "cost", "pm")
    assert not tasks(world["users"]["vgm"], big["id"])
    decide(world["users"]["engdept"], big["id"])
    decide(world["users"]["costdept"], big["id"])                 # countersign ≥ 50万
    assert route(world, big["id"], "vgm", "gm")["status"] == "approved"


def test_a_change_order_over_a_soft_budget_needs_the_overrun_approval(world: dict[str, Any]) -> None:
    budget_with_lines(world, line_body(world, "0201", manual_amount="5000"))
    order = post(world["users"]["site"], "cost", "change_order", change_body(world))   # 6,500 > 5,000 available
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    route(world, order["id"], "cost", "pm")
    assert route(world, order["id"], "costdept", "gm")["status"] == "approved"


def test_a_change_order_over_a_hard_budget_is_refused(world: dict[str, Any]) -> None:
    set_control(world, "0201", "hard")
    budget_with_lines(world, line_body(world, "0201", manual_amount="5000"))
    assert "approved_amount" in errors_of(world["users"]["site"].post("/records/cost/change_order", change_body(world)))


def test_return_sends_the_change_order_back_and_reject_ends_it(world: dict[str, Any]) -> None:
    budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    site = world["users"]["site"]
    order = post(site, "cost", "change_order", change_body(world))
    submit(site, "cost", "change_order", order["id"])
    decide(world["users"]["cost"], order["id"], "return", "请补充计算书")
    assert decide(site, order["id"])["status"] == "in_review"
    assert decide(world["users"]["cost"], order["id"], "reject", "不属于签证范围")["status"] == "rejected"


def test_income_side_orders_end_with_the_owner_confirmation(world: dict[str, Any]) -> None:
    order = post(world["users"]["site"], "cost", "change_order", change_body(
        world, side="income_side", contract=world["income"]["id"], cost_account=None))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    response = world["users"]["cost"].post(f"/tasks/{tasks(world['users']['cost'], order['id'])[0]['id']}/complete",
                                           {"decision": "approve", "data": {"approved_amount": "7000"}})
    assert response.status_code == 422                          # more than claimed towards the owner
    route(world, order["id"], "cost", "pm", data={"cost": {"approved_amount": "6400"}})
    record = route(world, order["id"], "cost", data={"cost": {"owner_confirmation": "confirmed"}})
    assert record["status"] == "approved" and record["data"]["owner_confirmation"] == "confirmed"
    assert [o["id"] for o in items(world["users"]["owner"], "cost", "change_order")] == [order["id"]]


# --- reports and parameters ---------------------------------------------------------------------------------

def with_parents(world: dict[str, Any]) -> None:
    """The first-level accounts 01 人工费 and 02 材料费 above the world's accounts (unless the seed planted them)."""
    ann = world["users"]["ann"]
    for code, name, element in (("01", "人工费", "labor"), ("02", "材料费", "material")):
        if not items(ann, "base", "cost_account", f"account_code == '{code}'"):
            post(ann, "base", "cost_account", {"account_code": code, "account_name": name, "cost_element": element})
    for code in ("0102", "0201", "0202"):
        account = get(ann, "base", "cost_account", world["accounts"][code]["id"])
        if account["data"].get("parent") is None:
            response = ann.patch(f"/records/base/cost_account/{account['id']}",
                                 {"version": account["version"], "data": {"parent_code": code[:2]}})
            assert response.status_code == 200, response.get_json()


def test_the_dynamic_cost_report_per_account(world: dict[str, Any]) -> None:
    with_parents(world)
    budget_with_lines(world, line_body(world, "0201", manual_amount="100000"),
                      line_body(world, "0102", manual_amount="20000"), line_body(world, "0202", manual_amount="50000"))
    cost = world["users"]["cost"]
    post(cost, "cost", "actual_cost_entry", entry_body(world, "0201", "40000"))
    post(cost, "cost", "actual_cost_entry", entry_body(world, "0102", "25000"))
    rows = {r["account_code"]: r for r in as_dicts(report(cost, "cost", "dynamic_cost_report"))}
    assert rows["0201"]["target_cost"] == "100000.00" and rows["0201"]["dynamic_cost"] == "100000.00"
    assert rows["0102"]["non_contract_cost"] == "25000.00" and rows["0102"]["variance"] == "5000.00"
    assert Decimal(str(rows["0102"]["variance_rate"])) == Decimal("25")
    # the group's 预警灯 in the bands of the lines' alert_level: 25 % over budget is red, 0201 is green
    assert (rows["0102"]["alert_level"], rows["0201"]["alert_level"]) == ("red", "green")
    # the parent account's subtotal beside each of its lines (02 材料费: 0201 + 0202)
    assert rows["0201"]["cost_account_parent"] == rows["0202"]["cost_account_parent"] != rows["0102"][
        "cost_account_parent"]
    assert rows["0201"]["parent_target_cost"] == rows["0202"]["parent_target_cost"] == "150000.00"
    assert rows["0102"]["parent_dynamic_cost"] == rows["0102"]["dynamic_cost"] == "25000.00"
    total = as_dicts(report(cost, "cost", "dynamic_cost_by_project"))
    assert total[0]["target_cost"] == "170000.00" and total[0]["dynamic_cost"] == "175000.00"


def test_the_change_order_thresholds_are_tenant_parameters(engine: Formwork, tenant: str,
                                                           world: dict[str, Any]) -> None:
    with engine.db.tenant(tenant) as session:
        tenancy.set_parameter(session, tenant, "cost", "change_cost_dept_amount", "5000", engine.catalog.modules())
    budget_with_lines(world, line_body(world, "0201", manual_amount="100000"))
    order = post(world["users"]["site"], "cost", "change_order", change_body(world))
    submit(world["users"]["site"], "cost", "change_order", order["id"])
    assert route(world, order["id"], "cost", "pm", "costdept")["status"] == "approved"


def test_site_roles_and_project_managers_see_what_they_should(world: dict[str, Any]) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="100"))
    prod = world["users"]["prod"]
    data = get(prod, "cost", "cost_budget", made["budget"]["id"])["data"]
    assert "target_margin" not in data and "total_amount" in data
    assert world["users"]["site"].get("/records/cost/cost_budget").status_code == 403
    assert len(items(world["users"]["pm"], "cost", "cost_budget")) == 1


# --- row scope: project roles see only their projects (domain.md §4.3) ---------------------------------

@pytest.mark.parametrize("user, role", [("cost", "project_cost_engineer"), ("pm", "project_manager"),
                                        ("acct", "project_accountant")])
def test_project_roles_see_only_the_cost_records_of_their_projects(
        world: dict[str, Any], engine: Formwork, tenant: str, client: FlaskClient, user: str, role: str) -> None:
    made = budget_with_lines(world, line_body(world, "0201", manual_amount="500000"))
    entry = post(world["users"]["cost"], "cost", "actual_cost_entry", entry_body(world, "0201", "1000.00"))
    member, stranger = world["users"][user], outsider(engine, client, tenant, role)
    assert_only_members_see(member, stranger, "cost", "actual_cost_entry", entry["id"], report="monthly_actual_cost")
    if role != "project_accountant":   # the accountant reads entries and periods, not budgets
        assert_only_members_see(member, stranger, "cost", "cost_budget", made["budget"]["id"])
        assert_only_members_see(member, stranger, "cost", "cost_budget_line", made["lines"][0]["id"])
    # company roles still see every project
    assert world["users"]["costdept"].get(f"/records/cost/actual_cost_entry/{entry['id']}").status_code == 200
