"""Who should take a workflow task: its candidates ranked by how fast and how often they did the same step,
and by how much they have open now — with the reason in words.

The candidates are the people the task is offered to (its assignee, its `user:` rows, the active holders of
its roles; for a task nobody was offered, the holders of its candidate roles), who may read its record and
whom the separation of duties lets decide it. The same step is the same BPMN task of the same module and
entity; each candidate's record is the count and the median time (opening to decision) of those steps they
decided. The score, written here so that anyone can check it: 0.5 × speed (the fastest median over theirs;
0 without a record) + 0.3 × experience (their count over the largest) + 0.2 × (1 − load) (their open tasks
over the most anyone has).
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from engine.approvals.duties import USER_PREFIX, Principal, runs_of
from engine.approvals.inbox import readable_tasks, task_reader
from engine.errors import NotFound
from engine.records.service import Records
from engine.runtime import Formwork
from engine.storage.models import User
from engine.storage.workflow_models import HumanTask, TaskCandidate
from engine.tenancy import Actor

WEIGHTS = {"speed": 0.5, "experience": 0.3, "load": 0.2}
HISTORY_LIMIT = 2000   # the latest decided steps looked at


@dataclass(frozen=True)
class Record:
    """A candidate's past on this step and their open load."""

    name: str
    hours: Sequence[float]
    open_tasks: int


def rank(people: Sequence[Record]) -> list[dict[str, Any]]:
    """The candidates best first, each with its score, figures and the reason in Chinese and English."""
    medians = {p.name: statistics.median(p.hours) for p in people if p.hours}
    fastest = min(medians.values()) if medians else None
    most = max((len(p.hours) for p in people), default=0)
    busiest = max((p.open_tasks for p in people), default=0)
    ranked: list[dict[str, Any]] = []
    for person in people:
        median = medians.get(person.name)
        speed = (fastest / median if median else 1.0) if median is not None and fastest is not None else 0.0
        experience = len(person.hours) / most if most else 0.0
        load = person.open_tasks / busiest if busiest else 0.0
        total = WEIGHTS["speed"] * speed + WEIGHTS["experience"] * experience + WEIGHTS["load"] * (1 - load)
        ranked.append({"username": person.name, "score": round(total, 3), "done": len(person.hours),
                       "median_hours": None if median is None else round(median, 1), "open_tasks": person.open_tasks,
                       "is_fastest": median is not None and median == fastest,
                       "reason": _reason(person, median, median is not None and median == fastest)})
    ranked.sort(key=lambda item: (-item["score"], item["username"]))
    for number, item in enumerate(ranked, start=1):
        item["rank"] = number
    return ranked


def _reason(person: Record, median: float | None, is_fastest: bool) -> dict[str, str]:
    if median is None:
        zh, en = "尚未办理过此步骤", "has not decided this step before"
    else:
        zh = f"办理此步骤 {len(person.hours)} 次，中位用时 {_hours(median)} 小时" + ("（最快）" if is_fastest else "")
        en = f"decided this step {len(person.hours)} times, median {_hours(median)} h" + (" (fastest)" if is_fastest
                                                                                          else "")
    return {"zh": f"{zh}；当前待办 {person.open_tasks} 件", "en": f"{en}; {person.open_tasks} open tasks now"}


def _hours(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def assignee(formwork: Formwork, actor: Actor, task_id: str, language: str = "en") -> dict[str, Any]:
    """The ranked candidates of an open task whose record the actor may read (else 404)."""
    with formwork.records(actor, language, reading=True) as records:
        task = records.session.get(HumanTask, (actor.tenant_id, task_id))
        if task is None or task.state != "open" or task_id not in readable_tasks(records, [task]):
            raise NotFound(f"open task {task_id!r} does not exist or you may not read its record",
                           message_code="assist_task_not_found", params={"task_id": task_id})
        return {"task": task.id, "title": task.title, "module": task.module, "entity": task.entity,
                "step": task.bpmn_id, "weights": WEIGHTS, "candidates": rank_task(formwork, records, task)}


def rank_task(formwork: Formwork, records: Records, task: HumanTask) -> list[dict[str, Any]]:
    """The task's candidates ranked, in the caller's transaction."""
    names = candidates(formwork, records, task)
    return rank([Record(name, hours, load) for name, hours, load in _records_of(records, task, names)])


def candidates(formwork: Formwork, records: Records, task: HumanTask) -> list[str]:
    """The people who may decide the task: offered it, able to read its record, not kept out by the separation
    of duties."""
    keys = list(records.session.scalars(select(TaskCandidate.role).where(TaskCandidate.task_id == task.id)))
    names = {key[len(USER_PREFIX):] for key in keys if key.startswith(USER_PREFIX)}
    # a task nobody was offered (an incident): the holders of its roles, whom the administrator may choose
    roles = {key for key in keys if not key.startswith(USER_PREFIX)} if keys else set(task.candidate_roles)
    if task.assignee:
        names = {task.assignee}
        roles = set()
    if roles:
        for user in records.session.scalars(select(User).where(User.is_active.is_(True))):
            if set(user.roles) & roles:
                names.add(user.username)
    runs = runs_of(records, {task.instance_id}, lambda instance: formwork.process_for(instance, records.session))
    run = runs.get(task.instance_id)
    chosen = []
    for name in sorted(names):
        found, reads = task_reader(records, task, name)
        if found is not None and reads and (run is None or run.refusal(task, name) is None):
            chosen.append(name)
    return chosen


def _records_of(records: Records, task: HumanTask, names: Sequence[str]) -> list[tuple[str, list[float], int]]:
    if not names:
        return []
    hours: dict[str, list[float]] = {name: [] for name in names}
    done = select(HumanTask.completed_by, HumanTask.created_at, HumanTask.completed_at).where(
        HumanTask.module == task.module, HumanTask.entity == task.entity, HumanTask.bpmn_id == task.bpmn_id,
        HumanTask.state == "completed", HumanTask.completed_by.in_(list(names))
    ).order_by(HumanTask.completed_at.desc()).limit(HISTORY_LIMIT)
    for by, opened, closed in records.session.execute(done):
        if by in hours and opened is not None and closed is not None:
            hours[by].append(max(0.0, (_aware(closed) - _aware(opened)).total_seconds() / 3600))
    users: Mapping[str, User] = {user.username: user for user in records.session.scalars(
        select(User).where(User.username.in_(list(names))))}
    result = []
    for name in names:
        roles = frozenset(users[name].roles) if name in users else frozenset()
        count = records.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.state == "open", Principal(name, roles).offered())) or 0
        result.append((name, hours[name], int(count)))
    return result


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
