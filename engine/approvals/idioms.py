"""Approval idioms on a task: 加签 (add signers before or after a step) and 退回 to any step done before.

Added signers are people, not BPMN tasks: each gets a `HumanTask` row of `kind` "before" or "after" whose
`parent_id` is the step's task, which waits (state "waiting") meanwhile. "before": once all of them approve,
the step opens again for the performer who asked. "after": the performer's approval is `held` and applied when
all of them approve. An added signer's rejection or return is that decision on the step.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.approvals.inbox import task_reader
from engine.approvals.steps import ApprovalSteps, refuse_uneditable, running_instance
from engine.errors import BadRequest, Conflict, PermissionDenied
from engine.storage.models import User
from engine.storage.workflow_models import HumanTask, ProcessInstance, TaskCandidate
from engine.tenancy.tenants import actor_of
from engine.workflow import PROCESS_VARIABLES

POSITIONS = {"before": "前加签", "after": "后加签"}
MOST_SIGNERS = 20
WAITING = "waiting"   # a step waiting on the signers added to it
LIVE = ("open", WAITING)  # the states of a task not decided yet
PREVIOUS = "previous"
SUBMITTER = "submitter"


def decide(service: ApprovalSteps, task_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A decision on a task as the API and the pages send it: an idiom (`add_signer`, `return` with `to`), else
    a plain decision."""
    decision, comment = body.get("decision"), body.get("comment") or ""
    if decision == "add_signer":
        return add_signers(service, task_id, body.get("users"), body.get("position"), comment, body.get("data"))
    if decision == "return" and body.get("to") not in (None, ""):
        return return_to(service, task_id, body.get("to"), comment)
    return service.complete(task_id, decision, comment, body.get("data"))


def _acting_task(service: ApprovalSteps, task_id: str) -> HumanTask:
    task = service._task(task_id)
    who = task.assignee or ", ".join(task.candidate_roles)
    task.on_behalf_of = service._acting_for(task, PermissionDenied(
        f"task {task_id} is for {who}, not for you", message_code="task_not_yours",
        params={"task_id": task_id, "assignee": who}))
    return task


# -- 加签 ----------------------------------------------------------------------------------------------------------


def add_signers(service: ApprovalSteps, task_id: str, users: Any, position: Any, comment: Any = "",
                data: Any = None) -> dict[str, Any]:
    """Ask `users` to sign the step before its performer decides ("before") or after their approval ("after")."""
    task = _acting_task(service, task_id)
    if task.kind is not None:
        raise BadRequest("an added signer cannot add further signers; approve, reject or return the step",
                         message_code="add_signer_on_added")
    if position not in POSITIONS:
        raise BadRequest(f"'position' must be 'before' or 'after', not {position!r}",
                         message_code="add_signer_bad_position", params={"position": position})
    names = _signers(service, task, users)
    entity = service.records.entity(task.module, task.entity)
    row = service.records.row(entity, task.record_id)
    held = None
    if position == "after":  # the performer approves now; the approval waits for the signers
        if data is not None and not isinstance(data, Mapping):
            raise BadRequest("'data' must be an object of the fields this step may change",
                             message_code="bad_decision_data")
        _check_editable(service, task, entity, dict(data or {}))
        held = {"decision": "approve", "comment": str(comment or ""), "data": dict(data or {}),
                "actor": service.actor.username}
    task.state, task.held = WAITING, held
    task.assignee = service.actor.username  # the step comes back to whoever asked
    added = []
    for name in names:
        signer = HumanTask(id=str(uuid.uuid4()), instance_id=task.instance_id, record_id=task.record_id,
                           module=task.module, entity=task.entity, bpmn_id=task.bpmn_id,
                           title=f"加签: {task.title}", candidate_roles=[], assignee=name, due_at=None, state="open",
                           comment="", created_at=_now(), kind=position, parent_id=task.id)
        service.session.add(signer)
        service.session.add(TaskCandidate(task_id=signer.id, role=f"user:{name}"))
        added.append(signer)
    note = f"{task.title}: {POSITIONS[position]} {', '.join(names)}" + (f" — {comment}" if comment else "")
    service._audit_record(row, "task.add_signer", note, after={
        "task": task.bpmn_id, "users": names, "position": position, "comment": str(comment or "")})
    service._flush()
    for signer in added:
        service._emit("task.created", row, signer)
    return service.records.view(entity, row)


def waiting_error(session: Session, task: HumanTask) -> Conflict:
    """What acting on a step that waits for its added signers says."""
    users = ", ".join(str(name) for name in session.scalars(select(HumanTask.assignee).where(
        HumanTask.parent_id == task.id, HumanTask.state == "open"))) or "-"
    return Conflict(f"task {task.id} waits for the signers added to it ({users}); it opens again after them",
                    message_code="task_waiting_signers", params={"task_id": task.id, "users": users})


