"""Approval use cases: submit a record, complete, claim or delegate a task, withdraw, the inbox."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm.exc import StaleDataError

from engine.approvals import assignment, copies, duties, idioms, submission
from engine.approvals.duties import eligibility
from engine.approvals.inbox import inbox, task_reader, task_view
from engine.approvals.steps import refuse_uneditable, running_instance
from engine.core.error_codes import render
from engine.declarations.model import Action, EntitySpec
from engine.errors import BadRequest, Conflict, FormworkError, NotFound, PermissionDenied
from engine.records.flow.locks import task_facts
from engine.records.service import EDITABLE_STATUSES, Records, record_document
from engine.security import audit
from engine.storage import jobs
from engine.storage.models import Record
from engine.storage.workflow_models import HumanTask, ProcessInstance, TaskCandidate
from engine.tenancy import plugin_events as events
from engine.workflow import DECISIONS, PROCESS_VARIABLES, ProcessRun, ProcessSpec, ScriptContext, ServiceCaller

SUBMITTER_ROLES = frozenset({"submitter", "initiator"})
USER_PREFIX = duties.USER_PREFIX  # a candidate row naming one user rather than a role
TIMER_JOB = "process.timer"
SERVICE_JOB = "process.service"  # retries the service tasks of an instance that wait after a failure

# Builds the caller that runs an entity's service tasks for the records' actor (see engine.plugins.host).
ServiceHost = Callable[[Records, EntitySpec], ServiceCaller]


def now() -> datetime:
    return datetime.now(UTC)


class Approvals:
    """One actor's approval operations inside the same tenant transaction as their records."""

    def __init__(self, records: Records, process_for: Callable[[ProcessInstance], ProcessSpec],
                 services: ServiceHost | None = None) -> None:
        self.records = records
        self.process_for = process_for
        self.services = services
        self.session = records.session
        self.actor = records.actor

    # -- helpers -----------------------------------------------------------------------------------

    def _process(self, entity: EntitySpec) -> ProcessSpec:
        if entity.workflow is None or entity.workflow.spec is None:
            raise Conflict(f"{entity.title.en} has no approval process; nothing to submit",
                           message_code="no_approval_process", params={"entity": entity.title.en})
        return entity.workflow.spec

    def _context(self, entity: EntitySpec) -> ScriptContext:
        evaluation = self.records.evaluation(entity)
        caller = self.services(self.records, entity) if self.services is not None else None
        return ScriptContext(params=evaluation.params, user_name=self.actor.username,
                             user_roles=evaluation.user_roles, load_ref=evaluation.load_ref, call_service=caller)

    def _process_data(self, entity: EntitySpec, row: Record) -> dict[str, Any]:
        values = self.records.values_of(entity, row)
        return {**{k: v for k, v in values.items() if k in entity.fields}, "id": row.id,
                "created_by": row.created_by, "submitter": self.actor.username}

    def _instance(self, record_id: str, *, running: bool = True) -> ProcessInstance | None:
        statement = select(ProcessInstance).where(ProcessInstance.record_id == record_id)
        if running:
            statement = statement.where(ProcessInstance.status == "running")
        return self.session.scalars(statement.order_by(ProcessInstance.started_at.desc())).first()

    def _restore(self, instance: ProcessInstance, entity: EntitySpec) -> ProcessRun:
        process = self._process(entity)
        if process.digest != instance.spec_digest:
            process = self.process_for(instance)
        return ProcessRun.restore(process, instance.state, engine=self._context(entity))

    # -- submit ------------------------------------------------------------------------------------

    def create(self, module: str, entity_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; an entity whose workflow starts `on_create` goes straight into review."""
        created = self.records.create(module, entity_name, data)
        entity = self.records.entity(module, entity_name)
        if entity.workflow is not None and entity.workflow.start == "on_create":
            row = self.records.row(entity, created["id"])
            submission.submit(self.records.work, self.records.cascade, entity, row)
            return {**self._start(entity, row), "warnings": created["warnings"]}
        return created

    def submit(self, module: str, entity_name: str, record_id: str) -> dict[str, Any]:
        entity = self.records.entity(module, entity_name)
        self.records.access(entity).require(Action.SUBMIT)
        row = self.records.visible_row(entity, record_id)
        if row.status not in EDITABLE_STATUSES | {"rejected"}:
            raise Conflict(f"{entity.title.en} {record_id} is {row.status}; only drafts and returned or "
                           "rejected records can be submitted",
                           message_code="not_submittable",
                           params={"entity": entity.title.en, "record_id": record_id, "status": row.status})
        submission.submit(self.records.work, self.records.cascade, entity, row)  # snapshot, submit-time rules
        instance = self._instance(row.id)
        if instance is not None:  # returned to the submitter: resubmitting completes their task
            task = self.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                                HumanTask.state == "open")).first()
            if task is None:
                raise Conflict(f"{entity.title.en} {record_id} is already under review",
                               message_code="already_under_review",
                               params={"entity": entity.title.en, "record_id": record_id})
            fresh = {k: v for k, v in self._process_data(entity, row).items() if k not in PROCESS_VARIABLES}
            return self._complete(task, "approve", "resubmitted", variables=fresh)
        return self._start(entity, row)

    def _start(self, entity: EntitySpec, row: Record) -> dict[str, Any]:
        process = self._process(entity)
        run = ProcessRun.start(process, self._process_data(entity, row), engine=self._context(entity))
        instance = ProcessInstance(
            id=str(uuid.uuid4()), record_id=row.id, module=entity.module, entity=entity.name,
            module_version=self.records.modules[entity.module].version,
            process_file=entity.workflow.process if entity.workflow else "",
            spec_digest=process.digest, serializer_version=str(run.dump().get("serializer_version", "")),
            state=run.dump(), status="running", started_by=self.actor.username, started_at=now(), updated_at=now())
        self.session.add(instance)
        self._audit_record(row, "process.start", f"submitted for approval ({process.name or process.process_id})")
        self._save(instance, run, row, entity)
        return self.records.view(entity, row)

    # -- tasks -------------------------------------------------------------------------------------

    def _task(self, task_id: str) -> HumanTask:
        """An open task that exists for the actor: one whose record they may read (else 404, as if it did not
        exist, whatever its state or who decided it). Locked until the commit: who acts on a task acts alone."""
        missing = NotFound(f"task {task_id!r} does not exist",
                           message_code="task_not_found", params={"task_id": task_id})
        task = self.session.get(HumanTask, (self.actor.tenant_id, task_id), with_for_update=True)
        if task is None:
            raise missing
        entity = self.records.entity(task.module, task.entity)  # outside the license 403, plugin off 422
        if self.records.readable_row(entity, task.record_id) is None:
            raise assignment.outsider_refusal(self.records, task) or missing
        if task.state == idioms.WAITING:
            raise idioms.waiting_error(self.session, task)
        if task.state != "open":
            who = f" by {task.completed_by}" if task.completed_by else ""
            raise Conflict(f"task {task_id} was already {task.state}{who}", details={"state": task.state},
                           message_code="task_already_done",
                           params={"task_id": task_id, "state": task.state, "who": who})
        return task

    def _acting_for(self, task: HumanTask, refused: FormworkError) -> str | None:
        """Whom the actor decides `task` for (None: themselves); else `refused`, or the separation of duties' 403."""
        found = eligibility(self.records, [task], self._spec_for)[task.id]
        if found.principal is None:
            raise assignment.outsider_refusal(self.records, task) or refused
        if found.refusal is not None:
            raise found.refusal
        return found.principal.username if found.principal.is_delegator else None

    def _spec_for(self, instance: ProcessInstance) -> ProcessSpec | None:
        workflow = self.records.entity(instance.module, instance.entity).workflow
        spec = workflow.spec if workflow is not None else None
        return spec if spec is not None and spec.digest == instance.spec_digest else self.process_for(instance)

    def complete(self, task_id: str, decision: Any, comment: Any = "",
                 data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if decision not in DECISIONS:
            raise BadRequest(f"'decision' must be one of {', '.join(DECISIONS)}, not {decision!r}",
                             message_code="bad_decision",
                             params={"decisions": ', '.join(DECISIONS), "decision": decision})
        if data is not None and not isinstance(data, Mapping):
            raise BadRequest("'data' must be an object of the fields this step may change",
                             message_code="bad_decision_data")
        task = self._task(task_id)
        params = {"task_id": task_id, "assignee": task.assignee or ', '.join(task.candidate_roles)}
        code = "admin_not_approver" if self.actor.is_admin else "task_not_yours"
        task.on_behalf_of = self._acting_for(task, PermissionDenied(render(code, params), message_code=code,
                                                                    params=params))
        return self._complete(task, str(decision), str(comment or ""), data=dict(data or {}))

    def _complete(self, task: HumanTask, decision: str, comment: str, *, data: Mapping[str, Any] | None = None,
                  variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Decide a task. `data` comes from the performer: only the record fields the step declares
        editable; `variables` come from the engine itself (a resubmitted record's fresh values)."""
        if task.kind is not None:  # a signer added to a step (加签), not a task of the process
            return idioms.decide_added(self, task, decision, comment)
        entity = self.records.entity(task.module, task.entity)
        row = self.records.row(entity, task.record_id)
        instance = running_instance(self.session, self.actor.tenant_id, task, entity, row)
        run = self._restore(instance, entity)
        data = dict(data or {})
        refuse_uneditable(run.process.tasks[task.bpmn_id].editable if task.bpmn_id in run.process.tasks else (), data)
        # the fields the step lets its performer change (the approved amount), and the facts of this task (its
        # actor and time) in the fields that declare them: one change, audited old -> new
        facts = task_facts(entity, task.bpmn_id, self.actor.username, now()) if decision == "approve" else {}
        if data or facts:
            self.records.change_during_review(entity, row, {**data, **facts}, because=f"{task.title}: {decision}")
            fresh = self._process_data(entity, row)  # computed fields follow the change too
            data = {k: v for k, v in fresh.items() if k in entity.fields}
        data.update(variables or {})
        run.complete(task.id, decision=decision, comment=comment, actor=self.actor.username, data=data)
        task.state, task.decision, task.comment = "completed", decision, comment
        task.completed_by, task.completed_at = self.actor.username, now()
        behalf = {"on_behalf_of": task.on_behalf_of} if task.on_behalf_of else {}
        note = f"{task.title}: {decision}" + (f" (on behalf of {task.on_behalf_of})" if behalf else "")
        self._audit_record(row, "task.complete", note + (f" — {comment}" if comment else ""),
                           after={"task": task.bpmn_id, "decision": decision, "comment": comment, **behalf})
        self._save(instance, run, row, entity, returned=decision == "return")
        copies.after_step(self, task, run, row, entity)
        self._emit("task.completed", row, task)
        if self.records.readable_row(entity, row.id) is None:  # the decision took it out of the actor's rows
            return {**self.records.view(entity, row), "data": {}}
        return self.records.view(entity, row)

    def claim(self, task_id: str) -> dict[str, Any]:
        task = self._task(task_id)
        self._acting_for(task, PermissionDenied(f"task {task_id} is not offered to you",
                                                message_code="task_not_offered", params={"task_id": task_id}))
        task.assignee = self.actor.username
        self._audit_task(task, "task.claim", {"assignee": task.assignee})
        return task_view(task)

    def delegate(self, task_id: str, to_user: Any, comment: Any = "") -> dict[str, Any]:
        task = self._task(task_id)
        self._acting_for(task, PermissionDenied(f"task {task_id} is not yours to delegate",
                                                message_code="task_not_delegable", params={"task_id": task_id}))
        target, reads = task_reader(self.records, task, to_user)
        if target is None:
            raise BadRequest(f"'to' must name an active user of this tenant, not {to_user!r}",
                             message_code="delegate_unknown_user", params={"to_user": to_user})
        if not reads:
            raise BadRequest(f"{target.username!r} may not read this record, so the task cannot be delegated to "
                             "them; choose someone who can",
                             message_code="delegate_cannot_read", params={"username": target.username})
        before = task.assignee
        task.assignee = target.username
        self._audit_task(task, "task.delegate", {"from": before or self.actor.username, "to": target.username,
                                                 "comment": str(comment or "")})
        self._flush()   # the delegate is told as of a new task (notices, work notices)
        self._emit("task.created", self.records.row(self.records.entity(task.module, task.entity), task.record_id),
                   task)
        return task_view(task)

    def reassign(self, task_id: str, users: Any) -> dict[str, Any]:
        """The tenant administrator offers an open task (an incident: nobody was offered it) to these users."""
        task = self._task(task_id)
        self._audit_task(task, "task.reassign", {"users": assignment.reassign(self.records, task, users)})
        self._flush()
        self._emit("task.created", self.records.row(self.records.entity(task.module, task.entity), task.record_id),
                   task)
        return task_view(task)

    def withdraw(self, module: str, entity_name: str, record_id: str) -> dict[str, Any]:
        entity = self.records.entity(module, entity_name)
        row = self.records.visible_row(entity, record_id)
        instance = self._instance(row.id)
        if instance is None:
            raise Conflict(f"{entity.title.en} {record_id} is not under review",
                           message_code="not_under_review", params={"entity": entity.title.en, "record_id": record_id})
        if instance.started_by != self.actor.username and not self.actor.is_admin:
            raise PermissionDenied("only the submitter can withdraw a record from review",
                                   message_code="withdraw_not_submitter")
        acted = self.session.scalar(select(exists().where(HumanTask.instance_id == instance.id,
                                                          HumanTask.state == "completed")))
        if acted:
            raise Conflict(f"{entity.title.en} {record_id} cannot be withdrawn: an approver has already acted",
                           message_code="withdraw_after_action",
                           params={"entity": entity.title.en, "record_id": record_id})
        instance.status, instance.updated_at, instance.next_timer_at = "withdrawn", now(), None
        self._close_tasks(instance.id, "cancelled")
        jobs.cancel(self.session, self.actor.tenant_id, TIMER_JOB, instance.id)
        self.records.set_status(entity, row, "withdrawn")
        self._audit_record(row, "process.withdraw", "withdrawn by the submitter")
        self._flush()
        return self.records.view(entity, row)

    # -- timers ------------------------------------------------------------------------------------

    def fire_timers(self, instance_id: str, moment: datetime) -> bool:
        instance = self.session.get(ProcessInstance, (self.actor.tenant_id, instance_id))
        if instance is None or instance.status != "running":
            return False
        entity = self.records.entity(instance.module, instance.entity)
        row = self.records.row(entity, instance.record_id)
        run = self._restore(instance, entity)
        fired = run.fire_due_timers(moment)
        if fired:
            self._audit_record(row, "process.timer", "a timer fired")
        self._save(instance, run, row, entity)
        return fired

    def retry_services(self, instance_id: str, run_service: Callable[[EntitySpec, str, str, dict[str, Any]],
                                                                       Mapping[str, Any]]) -> bool:
        """Run again the service tasks an instance waits on; raises when one fails (the job retries)."""
        instance = self.session.get(ProcessInstance, (self.actor.tenant_id, instance_id))
        if instance is None or instance.status != "running":
            return False
        entity = self.records.entity(instance.module, instance.entity)
        row = self.records.row(entity, instance.record_id)
        run = self._restore(instance, entity)
        waiting = run.waiting_services()
        for task_id, bpmn_id, topic in waiting:
            updates = run_service(entity, topic, bpmn_id, run.service_data(task_id))
            run.finish_service(task_id, updates)
            self._audit_record(row, "process.service", f"service task {bpmn_id} ({topic}) done after a retry")
        self._save(instance, run, row, entity)
        return bool(waiting)

    # -- persistence -------------------------------------------------------------------------------

    def _save(self, instance: ProcessInstance, run: ProcessRun, row: Record, entity: EntitySpec, *,
              returned: bool = False) -> None:
        """Store the run, mirror its open tasks into rows, and let the record's status follow.

        A record is `returned` (editable by its submitter) from a `return` decision until it is
        resubmitted; otherwise `in_review` while the run waits, and the end event's id after.
        """
        had_timer = instance.next_timer_at is not None  # a timer job queued for it
        open_tasks = {t.id: t for t in run.open_tasks()}
        existing = idioms.live_tasks(self.session, instance.id)
        state = run.dump()
        instance.state = state
        instance.serializer_version = str(state.get("serializer_version", instance.serializer_version))
        instance.updated_at = now()
        gone = [task for task_id, task in existing.items() if task_id not in open_tasks]
        for task in gone:
            task.state = "cancelled"
        idioms.cancel_added(self.session, [task.id for task in gone])
        created: list[str] = []
        for task_id, open_task in open_tasks.items():
            roles = [r for r in open_task.roles if r not in SUBMITTER_ROLES]
            assignee = open_task.assignee
            if task_id in existing:
                continue
            offer = assignment.offer(self.records, entity, row, roles, open_task.candidate_users, assignee)
            self.session.add(HumanTask(
                id=task_id, instance_id=instance.id, record_id=row.id, module=entity.module, entity=entity.name,
                bpmn_id=open_task.bpmn_id, title=open_task.name or open_task.bpmn_id, candidate_roles=roles,
                assignee=assignee, due_at=open_task.due_at, state="open", comment="", created_at=now(),
                project_id=offer.project_id, incident=offer.incident))
            self.session.add_all(TaskCandidate(task_id=task_id, role=key) for key in offer.candidates)
            created.append(task_id)
        if run.is_completed:
            instance.status, instance.end_event, instance.next_timer_at = "completed", run.end_event, None
            self.records.set_status(entity, row, run.end_event or "completed")
            self._audit_record(row, "process.end", f"ended at {run.end_event}")
            self._emit("process.completed", row, None, end_event=run.end_event)
        else:
            self.records.set_status(entity, row, "returned" if returned else "in_review")
            instance.next_timer_at = run.next_timer_at()
        waiting = bool(run.waiting_services()) and not run.is_completed
        due = {TIMER_JOB: instance.next_timer_at, SERVICE_JOB: now() if waiting else None}
        if had_timer or run.process.has_service_tasks or any(due.values()):  # else no job is there to cancel
            jobs.schedule_each(self.session, self.actor.tenant_id, instance.id, due)
        self._flush()
        for task_id in created:
            self._emit("task.created", row, self.session.get(HumanTask, (self.actor.tenant_id, task_id)))

    def _emit(self, event: str, row: Record, task: HumanTask | None, **extra: Any) -> None:
        if not events.heard(self.session, self.actor.tenant_id, event):
            return
        described = {**task_view(task), "decision": task.decision, "comment": task.comment,
                     "completed_by": task.completed_by,
                     "candidates": assignment.candidates(self.session, task.id),
                     **({"recipients": assignment.recipients(self.records, task)} if event == "task.created" else {}),
                     } if task is not None else None
        events.emit(self.session, self.actor.tenant_id, event, module=row.module, entity=row.entity,
                    record=record_document(row), task={**(described or {}), **extra} or None)

    def _close_tasks(self, instance_id: str, state: str) -> None:
        for task in self.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                 HumanTask.state.in_(idioms.LIVE))):
            task.state = state

    def _flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            raise Conflict("someone else acted on this approval at the same moment; reload and try again",
                           message_code="approval_raced") from None

    def _audit_record(self, row: Record, action: str, note: str, after: dict[str, Any] | None = None) -> None:
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action=action,
                    target_type="record", target_id=row.id, after=after, note=note)

    def _audit_task(self, task: HumanTask, action: str, after: dict[str, Any]) -> None:
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action=action,
                    target_type="record", target_id=task.record_id, after={"task": task.bpmn_id, **after},
                    note=f"{task.title}: {action.split('.')[1]}")

    # -- inbox -------------------------------------------------------------------------------------

    def inbox(self) -> list[dict[str, Any]]:
        """Open tasks I may decide (for myself or a colleague I stand in for), of records I may read."""
        return inbox(self.records, self._spec_for)
