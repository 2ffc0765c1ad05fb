"""The demo's day labor: agreed rates, a month of crews' tickets signed off on site, monthly crew summaries.

Crew leaders write their tickets without a price (the rate agreed for the project, crew and trade
applies, or the one agreed with the crew's labor company) and submit them; the site engineer signs them
off that evening, the production manager reviews the large and late ones, the project cost engineer
links visa work to its change order and confirms rework back-charges. After the month, the labor clerk
writes one summary per crew (project, crew and period only: its lines are the crew's signed tickets of
the month) and the summary goes through the crew leader, production, cost, the project manager and finance.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from demo.steps import THROUGH, Demo, Route, at

TICKETS = 330   # across the crews and the days of the previous month and this one up to today
SEED = 20240501
PHOTOS = ["demo/photos/site-1.jpg", "demo/photos/site-2.jpg"]
SIGNATURE = "demo/signatures/crew-leader.png"
# crew key -> (trade, agreed price per man-day); None: the crew works at its labor company's rate
RATES: dict[str, tuple[str, str] | None] = {
    "carpenters": ("carpenter", "420.00"), "rebar": ("rebar_worker", "400.00"),
    "odd_jobs": ("general_laborer", "300.00"), "municipal": ("general_laborer", "290.00"), "pipes": None,
    "masons": ("mason", "380.00"), "carpenters_2": ("carpenter", "430.00"), "concrete": ("concrete_worker", "360.00"),
    "electric": ("electrician", "410.00")}
COMPANY_RATE = ("pipes", "labor_b", "plumber", "400.00")   # 恒达劳务's plumbers on the municipal project
AREAS = [
    ["1#楼 3层 梁柱节点", "2#楼 屋面", "3#楼 地下室", "3#楼 5层 东侧", "3#楼 6层", "场区道路", "基坑南侧", "材料堆场"],
    ["K1+200~K1+350 雨水管", "K0+800 检查井", "滨江大道 北侧人行道", "K2+100 路口", "施工便道", "临时围挡"],
    ["3#研发楼 地下一层", "3#研发楼 2层", "3#研发楼 4层 核心筒", "3#研发楼 屋面", "塔吊基础", "生活区"],
]
REASONS = {   # reason type -> (weight, reason, work done)
    "extra_work": (30, "合同外零星工作：{area}临时设施搭拆", "{area}临时设施搭设及拆除"),
    "assist_other_trade": (16, "配合其他班组/分包在{area}施工", "配合水电、消防分包预留预埋及洞口封堵"),
    "cleanup": (20, "{area}建筑垃圾清理及场地平整", "清理建筑垃圾、材料倒运、场地平整"),
    "rework": (7, "{area}质量问题返工修补，责任在其他班组", "拆除不合格部位并按规范重新施工"),
    "owner_visa_work": (10, "甲方/设计变更引起{area}拆改，可向甲方签证", "按变更单拆改已完成部位"),
    "emergency": (5, "暴雨后{area}积水抽排及边坡加固抢险", "连夜抽排积水、覆盖边坡、疏通排水沟"),
}


@dataclass
class Ticket:
    day: date
    crew: str
    project: int
    entered: date       # the day the crew leader wrote it (late entries are written days after the work)
    body: dict[str, Any]
    route: Route | None  # None: a draft, not submitted


def month_of_day_labor(demo: Demo, master: Mapping[str, Any], today: date) -> None:
    _rates(demo, master, today)
    tickets = _tickets(master, today)
    ids = _write_tickets(demo, master, tickets)
    demo.walk({record_id: ticket.route for record_id, ticket in ids.items() if ticket.route is not None})
    _summaries(demo, master, today)


def first_of_previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _rates(demo: Demo, master: Mapping[str, Any], today: date) -> None:
    projects, crews, trades, parties = master["projects"], master["crews"], master["trades"], master["parties"]
    valid = {"valid_from": (first_of_previous_month(today) - timedelta(days=60)).isoformat(),
             "valid_to": (today + timedelta(days=265)).isoformat()}
    routes: dict[str, Route] = {}
    with demo.acting("labor") as approvals:
        number = 0

        def rate(project: dict[str, Any], body: dict[str, Any]) -> str:
            nonlocal number
            number += 1
            created = approvals.create("labor", "day_labor_rate", {
                "rate_no": f"DJ-{project['data']['project_code']}-{number:02d}", "project": project["id"],
                **valid, **body})
            return str(created["id"])

        for crew_key, agreed in RATES.items():
            if agreed is not None:
                crew = crews[crew_key]
                project = next(p for p in projects if p["id"] == crew["data"]["project"])
                routes[rate(project, {"crew": crew["id"], "trade": trades[agreed[0]]["id"],
                                      "unit_price": agreed[1]})] = THROUGH
        crew_key, company, trade, price = COMPANY_RATE
        project = next(p for p in projects if p["id"] == crews[crew_key]["data"]["project"])
        routes[rate(project, {"labor_company": parties[company]["id"], "trade": trades[trade]["id"],
                              "unit_price": price, "remark": "劳务公司框架协议价，适用于该公司各班组"})] = THROUGH
        # a plasterers' rate the project manager turns down, a scaffolders' rate waiting for him, a draft
        routes[rate(projects[1], {"crew": crews["masons"]["id"], "trade": trades["plasterer"]["id"],
                                  "unit_price": "520.00", "remark": "抹灰点工单价"})] = Route(
            decisions={"pm_approve": "reject"}, comments={"pm_approve": "单价明显偏高，请重新谈价"})
        routes[rate(projects[0], {"crew": crews["odd_jobs"]["id"], "trade": trades["handyman"]["id"],
                                  "unit_price": "250.00"})] = Route(stop_at=frozenset({"pm_approve"}))
        rate(projects[2], {"crew": crews["carpenters_2"]["id"], "trade": trades["scaffolder"]["id"],
                           "unit_price": "380.00", "remark": "待与劳务公司确认"})
        for record_id in routes:
            approvals.submit("labor", "day_labor_rate", record_id)
    demo.walk(routes)


def _tickets(master: Mapping[str, Any], today: date) -> list[Ticket]:
    """Which crew works day labor on which day, and what: seeded, so the same day gives the same month."""
    from_day = first_of_previous_month(today)
    days = [from_day + timedelta(days=n) for n in range((today - from_day).days + 1)]
    chance = random.Random(SEED)
    slots = [(day, crew) for day in days for crew in RATES
             if day.weekday() != 6 or chance.random() < 0.3]   # Sundays: a few crews only
    chance.shuffle(slots)
    while len(slots) < TICKETS:   # early in a month: some crews write two tickets a day (another area)
        slots += slots[: TICKETS - len(slots)]
    chosen = sorted(slots[:TICKETS], key=lambda slot: (slot[0], list(RATES).index(slot[1])))
    kinds = list(REASONS)
    weights = [REASONS[kind][0] for kind in kinds]
    tickets: list[Ticket] = []
    seen: set[tuple[date, str, str]] = set()
    crews, workers = master["crews"], master["workers"]
    for day, crew_key in chosen:
        crew = crews[crew_key]
        project = next(i for i, p in enumerate(master["projects"]) if p["id"] == crew["data"]["project"])
        area = chance.choice(AREAS[project])
        while (day, crew_key, area) in seen:
            area = chance.choice(AREAS[project])
        seen.add((day, crew_key, area))
        kind = chance.choices(kinds, weights)[0]
        _weight, reason, work = REASONS[kind]
        half = chance.random() < 0.25
        team = chance.sample(workers[crew_key], chance.randint(1, min(6, len(workers[crew_key]))))
        body: dict[str, Any] = {
            "project": crew["data"]["project"], "work_date": day.isoformat(), "crew": crew["id"],
            "trade": crew["data"]["main_trade"], "location": area, "reason_type": kind,
            "reason": reason.format(area=area), "work_content": work.format(area=area),
            "headcount": len(team), "days_per_person": "0.5" if half else "1",
            "workers": [{"worker": w["id"], "trade": w["data"]["trade"], "days": "0.5" if half else "1",
                         **({"ot_hours": "2"} if not half and chance.random() < 0.15 else {})} for w in team],
            "photos": PHOTOS, "crew_leader_signature": SIGNATURE}
        if kind == "rework":   # charged back to another crew of the project
            others = [k for k, c in crews.items() if c["data"]["project"] == crew["data"]["project"] and k != crew_key]
            body["back_charge_crew"] = crews[chance.choice(others)]["id"]
        late = day < today - timedelta(days=7) and chance.random() < 0.04
        entered = min(today, day + timedelta(days=5)) if late else day
        tickets.append(Ticket(day, crew_key, project, entered, body,
                              _route(chance, day, entered, today, kind, master, project)))
    return tickets


def _route(chance: random.Random, day: date, entered: date, today: date, kind: str, master: Mapping[str, Any],
           project: int) -> Route | None:
    """Where a ticket stands today: the newest wait for the site engineer (or are still drafts), a few are
    returned to the crew leader or rejected as duplicates, the rest are signed the day they were written."""
    visa_nos = master.get("visa_nos") or ["QZ-2024-015"] * 3   # the change orders' numbers, when cost is in use
    data = {"visa_link": {"change_order_no": visa_nos[project]}} if kind == "owner_visa_work" else {}
    age = (today - day).days
    if age == 0:
        return None if chance.random() < 0.4 else Route(stop_at=frozenset({"site_sign_off"}), day=entered)
    if age == 1 and chance.random() < 0.5:
        return Route(stop_at=frozenset({"site_sign_off"}), day=entered)
    draw = chance.random()
    if draw < 0.012:
        return Route(decisions={"site_sign_off": "return"}, day=entered,
                     comments={"site_sign_off": "照片看不清作业内容，请补拍后重新提交"})
    if draw < 0.02:
        return Route(decisions={"site_sign_off": "reject"}, day=entered,
                     comments={"site_sign_off": "与当日另一张点工单重复，作废"})
    return Route(data=data, day=entered, comments={"site_sign_off": "现场核实人数、内容无误"})


def _write_tickets(demo: Demo, master: Mapping[str, Any], tickets: list[Ticket]) -> dict[str, Ticket]:
    """Each crew leader writes the crew's tickets without a price, on the day of the work, and submits them
    (one transaction per crew leader and pass)."""
    ids: dict[str, Ticket] = {}
    written: dict[str, dict[str, Any]] = {}
    by_leader: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        by_leader.setdefault(master["crews"][ticket.crew]["data"]["leader_user"], []).append(ticket)
    for leader, own in by_leader.items():
        with demo.acting(leader) as approvals:
            for ticket in own:
                approvals.records.now = at(ticket.entered, 12)
                created = approvals.create("labor", "day_labor_ticket", ticket.body)
                ids[str(created["id"])], written[str(created["id"])] = ticket, created
    for leader, own in by_leader.items():
        mine = {id(ticket) for ticket in own}
        with demo.acting(leader) as approvals:
            for record_id, ticket in ids.items():
                if id(ticket) in mine and ticket.route is not None:
                    approvals.records.now = at(ticket.entered, 12)
                    approvals.submit("labor", "day_labor_ticket", record_id)
    return ids


# crew -> how its summary of the previous month stands: approved by everyone unless said otherwise
SUMMARY_ROUTES = {
    "odd_jobs": Route(decisions={"cost_check": "return"},
                      comments={"cost_check": "借支扣款金额与劳务台账不符，请核对"}),
    "pipes": Route(stop_at=frozenset({"crew_confirm"})),
    "concrete": None,   # the labor clerk has not submitted it yet
}
DEDUCTIONS = {"carpenters": [{"deduction_type": "advance", "amount": "500.00", "note": "班组借支生活费"}],
              "odd_jobs": [{"deduction_type": "advance", "amount": "800.00", "note": "班组借支生活费"}],
              "rebar": [{"deduction_type": "rework", "amount": "300.00", "note": "梁柱节点返工扣款"}]}


def _summaries(demo: Demo, master: Mapping[str, Any], today: date) -> None:
    """The labor clerk's summaries of the previous month, one per crew: project, crew and period; the lines
    are the crew's signed tickets of the month, gathered by the module."""
    period = first_of_previous_month(today)
    crews, projects = master["crews"], master["projects"]
    routes: dict[str, Route] = {}
    for crew_key in RATES:
        crew = crews[crew_key]
        project = next(p for p in projects if p["id"] == crew["data"]["project"])
        body: dict[str, Any] = {
            "project": project["id"], "crew": crew["id"], "period": f"{period:%Y-%m}"}
        if crew_key in DEDUCTIONS:
            body["deductions"] = DEDUCTIONS[crew_key]
        with demo.acting("labor") as approvals:
            summary = str(approvals.create("labor", "day_labor_summary", body)["id"])
        route = SUMMARY_ROUTES.get(crew_key, THROUGH)
        if route is not None:
            leader = crew["data"]["leader_user"]
            routes[summary] = Route(decisions=route.decisions, stop_at=route.stop_at, comments=route.comments,
                                    data={"crew_confirm": {"crew_signature": SIGNATURE}},
                                    users={"crew_confirm": leader})
    demo.submit_all("labor", "labor", "day_labor_summary", list(routes))
    demo.walk(routes)

