"""The demo's cost and funds: budgets, change orders and actual cost; accounts, plans, receipts and payments.

The project cost engineer budgets each project's target cost and prices change orders the site engineer
raises; material and machinery costs are posted as they are issued (day labor posts itself when a crew
summary is approved). Finance opens the fund accounts and contract ledgers, the cost engineer plans the
month's funds and asks for payments, the cashier records what the bank received and paid, and every
receipt and payment the finance manager approves lands in the cash ledger.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from demo.labor import first_of_previous_month
from demo.steps import THROUGH, Demo, Route

PHOTOS = ["demo/photos/site-1.jpg"]


def _day(today: date, days_ago: int) -> date:
    """A day of this month, `days_ago` before today (the first of the month at the earliest)."""
    return max(today.replace(day=1), today - timedelta(days=days_ago))


def _previous(today: date, day: int) -> date:
    return first_of_previous_month(today) + timedelta(days=day - 1)


# --- cost ------------------------------------------------------------------------------------------------

def budgets_and_changes(demo: Demo, master: dict[str, Any], today: date) -> None:
    """Target costs of the three projects (approved, in review, returned) and the month's change orders.
    Sets master['visa_nos']: the owner-side change order of each project that visa tickets refer to."""
    projects, accounts, contracts = master["projects"], master["accounts"], master["contracts"]
    budgets = []
    with demo.acting("alice") as approvals:
        for project, revenue, lines in [
            (projects[0], "79357798.17", (("0101", "12000000.00"), ("0102", "600000.00"), ("0201", "9860000.00"),
                                          ("0202", "1850000.00"))),
            (projects[1], "39266055.05", (("0101", "5600000.00"), ("0102", "260000.00"), ("0201", "4200000.00"))),
            (projects[2], "53761467.89", (("0101", "8200000.00"), ("0102", "380000.00"), ("0201", "6350000.00"))),
        ]:
            budget = approvals.create("cost", "cost_budget", {   # doc_no is numbered: MB-<project code>-01
                "project": project["id"], "budget_type": "target_cost", "revenue_amount": revenue})
            for code, amount in lines:
                if code in accounts:
                    approvals.records.create("cost", "cost_budget_line", {
                        "budget": budget["id"], "cost_account": accounts[code]["id"], "manual_amount": amount})
            budgets.append(str(budget["id"]))
    demo.submit_all("alice", "cost", "cost_budget", budgets)
    demo.walk({budgets[0]: THROUGH, budgets[1]: Route(stop_at=frozenset({"cost_dept_review"})),
               budgets[2]: Route(decisions={"cost_dept_review": "return"},
                                 comments={"cost_dept_review": "混凝土单价按最新信息价重新测算"})})

    orders: dict[str, Route] = {}
    visa_nos = []
    drafts = []
    with demo.acting("site") as approvals:
        def order(project: dict[str, Any], number: int, body: dict[str, Any]) -> str:
            code = project["data"]["project_code"]
            created = approvals.create("cost", "change_order", {
                "doc_no": f"QZ-{code}-{number:03d}", "project": project["id"], "photos": PHOTOS, **body})
            return str(created["id"])

        for index, project in enumerate(projects):   # the owner-side visa of each project
            code = project["data"]["project_code"]
            record = order(project, 1, {
                "change_type": "design_change" if index == 0 else "site_visa", "visa_category": "economic",
                "side": "income_side", "contract": contracts[f"income:{code}"]["id"],
                "reason_category": "owner_request" if index != 1 else "site_condition",
                "occurred_date": _previous(today, 6).isoformat(), "location": ("3#楼 5层", "K1+200 雨水管",
                                                                              "3#研发楼 2层")[index],
                "description": ("设计变更：5层梁截面加大，已完成梁模板拆改", "地下管线迁改，雨水管线路调整",
                                "甲方要求2层增设设备夹层")[index],
                "items": [{"item_name": "拆改模板", "unit": "m2", "quantity": "186.5", "unit_price": "85.00"},
                          {"item_name": "点工", "unit": "工日", "quantity": "42", "unit_price": "420.00"}]})
            visa_nos.append(f"QZ-{code}-001")
            orders[record] = (Route(stop_at=frozenset({"pm_approve"})) if index == 1 else Route(
                data={"cost_pricing": {"approved_amount": "30000.00"},
                      "owner_confirmation_step": {"owner_confirmation": "confirmed"}}))
        expense = {"change_type": "site_visa", "visa_category": "economic", "side": "expense_side",
                   "occurred_date": _day(today, 4).isoformat()}
        orders[order(projects[0], 2, {
            **expense, "contract": contracts["labor:0"]["id"], "reason_category": "site_condition",
            "location": "基坑南侧", "description": "暴雨后基坑南侧边坡塌方清理及加固，劳务增加用工",
            "cost_account": accounts["0101"]["id"],
            "items": [{"item_name": "边坡清理加固", "unit": "工日", "quantity": "36", "unit_price": "300.00"}]})] = \
            Route(data={"cost_pricing": {"approved_amount": "10200.00"}})
        orders[order(projects[0], 3, {
            **expense, "contract": contracts["steel:0"]["id"], "reason_category": "contractor_cause",
            "location": "1#楼 3层", "description": "钢筋下料错误重新加工，材料损耗由供应商承担部分",
            "cost_account": accounts["0201"]["id"],
            "items": [{"item_name": "钢筋", "unit": "t", "quantity": "2.4", "unit_price": "4200.00"}]})] = Route(
            decisions={"pm_approve": "reject"}, comments={"pm_approve": "属施工原因，不予签证，由责任班组承担"})
        orders[order(projects[2], 2, {
            **expense, "contract": contracts["concrete:2"]["id"], "reason_category": "design_issue",
            "location": "3#研发楼 4层 核心筒", "description": "核心筒混凝土强度等级由C35调为C40，差价签证",
            "cost_account": accounts["0201"]["id"],
            "items": [{"item_name": "C40混凝土差价", "unit": "m3", "quantity": "320", "unit_price": "25.00"}]})] = \
            Route(decisions={"cost_pricing": "return"}, comments={"cost_pricing": "请附混凝土配合比单和小票"})
        drafts.append(order(projects[1], 2, {
            **expense, "contract": contracts["labor:1"]["id"], "reason_category": "site_condition",
            "location": "K0+800 检查井", "description": "检查井位置与既有管线冲突，人工开挖探坑",
            "cost_account": accounts["0101"]["id"], "manual_claimed_amount": "4800.00", "visa_category": "technical"}))
    demo.submit_all("site", "cost", "change_order", list(orders))
    demo.walk(orders)
    with demo.acting("alice") as approvals:   # the cost engineer's own visa: bob prices it, not alice (separation
        code = projects[0]["data"]["project_code"]  # of duties); it waits at pricing in bob's inbox
        own = str(approvals.create("cost", "change_order", {
            "doc_no": f"QZ-{code}-004", "project": projects[0]["id"], "photos": PHOTOS, **expense,
            "contract": contracts["labor:0"]["id"], "reason_category": "site_condition", "location": "2#楼 地下室",
            "description": "地下室底板渗水，增加注浆堵漏用工", "cost_account": accounts["0101"]["id"],
            "items": [{"item_name": "注浆堵漏", "unit": "工日", "quantity": "12", "unit_price": "320.00"}]})["id"])
    demo.submit_all("alice", "cost", "change_order", [own])
    demo.walk({own: Route(stop_at=frozenset({"cost_pricing"}))})
    master["visa_nos"] = visa_nos


def actual_cost(demo: Demo, master: Mapping[str, Any], today: date) -> None:
    """Material and machinery cost as it is issued, in both months (day labor posts itself)."""
    projects, accounts = master["projects"], master["accounts"]
    with demo.acting("alice") as approvals:
        for index, code, amount, when, source_type, source in [
            (0, "0201", "3860000.00", _previous(today, 10), "material_issue", "LY-01-031"),
            (0, "0201", "2260000.00", _day(today, 3), "material_issue", "LY-01-047"),
            (0, "0202", "412000.00", _previous(today, 20), "material_issue", "LY-01-036"),
            (1, "0201", "1180000.00", _previous(today, 15), "material_issue", "LY-02-012"),
            (1, "0101", "960000.00", _previous(today, 28), "labor_settlement", "LW-02-004"),
            (2, "0201", "1460000.00", _previous(today, 18), "material_issue", "LY-03-008"),
            (2, "0201", "690000.00", _day(today, 2), "material_issue", "LY-03-015"),
        ]:
            if code in accounts:
                approvals.records.create("cost", "actual_cost_entry", {
                    "project": projects[index]["id"], "cost_account": accounts[code]["id"], "amount": amount,
                    "occurred_date": when.isoformat(), "source_type": source_type, "source_no": source})
        if "0201" in accounts:   # steel prices rose: the cost engineer forecasts what is still to come on 0201
            lines = approvals.records.find("cost", "cost_budget_line", limit=50,
                                           q=f"cost_account == '{accounts['0201']['id']}'").items
            for line in lines:
                if line["data"].get("project") == projects[0]["id"]:
                    approvals.records.update("cost", "cost_budget_line", line["id"],
                                             {"pending_forecast": "4980000.00"}, line["version"])


# --- funds -----------------------------------------------------------------------------------------------

def funds(demo: Demo, master: Mapping[str, Any], today: date) -> None:
    projects, contracts = master["projects"], master["contracts"]
    with demo.acting("finance") as approvals:
        create = approvals.records.create
        company = create("funds", "fund_account", {
            "account_name": "公司基本户", "account_type": "basic", "bank_name": "中国建设银行福州分行",
            "account_no": "3505 0100 0000 0000 8888", "opening_balance": "12000000.00", "min_balance": "2000000.00"})
        general, wages = [], []
        for project, opening in zip(projects, ("3500000.00", "1200000.00", "600000.00"), strict=True):
            name, tail = project["data"]["project_name"], project["data"]["project_code"][-3:]
            general.append(create("funds", "fund_account", {
                "account_name": f"{name}项目一般户", "account_type": "general", "project": project["id"],
                "bank_name": "兴业银行福州分行", "account_no": f"1170 1010 {tail}0 1234",
                "opening_balance": opening, "min_balance": "500000.00"}))
            wages.append(create("funds", "fund_account", {
                "account_name": f"{name}农民工工资专用账户", "account_type": "migrant_wage_account",
                "project": project["id"], "bank_name": "中国农业银行福州分行",
                "account_no": f"1355 0101 {tail}0 5678",
                "opening_balance": "300000.00"}))
        for contract in contracts.values():
            create("funds", "contract_ledger", {"contract": contract["id"]})
    plan_lines = _fund_plans(demo, master, today)
    _measurements_and_receipts(demo, master, today, general, plan_lines)
    _payments(demo, master, today, general, plan_lines)
    with demo.acting("cashier") as approvals:   # the bank's charges of the month, typed from the statement
        approvals.records.create("funds", "cash_ledger", {
            "txn_date": _day(today, 1).isoformat(), "account": company["id"], "direction": "out", "amount": "126.50",
            "source_type": "bank_charge", "summary": "网银转账手续费", "source_no": f"SXF-{today:%Y%m}"})


def _fund_plans(demo: Demo, master: Mapping[str, Any], today: date) -> dict[str, str]:
    """Last month's and this month's plans of the first project (approved), this month's of the second (with
    finance) and of the third (a draft). Returns this month's plan lines of the first project by key."""
    projects, contracts, parties = master["projects"], master["contracts"], master["parties"]
    previous, current = first_of_previous_month(today), today.replace(day=1)
    routes: dict[str, Route] = {}
    lines: dict[str, str] = {}
    with demo.acting("alice") as approvals:
        create = approvals.records.create
        for index, month, route in [(0, previous, THROUGH), (0, current, THROUGH),
                                    (1, current, Route(stop_at=frozenset({"finance_review"}))), (2, current, None)]:
            project = projects[index]
            code = project["data"]["project_code"]
            plan = create("funds", "fund_plan", {
                "doc_no": f"ZJ-{code}-{month:%Y%m}", "project": project["id"], "period": f"{month:%Y-%m}",
                "opening_balance": ("3500000.00", "1200000.00", "600000.00")[index], "min_balance": "500000.00"})
            labor = contracts[f"labor:{index}"]
            for key, name, direction, category, amount, extra in [
                ("receipt", "甲方工程进度款", "inflow", "progress_receipt", "3000000.00",
                 {"contract": contracts[f"income:{code}"]["id"]}),
                ("labor", "劳务分包进度款", "outflow", "labor", "1200000.00", {"contract": labor["id"]}),
                ("day_labor", "点工费", "outflow", "day_labor", "200000.00", {"party": labor["data"]["party"]}),
                ("wages", "农民工工资代发", "outflow", "migrant_wage", "800000.00", {}),
                ("material", "主材款", "outflow", "material", "1500000.00",
                 {"contract": contracts["steel:0" if index == 0 else "concrete:2"]["id"]} if index != 1 else
                 {"party": parties["steel"]["id"]}),
            ]:
                line = create("funds", "fund_plan_line", {
                    "plan": plan["id"], "line_name": name, "direction": direction, "category": category,
                    "planned_amount": amount, **extra})
                if index == 0 and month == current:
                    lines[key] = str(line["id"])
            if route is not None:
                routes[str(plan["id"])] = route
    demo.submit_all("alice", "funds", "fund_plan", list(routes))
    demo.walk(routes)
    return lines