def live_tasks(session: Session, instance_id: str) -> dict[str, HumanTask]:
    """The run's tasks not decided yet (added signers are not the run's), by id, as they are in this unit of work:
    read without a flush, so what it changed is written once, with the record's status (the task just decided is
    no longer live, a step `return_to` reopened is, and so are tasks added but not written yet)."""
    with session.no_autoflush:
        tasks = [*session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.kind.is_(None))),
                 *(t for t in session.new if isinstance(t, HumanTask) and t.instance_id == instance_id
                   and t.kind is None)]
    return {task.id: task for task in tasks if task.state in LIVE}


def cancel_added(session: Session, parent_ids: list[str]) -> None:
    """Cancel the open added signers of steps the run no longer waits on."""
    if parent_ids:
        session.execute(update(HumanTask).where(HumanTask.parent_id.in_(parent_ids), HumanTask.state == "open")
                        .values(state="cancelled"))


def _signers(service: ApprovalSteps, task: HumanTask, users: Any) -> list[str]:
    """The login names to add: 1..MOST_SIGNERS active users who may read the record, not the actor, not asked yet."""
    if (not isinstance(users, list) or not 1 <= len(users) <= MOST_SIGNERS
            or not all(isinstance(u, str) and u.strip() for u in users)):
        raise BadRequest(f"'users' must list 1 to {MOST_SIGNERS} login names of the people to add",
                         message_code="add_signer_no_users", params={"most": MOST_SIGNERS})
    names = list(dict.fromkeys(u.strip() for u in users))
    asked = set(service.session.scalars(select(HumanTask.assignee).where(
        HumanTask.parent_id == task.id, HumanTask.state == "open")))
    for name in names:
        user, reads = task_reader(service.records, task, name)
        if user is None:
            raise BadRequest(f"{name!r} is not an active user of this tenant",
                             message_code="add_signer_unknown_user", params={"username": name})
        if name == service.actor.username:
            raise BadRequest("you cannot add yourself as a signer of your own step", message_code="add_signer_self")
        if name in asked:
            raise BadRequest(f"{name!r} is already asked to sign this step", message_code="add_signer_already",
                             params={"username": name})
        if not reads:
            raise BadRequest(f"{name!r} may not read this record, so they cannot be added as a signer; choose "
                             "someone who can", message_code="add_signer_cannot_read", params={"username": name})
    return names


def _check_editable(service: ApprovalSteps, task: HumanTask, entity: Any, data: dict[str, Any]) -> None:
    instance = service.session.get(ProcessInstance, (service.actor.tenant_id, task.instance_id))
    process = service.process_for(instance) if instance is not None else None
    meta = process.tasks.get(task.bpmn_id) if process is not None else None
    refuse_uneditable(meta.editable if meta is not None else (), data)


def decide_added(service: ApprovalSteps, task: HumanTask, decision: str, comment: str) -> dict[str, Any]:
    """An added signer's decision: approvals count until all are in; a rejection or return decides the step."""
    entity = service.records.entity(task.module, task.entity)
    row = service.records.row(entity, task.record_id)
    task.state, task.decision, task.comment = "completed", decision, comment
    task.completed_by, task.completed_at = service.actor.username, _now()
    service._audit_record(row, "task.complete", f"{task.title}: {decision}" + (f" — {comment}" if comment else ""),
                          after={"task": task.bpmn_id, "decision": decision, "comment": comment, "added": task.kind})
    parent = service.session.get(HumanTask, (service.actor.tenant_id, task.parent_id or ""), with_for_update=True)
    siblings = list(service.session.scalars(select(HumanTask).where(
        HumanTask.parent_id == task.parent_id, HumanTask.state == "open", HumanTask.id != task.id)))
    service._emit("task.completed", row, task)
    if parent is None or parent.state != WAITING:
        service._flush()
        return _view(service, entity, row)
    if decision != "approve":  # decides the step: the other signers are no longer asked
        for sibling in siblings:
            sibling.state = "cancelled"
        parent.state, parent.held = "open", None
        return service._complete(parent, decision, comment)
    if siblings:
        service._flush()
        return _view(service, entity, row)
    held, parent.state, parent.held = parent.held, "open", None
    if task.kind == "before" or not held:
        service._audit_record(row, "task.reopen", f"{parent.title}: 加签完成，回到 {parent.assignee}",
                              after={"task": parent.bpmn_id, "assignee": parent.assignee})
        service._flush()
        service._emit("task.created", row, parent)
        return _view(service, entity, row)
    performer = service.session.get(User, (service.actor.tenant_id, str(held.get("actor"))))
    acting = service if performer is None else _as(service, performer)
    acting._complete(parent, str(held["decision"]), str(held.get("comment") or ""), data=held.get("data") or {})
    return _view(service, entity, row)


