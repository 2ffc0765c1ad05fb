"""How the demo's users act: each user's work of one step in one transaction, approvals walked task by task.

A record is never given a status by hand: it is submitted by its author and every open task on it is
decided by a user who holds the task's role (or is its assignee), through the approvals service, as the
inbox and the REST API do. A `Route` says how far a record goes and what each step decides.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from engine.approvals import assignment
from engine.approvals.inbox import task_view
from engine.approvals.service import Approvals
from engine.runtime import Formwork
from engine.storage.workflow_models import HumanTask, ProcessInstance
from engine.tenancy.tenants import Actor

APPROVE = "approve"
MAX_ROUNDS = 40   # more steps than any process has: a route that loops is a bug of the demo


def at(day: date, hour: int = 18) -> datetime:
    """A moment of a demo day (UTC): when the users of that day saved and signed."""
    return datetime.combine(day, time(hour, 0), UTC)


@dataclass
class Route:
    """How far a record goes through its approval: each step (BPMN task id) is approved unless `decisions`
    says otherwise ('return', 'reject'); it waits at the first step in `stop_at` (left in the inbox), and a
    returned record waits at `resubmit` unless `decisions` resubmits it. `data` gives a step the fields it
    may change (the approved amount at a cost review); `users` names who decides a step when the role's
    first demo user may not (a crew's own leader); `day` is the day the users acted on it."""

    decisions: Mapping[str, str] = field(default_factory=dict)
    stop_at: frozenset[str] = frozenset()
    data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)
    day: date | None = None

    def decision(self, task_id: str) -> str | None:
        if task_id in self.stop_at:
            return None
        if task_id == "resubmit" and task_id not in self.decisions:
            return None
        return self.decisions.get(task_id, APPROVE)


THROUGH = Route()   # approved at every step


class Demo:
    """The demo tenant's users and what they do."""

    def __init__(self, engine: Formwork, actors: Mapping[str, Actor]) -> None:
        self.engine = engine
        self.actors = dict(actors)
        self.by_role: dict[str, str] = {}
        for username, actor in self.actors.items():
            for role in sorted(actor.roles):
                self.by_role.setdefault(role, username)

    @contextmanager
    def acting(self, username: str, day: date | None = None) -> Iterator[Approvals]:
        """One user's work in one transaction; `day` sets the clock its formulas and rules read (today())."""
        with self.engine.approvals(self.actors[username]) as approvals:
            if day is not None:
                approvals.records.now = at(day)
            yield approvals

    def submit_all(self, username: str, module: str, entity: str, record_ids: list[str]) -> None:
        """The author sends their records for approval, in one transaction."""
        with self.acting(username) as approvals:
            for record_id in record_ids:
                approvals.submit(module, entity, record_id)

    def walk(self, routes: Mapping[str, Route]) -> None:
        """Decide the open tasks of these records round by round (one transaction per user and round) until
        each waits where its route stops or its process has ended."""
        for _round in range(MAX_ROUNDS):
            open_tasks = self._open_tasks(list(routes))
            work: dict[str, list[tuple[dict[str, Any], str]]] = {}
            for task in open_tasks:
                decision = routes[task["record_id"]].decision(task["bpmn_id"])
                if decision is not None:
                    performer = routes[task["record_id"]].users.get(task["bpmn_id"]) or self._performer(task)
                    work.setdefault(performer, []).append((task, decision))
            if not work:
                return
            for username, tasks in work.items():
                with self.acting(username) as approvals:
                    for task, decision in tasks:
                        route = routes[task["record_id"]]
                        approvals.records.now = at(route.day) if route.day is not None else None
                        step = task["bpmn_id"]
                        if step == "resubmit":   # the submitter sends the corrected record again
                            approvals.submit(task["module"], task["entity"], task["record_id"])
                            continue
                        approvals.complete(task["id"], decision, route.comments.get(step, _comment(decision)),
                                           data=route.data.get(step))
        raise RuntimeError(f"the demo's approvals did not settle in {MAX_ROUNDS} rounds")

    def _open_tasks(self, record_ids: list[str]) -> list[dict[str, Any]]:
        """The open tasks of these records with their candidate rows and submitter (the administrator reads them:
        they see every task, though they decide none)."""
        with self.engine.approvals(self.actors["admin"], reading=True) as admin:
            session = admin.session
            tasks = session.scalars(select(HumanTask).where(HumanTask.state == "open",
                                                            HumanTask.record_id.in_(record_ids))
                                    .order_by(HumanTask.created_at))
            return [{**task_view(task), "candidates": assignment.candidates(session, task.id),
                     "submitter": session.scalar(select(ProcessInstance.started_by)
                                                 .where(ProcessInstance.id == task.instance_id))}
                    for task in tasks]

    def _performer(self, task: Mapping[str, Any]) -> str:
        """Who decides a task: its assignee, else the first candidate who did not submit the record (the
        separation of duties), a member of the project for a project role."""
        if task["assignee"]:
            return str(task["assignee"])
        for key in task["candidates"]:
            if key.startswith("user:") and key[5:] != task["submitter"]:
                return str(key[5:])
            if key in self.by_role and self.by_role[key] != task["submitter"]:
                return self.by_role[key]
        raise LookupError(f"no demo user may decide {task['title']} ({', '.join(task['candidate_roles'])})")


def _comment(decision: str) -> str:
    return {"approve": "同意", "return": "请补充资料后重新提交", "reject": "不同意"}.get(decision, "")
