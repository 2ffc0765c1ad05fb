"""The approvals a user sees: the inbox, and which tasks exist for a user (those whose record they may read)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from engine.approvals.duties import SpecFor, eligibility, offered_condition
from engine.declarations.model import EntitySpec
from engine.fields.values import to_json
from engine.records.service import Records
from engine.storage.models import Record, User
from engine.storage.workflow_models import HumanTask
from engine.tenancy.tenants import actor_of


def readable_tasks(records: Records, tasks: list[HumanTask]) -> dict[str, tuple[EntitySpec, Record]]:
        """task id -> (entity, record) of the tasks whose record `records`' actor may read under the row
        filters of their roles (one query per entity); a task of a module not in use is left out."""
        by_entity: dict[tuple[str, str], list[HumanTask]] = {}
        for task in tasks:
            by_entity.setdefault((task.module, task.entity), []).append(task)
        found: dict[str, tuple[EntitySpec, Record]] = {}
        for (module, name), group in by_entity.items():
            entity = records.modules[module].entities.get(name) if module in records.modules else None
            if entity is None:
                continue
            rows = records.readable_rows(entity, {task.record_id for task in group})
            found.update({task.id: (entity, rows[task.record_id]) for task in group if task.record_id in rows})
        return found


def task_reader(records: Records, task: HumanTask, name: Any) -> tuple[User | None, bool]:
    """The active user of the tenant called `name` (None: there is none) and whether they may read the task's
    record: whom a task may be handed to (转交, 加签, an incident's reassignment)."""
    user = records.session.get(User, (records.actor.tenant_id, name)) if isinstance(name, str) else None
    if user is None or not user.is_active:
        return None, False
    return user, bool(readable_tasks(records.as_actor(actor_of(user)), [task]))


def inbox(records: Records, spec_for: SpecFor) -> list[dict[str, Any]]:
    """Open tasks offered to me or to a colleague I stand in for, which the separation of duties lets me decide,
    of records I may read (the tenant administrator sees only their own: they do not approve)."""
    statement = select(HumanTask).where(HumanTask.state == "open", offered_condition(records))
    tasks = list(records.session.scalars(statement.order_by(HumanTask.created_at)))
    readable = readable_tasks(records, tasks)
    tasks = [task for task in tasks if task.id in readable]  # a task exists for me only if I may read its record
    allowed = eligibility(records, tasks, spec_for)
    items = []
    for task in tasks:
        found = allowed[task.id]
        if not found.may_act or found.principal is None:
            continue
        entity, row = readable[task.id]
        shown = records.access(entity).shown(row.data) or {}
        title_field = entity.title_field
        behalf = found.principal.username if found.principal.is_delegator else None
        items.append({**task_view(task), "on_behalf_of": behalf, "record": {
            "id": row.id, "status": row.status, "created_by": row.created_by,
            "title": to_json(shown.get(title_field)) if title_field else row.id,
            "summary": {c: shown[c] for c in entity.list_columns if c in shown}}})
    return items


def task_view(task: HumanTask) -> dict[str, Any]:
    return {
        "id": task.id, "title": task.title, "bpmn_id": task.bpmn_id, "module": task.module, "entity": task.entity,
        "record_id": task.record_id, "instance_id": task.instance_id, "candidate_roles": list(task.candidate_roles),
        "assignee": task.assignee, "state": task.state, "due_at": _iso(task.due_at),
        "created_at": _iso(task.created_at), "incident": task.incident, "on_behalf_of": task.on_behalf_of,
    }


def _iso(moment: datetime | None) -> str | None:
    """UTC ISO text; SQLite hands datetimes back without their zone."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