def _as(service: ApprovalSteps, user: User) -> ApprovalSteps:
    """The same approvals seen by another user (the performer whose held decision now applies)."""
    return type(service)(service.records.as_actor(actor_of(user)), service.process_for, service.services)


def _view(service: ApprovalSteps, entity: Any, row: Any) -> dict[str, Any]:
    if service.records.readable_row(entity, row.id) is None:
        return {**service.records.view(entity, row), "data": {}}
    return service.records.view(entity, row)


# -- 退回到任一已完成步骤 --------------------------------------------------------------------------------------------


def return_to(service: ApprovalSteps, task_id: str, to: Any, comment: Any = "") -> dict[str, Any]:
    """Send the record back to a step completed earlier in this run (`previous`: the latest one); that step opens
    again for whoever completed it, and the steps after it run again."""
    task = _acting_task(service, task_id)
    comment = str(comment or "")
    if task.kind is not None:
        raise BadRequest("an added signer returns the step as a whole: send 'return' without 'to'",
                         message_code="return_to_from_added")
    entity = service.records.entity(task.module, task.entity)
    row = service.records.row(entity, task.record_id)
    instance = running_instance(service.session, service.actor.tenant_id, task, entity, row)
    run = service._restore(instance, entity)
    on_path = run.completed_human_tasks()
    done = [t for t in service.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.state == "completed", HumanTask.kind.is_(None))
        .order_by(HumanTask.completed_at)) if t.bpmn_id != task.bpmn_id and t.id in on_path]
    if to == PREVIOUS:
        if not done:
            meta = run.process.tasks.get(task.bpmn_id)
            if meta is not None and meta.allows_return:  # nothing done before: back to the submitter
                return service._complete(task, "return", comment)
            raise BadRequest("no step before this one is done yet, so there is nothing to return to",
                             message_code="return_no_previous")
        target = done[-1]
    else:
        if not isinstance(to, str) or to not in run.process.tasks:
            raise BadRequest(f"'to' must be 'previous' or the id of a step of this process, not {to!r}",
                             message_code="return_target_unknown", params={"to": to})
        matching = [t for t in done if t.bpmn_id == to]
        if not matching:
            steps = ", ".join(dict.fromkeys(t.bpmn_id for t in done)) or "none"
            raise BadRequest(f"step {to!r} has not been completed in this approval, so it cannot be returned to; "
                             f"steps done: {steps}", message_code="return_target_not_done",
                             params={"to": to, "done": steps})
        target = matching[-1]
    meta = run.process.tasks.get(target.bpmn_id)
    if meta is not None and meta.is_multi_instance:
        raise BadRequest(f"step {target.bpmn_id!r} is signed by several people (会签) and cannot be reopened; return "
                         "to a step before it", message_code="return_target_multi_instance",
                         params={"to": target.bpmn_id})
    task.state, task.decision, task.comment = "completed", "return", comment
    task.completed_by, task.completed_at = service.actor.username, _now()
    values = service.records.values_of(entity, row)
    run.rewind(target.id, {k: v for k, v in values.items() if k in entity.fields and k not in PROCESS_VARIABLES})
    performer = target.completed_by
    service.session.add(HumanTask(  # the earlier completion stays on record under an id of its own
        id=str(uuid.uuid4()), instance_id=target.instance_id, record_id=target.record_id, module=target.module,
        entity=target.entity, bpmn_id=target.bpmn_id, title=target.title, candidate_roles=list(target.candidate_roles),
        assignee=target.assignee, due_at=target.due_at, state="completed", decision=target.decision,
        comment=target.comment, completed_by=target.completed_by, created_at=target.created_at,
        completed_at=target.completed_at))
    target.state, target.decision, target.comment, target.completed_by, target.completed_at = (
        "open", None, "", None, None)
    target.assignee, target.created_at = performer, _now()
    note = f"{task.title}: 退回到「{target.title}」({performer})" + (f" — {comment}" if comment else "")
    service._audit_record(row, "task.return", note, after={
        "task": task.bpmn_id, "decision": "return", "to": target.bpmn_id, "assignee": performer, "comment": comment})
    service._save(instance, run, row, entity, returned=meta is not None and meta.assignee == SUBMITTER)
    service._emit("task.completed", row, task)
    service._emit("task.created", row, target)
    return _view(service, entity, row)


def _now() -> datetime:
    return datetime.now(UTC)


def returnable_steps(service: ApprovalSteps, record_id: str) -> list[tuple[str, str]]:
    """(BPMN id, title) of the steps completed in the record's running approval, latest last: what a page offers
    to return to (`return_to` checks the choice against the run)."""
    instance = service._instance(record_id)
    if instance is None:
        return []
    steps: dict[str, str] = {}
    for task in service.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.state == "completed", HumanTask.kind.is_(None))
            .order_by(HumanTask.completed_at)):
        steps.pop(task.bpmn_id, None)
        steps[task.bpmn_id] = task.title
    return list(steps.items())
