"""The demo tenant `make run` opens with: users of every role, master data and sample records.

Everything is written through the same engine services the API uses (records, approvals), so the
sample data passes every declared rule and the approvals leave real tasks and trails behind.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from engine.runtime import Formwork
from engine.tenancy import tenants as tenancy

DEMO_TENANT = "demo"
DEMO_PASSWORD = "demo1234"
DEMO_USERS = {
    "admin": ("管理员", ["admin"]),
    "gm": ("陈总", ["general_manager"]),
    "vicegm": ("刘副总", ["vice_gm"]),
    "costdept": ("孙部长", ["cost_manager"]),
    "eng": ("周工", ["engineering_dept"]),
    "pm": ("王经理", ["project_manager"]),
    "prod": ("吴经理", ["production_manager"]),
    "alice": ("李工", ["applicant", "project_cost_engineer"]),
    "site": ("郑工", ["site_engineer"]),
    "labor": ("冯劳务", ["labor_clerk"]),
    "crew1": ("张建国", ["crew_leader"]),
    "finance": ("赵会计", ["finance", "finance_manager"]),
    "cashier": ("钱出纳", ["cashier"]),
}
CREW_LEADER_IDS = ["510321198503121234", "410523197911083317", "342401198807154452", "320482199002284416"]


def create_demo(engine: Formwork) -> str:
    """Create the demo tenant once; running it again changes nothing."""
    engine.initialise()
    with engine.db.platform() as session:
        if DEMO_TENANT in tenancy.tenant_ids(session):
            return (f"demo tenant {DEMO_TENANT!r} already exists "
                    f"(users: {', '.join(DEMO_USERS)}; password {DEMO_PASSWORD})")
    actors: dict[str, tenancy.Actor] = {}
    with engine.db.tenant(DEMO_TENANT) as session:
        tenancy.create_tenant(session, DEMO_TENANT, name="示范建设集团 Demo Construction", plan="enterprise")
        for username, (name, roles) in DEMO_USERS.items():
            user = tenancy.add_user(session, DEMO_TENANT, username, DEMO_PASSWORD, roles, display_name=name)
            actors[username] = tenancy.actor_of(user)
    for module in engine.catalog.modules():  # enabling plants each module's seed records (trades, cost accounts)
        engine.enable_module(DEMO_TENANT, module)
    master = _master_data(engine, actors["admin"])
    _expense_claims(engine, actors["admin"], master["projects"])
    _day_labor(engine, actors, master)
    _cost_and_schedule(engine, actors, master)
    return f"created demo tenant {DEMO_TENANT!r}: users {', '.join(DEMO_USERS)}, password {DEMO_PASSWORD}"


def _by(records: Any, module: str, entity: str, field: str) -> dict[str, dict[str, Any]]:
    """Existing records of an entity keyed by one field (the seeds: trades, cost accounts)."""
    items = records.find(module, entity, limit=500).items
    return {item["data"][field]: item for item in items}


def _master_data(engine: Formwork, admin: tenancy.Actor) -> dict[str, Any]:
    today = date.today()
    with engine.records(admin) as records:
        def create(entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
            result: dict[str, Any] = records.create("base", entity, data)
            return result

        trades = _by(records, "base", "trade", "trade_key")
        guide_prices = {"carpenter": "400.00", "rebar_worker": "380.00", "general_laborer": "260.00",
                        "handyman": "240.00", "mason": "360.00", "concrete_worker": "350.00"}
        for key, price in guide_prices.items():
            if key in trades:
                seeded = trades[key]
                trades[key] = records.update("base", "trade", seeded["id"], {"guide_price": price},
                                             version=seeded["version"])
        accounts = _by(records, "base", "cost_account", "account_code")

        hq = create("org_unit", {"unit_code": "HQ", "unit_name": "示范建设集团", "unit_type": "company"})
        branch = create("org_unit", {"unit_code": "FGS-01", "unit_name": "第一分公司", "unit_type": "branch",
                                     "parent": hq["id"]})
        parties = {key: create("party", data) for key, data in {
            "owner_a": {"party_name": "城南区城市建设投资有限公司", "party_type": ["owner"],
                        "credit_code": "91350100M000100Y43", "contact_name": "林主任", "contact_phone": "13905910001"},
            "owner_b": {"party_name": "滨江区市政工程管理处", "party_type": ["owner"],
                        "credit_code": "12350100488888888K", "contact_phone": "0591-87654321"},
            "supervisor": {"party_name": "华诚工程监理有限公司", "party_type": ["supervisor"],
                           "credit_code": "91350100MA2XY01234"},
            "labor_a": {"party_name": "鑫源建筑劳务有限公司", "party_type": ["labor_company", "subcontractor"],
                        "credit_code": "91350105MA31ABCD5X", "bank_name": "中国建设银行福州城南支行",
                        "bank_account": "35050100001234567890", "account_name": "鑫源建筑劳务有限公司"},
            "labor_b": {"party_name": "恒达劳务有限公司", "party_type": ["labor_company"],
                        "credit_code": "91350102MA2Y6N7P8Q"},
            "steel": {"party_name": "三钢闽光股份有限公司", "party_type": ["supplier"],
                      "credit_code": "91350400158145789W"},
        }.items()}
        staff = [("pm", "project_manager"), ("prod", "production_manager"), ("alice", "project_cost_engineer"),
                 ("site", "site_engineer"), ("labor", "labor_clerk"), ("crew1", "crew_leader")]
        projects = [create("project", {
            "project_code": code, "project_name": name, "project_type": kind,
            "contract_mode": "general_contracting", "owner_party": parties[owner]["id"],
            "supervisor_party": parties["supervisor"]["id"], "org_unit": branch["id"], "project_manager": "pm",
            "location": location, "contract_amount": amount,
            "planned_start_date": (today - timedelta(days=120)).isoformat(),
            "planned_finish_date": (today + timedelta(days=days)).isoformat(),
            "actual_start_date": (today - timedelta(days=110)).isoformat(),
            "project_status": "in_progress", "building_area": area,
            "members": [{"user": user, "position": position} for user, position in staff]})
            for code, name, kind, owner, location, amount, days, area in [
                ("XM-2024-001", "城南安置房一期", "building", "owner_a", "福建省福州市仓山区", "86500000.00", 600,
                 "68500.000"),
                ("XM-2024-002", "滨江大道市政改造", "municipal", "owner_b", "福建省福州市台江区", "42800000.00", 360,
                 None)]]
        for project, amount in zip(projects, ("86500000.00", "42800000.00"), strict=True):
            create("contract", {
                "contract_code": f"SR-{project['data']['project_code']}", "contract_name":
                    f"{project['data']['project_name']}施工总承包合同", "project": project["id"],
                "direction": "income", "contract_category": "main", "party": project["data"]["owner_party"],
                "sign_date": (today - timedelta(days=130)).isoformat(), "pricing_mode": "unit_price",
                "amount_incl_tax": amount, "tax_rate": "0.09", "advance_rate": "10", "progress_pay_rate": "80",
                "retention_rate": "3",
                "payment_terms": [{"node_name": "预付款", "trigger": "milestone", "ratio": "10"},
                                  {"node_name": "进度款(按月)", "trigger": "monthly", "ratio": "70"},
                                  {"node_name": "结算款", "trigger": "settlement", "ratio": "17"}]})
        labor_contract = create("contract", {
            "contract_code": "ZC-LW-2024-001", "contract_name": "城南安置房一期主体劳务分包合同",
            "project": projects[0]["id"], "direction": "expense", "contract_category": "labor_sub",
            "party": parties["labor_a"]["id"], "sign_date": (today - timedelta(days=115)).isoformat(),
            "pricing_mode": "unit_price", "amount_incl_tax": "12000000.00", "tax_rate": "0.03",
            "progress_pay_rate": "85", "retention_rate": "3",
            "cost_splits": [{"cost_account": accounts["0101"]["id"], "amount": "12000000.00"}]
            if "0101" in accounts else []})
        if "0201" in accounts:
            create("contract", {
                "contract_code": "ZC-CL-2024-007", "contract_name": "城南安置房一期钢筋采购合同",
                "project": projects[0]["id"], "direction": "expense", "contract_category": "material_purchase",
                "party": parties["steel"]["id"], "sign_date": (today - timedelta(days=100)).isoformat(),
                "pricing_mode": "unit_price", "amount_incl_tax": "9860000.00", "tax_rate": "0.13",
                "progress_pay_rate": "90",
                "cost_splits": [{"cost_account": accounts["0201"]["id"], "amount": "9860000.00"}]})

        crews = {}
        for key, project, name, leader, phone, id_no, login, main_trade, company in [
            ("carpenters", projects[0], "木工一班", "张建国", "13800000001", CREW_LEADER_IDS[0], "crew1", "carpenter",
             "labor_a"),
            ("rebar", projects[0], "钢筋班", "李大海", "13800000002", CREW_LEADER_IDS[1], None, "rebar_worker",
             "labor_a"),
            ("odd_jobs", projects[0], "杂工班", "王小二", "13800000003", CREW_LEADER_IDS[2], None, "general_laborer",
             "labor_b"),
            ("municipal", projects[1], "市政杂工班", "赵铁柱", "13800000004", CREW_LEADER_IDS[3], None,
             "general_laborer", "labor_b"),
        ]:
            body = {"project": project["id"], "crew_name": name, "crew_leader_name": leader,
                    "crew_leader_phone": phone, "crew_leader_id_no": id_no, "labor_company": parties[company]["id"],
                    "main_trade": trades[main_trade]["id"], "entry_date": (today - timedelta(days=100)).isoformat()}
            if login:
                body["leader_user"] = login
            if company == "labor_a" and project is projects[0]:
                body["labor_contract"] = labor_contract["id"]
            crews[key] = create("crew", body)
        workers = []
        for index, (name, crew_key, trade_key) in enumerate([
            ("陈木生", "carpenters", "carpenter"), ("黄志强", "carpenters", "carpenter"),
            ("刘春来", "carpenters", "carpenter"), ("何光明", "rebar", "rebar_worker"),
            ("罗永福", "rebar", "rebar_worker"), ("宋二娃", "odd_jobs", "general_laborer"),
        ], start=1):
            workers.append(create("worker", {
                "name": name, "id_no": f"51032119{80 + index:02d}0{index}1{index}12{index}{index % 10}",
                "phone": f"1390000{index:04d}", "crew": crews[crew_key]["id"], "trade": trades[trade_key]["id"],
                "bank_name": "中国农业银行", "bank_card": f"62284800{index:011d}",
                "entry_date": (today - timedelta(days=90)).isoformat()}))
    return {"projects": projects, "crews": crews, "trades": trades, "accounts": accounts, "workers": workers,
            "parties": parties}


def _expense_claims(engine: Formwork, admin: tenancy.Actor, projects: list[dict[str, Any]]) -> None:
    today = date.today()
    with engine.records(admin) as records:
        if "expense" not in records.modules:
            return
        for number, (project, category, lines) in enumerate([
            (projects[0], "travel", [("高铁票 往返", "2", "553.50"), ("住宿", "3", "380")]),
            (projects[0], "material", [("安全帽", "40", "35.8"), ("反光背心", "40", "22")]),
            (projects[1], "material", [("警示锥", "120", "18.5")]),
        ], start=1):
            records.create("expense", "claim", {
                "code": f"BX-{today:%Y%m}-{number:03d}", "project": project["id"], "category": category,
                "date": (today - timedelta(days=number * 3)).isoformat(),
                "lines": [{"item": item, "qty": qty, "price": price} for item, qty, price in lines]})


def _decide(engine: Formwork, actor: tenancy.Actor, record_id: str, decision: str = "approve",
            comment: str = "") -> None:
    """Complete the actor's open task on a record."""
    with engine.approvals(actor) as approvals:
        for task in approvals.inbox():
            if task["record_id"] == record_id:
                approvals.complete(task["id"], decision, comment)
                return
    raise LookupError(f"{actor.username} has no task on {record_id}")


