"""With whom an approval waits: the steps a record's approval took, and the people its open tasks wait on.

Candidates are usernames: an assigned task waits on its assignee; an unassigned one on the `user:<name>` rows of
its candidates and on the active users holding a candidate role who may read the record (a task exists for a
user only when they may read its record, as in the inbox). Nothing here names a field of the record.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select

from engine.approvals.duties import runs_of
from engine.approvals.inbox import _iso
from engine.approvals.service import SUBMITTER_ROLES, USER_PREFIX
from engine.declarations.model import Action, EntitySpec
from engine.records.service import Records
from engine.storage.models import Record, User
from engine.storage.workflow_models import HumanTask, ProcessInstance, TaskCandidate
from engine.tenancy.tenants import actor_of

SUBMISSIONS_SHOWN = 200


def approval_of(records: Records, module: str, entity_name: str, record_id: str) -> dict[str, Any]:
    """`{steps, pending}` of a record the actor may read (else the errors of reading it: 403, 404)."""
    entity = records.entity(module, entity_name)
    row = records.visible_row(entity, record_id)
    tasks = list(records.session.scalars(
        select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(ProcessInstance.record_id == row.id, HumanTask.state.in_(("completed", "open")))))
    done = sorted((t for t in tasks if t.state == "completed" and t.completed_by),
                  key=lambda t: (_iso(t.completed_at) or "", _iso(t.created_at) or ""))
    names = display_names(records.session, {t.completed_by for t in done if t.completed_by})
    steps = [{"task_id": t.id, "title": t.title, "actor": t.completed_by,
              "actor_name": names.get(t.completed_by or "", t.completed_by), "decision": t.decision,
              "comment": t.comment, "time": _iso(t.completed_at)} for t in done]
    open_tasks = sorted((t for t in tasks if t.state == "open"), key=lambda t: _iso(t.created_at) or "")
    return {"steps": steps, "pending": pending_of(records, entity, open_tasks).get(row.id, [])}


def waiting_on(records: Records, entity: EntitySpec, record_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """record id -> its open tasks and who they wait on, for a page of records (one query for the tasks)."""
    if not record_ids or entity.workflow is None:
        return {}
    tasks = list(records.session.scalars(
        select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(ProcessInstance.record_id.in_(list(record_ids)), ProcessInstance.status == "running",
               HumanTask.state == "open").order_by(HumanTask.created_at)))
    return pending_of(records, entity, tasks)


def pending_of(records: Records, entity: EntitySpec, tasks: list[HumanTask]) -> dict[str, list[dict[str, Any]]]:
    """record id -> `{task_id, title, candidates, due_at}` of `tasks` (open tasks of `entity`'s records)."""
    if not tasks:
        return {}
    session = records.session
    rows: dict[str, list[str]] = {}
    for task_id, role in session.execute(select(TaskCandidate.task_id, TaskCandidate.role)
                                         .where(TaskCandidate.task_id.in_([t.id for t in tasks]))):
        rows.setdefault(task_id, []).append(role)
    people = list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.username)))
    holders: dict[str, list[User]] = {}
    for user in people:
        for role in user.roles:
            holders.setdefault(role, []).append(user)
    by_name = {u.username: u for u in people}
    wanted: dict[str, set[str]] = {}   # username -> the records they must be able to read to be waited on
    offered: dict[str, list[str]] = {}
    for task in tasks:
        if task.assignee is not None:
            offered[task.id] = [task.assignee]
            continue
        names: list[str] = []
        for key in rows.get(task.id, []):
            if key.startswith(USER_PREFIX):
                if key[len(USER_PREFIX):] in by_name:
                    names.append(key[len(USER_PREFIX):])
            elif key not in SUBMITTER_ROLES:
                for user in holders.get(key, []):
                    names.append(user.username)
                    wanted.setdefault(user.username, set()).add(task.record_id)
        offered[task.id] = list(dict.fromkeys(names))
    readers = _readers(records, entity, {by_name[name]: ids for name, ids in wanted.items()})
    process = entity.workflow.spec if entity.workflow is not None else None
    runs = runs_of(records, {task.instance_id for task in tasks}, lambda instance: process)
    result: dict[str, list[dict[str, Any]]] = {}
    for task in tasks:
        run = runs.get(task.instance_id)
        candidates = [name for name in offered[task.id]   # who may decide it: not whom the duties keep apart
                      if (name not in wanted or task.record_id in readers.get(name, ()) or _named(rows, task, name))
                      and (run is None or run.refusal(task, name) is None)]
        result.setdefault(task.record_id, []).append(
            {"task_id": task.id, "title": task.title, "candidates": candidates, "due_at": _iso(task.due_at)})
    return result


def _named(rows: dict[str, list[str]], task: HumanTask, name: str) -> bool:
    return f"{USER_PREFIX}{name}" in rows.get(task.id, [])


def _readers(records: Records, entity: EntitySpec, wanted: dict[User, set[str]]) -> dict[str, set[str]]:
    """username -> which of their wanted records they may read (one query per user whose role filters rows)."""
    found: dict[str, set[str]] = {}
    for user, ids in wanted.items():
        seen_by = records.as_actor(actor_of(user))
        access = seen_by.access(entity)
        if not access.allows(Action.READ):
            found[user.username] = set()
        elif access.row_filters is None:
            found[user.username] = set(ids)
        else:
            found[user.username] = set(seen_by.readable_rows(entity, ids))
    return found


def display_names(session: Any, usernames: Iterable[str]) -> dict[str, str]:
    """login -> display name (the login when it has none) of these users."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    return {u.username: u.display_name or u.username
            for u in session.scalars(select(User).where(User.username.in_(wanted)))}


def submissions(records: Records) -> list[dict[str, Any]]:
    """The records the actor submitted (newest first), those they may still read: each with its record view,
    when it was submitted and who its approval waits on."""
    instances = list(records.session.scalars(
        select(ProcessInstance).where(ProcessInstance.started_by == records.actor.username)
        .order_by(ProcessInstance.started_at.desc()).limit(SUBMISSIONS_SHOWN)))
    newest: dict[str, ProcessInstance] = {}
    for instance in instances:
        newest.setdefault(instance.record_id, instance)
    by_entity: dict[tuple[str, str], list[ProcessInstance]] = {}
    for instance in newest.values():
        by_entity.setdefault((instance.module, instance.entity), []).append(instance)
    found: dict[str, tuple[EntitySpec, Record]] = {}
    waits: dict[str, list[dict[str, Any]]] = {}
    for (module, name), group in by_entity.items():
        entity = records.modules[module].entities.get(name) if module in records.modules else None
        if entity is None:
            continue
        rows = records.readable_rows(entity, [i.record_id for i in group])
        found.update({record_id: (entity, row) for record_id, row in rows.items()})
        waits.update(waiting_on(records, entity, list(rows)))
    return [{"record": records.view(*found[i.record_id]), "started_at": _iso(i.started_at),
             "pending": waits.get(i.record_id, [])}
            for i in newest.values() if i.record_id in found]
