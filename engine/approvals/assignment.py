"""Who a new task is offered to: a company role company-wide, a project role to its holders on the record's project.

A role declared `scope: project` (modules/base/module.yaml) is resolved when the task is created: one
`user:<name>` candidate row for each active user who holds the role and is a member of the record's project
(the members table of base.project). A task nobody is offered is an incident the tenant administrator sees
(`incidents`) and gives to people (`reassign`); it is never offered to everyone instead.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.approvals.duties import USER_PREFIX
from engine.approvals.inbox import task_reader, task_view
from engine.core.error_codes import render
from engine.declarations.model import EntitySpec
from engine.errors import BadRequest, PermissionDenied
from engine.records.service import Records
from engine.storage.models import Record, User
from engine.storage.workflow_models import HumanTask, TaskCandidate

NO_CANDIDATE = "no_candidate"
MODULE, ENTITY, TABLE = "base", "project", "members"   # where a project keeps its people (as engine.people reads it)


@dataclass(frozen=True)
class Offer:
    """The candidate rows of a new task, the project its project roles were resolved on, and its incident."""

    candidates: tuple[str, ...]
    project_id: str | None
    incident: str | None


def offer(records: Records, entity: EntitySpec, row: Record, roles: Collection[str], users: Iterable[str],
          assignee: str | None) -> Offer:
    """The candidates of a task for `roles` and the literal `users` (an `assignee` needs none)."""
    scoped_roles = records.modules[entity.module].project_roles if entity.module in records.modules else frozenset()
    scoped = [role for role in roles if role in scoped_roles]
    keys = [role for role in roles if role not in scoped_roles] + [f"{USER_PREFIX}{name}" for name in users]
    project_id = project_of(records, entity, row) if scoped else None
    keys += [f"{USER_PREFIX}{name}" for name in holders(records, members(records, project_id), scoped)]
    incident = NO_CANDIDATE if not keys and assignee is None else None
    return Offer(tuple(dict.fromkeys(keys)), project_id, incident)


def project_of(records: Records, entity: EntitySpec, row: Record) -> str | None:
    """The base.project a record belongs to: itself, or the one its workflow's project field names."""
    if (entity.module, entity.name) == (MODULE, ENTITY):
        return row.id
    field = entity.workflow.project_field if entity.workflow is not None else None
    value = records.values_of(entity, row).get(field) if field else None
    return str(value) if value else None


def members(records: Records, project_id: str | None) -> list[str]:
    """The login names on a project's members table (whatever the actor may read: the engine's own lookup)."""
    if not project_id or MODULE not in records.modules or ENTITY not in records.modules[MODULE].entities:
        return []
    entity = records.modules[MODULE].entities[ENTITY]
    table = entity.fields.get(TABLE)
    column = next((n for n, f in table.fields.items() if f.type == "user"), None) if table is not None else None
    row = records.find_row(entity, project_id)
    if row is None or column is None:
        return []
    rows = records.values_of(entity, row).get(TABLE) or []
    return [str(item[column]) for item in rows if isinstance(item, dict) and item.get(column)]


def holders(records: Records, usernames: Collection[str], roles: Collection[str]) -> list[str]:
    """The active users among `usernames` holding one of `roles`, by name."""
    if not usernames or not roles:
        return []
    users = records.session.scalars(select(User).where(User.username.in_(sorted(set(usernames))),
                                                       User.is_active.is_(True)).order_by(User.username))
    return [user.username for user in users if set(user.roles) & set(roles)]


def outsider_refusal(records: Records, task: HumanTask) -> PermissionDenied | None:
    """The 403 for someone holding a project role of the task who is not offered it (not on the project)."""
    scoped = records.modules[task.module].project_roles if task.module in records.modules else frozenset()
    held = sorted(set(task.candidate_roles) & scoped & records.actor.roles)
    if task.project_id is None or not held:
        return None
    params = {"task_id": task.id, "roles": ", ".join(held)}
    return PermissionDenied(render("task_project_members_only", params), message_code="task_project_members_only",
                            params=params)


def require_admin(records: Records) -> None:
    if not records.actor.is_admin:
        raise PermissionDenied(render("incidents_admin_only", {}), message_code="incidents_admin_only")


def incidents(records: Records) -> list[dict[str, Any]]:
    """The open tasks nobody was offered, for the tenant administrator to reassign."""
    require_admin(records)
    tasks = records.session.scalars(select(HumanTask).where(HumanTask.state == "open", HumanTask.incident.is_not(None))
                                    .order_by(HumanTask.created_at))
    return [task_view(task) for task in tasks]


def reassign(records: Records, task: HumanTask, usernames: Any) -> list[str]:
    """Offer an open task to these users instead of its candidates (the administrator's answer to an incident).

    Each must be active and able to read the record; the task's incident is cleared. Returns the names."""
    require_admin(records)
    if not isinstance(usernames, list) or not usernames or not all(isinstance(n, str) for n in usernames):
        raise BadRequest(render("reassign_no_users", {}), message_code="reassign_no_users")
    chosen = list(dict.fromkeys(usernames))
    for name in chosen:
        user, reads = task_reader(records, task, name)
        if user is None:
            raise BadRequest(render("reassign_unknown_user", {"username": name}),
                             message_code="reassign_unknown_user", params={"username": name})
        if not reads:
            raise BadRequest(render("reassign_cannot_read", {"username": name}),
                             message_code="reassign_cannot_read", params={"username": name})
    records.session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == task.id))
    records.session.add_all(TaskCandidate(task_id=task.id, role=f"{USER_PREFIX}{name}") for name in chosen)
    task.assignee, task.incident = None, None
    return chosen


def candidates(session: Session, task_id: str) -> list[str]:
    """A task's candidate rows (role names and `user:<name>`): whom a notice of it is for."""
    return list(session.scalars(select(TaskCandidate.role).where(TaskCandidate.task_id == task_id)
                                .order_by(TaskCandidate.role)))


def recipients(records: Records, task: HumanTask) -> list[str]:
    """The people a new task is offered to, by name: its assignee, else each active holder of a candidate role and
    each candidate user — only those who may read its record (a notice to a person names the record)."""
    if task.assignee:
        names = [task.assignee]
    else:
        keys = candidates(records.session, task.id)
        names = [key[len(USER_PREFIX):] for key in keys if key.startswith(USER_PREFIX)]
        roles = {key for key in keys if not key.startswith(USER_PREFIX)}
        if roles:
            users = records.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.username))
            names += [user.username for user in users if set(user.roles) & roles]
    return [name for name in dict.fromkeys(names) if task_reader(records, task, name)[1]]

