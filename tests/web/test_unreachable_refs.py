"""Refs a person cannot look up are filled from what they can see, or left out of their form (engine.security.reach)."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT, DEMO_USERS
from demo.labor import PHOTOS, SIGNATURE
from engine.core.actor import Actor
from engine.declarations.loader import builtin_folders, compile_all
from engine.declarations.model import Action, EntitySpec, ModuleSpec
from engine.runtime import Formwork
from engine.security.permissions import Access
from engine.security.reach import with_reach
from tests.web.conftest import sign_in

TICKET = "/api/v1/records/labor/day_labor_ticket"


def _modules() -> dict[str, ModuleSpec]:
    modules, problems = compile_all(builtin_folders())
    assert problems == []
    return modules


def _left_out_required(modules: dict[str, ModuleSpec], actor: Actor) -> list[str]:
    """`module.entity.field` of every required ref the actor would be asked for on a form they may fill, yet
    cannot look up and nothing derives."""
    def entity_of(key: str) -> EntitySpec | None:
        module, _, name = key.partition(".")
        return modules[module].entities.get(name) if module in modules else None

    found = []
    for module in modules.values():
        for entity in module.entities.values():
            access = with_reach(Access(entity, actor), entity_of)
            if access.allows(Action.CREATE):
                found += [f"{entity.key}.{name}" for name in sorted(access.left_out_refs)
                          if entity.fields[name].required]
    return found


def test_no_demo_user_is_asked_for_a_required_ref_they_cannot_look_up() -> None:
    modules = _modules()
    for username, (_name, roles) in DEMO_USERS.items():
        assert _left_out_required(modules, Actor(DEMO_TENANT, username, frozenset(roles))) == [], username


def test_no_role_of_the_business_modules_is_asked_for_a_required_ref_it_cannot_look_up() -> None:
    # the `expense` example's applicant picks projects through a project role held beside it (alice in the demo)
    modules = _modules()
    roles = {role for name, module in modules.items() if name != "expense" for role in module.roles}
    assert {role: _left_out_required(modules, Actor("t", "u", frozenset({role}))) for role in sorted(roles)} == {
        role: [] for role in sorted(roles)}


def test_a_crew_leaders_refs_to_parties_and_visas_are_derived_or_left_out() -> None:
    modules = _modules()
    ticket = modules["labor"].entities["day_labor_ticket"]
    access = with_reach(Access(ticket, Actor(DEMO_TENANT, "crew1", frozenset({"crew_leader"}))),
                        lambda key: modules[key.split(".")[0]].entities.get(key.split(".")[1]))
    assert access.derived_refs == {"back_charge_party", "cost_account"}   # the crew's labor company; the 0102 account
    assert access.left_out_refs == {"change_order"}               # the cost engineer links the visa
    cost = with_reach(Access(ticket, Actor(DEMO_TENANT, "alice", frozenset({"project_cost_engineer"}))),
                      lambda key: modules[key.split(".")[0]].entities.get(key.split(".")[1]))
    assert cost.derived_refs == cost.left_out_refs == frozenset()


def _token(client: Any, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"tenant": DEMO_TENANT, "username": username,
                                                     "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def _crew(client: Any, crew_leader: dict[str, str]) -> dict[str, Any]:
    crews = client.get("/api/v1/records/base/crew", headers=crew_leader).get_json()["items"]
    assert len(crews) == 1   # a crew leader reads the own crew only
    crew: dict[str, Any] = crews[0]
    return crew


def test_a_crew_leaders_rework_ticket_over_rest_is_charged_to_the_crews_labor_company(
        demo_formwork: Formwork) -> None:
    client = create_app(demo_formwork, TESTING=True).test_client()
    crew1 = _token(client, "crew1")
    crew = _crew(client, crew1)
    body = {"project": crew["data"]["project"], "work_date": (date.today() - timedelta(days=1)).isoformat(),
            "crew": crew["id"], "location": "3#楼 5层 东侧", "reason_type": "rework",
            "reason": "楼板模板跑模返工重新支设", "work_content": "拆除跑模部位模板并重新支设加固", "headcount": 2,
            "photos": PHOTOS, "crew_leader_signature": SIGNATURE}
    created = client.post(TICKET, headers=crew1, json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["back_charge_party"] == crew["data"]["labor_company"]
    cleanup = client.post(TICKET, headers=crew1, json={**body, "reason_type": "cleanup", "location": "3#楼 6层",
                                                       "reason": "模板拆除后楼层垃圾清理外运"})
    assert cleanup.status_code == 201 and cleanup.get_json()["data"].get("back_charge_party") is None


def test_the_crew_leaders_new_ticket_form_never_asks_for_a_code(demo_formwork: Formwork) -> None:
    app = create_app(demo_formwork, TESTING=True, SECRET_KEY="reach-tests")
    visitor = sign_in(app.test_client(), DEMO_TENANT, "crew1", language="zh", password=DEMO_PASSWORD)
    html = visitor.text("/m/labor/day_labor_ticket/new")
    assert 'name="back_charge_party"' not in html and 'name="change_order"' not in html
    assert "请填写其编号" not in html and "请填写所引用记录的编号" not in html
    assert "扣款责任单位" in html and "已自动填写" in html     # shown, filled by the engine, no party named
    assert "关联签证单<" not in html and not re.search(r">\s*关联签证单\s*<", html)
    cost = sign_in(app.test_client(), DEMO_TENANT, "alice", language="zh", password=DEMO_PASSWORD)
    assert 'name="back_charge_party"' in cost.text("/m/labor/day_labor_ticket/new")
