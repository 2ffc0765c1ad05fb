"""Read a tenant's schedule into a `History`: tasks, approved progress, weather, and what people wrote.

Read as the tenant's system user (the model learns from every finished task of the tenant, and a task's
features use its predecessors and its crew whoever may read them); what a caller gets back is filtered by
their own permissions in `service`. Progress reports, delay risks and the comments of approval tasks on
schedule records are scanned for delay signals.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.records.service import Records
from engine.reports.service import documents
from engine.storage.workflow_models import HumanTask
from formwork_assist.delay.features import History, Task
from formwork_assist.delay.signals import Signal, find_signals

MODULE = "schedule"
TASK_FIELDS = ("wbs_code", "task_name", "project", "responsible_crew", "reference_start", "reference_finish",
               "actual_start", "actual_finish", "progress", "predecessors", "task_type", "delay_days", "status_date")
REPORT_FIELDS = ("report_no", "project", "report_date", "weather", "issues", "lines", "risk_task", "raise_risk")
RISK_FIELDS = ("risk_no", "task", "description", "risk_source", "auto_generated", "due_date")


def load(records: Records) -> History:
    """The tenant's schedule as the model reads it (needs the schedule module enabled)."""
    history = History()
    for row in documents(records, MODULE, "wbs_task", q="task_type != 'summary'", sort="wbs_code",
                         fields=TASK_FIELDS):
        task = _task(row)
        if task is not None:
            history.tasks[task.id] = task
    approved = {row["id"] for row in documents(records, MODULE, "progress_report", q="status == 'approved'",
                                               sort="report_date", fields=("report_date",))}
    reports = documents(records, MODULE, "progress_report", q="status != 'draft'", sort="report_date",
                        fields=REPORT_FIELDS)
    tasks_of_record: dict[str, list[str]] = {}
    for report in reports:
        day = _date(report.get("report_date"))
        if day is None:
            continue
        lines = [line for line in report.get("lines") or [] if isinstance(line, dict) and line.get("task")]
        tasks_of_record[report["id"]] = [str(line["task"]) for line in lines]
        if report["id"] in approved:
            if report.get("project") and report.get("weather"):
                history.weather.setdefault(str(report["project"]), []).append((day, str(report["weather"])))
            for line in lines:
                history.progress.setdefault(str(line["task"]), []).append((day, float(line.get("pct_to_date") or 0)))
        source = f"progress_report {report.get('report_no')}"
        for line in lines:
            _add(history, str(line["task"]), day, find_signals(line.get("remark"), source=source, day=day.isoformat()))
        concerned = [str(report["risk_task"])] if report.get("risk_task") else tasks_of_record[report["id"]]
        for task_id in concerned:
            _add(history, task_id, day, find_signals(report.get("issues"), source=source, day=day.isoformat()))
    for risk in documents(records, MODULE, "delay_risk", q="true", sort="risk_no", fields=RISK_FIELDS):
        day = _date(risk.get("due_date"))
        if not risk.get("task") or day is None or risk.get("auto_generated"):
            continue
        tasks_of_record[risk["id"]] = [str(risk["task"])]
        said = find_signals(risk.get("description"), source=f"delay_risk {risk.get('risk_no')}", day=day.isoformat())
        _add(history, str(risk["task"]), day, said)
    for task_id in history.tasks:
        tasks_of_record.setdefault(task_id, [task_id])
    _comments(records, history, tasks_of_record)
    for points in history.progress.values():
        points.sort()
    return history


def _comments(records: Records, history: History, tasks_of_record: dict[str, list[str]]) -> None:
    """Signals in the comments of decided approval tasks on schedule records (reports, risks, tasks)."""
    rows = records.session.execute(select(HumanTask.record_id, HumanTask.comment, HumanTask.completed_at).where(
        HumanTask.module == MODULE, HumanTask.state == "completed", HumanTask.comment != ""))
    for record_id, comment, completed_at in rows:
        if completed_at is None:
            continue
        day = completed_at.date()
        said = find_signals(comment, source="comment", day=day.isoformat())
        for task_id in tasks_of_record.get(record_id, []):
            _add(history, task_id, day, said)


def _add(history: History, task_id: str, day: date, said: Iterable[Signal]) -> None:
    known = {signal.word for _day, signal in history.signals.get(task_id, [])}
    for signal in said:
        if signal.word not in known:
            history.signals.setdefault(task_id, []).append((day, signal))
            known.add(signal.word)


def _task(row: dict[str, Any]) -> Task | None:
    start, finish = _date(row.get("reference_start")), _date(row.get("reference_finish"))
    if start is None or finish is None:
        return None
    preds = tuple(str(link["predecessor"]) for link in row.get("predecessors") or []
                  if isinstance(link, dict) and link.get("predecessor"))
    return Task(id=str(row["id"]), code=str(row.get("wbs_code") or ""), name=str(row.get("task_name") or ""),
                project=_text(row.get("project")), crew=_text(row.get("responsible_crew")), ref_start=start,
                ref_finish=finish, actual_start=_date(row.get("actual_start")),
                actual_finish=_date(row.get("actual_finish")), pct=float(row.get("progress") or 0),
                predecessors=preds, delay_days=int(row["delay_days"]) if row.get("delay_days") is not None else None,
                status_day=_date(row.get("status_date")))


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
