"""Rules of the 基础档案 module that read other records (over the REST API): the organisation-unit tree has no
cycle, and a project's typed contract amount is checked against its income contracts."""
from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.modules.test_base import a_project, errors_of, master, people, post, read

__all__ = ["master", "people"]


def unit(api: Api, code: str, parent: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"unit_code": code, "unit_name": f"机构 {code}", **({"parent": parent["id"]} if parent else {})}
    response = post(api, "org_unit", body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def move(api: Api, record: dict[str, Any], parent: dict[str, Any] | None) -> Any:
    current = read(api, "org_unit", record)
    return api.patch(f"/records/base/org_unit/{record['id']}",
                     {"version": current["version"], "data": {"parent": parent["id"] if parent else None}})


def test_a_unit_with_sub_units_keeps_its_parent_so_the_tree_has_no_cycle(people: dict[str, Api]) -> None:
    ann = people["ann"]
    company = unit(ann, "GS")
    branch = unit(ann, "FGS", company)
    department = unit(ann, "BM", branch)
    assert [read(ann, "org_unit", u)["data"]["child_count"] for u in (company, branch, department)] == [1, 1, 0]
    # the root under its grandchild would close a loop: a unit holding sub-units cannot move
    assert errors_of(move(ann, company, department)) == {"parent": "is read-only"}
    assert errors_of(move(ann, branch, department)) == {"parent": "is read-only"}
    # a leaf cannot be its own parent, but moves anywhere else (it is nobody's ancestor)
    assert errors_of(move(ann, department, department)) == {"parent": "A unit cannot be its own parent"}
    other = unit(ann, "FGS2", company)
    moved = move(ann, department, other)
    assert moved.status_code == 200, moved.get_json()
    assert [read(ann, "org_unit", u)["data"]["child_count"] for u in (branch, other)] == [0, 1]
    # the branch lost its last sub-unit: it may move again
    assert move(ann, branch, other).status_code == 200


def test_a_project_amount_that_differs_from_its_income_contracts_is_saved_with_a_warning(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    ann = people["ann"]
    project = a_project(people, master)          # typed: 10,000,000 before any contract exists
    assert project["warnings"] == [] and project["data"]["income_contracts_amount"] == "0.00"

    def income(code: str, amount: str) -> None:
        response = post(ann, "contract", {
            "contract_code": code, "contract_name": "施工总承包合同", "project": project["id"], "direction": "income",
            "contract_category": "main", "party": master["owner"]["id"], "sign_date": "2024-01-10",
            "pricing_mode": "unit_price", "amount_incl_tax": amount, "progress_pay_rate": "80"})
        assert response.status_code == 201, response.get_json()

    income("SR-001", "8000000")
    income("SR-002", "1500000")
    current = read(ann, "project", project)
    assert current["data"]["income_contracts_amount"] == "9500000.00"
    edited = ann.patch(f"/records/base/project/{project['id']}",
                       {"version": current["version"], "data": {"remark": "合同已签"}})
    assert edited.status_code == 200, edited.get_json()
    assert [(w["field"], w["message"]) for w in edited.get_json()["warnings"]] == [
        ("contract_amount", "The contract amount differs from the total of the income contracts")]
    fixed = ann.patch(f"/records/base/project/{project['id']}",
                      {"version": edited.get_json()["version"], "data": {"contract_amount": "9500000"}})
    assert fixed.status_code == 200 and fixed.get_json()["warnings"] == []
