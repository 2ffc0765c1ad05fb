"""催办 (remind): the submitter nudges whoever their record waits on, at most once an hour per record."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine.approvals.steps import ApprovalSteps
from engine.errors import Conflict, PermissionDenied
from engine.storage.workflow_models import HumanTask, TaskCandidate

REMIND_EVENT = "task.reminded"
EVERY = timedelta(hours=1)


class RemindTooSoon(Conflict):
    """A reminder for the record went out less than an hour ago."""

    code = "remind_too_soon"


def remind(service: ApprovalSteps, module: str, entity_name: str, record_id: str) -> dict[str, Any]:
    """Notify the people each open task of the record waits on; audited; refused within the hour after the last."""
    entity = service.records.entity(module, entity_name)
    row = service.records.visible_row(entity, record_id)
    instance = service._instance(row.id)
    tasks = list(service.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.state == "open").order_by(HumanTask.created_at))) \
        if instance is not None else []
    if instance is None or not tasks:
        raise Conflict(f"{entity.title.en} {record_id} is not under review", message_code="not_under_review",
                       params={"entity": entity.title.en, "record_id": record_id})
    if instance.started_by != service.actor.username and not service.actor.is_admin:
        raise PermissionDenied(f"only the submitter of {entity.title.en} {record_id} or a tenant administrator can "
                               "send a reminder", message_code="remind_not_submitter",
                               params={"entity": entity.title.en, "record_id": record_id})
    moment = datetime.now(UTC)
    last = instance.reminded_at
    if last is not None:
        last = last if last.tzinfo else last.replace(tzinfo=UTC)  # SQLite hands datetimes back without their zone
        if moment - last < EVERY:
            ago = int((moment - last).total_seconds() // 60)
            wait = max(1, math.ceil((last + EVERY - moment).total_seconds() / 60))
            raise RemindTooSoon(f"a reminder was sent {ago} minutes ago; you can remind again in {wait} minutes",
                                details={"minutes": wait}, message_code="remind_too_soon",
                                params={"minutes_ago": ago, "minutes": wait})
    instance.reminded_at = moment
    candidates: dict[str, list[str]] = {}
    for task_id, role in service.session.execute(select(TaskCandidate.task_id, TaskCandidate.role).where(
            TaskCandidate.task_id.in_([t.id for t in tasks]))):
        candidates.setdefault(task_id, []).append(role)
    reminded = []
    for task in tasks:
        to = [task.assignee] if task.assignee else [
            role.removeprefix("user:") if role.startswith("user:") else f"role:{role}"
            for role in sorted(candidates.get(task.id, []))]
        reminded.append({"task_id": task.id, "title": task.title, "to": to})
    note = "催办: " + "; ".join(f"{r['title']} → {', '.join(r['to']) or '-'}" for r in reminded)
    service._audit_record(row, "process.remind", note, after={"tasks": reminded})
    service._flush()
    for task, item in zip(tasks, reminded, strict=True):
        service._emit(REMIND_EVENT, row, task, remind_to=item["to"], reminded_by=service.actor.username)
    return {"record_id": row.id, "reminded": reminded, "next_at": (moment + EVERY).isoformat()}


def remind_task(service: ApprovalSteps, task_id: str) -> dict[str, Any]:
    """`POST /tasks/<id>/remind`: a reminder for the record of a task the actor can see."""
    task = service._task(task_id)
    return remind(service, task.module, task.entity, task.record_id)