def _day_labor(engine: Formwork, actors: Mapping[str, tenancy.Actor], master: Mapping[str, Any]) -> None:
    today = date.today()
    projects, crews, trades = master["projects"], master["crews"], master["trades"]
    account = master["accounts"].get("0102")
    photo, signature = ["demo/photos/site-1.jpg", "demo/photos/site-2.jpg"], "demo/signatures/crew-leader.png"
    with engine.records(actors["admin"]) as records:
        if "labor" not in records.modules:
            return
        rates = [records.create("labor", "day_labor_rate", {
            "rate_no": f"DJ-{projects[0]['data']['project_code']}-{number:02d}", "project": projects[0]["id"],
            "crew": crews[crew_key]["id"], "trade": trades[trade_key]["id"], "unit_price": price,
            "valid_from": (today - timedelta(days=100)).isoformat(),
            "valid_to": (today + timedelta(days=265)).isoformat()})
            for number, (crew_key, trade_key, price) in enumerate([("carpenters", "carpenter", "420.00"),
                                                                   ("rebar", "rebar_worker", "400.00"),
                                                                   ("odd_jobs", "general_laborer", "300.00")],
                                                                  start=1)]
    for rate in rates:  # approve the rates: project manager, cost department, vice GM above the guide price
        with engine.approvals(actors["labor"]) as approvals:
            approvals.submit("labor", "day_labor_rate", rate["id"])
        _decide(engine, actors["pm"], rate["id"], comment="同意")
        _decide(engine, actors["costdept"], rate["id"], comment="与公司劳务价格库核对无误")
        with engine.records(actors["admin"]) as records:
            status = records.get("labor", "day_labor_rate", rate["id"])["status"]
        if status == "in_review":
            _decide(engine, actors["vicegm"], rate["id"], comment="杂工单价偏高，本次同意")

    last_month = today.replace(day=1) - timedelta(days=1)
    tickets = []
    specs = [  # (days ago or a date, crew, trade, reason type, headcount, days, overtime, price, area, reason)
        (last_month.replace(day=8), "carpenters", "carpenter", "extra_work", 3, "1", None, "420.00", "3#楼 地下室",
         "甲方要求增加地下室临时隔墙模板，合同外零星工作"),
        (last_month.replace(day=15), "carpenters", "carpenter", "owner_visa_work", 4, "1", "6", "420.00",
         "3#楼 5层 东侧", "设计变更后拆改已完成的梁模板，可向甲方签证"),
        (today - timedelta(days=2), "carpenters", "carpenter", "assist_other_trade", 2, "0.5", None, "420.00",
         "2#楼 屋面", "配合水电班组预留洞口封堵模板"),
        (today - timedelta(days=1), "odd_jobs", "general_laborer", "cleanup", 6, "1", None, "300.00",
         "场区道路", "台风过后场区道路及排水沟清理"),
        (today - timedelta(days=1), "rebar", "rebar_worker", "rework", 2, "1", "4", "400.00", "1#楼 3层 梁柱节点",
         "梁柱节点箍筋间距不符合要求返工，责任在钢筋班"),
        (today, "odd_jobs", "general_laborer", "emergency", 8, "1", "16", "300.00", "基坑南侧",
         "暴雨导致基坑南侧积水，连夜抽排水抢险"),
    ]
    with engine.records(actors["alice"]) as records:  # the project cost engineer prices what crews and site log
        for day, crew, trade, reason_type, headcount, days, overtime, price, area, reason in specs:
            body: dict[str, Any] = {  # ticket_no is numbered: DG-<project code>-<work date>-001
                "project": projects[0]["id"], "work_date": day.isoformat(), "crew": crews[crew]["id"],
                "trade": trades[trade]["id"], "location": area, "reason_type": reason_type, "reason": reason,
                "work_content": reason, "headcount": headcount, "days_per_person": days, "unit_price": price,
                "photos": photo, "crew_leader_signature": signature}
            if overtime:
                body["overtime_hours"] = overtime
            if account:
                body["cost_account"] = account["id"]
            if reason_type == "rework":
                body["back_charge_crew"] = crews["rebar"]["id"]
            if reason_type == "owner_visa_work":
                body["change_order_no"] = "QZ-2024-015"
            tickets.append(records.create("labor", "day_labor_ticket", body))
    # sign off all but the newest ticket: site engineer, then production manager and the cost engineer as routed
    for ticket in tickets[:-1]:
        with engine.approvals(actors["alice"]) as approvals:
            approvals.submit("labor", "day_labor_ticket", ticket["id"])
        _decide(engine, actors["site"], ticket["id"], comment="现场核实人数、内容无误")
        for reviewer in ("prod", "alice"):  # as routed: late or large tickets, then visa or rework handling
            with engine.approvals(actors[reviewer]) as approvals:
                for task in approvals.inbox():
                    if task["record_id"] == ticket["id"]:
                        approvals.complete(task["id"], "approve", "同意")
    with engine.approvals(actors["alice"]) as approvals:  # the newest waits for the site engineer
        approvals.submit("labor", "day_labor_ticket", tickets[-1]["id"])

    # last month's summary of the carpenters: a draft for the labor clerk to submit
    with engine.records(actors["labor"]) as records:  # numbered, its lines gathered: the crew's signed tickets
        records.create("labor", "day_labor_summary", {
            "project": projects[0]["id"], "crew": crews["carpenters"]["id"], "period": f"{last_month:%Y-%m}",
            "deductions": [{"deduction_type": "advance", "amount": "500.00", "note": "班组借支生活费"}]})