def _measurements_and_receipts(demo: Demo, master: Mapping[str, Any], today: date, general: list[dict[str, Any]],
                               lines: Mapping[str, str]) -> None:
    projects, contracts = master["projects"], master["contracts"]
    previous = first_of_previous_month(today)
    measured: dict[int, str] = {}
    routes: dict[str, Route] = {}
    with demo.acting("alice") as approvals:
        for index, reported, confirmed, route in [
            (0, "5200000.00", "4800000.00", THROUGH), (1, "2100000.00", "1950000.00", THROUGH),
            (2, "3300000.00", None, Route(stop_at=frozenset({"cost_dept_review"})))]:
            code = projects[index]["data"]["project_code"]
            body = {"doc_no": f"JL-{code}-{previous:%Y%m}", "contract": contracts[f"income:{code}"]["id"],
                    "period": f"{previous:%Y-%m}", "reported_output": reported}
            if confirmed is not None:   # the owner's confirmed figure, from the signed measurement sheet
                body["confirmed_output"] = confirmed
            record = str(approvals.create("funds", "owner_measurement", body)["id"])
            measured[index], routes[record] = record, route
    demo.submit_all("alice", "funds", "owner_measurement", list(routes))
    demo.walk(routes)
    receipts: dict[str, Route] = {}
    received: list[tuple[int, str, str, date, str, dict[str, str | None], Route]] = [
        (0, "advance", "8650000.00", previous + timedelta(days=2), "R01", {}, THROUGH),
        (0, "progress", "3000000.00", _day(today, 3), "R02",
         {"measurement": measured[0], "fund_plan_line": lines.get("receipt")}, THROUGH),
        (1, "progress", "1500000.00", _day(today, 5), "R03", {"measurement": measured[1]}, THROUGH),
        (2, "advance", "5860000.00", _day(today, 1), "R04", {}, Route(stop_at=frozenset({"finance_check"}))),
    ]
    with demo.acting("cashier") as approvals:
        for index, kind, amount, when, serial, extra, route in received:
            code = projects[index]["data"]["project_code"]
            receipt = approvals.create("funds", "receipt", {
                "doc_no": f"SK-{code}-{serial}", "contract": contracts[f"income:{code}"]["id"],
                "receipt_date": when.isoformat(), "receipt_type": kind, "amount": amount,
                "account": general[index]["id"], "bank_serial_no": f"{when:%Y%m%d}{serial}88",
                **{k: v for k, v in extra.items() if v is not None}})
            receipts[str(receipt["id"])] = route
    demo.submit_all("cashier", "funds", "receipt", list(receipts))
    demo.walk(receipts)


