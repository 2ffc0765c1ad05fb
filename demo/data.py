"""The demo tenant `make run` opens with: a month in the life of a 二级 (second-grade) general contractor.

Three projects with their crews, workers and contracts; the crews' 点工单 (day-labor tickets) of the
previous month and of this month up to today, signed off on site, priced from the agreed rates and summed
up in monthly crew summaries; target-cost budgets, change orders and actual cost; fund accounts, fund
plans, owner measurements, receipts, payment requests, payments and the cash ledger; monthly plans with
their WBS tasks and the progress reports that move them; and the alerts the modules' rules raise.

Everything is written through the engine services the API uses (records, approvals) by the user whose
job it is, and every approval is walked task by task by the users its process names, so the data passes
every declared rule and leaves real tasks and trails behind. Nothing computed is typed: a ticket is
written without a price (its agreed rate applies), a summary without lines (its tickets are gathered), a
task's progress comes from the approved progress reports, a contract's paid amount from its payments.

Dates are relative to today (the day `formwork demo` runs): the previous calendar month is closed (its
tickets signed and summarized, its summaries approved), this month is in flight up to today. Each day's
tickets are written with the records' clock set to that day, as the crews wrote them then. Random
choices come from a fixed seed, so the same day gives the same demo; a second run changes nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from demo import labor, money, schedule
from demo.steps import Demo
from engine.runtime import Formwork
from engine.tenancy import plugin_registry
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
    "chief": ("黄总工", ["chief_engineer"]),
    "alice": ("李工", ["applicant", "project_cost_engineer"]),
    "site": ("郑工", ["site_engineer"]),
    "labor": ("冯劳务", ["labor_clerk"]),
    "finance": ("赵会计", ["finance", "finance_manager"]),
    "fd": ("蒋总监", ["finance_director"]),
    "cashier": ("钱出纳", ["cashier"]),
    **{f"crew{n}": (name, ["crew_leader"]) for n, name in enumerate(
        ["张建国", "李大海", "王小二", "赵铁柱", "孙德胜", "周有才", "吴春生", "郑长青", "冯大力"], start=1)},
    # a site engineer who sees only 滨江大道's tickets, a second cost engineer who checks what alice submits
    "site2": ("钱工", ["site_engineer"]),
    "bob": ("陈工", ["project_cost_engineer"]),
}
STAFF = [("pm", "project_manager"), ("prod", "production_manager"), ("chief", "chief_engineer"),
         ("alice", "project_cost_engineer"), ("bob", "project_cost_engineer"), ("site", "site_engineer"),
         ("labor", "labor_clerk")]
ONE_PROJECT_STAFF = {0: [], 1: [("site2", "site_engineer")], 2: []}   # site2 works on 滨江大道 only
# crew key, project index, crew name, leader login, main trade, labor company, registered workers
CREWS = [
    ("carpenters", 0, "木工一班", "crew1", "carpenter", "labor_a", 8),
    ("rebar", 0, "钢筋班", "crew2", "rebar_worker", "labor_a", 7),
    ("odd_jobs", 0, "杂工班", "crew3", "general_laborer", "labor_b", 9),
    ("municipal", 1, "市政杂工班", "crew4", "general_laborer", "labor_b", 9),
    ("pipes", 1, "管道班", "crew5", "plumber", "labor_b", 6),
    ("masons", 1, "砌筑班", "crew6", "mason", "labor_b", 7),
    ("carpenters_2", 2, "木工二班", "crew7", "carpenter", "labor_a", 8),
    ("concrete", 2, "混凝土班", "crew8", "concrete_worker", "labor_a", 7),
    ("electric", 2, "水电班", "crew9", "electrician", "labor_a", 6),
]
SURNAMES = ("陈黄刘何罗宋林郭马胡朱高梁谢韩唐冯于董萧程曹袁邓许傅"
            "沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭")
GIVEN = ["木生", "志强", "春来", "光明", "永福", "二娃", "建军", "国庆", "小龙", "海波", "德才", "金山", "红旗", "长顺",
         "玉林", "家宝", "水根", "学文", "福贵", "有田"]


def id_number(region: str, born: date, serial: int) -> str:
    """A resident ID number (GB 11643) with its check digit."""
    body = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True)) % 11]


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
    if "assist" in plugin_registry.loaded():   # the local assistant (说一句话填单, delay risk), when installed
        with engine.db.tenant(DEMO_TENANT) as session:
            plugin_registry.set_enabled(session, DEMO_TENANT, "assist", True)
    demo = Demo(engine, actors)
    today = date.today()
    master = _master_data(demo, today)
    with engine.records(actors["admin"], reading=True) as records:
        enabled = set(records.modules)
    _expense_claims(demo, master["projects"], today)
    if "cost" in enabled:
        money.budgets_and_changes(demo, master, today)
    if "labor" in enabled:
        labor.month_of_day_labor(demo, master, today)
    if "cost" in enabled:
        money.actual_cost(demo, master, today)
    if "funds" in enabled:
        money.funds(demo, master, today)
    if "schedule" in enabled:
        schedule.plans_and_progress(demo, master, today)
    return f"created demo tenant {DEMO_TENANT!r}: users {', '.join(DEMO_USERS)}, password {DEMO_PASSWORD}"


def _by(records: Any, module: str, entity: str, field: str) -> dict[str, dict[str, Any]]:
    """Existing records of an entity keyed by one field (the seeds: trades, cost accounts)."""
    items = records.find(module, entity, limit=500).items
    return {item["data"][field]: item for item in items}


def _master_data(demo: Demo, today: date) -> dict[str, Any]:
    with demo.acting("admin") as approvals:
        records = approvals.records

        def create(entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
            result: dict[str, Any] = records.create("base", entity, data)
            return result

        trades = _by(records, "base", "trade", "trade_key")
        guide_prices = {"carpenter": "400.00", "rebar_worker": "380.00", "general_laborer": "260.00",
                        "handyman": "240.00", "mason": "360.00", "concrete_worker": "350.00", "plumber": "380.00",
                        "electrician": "390.00"}
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
                        "credit_code": "91350102MA2Y6N7P8Q", "bank_name": "中国工商银行福州台江支行",
                        "bank_account": "1402023109600123456", "account_name": "恒达劳务有限公司"},
            "steel": {"party_name": "三钢闽光股份有限公司", "party_type": ["supplier"],
                      "credit_code": "91350400158145789W", "bank_name": "中国银行三明分行",
                      "bank_account": "4099 5820 1234 5678", "account_name": "三钢闽光股份有限公司"},
            "owner_c": {"party_name": "高新区科创园开发有限公司", "party_type": ["owner"],
                        "credit_code": "91350100MA8TKC0Q2R", "contact_name": "许经理", "contact_phone": "13905910033"},
            "concrete": {"party_name": "闽建商品混凝土有限公司", "party_type": ["supplier"],
                         "credit_code": "91350121MA34HNT67B", "bank_name": "兴业银行福州分行",
                         "bank_account": "1170 1010 0100 5566 77", "account_name": "闽建商品混凝土有限公司"},
        }.items()}
        crew_members: dict[int, list[dict[str, str]]] = {0: [], 1: [], 2: []}
        for _key, index, _name, login, *_rest in CREWS:
            crew_members[index].append({"user": login, "position": "crew_leader"})
        projects = [create("project", {
            "project_code": code, "project_name": name, "project_type": kind,
            "contract_mode": "general_contracting", "owner_party": parties[owner]["id"],
            "supervisor_party": parties["supervisor"]["id"], "org_unit": branch["id"], "project_manager": "pm",
            "location": location, "contract_amount": amount,
            "planned_start_date": (today - timedelta(days=started + 10)).isoformat(),
            "planned_finish_date": (today + timedelta(days=days)).isoformat(),
            "actual_start_date": (today - timedelta(days=started)).isoformat(),
            "project_status": "in_progress", "building_area": area,
            "members": [{"user": user, "position": position} for user, position in STAFF + ONE_PROJECT_STAFF[index]]
            + crew_members[index]})
            for index, (code, name, kind, owner, location, amount, started, days, area) in enumerate([
                ("XM-2024-001", "城南安置房一期", "building", "owner_a", "福建省福州市仓山区", "86500000.00", 110, 600,
                 "68500.000"),
                ("XM-2024-002", "滨江大道市政改造", "municipal", "owner_b", "福建省福州市台江区", "42800000.00", 150,
                 360, None),
                ("XM-2025-003", "科创园3#研发楼", "building", "owner_c", "福建省福州市闽侯县", "58600000.00", 75, 480,
                 "32600.000")])]
        contracts: dict[str, dict[str, Any]] = {}
        for project, owner_amount in zip(projects, ("86500000.00", "42800000.00", "58600000.00"), strict=True):
            code = project["data"]["project_code"]
            contracts[f"income:{code}"] = create("contract", {
                "contract_code": f"SR-{code}", "contract_name": f"{project['data']['project_name']}施工总承包合同",
                "project": project["id"], "direction": "income", "contract_category": "main",
                "party": project["data"]["owner_party"], "sign_date": (today - timedelta(days=160)).isoformat(),
                "pricing_mode": "unit_price", "amount_incl_tax": owner_amount, "tax_rate": "0.09",
                "advance_rate": "10", "progress_pay_rate": "80", "retention_rate": "3",
                "payment_terms": [{"node_name": "预付款", "trigger": "milestone", "ratio": "10"},
                                  {"node_name": "进度款(按月)", "trigger": "monthly", "ratio": "70"},
                                  {"node_name": "结算款", "trigger": "settlement", "ratio": "17"}]})
        for key, project, code, name, category, party, amount, tax, account in [
            ("labor:0", projects[0], "ZC-LW-2024-001", "城南安置房一期主体劳务分包合同", "labor_sub", "labor_a",
             "12000000.00", "0.03", "0101"),
            ("steel:0", projects[0], "ZC-CL-2024-007", "城南安置房一期钢筋采购合同", "material_purchase", "steel",
             "9860000.00", "0.13", "0201"),
            ("labor:1", projects[1], "ZC-LW-2024-002", "滨江大道市政改造劳务分包合同", "labor_sub", "labor_b",
             "5600000.00", "0.03", "0101"),
            ("labor:2", projects[2], "ZC-LW-2025-003", "科创园3#研发楼主体劳务分包合同", "labor_sub", "labor_a",
             "8200000.00", "0.03", "0101"),
            ("concrete:2", projects[2], "ZC-CL-2025-011", "科创园3#研发楼商品混凝土采购合同", "material_purchase",
             "concrete", "6350000.00", "0.03", "0201"),
        ]:
            contracts[key] = create("contract", {
                "contract_code": code, "contract_name": name, "project": project["id"], "direction": "expense",
                "contract_category": category, "party": parties[party]["id"],
                "sign_date": (today - timedelta(days=120)).isoformat(), "pricing_mode": "unit_price",
                "amount_incl_tax": amount, "tax_rate": tax, "progress_pay_rate": "85", "retention_rate": "3",
                "cost_splits": [{"cost_account": accounts[account]["id"], "amount": amount}]
                if account in accounts else []})

        crews: dict[str, dict[str, Any]] = {}
        workers: dict[str, list[dict[str, Any]]] = {}
        serial = 0
        for number, (key, index, name, login, main_trade, company, size) in enumerate(CREWS):
            leader_name = DEMO_USERS[login][0]
            body = {"project": projects[index]["id"], "crew_name": name, "crew_leader_name": leader_name,
                    "crew_leader_phone": f"138000000{number + 1:02d}", "leader_user": login,
                    "crew_leader_id_no": id_number("510321", date(1975 + number, 3 + number, 12), 301 + number),
                    "labor_company": parties[company]["id"], "main_trade": trades[main_trade]["id"],
                    "entry_date": (today - timedelta(days=100)).isoformat()}
            labor_contract = contracts.get(f"labor:{index}")
            if labor_contract is not None and labor_contract["data"]["party"] == parties[company]["id"]:
                body["labor_contract"] = labor_contract["id"]
            crews[key] = create("crew", body)
            workers[key] = []
            for _ in range(size):
                serial += 1
                workers[key].append(create("worker", {
                    "name": SURNAMES[(serial * 7) % len(SURNAMES)] + GIVEN[serial % len(GIVEN)],
                    "id_no": id_number(("510321", "410523", "342401", "362132")[serial % 4],
                                       date(1968 + serial % 30, 1 + serial % 12, 1 + serial % 28), serial * 2 + 1),
                    "phone": f"139{serial:08d}", "crew": crews[key]["id"], "trade": trades[main_trade]["id"],
                    "bank_name": "中国农业银行", "bank_card": f"62284800{serial:011d}",
                    "entry_date": (today - timedelta(days=90)).isoformat()}))
    return {"projects": projects, "crews": crews, "trades": trades, "accounts": accounts, "workers": workers,
            "parties": parties, "contracts": contracts}


def _expense_claims(demo: Demo, projects: list[dict[str, Any]], today: date) -> None:
    with demo.acting("admin") as approvals:
        records = approvals.records
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
