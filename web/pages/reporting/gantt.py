"""The Gantt page of a schedule plan: its WBS tasks as compact JSON, drawn by gantt.js (virtualised rows).

Planned bars, baseline bars beneath them, actual bars with % complete, predecessors, the status
date; the module's key tasks (`is_key`) are outlined, the critical path (`is_critical`, computed by the
plan's network) is drawn in red with its links (a toggle hides it), and forecast dates, where they
differ from the plan, are a dashed box around the planned bar.
"""
from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.wrappers import Response

from engine.declarations.model import Action
from engine.reports.service import documents
from web.pages.blueprint import pages
from web.ui.layout import render
from web.ui.page_extensions import marks_of
from web.ui.services import approvals, formatter, quoted, record_title

PLAN = ("schedule", "schedule_plan")
TASK = ("schedule", "wbs_task")
# The order of a task's values in the page's JSON (one array per task keeps 5,000 tasks small).
FIELDS = ("id", "wbs_code", "task_name", "task_type", "planned_start", "planned_finish", "baseline_start",
          "baseline_finish", "actual_start", "actual_finish", "percent_complete", "is_key", "light", "is_critical",
          "total_float", "forecast_start", "forecast_finish", "predecessors")


def compact(tasks: list[dict[str, Any]]) -> list[list[Any]]:
    """One array per task in FIELDS order; predecessors become row indexes (those outside the plan drop)."""
    index = {task["id"]: number for number, task in enumerate(tasks)}
    rows = []
    for task in tasks:
        links = [index[p["predecessor"]] for p in task["predecessors"] or []
                 if isinstance(p, dict) and p.get("predecessor") in index]
        rows.append([*(task[name] for name in FIELDS[:-1]), links])
    return rows


@pages.get("/m/schedule/schedule_plan/<record_id>/gantt")
def plan_gantt(record_id: str) -> Response:
    with approvals() as service:
        records = service.records
        plan_spec = records.entity(*PLAN)
        plan = records.get(*PLAN, record_id)
        records.access(records.entity(*TASK)).require(Action.READ)
        tasks = documents(records, *TASK, q=f"plan == {quoted(record_id)}", sort="wbs_code", fields=FIELDS[1:])
        fmt = formatter(records, plan_spec, [plan["data"]])
        task_spec = records.entity(*TASK)
        labels = {name: task_spec.fields[name].label.get(records.language)
                  for name in FIELDS[1:] if name in task_spec.fields}
        return render(service, "pages/gantt.html", title=record_title(plan_spec, plan, fmt),
                      plan_url=url_for("pages.record_view", module=PLAN[0], entity=PLAN[1], record_id=record_id),
                      list_url=url_for("pages.record_list", module=PLAN[0], entity=PLAN[1]),
                      module_title=records.modules[PLAN[0]].title.get(records.language),
                      entity_title=plan_spec.title.get(records.language),
                      gantt={"fields": FIELDS, "tasks": compact(tasks), "labels": labels,
                             "status_date": plan["data"].get("status_date"),
                             "marks": marks_of(service, record_id, tasks)},
                      count=len(tasks))