def _payments(demo: Demo, master: Mapping[str, Any], today: date, general: list[dict[str, Any]],
              lines: Mapping[str, str]) -> None:
    """Payment requests of every standing, and the cashier's payments of the approved ones."""
    projects, contracts = master["projects"], master["contracts"]
    codes = [p["data"]["project_code"] for p in projects]
    requests: dict[str, tuple[Route, list[str]]] = {}   # request -> route, amounts the cashier pays
    drafts: list[str] = []
    with demo.acting("alice") as approvals:
        summaries = approvals.records.find("labor", "day_labor_summary", limit=50, q="status == 'approved'").items \
            if "labor" in approvals.records.modules else []

        def request(index: int, serial: int, contract: str, kind: str, applied: str, confirmed: str | None,
                    sources: list[dict[str, Any]], line: str | None, reason: str) -> str:
            body: dict[str, Any] = {
                "doc_no": f"FK-{codes[index]}-{today:%Y%m}-{serial:02d}", "project": projects[index]["id"],
                "payment_type": kind, "contract": contracts[contract]["id"],
                "party": contracts[contract]["data"]["party"], "applied_amount": applied, "source_docs": sources,
                "reason": reason, "invoice_received": applied}
            if confirmed is not None:
                body["confirmed_to_date"] = confirmed
            if line is not None:
                body["fund_plan_line"] = line
            return str(approvals.create("funds", "payment_request", body)["id"])

        requests[request(0, 1, "steel:0", "progress", "1200000.00", "2000000.00",
                         [{"source_type": "other", "source_no": "YS-01-018", "amount": "2000000.00"}],
                         lines.get("material"), "钢筋款(按到货验收单)")] = (THROUGH, ["800000.00", "400000.00"])
        requests[request(0, 2, "labor:0", "progress", "900000.00", "1500000.00",
                         [{"source_type": "subcontract_settlement", "source_no": "LJ-01-003",
                           "amount": "1500000.00"}], lines.get("labor"), "主体劳务进度款")] = (THROUGH, ["900000.00"])
        labor_a = contracts["labor:0"]["data"]["party"]
        paid_summaries = [s for s in summaries if s["data"]["project"] == projects[0]["id"]
                          and s["data"].get("payable_amount") not in (None, "0.00")]
        if paid_summaries and all(master["crews"][k]["data"]["labor_company"] == labor_a
                                  for k in ("carpenters", "rebar")):
            crews = {master["crews"][k]["id"] for k in ("carpenters", "rebar")}
            chosen = [s for s in paid_summaries if s["data"]["crew"] in crews]
            total = sum((float(s["data"]["payable_amount"]) for s in chosen), 0.0)
            if chosen and total > 0:
                amount = f"{total:.2f}"
                requests[request(0, 3, "labor:0", "day_labor", amount, "2600000.00",
                                 [{"source_type": "day_labor_summary", "source_no": s["data"]["summary_no"],
                                   "amount": s["data"]["payable_amount"]} for s in chosen],
                                 lines.get("day_labor"), "上月木工、钢筋班点工费")] = (THROUGH, [amount])
        requests[request(1, 1, "labor:1", "progress", "600000.00", "1400000.00",
                         [{"source_type": "subcontract_settlement", "source_no": "LJ-02-002", "amount": "1400000.00"}],
                         None, "市政劳务进度款")] = (Route(stop_at=frozenset({"cost_check"})), [])
        requests[request(2, 1, "concrete:2", "progress", "750000.00", "1100000.00",
                         [{"source_type": "other", "source_no": "YS-03-006", "amount": "1100000.00"}], None,
                         "商品混凝土款")] = (Route(decisions={"pm_approve": "return"},
                                                  comments={"pm_approve": "请补充混凝土小票汇总表和发票"}), [])
        requests[request(2, 2, "labor:2", "advance", "500000.00", None, [], None, "劳务预付款")] = (
            Route(decisions={"finance_review": "reject"},
                  comments={"finance_review": "劳务合同无预付款条款，不予支付"}),
            [])
        drafts.append(request(1, 2, "labor:1", "progress", "200000.00", "1400000.00",
                              [{"source_type": "subcontract_settlement", "source_no": "LJ-02-003",
                                "amount": "1400000.00"}], None, "市政劳务进度款(二)"))
    demo.submit_all("alice", "funds", "payment_request", list(requests))
    demo.walk({record: route for record, (route, _amounts) in requests.items()})
    payments: dict[str, Route] = {}
    with demo.acting("cashier") as approvals:
        serial = 0
        for record, (_route, amounts) in requests.items():
            for number, amount in enumerate(amounts):
                serial += 1
                pay_day = _day(today, 2 - min(number, 2))
                payment = approvals.create("funds", "payment", {
                    "doc_no": f"ZF-{today:%Y%m}-{serial:03d}", "request": record, "pay_date": pay_day.isoformat(),
                    "amount": amount, "account": general[0]["id"], "bank_serial_no": f"{pay_day:%Y%m%d}P{serial:03d}"})
                # the last part of the steel payment waits for the finance manager
                payments[str(payment["id"])] = Route(stop_at=frozenset({"finance_check"})) if number == 1 else THROUGH
    demo.submit_all("cashier", "funds", "payment", list(payments))
    demo.walk(payments)
