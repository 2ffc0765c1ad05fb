"""Who may decide a task: the people it is offered to (themselves or a colleague they stand in for), minus
those the separation of duties keeps out. One function, `eligibility`, answers for the inbox and for a decision.

Separation of duties (on unless the entity's `workflow: {separation_of_duties: false}` or the step's BPMN
property `separation_of_duties="false"` turns it off): the submitter of a record does not decide its steps,
and who approved one step of a run does not approve another (unless the step says `allow_same_approver="true"`).
A step assigned to the submitter or the record's creator (`resubmit`, a confirmation) is theirs. A delegate is
held to the rules both as themselves and as the colleague they stand in for.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql.elements import ColumnElement

from engine.approvals import delegation
from engine.core.error_codes import render
from engine.errors import PermissionDenied
from engine.records.service import Records
from engine.storage.workflow_models import HumanTask, ProcessInstance, TaskCandidate
from engine.workflow import ProcessSpec
from engine.workflow.scripts.dialects import ASSIGNEE_SUBMITTER
from engine.workflow.spec import TaskMeta

SpecFor = Callable[[ProcessInstance], ProcessSpec | None]
USER_PREFIX = "user:"  # a candidate row naming one user rather than a role
SUBMITTERS_STEPS = frozenset({ASSIGNEE_SUBMITTER, "created_by"})  # steps the process gives the record's author


class SeparationOfDuties(PermissionDenied):
    """The person may not decide this step: they submitted the record, or approved another step of the run."""

    code = "separation_of_duties"


@dataclass(frozen=True)
class Principal:
    """Someone a task may be offered to: the actor, or a colleague whose delegation names the actor."""

    username: str
    roles: frozenset[str]
    is_delegator: bool = False

    def keys(self) -> list[str]:
        return [*sorted(self.roles), f"{USER_PREFIX}{self.username}"]

    def offered(self) -> ColumnElement[bool]:
        """The SQL condition of a task offered to this principal: assigned to them, or to one of their keys."""
        return or_(HumanTask.assignee == self.username, and_(HumanTask.assignee.is_(None), exists().where(
            TaskCandidate.task_id == HumanTask.id, TaskCandidate.role.in_(self.keys()))))


@dataclass(frozen=True)
class Eligibility:
    """For one open task: whom the actor would act for (None: not offered to them) and, if the separation of
    duties refuses it, why (an exception to raise)."""

    principal: Principal | None
    refusal: SeparationOfDuties | None = None

    @property
    def may_act(self) -> bool:
        return self.principal is not None and self.refusal is None


def principals(records: Records) -> list[Principal]:
    """The actor first, then the colleagues whose delegation to the actor is in force today."""
    me = Principal(records.actor.username, frozenset(records.actor.roles))
    return [me, *(Principal(user.username, frozenset(user.roles), is_delegator=True)
                  for user in delegation.delegators(records))]


def eligibility(records: Records, tasks: list[HumanTask], spec_for: SpecFor) -> dict[str, Eligibility]:
    """Task id -> whether and for whom the actor may decide each open task (three queries for any number)."""
    if not tasks:
        return {}
    people = principals(records)
    ids = [task.id for task in tasks]
    candidates: dict[str, set[str]] = {}
    for task_id, key in records.session.execute(select(TaskCandidate.task_id, TaskCandidate.role)
                                                .where(TaskCandidate.task_id.in_(ids))):
        candidates.setdefault(task_id, set()).add(key)
    runs = runs_of(records, {task.instance_id for task in tasks}, spec_for)
    found = {}
    for task in tasks:
        principal = next((p for p in people if _is_offered(task, candidates.get(task.id, set()), p)), None)
        refusal = None
        if principal is not None:
            run = runs.get(task.instance_id)
            refusal = run.refusal(task, records.actor.username) if run else None
            if refusal is None and run and principal.is_delegator:
                refusal = run.refusal(task, principal.username, acting_for=True)
        found[task.id] = Eligibility(principal, refusal)
    return found


def offered_condition(records: Records) -> ColumnElement[bool]:
    """SQL: an open task offered to the actor or to someone they stand in for (before the separation of duties)."""
    return or_(*(principal.offered() for principal in principals(records)))


def _is_offered(task: HumanTask, keys: set[str], principal: Principal) -> bool:
    if task.assignee is not None:
        return task.assignee == principal.username
    return bool(keys & set(principal.keys()))


@dataclass(frozen=True)
class _Run:
    entity_title: str
    submitter: str
    approved: Mapping[str, set[str]]        # person -> the steps (BPMN ids) they approved in this run
    steps: Mapping[str, TaskMeta]
    titles: Mapping[str, str]
    is_on: bool

    def refusal(self, task: HumanTask, person: str, *, acting_for: bool = False) -> SeparationOfDuties | None:
        step = self.steps.get(task.bpmn_id)
        if not self.is_on or (step is not None and (not step.separation_of_duties
                                                    or step.assignee in SUBMITTERS_STEPS)):
            return None
        if person == self.submitter:
            code, params = "sod_own_submission", {"entity": self.entity_title}
        else:
            others = sorted(self.approved.get(person, set()) - {task.bpmn_id})
            if not others or (step is not None and step.allow_same_approver):
                return None
            code, params = "sod_other_step", {"step": self.titles.get(others[0], others[0])}
        if acting_for:
            code, params = "sod_principal", {"principal": person, "entity": self.entity_title}
        return SeparationOfDuties(render(code, params), message_code=code, params=params)


def runs_of(records: Records, instance_ids: Iterable[str], spec_for: SpecFor) -> dict[str, _Run]:
    """What the separation of duties needs of each run: its submitter and who approved which step."""
    instances = list(records.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(
        sorted(instance_ids)))))
    records.work.pinned.extend(instances)  # a decision gets its task's instance by key next
    approved: dict[str, dict[str, set[str]]] = {}
    titles: dict[str, dict[str, str]] = {}
    decided = select(HumanTask.instance_id, HumanTask.bpmn_id, HumanTask.title, HumanTask.completed_by,
                     HumanTask.on_behalf_of).where(HumanTask.instance_id.in_([i.id for i in instances]),
                                                   HumanTask.state == "completed", HumanTask.decision == "approve")
    for instance_id, bpmn_id, title, by, for_whom in records.session.execute(decided):
        titles.setdefault(instance_id, {})[bpmn_id] = title
        for person in (by, for_whom):
            if person:
                approved.setdefault(instance_id, {}).setdefault(person, set()).add(bpmn_id)
    runs = {}
    for instance in instances:
        entity = records.modules.get(instance.module)
        spec = entity.entities.get(instance.entity) if entity is not None else None
        if spec is None:
            continue
        process = spec_for(instance)
        steps: Mapping[str, Any] = process.tasks if process is not None else {}
        submitter_steps = {bpmn_id for bpmn_id, meta in steps.items() if meta.assignee in SUBMITTERS_STEPS}
        people = {person: done - submitter_steps for person, done in approved.get(instance.id, {}).items()}
        is_on = spec.workflow.separation_of_duties if spec.workflow is not None else True
        runs[instance.id] = _Run(spec.title.en, instance.started_by, people, steps, titles.get(instance.id, {}),
                                 is_on)
    return runs
