"""The 基础档案 module (modules/base) over the REST API: master data rules, computed fields, seeds, roles."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import tenancy
from engine.runtime import Formwork
from tests.conftest import Api, add_user, api_creator, login, new_tenant_id, project_body

CREDIT_CODE = "91350100M000100Y43"
ID_NO = "510321198503121234"


@pytest.fixture
def people(engine: Formwork, tenant: str, client: FlaskClient) -> dict[str, Api]:
    users = {"ann": ["system_admin"], "pm": ["project_manager"], "pm2": ["project_manager"],
             "site": ["site_engineer"], "clerk": ["labor_clerk"], "lead": ["crew_leader"],
             "cost": ["cost_manager"], "gm": ["general_manager"]}
    for name, roles in users.items():
        add_user(engine, tenant, name, *roles)
    return {name: login(client, tenant, name) for name in users}


@pytest.fixture
def master(people: dict[str, Api]) -> dict[str, Any]:
    """An organisation unit, an owner, a labor company, a supervisor and two trades, made by the administrator."""
    create = api_creator(people["ann"])
    return {
        "org": create("org_unit", {"unit_code": "FGS-01", "unit_name": "第一分公司"}),
        "org2": create("org_unit", {"unit_code": "FGS-02", "unit_name": "第二分公司"}),
        "owner": create("party", {"party_name": "城南城投", "party_type": ["owner"], "credit_code": CREDIT_CODE}),
        "labor": create("party", {"party_name": "鑫源劳务", "party_type": ["labor_company", "subcontractor"],
                                  "credit_code": "91350105MA31ABCD5X"}),
        "supplier": create("party", {"party_name": "三钢", "party_type": ["supplier"],
                                     "credit_code": "91350400158145789W"}),
        "carpenter": create("trade", {"trade_key": "carpenter", "trade_name": "木工", "skill_level": "skilled",
                                      "guide_price": "400"}),
    }


def post(api: Api, entity: str, body: dict[str, Any]) -> Any:
    return api.post(f"/records/base/{entity}", body)


def errors_of(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


def a_project(people: dict[str, Api], master: dict[str, Any], code: str = "XM-0001", **extra: Any) -> dict[str, Any]:
    response = post(people["ann"], "project", project_body(code, owner_party=master["owner"]["id"],
                                                           org_unit=master["org"]["id"], **extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_project_needs_type_mode_owner_unit_manager_amount_dates_and_members(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    errors = errors_of(post(people["ann"], "project", {"project_code": "XM-0001", "project_name": "城南安置房"}))
    assert {field for field, message in errors.items() if message == "is required"} == {
        "project_type", "contract_mode", "owner_party", "org_unit", "project_manager", "contract_amount",
        "planned_start_date", "planned_finish_date", "members"}


def test_project_duration_is_computed_and_dates_codes_amounts_are_checked(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    project = a_project(people, master, planned_start_date="2024-03-01", planned_finish_date="2025-02-28")
    assert project["data"]["planned_duration_days"] == 365
    assert project["data"]["project_status"] == "preparing"
    body = project_body("xm-1", owner_party=master["owner"]["id"], org_unit=master["org"]["id"],
                        contract_amount="0", planned_start_date="2024-03-01", planned_finish_date="2024-02-01",
                        actual_start_date="2024-03-05", actual_finish_date="2024-03-01",
                        members=[{"user": "someone", "position": "site_engineer"}])
    assert errors_of(post(people["ann"], "project", body)) == {
        "project_code": "has the wrong format, e.g. AAAA"}
    body["project_code"] = "XM-0009"  # field checks come first; with a valid code the rules speak
    errors = errors_of(post(people["ann"], "project", body))
    assert errors == {
        "contract_amount": "The contract amount must be greater than 0",
        "planned_finish_date": "The planned finish cannot be before the planned start",
        "actual_finish_date": "The actual finish cannot be before the actual start",
        "members": "The project manager must be one of the project members"}


def test_the_owner_and_supervisor_must_be_parties_of_that_type(people: dict[str, Api], master: dict[str, Any]) -> None:
    body = project_body("XM-0002", owner_party=master["supplier"]["id"], org_unit=master["org"]["id"],
                        supervisor_party=master["labor"]["id"])
    assert errors_of(post(people["ann"], "project", body)) == {
        "owner_party": "The owner must be a party of type Owner",
        "supervisor_party": "The supervisor must be a party of type Supervisor"}


def test_project_names_are_unique_within_an_organisation_unit(people: dict[str, Api], master: dict[str, Any]) -> None:
    first = a_project(people, master, "XM-0001", project_name="城南安置房一期")
    same_unit = project_body("XM-0002", owner_party=master["owner"]["id"], org_unit=master["org"]["id"],
                             project_name="城南安置房一期")
    clash = errors_of(post(people["ann"], "project", same_unit))["project_name"]  # unique: [org_unit, project_name]
    assert "already has a project of this name" in clash and first["id"] in clash
    other_unit = {**same_unit, "org_unit": master["org2"]["id"]}
    assert post(people["ann"], "project", other_unit).status_code == 201
    duplicate_code = {**other_unit, "project_code": "XM-0001", "project_name": "另一个"}
    assert "already used" in errors_of(post(people["ann"], "project", duplicate_code))["project_code"]


def test_a_party_needs_a_credit_code_unless_it_is_an_individual(people: dict[str, Api]) -> None:
    ann = people["ann"]
    assert errors_of(post(ann, "party", {"party_name": "某供应商", "party_type": ["supplier"]})) == {
        "credit_code": "A party that is not an individual needs its unified social credit code"}
    assert post(ann, "party", {"party_name": "张三班组", "party_type": ["individual"]}).status_code == 201
    assert set(errors_of(post(ann, "party", {"party_name": "某公司", "party_type": ["supplier", "nonsense"]}))) == {
        "party_type"}
    errors = errors_of(post(ann, "party", {"party_name": "某公司", "party_type": ["supplier"],
                                           "credit_code": "91350100I000100O43", "contact_phone": "12345"}))
    assert set(errors) == {"credit_code", "contact_phone"}  # I and O are not used in credit codes
    landline = post(ann, "party", {"party_name": "某公司", "party_type": ["supplier", "lessor"],
                                   "credit_code": CREDIT_CODE, "contact_phone": "0591-87654321"})
    assert landline.status_code == 201, landline.get_json()
    assert landline.get_json()["data"]["party_type"] == ["supplier", "lessor"]


@pytest.mark.parametrize(("rate", "amount", "excl", "tax"), [
    ("0.09", "1090000.00", "1000000.00", "90000.00"),
    ("0.13", "113000", "100000.00", "13000.00"),
    ("0.03", "10000", "9708.74", "291.26"),        # 10000 / 1.03 = 9708.737... rounds half up per line
    ("0.06", "33.33", "31.44", "1.89"),
    ("0", "5000", "5000.00", "0.00"),
])
def test_contract_amounts_excluding_tax_and_the_tax_follow_the_rate(
        people: dict[str, Api], master: dict[str, Any], rate: str, amount: str, excl: str, tax: str) -> None:
    project = a_project(people, master)
    response = post(people["ann"], "contract", {
        "contract_code": f"SR-{rate}", "contract_name": "施工总承包合同", "project": project["id"],
        "direction": "income", "contract_category": "main", "party": master["owner"]["id"],
        "sign_date": "2024-01-10", "pricing_mode": "unit_price", "amount_incl_tax": amount, "tax_rate": rate,
        "progress_pay_rate": "80"})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["amount_excl_tax"], data["tax_amount"]) == (excl, tax)


def test_an_expense_contract_needs_cost_splits_that_add_up(people: dict[str, Api], master: dict[str, Any]) -> None:
    ann = people["ann"]
    project = a_project(people, master)
    labor = post(ann, "cost_account", {"account_code": "01", "account_name": "人工费", "cost_element": "labor"})
    sub = post(ann, "cost_account", {"account_code": "0101", "account_name": "劳务分包", "cost_element": "labor",
                                     "parent": labor.get_json()["id"]}).get_json()
    assert sub["data"]["level"] == 2
    body = {"contract_code": "ZC-LW-001", "contract_name": "主体劳务分包", "project": project["id"],
            "direction": "expense", "contract_category": "labor_sub", "party": master["labor"]["id"],
            "sign_date": "2024-02-01", "pricing_mode": "unit_price", "amount_incl_tax": "1200000",
            "tax_rate": "0.03", "progress_pay_rate": "85", "retention_rate": "5"}
    errors = errors_of(post(ann, "contract", body))
    assert errors == {"retention_rate": "must be at most 3"}
    body["retention_rate"] = "3"
    assert errors_of(post(ann, "contract", body)) == {"cost_splits": "An expense contract needs its cost splits"}
    body["cost_splits"] = [{"cost_account": sub["id"], "amount": "1000000"}]
    body["payment_terms"] = [{"node_name": "进度款", "trigger": "monthly", "ratio": "85"},
                             {"node_name": "结算款", "trigger": "settlement", "ratio": "20"}]
    assert errors_of(post(ann, "contract", body)) == {
        "cost_splits": "The cost splits must add up to the contract amount (incl. tax)",
        "payment_terms": "The payment terms cannot add up to more than 100 %"}
    body["cost_splits"].append({"cost_account": sub["id"], "amount": "200000"})
    body["payment_terms"][1]["ratio"] = "12"
    created = post(ann, "contract", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["split_total"] == "1200000.00"
    income_with_labor_company = {**body, "contract_code": "SR-X", "direction": "income", "contract_category": "main"}
    assert errors_of(post(ann, "contract", income_with_labor_company)) == {
        "party": "The counterparty of an income contract must be an owner"}


def test_a_child_cost_account_extends_its_parents_code(people: dict[str, Api]) -> None:
    ann = people["ann"]
    parent = post(ann, "cost_account", {"account_code": "05", "account_name": "措施费", "cost_element": "measures"})
    assert parent.get_json()["data"]["level"] == 1 and parent.get_json()["data"]["control_mode"] == "soft"
    wrong = post(ann, "cost_account", {"account_code": "0601", "account_name": "管理人员工资",
                                       "cost_element": "site_overhead", "parent": parent.get_json()["id"]})
    assert errors_of(wrong) == {"account_code": "A child account's code is its parent's code plus two digits"}
    assert errors_of(post(ann, "cost_account", {"account_code": "051", "account_name": "x",
                                                "cost_element": "measures"})) == {
        "account_code": "has the wrong format, e.g. 11"}


def account(api: Api, code: str, **extra: Any) -> dict[str, Any]:
    response = post(api, "cost_account", {"account_code": code, "account_name": f"科目{code}",
                                          "cost_element": "measures", **extra})
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def read(api: Api, entity: str, record: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"/records/base/{entity}/{record['id']}")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def test_a_cost_account_is_a_leaf_until_a_child_account_points_at_it(people: dict[str, Api]) -> None:
    ann = people["ann"]
    top = account(ann, "05")
    assert (top["data"]["child_count"], top["data"]["is_leaf"]) == (0, True)
    first = account(ann, "0501", parent=top["id"])
    second = account(ann, "0502", parent_code="05")   # the parent found by its code
    assert second["data"]["parent"] == top["id"] and first["data"]["is_leaf"] is True
    assert (read(ann, "cost_account", top)["data"]["child_count"], read(ann, "cost_account", top)["data"]["is_leaf"]) \
        == (2, False)
    assert ann.delete(f"/records/base/cost_account/{first['id']}").status_code in (200, 204)
    assert read(ann, "cost_account", top)["data"]["child_count"] == 1
    moved = ann.patch(f"/records/base/cost_account/{second['id']}",
                      {"version": second["version"], "data": {"parent": None, "parent_code": None}})
    assert moved.status_code == 200, moved.get_json()
    assert (read(ann, "cost_account", top)["data"]["child_count"], read(ann, "cost_account", top)["data"]["is_leaf"]) \
        == (0, True)


def test_a_parent_code_must_name_an_account_and_agree_with_the_parent_picked(people: dict[str, Api]) -> None:
    ann = people["ann"]
    top, other = account(ann, "05"), account(ann, "06")
    assert errors_of(post(ann, "cost_account", {"account_code": "0901", "account_name": "x", "cost_element": "other",
                                                "parent_code": "09"})) == {
        "parent_code": "No cost account has this parent code"}
    assert errors_of(post(ann, "cost_account", {"account_code": "0501", "account_name": "x",
                                                "cost_element": "measures", "parent": top["id"],
                                                "parent_code": "06"})) == {
        "parent_code": "The parent code must be the code of the parent account picked"}
    assert read(ann, "cost_account", other)["data"]["is_leaf"] is True


def test_contract_cost_splits_refuse_an_account_with_child_accounts(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    ann = people["ann"]
    project = a_project(people, master)
    labor = account(ann, "01", cost_element="labor")
    sub = account(ann, "0101", cost_element="labor", parent=labor["id"])
    body = {"contract_code": "ZC-LW-002", "contract_name": "劳务分包", "project": project["id"],
            "direction": "expense", "contract_category": "labor_sub", "party": master["labor"]["id"],
            "sign_date": "2024-02-01", "pricing_mode": "unit_price", "amount_incl_tax": "300000",
            "tax_rate": "0.03", "progress_pay_rate": "85",
            "cost_splits": [{"cost_account": sub["id"], "amount": "100000"},
                            {"cost_account": labor["id"], "amount": "200000"}]}
    refused = post(ann, "contract", body)
    assert errors_of(refused) == {"cost_splits": "Cost splits take leaf accounts only: choose a leaf account such as "
                                                 "0101 or 0102, not one with child accounts"}
    chinese = ann.client.post("/api/v1/records/base/contract", json=body,
                              headers={**ann.headers, "Accept-Language": "zh"}).get_json()
    assert chinese["errors"][0]["message"].startswith("成本拆分只能选末级科目")
    body["cost_splits"][1]["cost_account"] = sub["id"]
    created = post(ann, "contract", body)
    assert created.status_code == 201, created.get_json()
    assert [row["leaf_account"] for row in created.get_json()["data"]["cost_splits"]] == [True, True]


def test_a_crew_counts_its_registered_workers_on_site(people: dict[str, Api], master: dict[str, Any]) -> None:
    clerk = people["clerk"]
    project = a_project(people, master, members=CREW_STAFF)
    crew = post(clerk, "crew", {"project": project["id"], "crew_name": "木工一班", "crew_leader_name": "张建国",
                                "crew_leader_phone": "13800000001", "crew_leader_id_no": ID_NO,
                                "main_trade": master["carpenter"]["id"]}).get_json()
    assert crew["data"]["headcount_registered"] == 0
    workers = []
    for index, id_no in enumerate(("510321198101011121", "510321198202022232", "510321198303033343")):
        response = post(clerk, "worker", {"name": f"工人{index}", "id_no": id_no, "phone": "13900000001",
                                          "crew": crew["id"], "trade": master["carpenter"]["id"],
                                          "bank_card": "6228480000000000011"})
        assert response.status_code == 201, response.get_json()
        workers.append(response.get_json())
    assert read(clerk, "crew", crew)["data"]["headcount_registered"] == 3
    exited = clerk.patch(f"/records/base/worker/{workers[0]['id']}",
                         {"version": workers[0]["version"], "data": {"worker_status": "exited"}})
    assert exited.status_code == 200, exited.get_json()
    assert read(clerk, "crew", crew)["data"]["headcount_registered"] == 2
    assert clerk.delete(f"/records/base/worker/{workers[1]['id']}").status_code in (200, 204)
    assert read(clerk, "crew", crew)["data"]["headcount_registered"] == 1
    typed = clerk.patch(f"/records/base/crew/{crew['id']}", {"version": read(clerk, "crew", crew)["version"],
                                                             "data": {"headcount_registered": 9}})
    assert typed.status_code == 200 and typed.get_json()["data"]["headcount_registered"] == 1  # read-only: counted


def test_crews_belong_to_a_project_with_a_labor_company_and_a_leader(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    ann, clerk = people["ann"], people["clerk"]
    project = a_project(people, master)
    other = a_project(people, master, "XM-0002")
    crew = {"project": project["id"], "crew_name": "木工一班", "crew_leader_name": "张建国",
            "crew_leader_phone": "13800000001", "crew_leader_id_no": ID_NO, "main_trade": master["carpenter"]["id"],
            "labor_company": master["labor"]["id"], "leader_user": "lead"}
    created = post(clerk, "crew", crew)  # the labor clerk keeps the rosters
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["crew_status"] == "on_site"
    clash = errors_of(post(clerk, "crew", crew))["crew_name"]  # unique within the project
    # the clerk is no member of the project, so he may not read the crew: the message does not name it
    assert "already has a crew of this name" in clash and created.get_json()["id"] not in clash
    assert post(clerk, "crew", {**crew, "project": other["id"]}).status_code == 201
    bad = {**crew, "crew_name": "钢筋班", "crew_leader_phone": "0591-1", "crew_leader_id_no": "51032119851312123X",
           "labor_company": master["supplier"]["id"]}
    errors = errors_of(post(clerk, "crew", bad))
    assert set(errors) == {"crew_leader_phone", "crew_leader_id_no"}
    bad.update(crew_leader_phone="13800000002", crew_leader_id_no=ID_NO)
    assert errors_of(post(clerk, "crew", bad)) == {
        "labor_company": "The labor company must be a party of type Labor company"}
    main = post(ann, "contract", {
        "contract_code": "SR-1", "contract_name": "总包", "project": project["id"], "direction": "income",
        "contract_category": "main", "party": master["owner"]["id"], "sign_date": "2024-01-10",
        "pricing_mode": "unit_price", "amount_incl_tax": "1000000", "tax_rate": "0.09", "progress_pay_rate": "80"})
    bad.update(labor_company=master["labor"]["id"], labor_contract=main.get_json()["id"])
    assert errors_of(post(clerk, "crew", bad)) == {"labor_contract": "The labor contract must be a labor subcontract"}
    assert post(people["site"], "crew", {**crew, "crew_name": "x"}).status_code == 403


CREW_STAFF = [{"user": "pm", "position": "project_manager"}, {"user": "clerk", "position": "labor_clerk"}]


def test_workers_take_their_project_from_the_crew_and_hide_ids_from_project_roles(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    clerk = people["clerk"]
    project = a_project(people, master, members=CREW_STAFF)
    crew = post(clerk, "crew", {"project": project["id"], "crew_name": "木工一班", "crew_leader_name": "张建国",
                                "crew_leader_phone": "13800000001", "crew_leader_id_no": ID_NO, "leader_user": "lead",
                                "main_trade": master["carpenter"]["id"]}).get_json()
    worker = {"name": "陈木生", "id_no": "510321198101011121", "phone": "13900000001", "crew": crew["id"],
              "trade": master["carpenter"]["id"], "bank_card": "6228480000000000011"}
    created = post(clerk, "worker", worker)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["project"] == project["id"]
    assert "already used" in errors_of(post(clerk, "worker", {**worker, "name": "同一个人"}))["id_no"]
    path = f"/records/base/worker/{created.get_json()['id']}"
    assert {"id_no", "bank_card", "phone"} <= set(clerk.get(path).get_json()["data"])
    seen_by_pm = people["pm"].get(path).get_json()["data"]  # masked, not hidden
    assert (seen_by_pm["id_no"], seen_by_pm["phone"], seen_by_pm["bank_card"]) == (
        "510321********1121", "139****0001", "6228***********0011") and seen_by_pm["name"] == "陈木生"
    seen_by_leader = people["lead"].get(path).get_json()["data"]
    assert seen_by_leader["phone"] == "139****0001" and "id_no" not in seen_by_leader
    assert people["lead"].get("/records/base/worker").get_json()["total"] == 1  # the leader's own crew


def test_crew_leaders_see_only_their_own_crew(people: dict[str, Api], master: dict[str, Any]) -> None:
    project = a_project(people, master, members=CREW_STAFF)
    for name, leader in (("木工一班", "lead"), ("钢筋班", "someone_else")):
        body = {"project": project["id"], "crew_name": name, "crew_leader_name": "班组长",
                "crew_leader_phone": "13800000001", "crew_leader_id_no": ID_NO, "leader_user": leader,
                "main_trade": master["carpenter"]["id"]}
        assert post(people["clerk"], "crew", body).status_code == 201
    crews = people["lead"].get("/records/base/crew").get_json()["items"]
    assert [c["data"]["crew_name"] for c in crews] == ["木工一班"]
    assert people["clerk"].get("/records/base/crew").get_json()["total"] == 2
    seen_by_pm = people["pm"].get("/records/base/crew").get_json()["items"][0]["data"]
    assert seen_by_pm["crew_leader_id_no"] == ID_NO[:6] + "********" + ID_NO[-4:]   # masked for the project manager


def test_site_roles_do_not_see_contract_amounts(people: dict[str, Api], master: dict[str, Any]) -> None:
    project = a_project(people, master, members=[{"user": "pm", "position": "project_manager"},
                                                 {"user": "site", "position": "site_engineer"}])
    elsewhere = a_project(people, master, "XM-0009")

    def contract_on(on: dict[str, Any], code: str) -> dict[str, Any]:
        return post(people["ann"], "contract", {
            "contract_code": code, "contract_name": "总包", "project": on["id"], "direction": "income",
            "contract_category": "main", "party": master["owner"]["id"], "sign_date": "2024-01-10",
            "pricing_mode": "unit_price", "amount_incl_tax": "1000000", "tax_rate": "0.09",
            "progress_pay_rate": "80"}).get_json()

    contract, other = contract_on(project, "SR-1"), contract_on(elsewhere, "SR-2")
    site = people["site"]
    # project roles see the projects they are members of, and those projects' contracts, nothing else
    assert [p["id"] for p in site.get("/records/base/project").get_json()["items"]] == [project["id"]]
    assert [c["id"] for c in site.get("/records/base/contract").get_json()["items"]] == [contract["id"]]
    assert site.get(f"/records/base/contract/{other['id']}").status_code == 404
    seen = site.get(f"/records/base/contract/{contract['id']}").get_json()["data"]
    assert seen["contract_code"] == "SR-1"
    assert not {"amount_incl_tax", "amount_excl_tax", "tax_amount"} & set(seen)
    assert "contract_amount" not in site.get(f"/records/base/project/{project['id']}").get_json()["data"]
    assert site.get("/records/base/contract", query_string={"q": "amount_incl_tax > 0"}).status_code == 400
    assert people["gm"].get(f"/records/base/contract/{contract['id']}").get_json()["data"]["tax_amount"] == "82568.81"
    assert post(site, "project", project_body("XM-0100", owner_party=master["owner"]["id"],
                                              org_unit=master["org"]["id"])).status_code == 403


def test_project_managers_see_and_edit_their_own_projects_but_not_the_code(
        people: dict[str, Api], master: dict[str, Any]) -> None:
    mine = a_project(people, master, "XM-0001", project_manager="pm", members=[
        {"user": "pm", "position": "project_manager"}, {"user": "site", "position": "site_engineer"}])
    a_project(people, master, "XM-0002", project_manager="pm2",
              members=[{"user": "pm2", "position": "project_manager"}])
    pm = people["pm"]
    assert [p["data"]["project_code"] for p in pm.get("/records/base/project").get_json()["items"]] == ["XM-0001"]
    path = f"/records/base/project/{mine['id']}"
    refused = pm.patch(path, {"version": mine["version"], "data": {"project_code": "XM-9999"}})
    assert errors_of(refused) == {"project_code": "is read-only"}
    changed = pm.patch(path, {"version": mine["version"], "data": {"location": "福州市仓山区",
                                                                   "project_status": "in_progress"}})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["data"]["project_status"] == "in_progress"
    assert people["gm"].get("/records/base/project").get_json()["total"] == 2


def test_enabling_base_plants_the_fourteen_trades_and_the_cost_account_template(engine: Formwork) -> None:
    tenant_id = new_tenant_id()
    with engine.db.tenant(tenant_id) as session:
        tenancy.create_tenant(session, tenant_id, plan="enterprise")
    assert engine.enable_module(tenant_id, "base") == ["base"]
    admin = add_user(engine, tenant_id, "ann", "admin")
    with engine.records(admin) as records:
        trades = {t["data"]["trade_key"]: t["data"] for t in records.find("base", "trade", limit=100).items}
        found = records.find("base", "cost_account", limit=100).items
        accounts = {a["data"]["account_code"]: a["data"] for a in found}
        ids = {a["data"]["account_code"]: a["id"] for a in found}
    assert len(trades) == 14
    assert trades["mason"]["trade_name"] == "砌筑工(瓦工)" and trades["mason"]["skill_level"] == "skilled"
    assert {k for k, t in trades.items() if t["skill_level"] == "unskilled"} == {"general_laborer", "handyman"}
    assert len(accounts) == 23
    assert accounts["0102"]["account_name"] == "点工/零星用工" and accounts["0102"]["level"] == 2
    assert sorted(code for code in accounts if len(code) == 2) == ["01", "02", "03", "04", "05", "06", "07"]
    # the template is a tree: second-level accounts find their parents by code, so only leaves take postings
    assert accounts["0102"]["parent"] == ids["01"] and accounts["0201"]["parent"] == ids["02"]
    assert (accounts["01"]["child_count"], accounts["01"]["is_leaf"]) == (3, False)
    assert {code for code, a in accounts.items() if not a["is_leaf"]} == {"01", "02", "03", "05", "06", "07"}
    assert all(a["is_leaf"] for code, a in accounts.items() if len(code) == 4) and accounts["04"]["is_leaf"]
    engine.enable_module(tenant_id, "base", enabled=False)
    engine.enable_module(tenant_id, "base")  # enabled again: the seeds are not planted twice
    with engine.records(admin) as records:
        assert records.find("base", "trade", limit=100).total == 14
