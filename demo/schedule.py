"""The demo's schedules: each project's monthly plan with its WBS tasks, and the progress reports that move them.

The production manager plans the month (a small network with FS, SS and FF links and lags on the first
project: the slab, its inspection and the 6th floor are the critical path; the MEP sleeves and the masonry
run beside it with float) and sends it through the chief engineer and the project manager. The site
engineer reports progress day by day; the production manager reviews the daily reports and the project
manager confirms the weekly one. A task's % complete and actual dates are never typed: they come from the
approved reports. Late tasks and the contract milestone raise the schedule alerts.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from demo.steps import THROUGH, Demo, Route

# wbs code, name, first and last day (from today), links (code, type, lag), extra fields
NETWORK: list[tuple[str, str, int, int, tuple[tuple[str, str, int], ...], dict[str, Any]]] = [
    ("1", "3#楼 5层结构施工", -20, -6, (), {"budget_at_completion": "6000000.00"}),
    ("2", "5层结构验收(合同节点)", -5, -5, (("1", "finish_to_start", 0),),
     {"task_type": "milestone", "is_contract_node": True, "penalty_per_day": "5000"}),
    ("3", "3#楼 6层钢筋绑扎", -4, 3, (("2", "finish_to_start", 0),), {"budget_at_completion": "2000000.00"}),
    ("4", "3#楼 6层模板支设", -2, 5, (("3", "start_to_start", 2),), {"budget_at_completion": "1000000.00"}),
    ("5", "3#楼 6层混凝土浇筑", 6, 8, (("3", "finish_to_start", 0), ("4", "finish_to_start", 0)),
     {"budget_at_completion": "2000000.00"}),
    ("6", "6层机电预埋配合", -1, 4, (("3", "start_to_start", 1),), {}),
    ("7", "5层砌体施工", 0, 12, (("2", "finish_to_start", 2),), {}),
    ("8", "3#楼 7层结构施工", 12, 24, (("5", "finish_to_start", 3),), {}),
    ("9", "主体结构7层完成", 25, 25, (("8", "finish_to_start", 0), ("7", "finish_to_finish", 5)),
     {"task_type": "milestone"}),
]
SMALL = [  # the other projects' months: a chain of four tasks
    ("1", "{}雨水管道开挖及安装", -25, -3), ("2", "{}检查井砌筑", -10, 6), ("3", "{}沟槽回填", 4, 15),
    ("4", "{}路面基层", 14, 30)]
# P1's reports: days ago, type, lines (wbs code, % to date, actual start days ago, actual finish days ago), route
REPORTS: list[tuple[int, str, list[tuple[str, int, int | None, int | None]], Route | None]] = [
    (12, "daily", [("1", 55, 19, None)], THROUGH),
    (9, "daily", [("1", 70, 19, None)], Route(decisions={"production_review": "reject"},
                                                comments={"production_review": "与当日另一份日报重复"})),
    (8, "daily", [("1", 70, 19, None)], THROUGH),
    (7, "weekly", [("1", 75, 19, None)], THROUGH),
    (4, "daily", [("1", 80, 19, None), ("3", 5, 3, None)],
     Route(decisions={"production_review": "return"}, comments={"production_review": "6层钢筋实际开始日期有误"})),
    (3, "daily", [("1", 80, 19, None), ("3", 10, 3, None)], THROUGH),
    (2, "daily", [("3", 20, 3, None)], THROUGH),
    (1, "daily", [("3", 25, 3, None), ("6", 10, 1, None)], Route(stop_at=frozenset({"production_review"}))),
    (0, "daily", [("3", 30, 3, None), ("4", 5, 0, None)], None),   # today's, not sent yet
]


def plans_and_progress(demo: Demo, master: Mapping[str, Any], today: date) -> None:
    projects = master["projects"]
    plans: dict[str, Route] = {}
    tasks: dict[str, str] = {}
    with demo.acting("prod") as approvals:
        create = approvals.records.create
        for index, project in enumerate(projects):
            plan = create("schedule", "schedule_plan", {
                "plan_code": f"JH-{project['data']['project_code']}-{today:%Y%m}",
                "plan_name": f"{today:%Y年%m月}{('主体结构', '管网及道路', '地下室及主体')[index]}施工计划",
                "project": project["id"], "plan_level": "monthly", "status_date": today.isoformat()})
            if index == 0:
                for code, name, first, last, links, extra in NETWORK:
                    tasks[code] = _task(create, plan["id"], today, code, name, first, last, extra,
                                        [{"predecessor": tasks[pred], "dep_type": kind, "lag_days": lag}
                                         for pred, kind, lag in links])
            else:
                previous: str | None = None
                for code, name, first, last in SMALL:
                    label = ("K1+200~K1+350 ", "3#研发楼 ")[index - 1]
                    chain = ([{"predecessor": previous, "dep_type": "finish_to_start", "lag_days": 0}]
                             if previous else [])
                    previous = _task(create, plan["id"], today, code, name.format(label), first, last, {}, chain)
            if index < 2:   # the third project's plan is still a draft
                plans[str(plan["id"])] = THROUGH if index == 0 else Route(stop_at=frozenset({"pm_approve"}))
    demo.submit_all("prod", "schedule", "schedule_plan", list(plans))
    demo.walk(plans)

    plan_id = next(iter(plans))
    routes: dict[str, Route] = {}
    with demo.acting("site") as approvals:
        for days_ago, kind, lines, route in REPORTS:
            day = today - timedelta(days=days_ago)
            report = approvals.create("schedule", "progress_report", {
                "report_no": f"TB-{projects[0]['data']['project_code']}-{day:%Y%m%d}-{kind[0].upper()}",
                "plan": plan_id, "report_type": kind, "report_date": day.isoformat(), "weather": "sunny",
                "manpower_on_site": 86 + days_ago,
                "lines": [{"task": tasks[code], "pct_to_date": str(pct),
                           **({"actual_start": (today - timedelta(days=start)).isoformat()} if start is not None
                              else {}),
                           **({"actual_finish": (today - timedelta(days=finish)).isoformat()} if finish is not None
                              else {})} for code, pct, start, finish in lines]})
            if route is not None:
                # decided today: their approval moves the tasks, and so reschedules the plan as of its status date
                routes[str(report["id"])] = Route(decisions=route.decisions, stop_at=route.stop_at,
                                                  comments=route.comments)
    demo.submit_all("site", "schedule", "progress_report", list(routes))
    demo.walk(routes)


def _task(create: Any, plan: str, today: date, code: str, name: str, first: int, last: int,
          extra: Mapping[str, Any], links: list[dict[str, Any]]) -> str:
    planned = {"planned_start": (today + timedelta(days=first)).isoformat(),
               "planned_finish": (today + timedelta(days=last)).isoformat()}
    created = create("schedule", "wbs_task", {
        "plan": plan, "wbs_code": code, "task_name": name, **planned, "baseline_start": planned["planned_start"],
        "baseline_finish": planned["planned_finish"], "responsible_user": "prod", **extra, "predecessors": links})
    return str(created["id"])
