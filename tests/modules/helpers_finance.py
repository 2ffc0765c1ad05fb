"""Shared set-up for the cost and funds module tests: users of every finance role, a project, parties and contracts."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, decide, login, members_of, new_project

USERS = {"ann": "system_admin", "site": "site_engineer", "chief": "chief_engineer", "cost": "project_cost_engineer",
         "pm": "project_manager", "costdept": "cost_manager", "engdept": "engineering_dept",
         "fin": "finance_manager", "fd": "finance_director", "vgm": "vice_gm", "gm": "general_manager",
         "cash": "cashier", "acct": "project_accountant", "mat": "material_clerk", "owner": "owner_rep",
         "prod": "production_manager",
         "cost2": "project_cost_engineer", "fin2": "finance_manager"}   # check what `cost`, `fin` submit


def setup_world(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Any]:
    for name, role in USERS.items():
        add_user(engine, tenant, name, role)
    users = {name: login(client, tenant, name) for name in USERS}
    create = api_creator(users["ann"])
    project = new_project(create, "XM-0001", members=members_of(USERS))
    owner = create("party", {"party_name": "业主单位", "party_type": ["owner"], "credit_code": "91350100M000100Y43"})
    supplier = create("party", {"party_name": "钢材供应商", "party_type": ["supplier"],
                                "credit_code": "91350105MA31ABCD5X", "bank_name": "工商银行",
                                "bank_account": "6222020000001234", "account_name": "钢材供应商"})
    accounts = {a["data"]["account_code"]: a for a in
                users["ann"].get("/records/base/cost_account?limit=100").get_json()["items"]}
    for code, name, element in (("0102", "点工/零星用工", "labor"), ("0201", "主材", "material"),
                                ("0202", "辅材", "material")):
        if code not in accounts:   # the seed template, when the tenant fixture did not plant it
            accounts[code] = create("cost_account", {"account_code": code, "account_name": name,
                                                     "cost_element": element})
    income = create("contract", {
        "contract_code": "HT-IN-001", "contract_name": "总包合同", "project": project["id"], "direction": "income",
        "contract_category": "main", "party": project["data"]["owner_party"], "sign_date": "2024-01-10",
        "pricing_mode": "unit_price", "amount_incl_tax": "10000000.00", "tax_rate": "0.09",
        "progress_pay_rate": "80", "retention_rate": "3"})
    material = create("contract", {
        "contract_code": "HT-EX-001", "contract_name": "钢筋采购合同", "project": project["id"], "direction": "expense",
        "contract_category": "material_purchase", "party": supplier["id"], "sign_date": "2024-02-01",
        "pricing_mode": "unit_price", "amount_incl_tax": "1000000.00", "tax_rate": "0.13",
        "progress_pay_rate": "70", "retention_rate": "3",
        "cost_splits": [{"cost_account": accounts["0201"]["id"], "amount": "1000000.00"}]})
    return {"users": users, "project": project, "owner": owner, "supplier": supplier, "accounts": accounts,
            "income": income, "material": material}


def post(api: Api, module: str, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/records/{module}/{entity}", body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def get(api: Api, module: str, entity: str, record_id: str) -> dict[str, Any]:
    response = api.get(f"/records/{module}/{entity}/{record_id}")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def items(api: Api, module: str, entity: str, q: str | None = None) -> list[dict[str, Any]]:
    response = api.get(f"/records/{module}/{entity}", query_string={"q": q, "limit": 500} if q else {"limit": 500})
    assert response.status_code == 200, response.get_json()
    result: list[dict[str, Any]] = response.get_json()["items"]
    return result


def submit(api: Api, module: str, entity: str, record_id: str) -> dict[str, Any]:
    response = api.post(f"/records/{module}/{entity}/{record_id}/submit")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def route(world: dict[str, Any], record_id: str, *steps: str, data: dict[str, dict[str, Any]] | None = None,
          ) -> dict[str, Any]:
    """Approve step by step as the named users, each of whom must hold exactly one task of this record;
    `data` gives the task data (editable fields) per user name. Returns the record after the last step."""
    record: dict[str, Any] = {}
    for name in steps:
        record = decide(world["users"][name], record_id, data=(data or {}).get(name))
    return record


def report(api: Api, module: str, name: str, **query: Any) -> dict[str, Any]:
    response = api.get(f"/reports/{module}/{name}", query_string=query)
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result