def _cost_and_schedule(engine: Formwork, actors: Mapping[str, tenancy.Actor], master: Mapping[str, Any]) -> None:
    """A target-cost budget whose material line runs over (a red alert) and a monthly plan with a late
    milestone (a yellow alert) and budgeted tasks (earned value behind plan, cost near it): what the
    project manager finds on the dashboard on day one."""
    project, accounts, today = master["projects"][0], master["accounts"], date.today()
    with engine.records(actors["alice"]) as records:
        budget = records.create("cost", "cost_budget", {
            "project": project["id"],  # doc_no is numbered: MB-<project code>-01
            "budget_type": "target_cost", "revenue_amount": "86500000.00"})
        lines = {code: records.create("cost", "cost_budget_line", {
            "budget": budget["id"], "cost_account": accounts[code]["id"], "manual_amount": amount})
            for code, amount in (("0101", "12000000.00"), ("0102", "600000.00"), ("0201", "9860000.00"))
            if code in accounts}
        for code, amount, source in (("0201", "6120000.00", "LY-2024-031"), ("0102", "3255.00", "DG-2024-05")):
            if code in lines:
                records.create("cost", "actual_cost_entry", {
                    "project": project["id"], "cost_account": accounts[code]["id"], "amount": amount,
                    "occurred_date": (today - timedelta(days=12)).isoformat(), "source_type": "other",
                    "source_no": source})
        if "0201" in lines:  # steel prices rose: the cost engineer forecasts what is still to come
            line = records.get("cost", "cost_budget_line", lines["0201"]["id"])
            records.update("cost", "cost_budget_line", line["id"], {"pending_forecast": "4980000.00"},
                           line["version"])
    with engine.records(actors["prod"]) as records:
        plan = records.create("schedule", "schedule_plan", {
            "plan_code": f"JH-{today:%Y%m}", "plan_name": f"{today:%Y年%m月}主体结构施工计划", "project": project["id"],
            "plan_level": "monthly", "status_date": today.isoformat()})
        # A small network (FS, SS and FF links with lags): the slab, its inspection and the 6th floor are
        # the critical path; the MEP sleeves and the masonry run beside it with float.
        ids: dict[str, str] = {}
        for code, name, first, last, links, extra in (   # days from today; links: (code, type, lag)
            ("1", "3#楼 5层结构施工", -20, -6, (), {"actual_start": (today - timedelta(days=19)).isoformat(),
                                               "percent_complete": "80", "budget_at_completion": "6000000.00"}),
            ("2", "5层结构验收(合同节点)", -5, -5, (("1", "finish_to_start", 0),),
             {"task_type": "milestone", "is_contract_node": True, "penalty_per_day": "5000"}),
            ("3", "3#楼 6层钢筋绑扎", -4, 3, (("2", "finish_to_start", 0),),
             {"actual_start": (today - timedelta(days=3)).isoformat(), "percent_complete": "20",
              "budget_at_completion": "2000000.00"}),
            ("4", "3#楼 6层模板支设", -2, 5, (("3", "start_to_start", 2),), {"budget_at_completion": "1000000.00"}),
            ("5", "3#楼 6层混凝土浇筑", 6, 8, (("3", "finish_to_start", 0), ("4", "finish_to_start", 0)),
             {"budget_at_completion": "2000000.00"}),
            ("6", "6层机电预埋配合", -1, 4, (("3", "start_to_start", 1),), {}),
            ("7", "5层砌体施工", 0, 12, (("2", "finish_to_start", 2),), {}),
            ("8", "3#楼 7层结构施工", 12, 24, (("5", "finish_to_start", 3),), {}),
            ("9", "主体结构7层完成", 25, 25, (("8", "finish_to_start", 0), ("7", "finish_to_finish", 5)),
             {"task_type": "milestone"}),
        ):
            planned = {"planned_start": (today + timedelta(days=first)).isoformat(),
                       "planned_finish": (today + timedelta(days=last)).isoformat()}
            ids[code] = records.create("schedule", "wbs_task", {
                "plan": plan["id"], "wbs_code": code, "task_name": name, **planned,
                "baseline_start": planned["planned_start"], "baseline_finish": planned["planned_finish"],
                "responsible_user": "prod", **extra,
                "predecessors": [{"predecessor": ids[pred], "dep_type": kind, "lag_days": lag}
                                 for pred, kind, lag in links]})["id"]
