"""Rules of the funds module declared with the engine's primitives, over the REST API: the cumulative confirmed
output of a contract's measurements (a lookup of the previous approved one, kept from submission), the amount
confirmed to date filled from the settled contract, and the project's cash pool checked at submission."""
from __future__ import annotations

from typing import Any

from tests.conftest import Api, errors_of
from tests.modules.helpers_finance import get, items, post, route, submit
from tests.modules.test_funds import request_body, world

__all__ = ["world"]


def patch_record(api: Api, module: str, entity: str, record: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    response = api.patch(f"/records/{module}/{entity}/{record['id']}", {"version": record["version"], "data": data})
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def measurement(world: dict[str, Any], period: str, confirmed: str) -> dict[str, Any]:
    return post(world["users"]["cost"], "funds", "owner_measurement", {
        "doc_no": f"JL-{period}", "contract": world["income"]["id"], "period": period, "reported_output": confirmed,
        "confirmed_output": confirmed})


def approve(world: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    submit(world["users"]["cost"], "funds", "owner_measurement", record["id"])
    approved = route(world, record["id"], "pm", "costdept")
    assert approved["status"] == "approved", approved
    return approved


def test_the_cumulative_confirmed_output_adds_this_measurement_to_the_last_approved_one(
        world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    march = measurement(world, "2024-03", "100000.00")
    assert (march["data"].get("confirmed_before"), march["data"]["cumulative_confirmed"]) == (None, "100000.00")
    approve(world, march)
    april = measurement(world, "2024-04", "250000.00")          # drafted, not approved: counts for nobody
    june = measurement(world, "2024-06", "40000.00")           # May has none: the last approved is March
    assert (june["data"].get("confirmed_before"), june["data"]["cumulative_confirmed"]) == ("100000.00", "140000.00")
    approve(world, april)
    june = get(cost, "funds", "owner_measurement", june["id"])
    assert june["data"].get("confirmed_before") == "100000.00"      # not saved since
    june = patch_record(cost, "funds", "owner_measurement", june, {"reported_output": "50000.00"})
    assert (june["data"].get("confirmed_before"), june["data"]["cumulative_confirmed"]) == ("350000.00", "390000.00")
    approved = approve(world, june)
    assert approved["data"]["cumulative_confirmed"] == "390000.00"
    early = measurement(world, "2024-02", "10000.00")            # an earlier period reads what came before it
    assert (early["data"].get("confirmed_before"), early["data"]["cumulative_confirmed"]) == (None, "10000.00")


def test_confirmed_to_date_is_the_settled_amount_when_left_empty(world: dict[str, Any]) -> None:
    cost = world["users"]["cost"]
    body = {k: v for k, v in request_body(world, "50000.00").items() if k != "confirmed_to_date"}
    unsettled = errors_of(cost.post("/records/funds/payment_request", body))
    assert "source_docs" in unsettled                             # nothing confirmed to fill it from
    contract = get(world["users"]["ann"], "base", "contract", world["material"]["id"])
    patch_record(world["users"]["ann"], "base", "contract", contract, {"settled_amount": "950000.00"})
    fin = world["users"]["fin"]
    [ledger] = items(fin, "funds", "contract_ledger", f"contract == '{contract['id']}'")
    patch_record(fin, "funds", "contract_ledger", ledger, {})        # the ledger reads the settled amount
    request = post(cost, "funds", "payment_request", {**body, "payment_type": "settlement"})
    assert request["data"]["confirmed_to_date"] == "950000.00"
    typed = post(cost, "funds", "payment_request", {**body, "doc_no": "FK-002", "confirmed_to_date": "400000.00"})
    assert typed["data"]["confirmed_to_date"] == "400000.00"     # a typed amount is kept


def test_a_request_the_cash_pool_does_not_cover_is_saved_but_not_submitted(world: dict[str, Any]) -> None:
    cost, ann = world["users"]["cost"], world["users"]["ann"]
    project = get(ann, "base", "project", world["project"]["id"])
    assert project["data"]["cash_pool"] == "2000000.00"          # the project account's opening balance
    body = {"doc_no": "FK-101", "project": world["project"]["id"], "payment_type": "expense",
            "party": world["supplier"]["id"], "applied_amount": "2000000.01", "reason": "临时设施费"}
    request = post(cost, "funds", "payment_request", body)       # a draft is saved whatever the pool
    response = cost.post(f"/records/funds/payment_request/{request['id']}/submit")
    assert response.status_code == 422, response.get_json()
    assert errors_of(response) == {"applied_amount": "The project's cash pool does not cover this request: "
                                                     "arrange funds (a transfer or loan) before submitting"}
    assert get(cost, "funds", "payment_request", request["id"])["status"] == "draft"
    request = patch_record(cost, "funds", "payment_request", get(cost, "funds", "payment_request", request["id"]),
                           {"applied_amount": "2000000.00"})
    submitted = submit(cost, "funds", "payment_request", request["id"])
    assert submitted["status"] == "in_review"
    assert submitted["data"]["cash_pool_at_submit"] == "2000000.00"
