"""One running approval: start it, list its open human tasks, complete them, fire timers, store it.

A `ProcessRun` lives for one request: create it with `start` or `restore`, act, `dump` it, drop it.
It does not decide who may act (that is the caller's job, with `OpenTask.roles/assignee`); it
records who did (`actor`) in the task data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.errors import FormulaRuntimeError
from engine.workflow import timers
from engine.workflow.bpmn_parser import TopicServiceTask
from engine.workflow.data import check_data, resolve_assignee
from engine.workflow.errors import (
    InvalidDecision,
    InvalidProcessData,
    ProcessFailed,
    ProcessFinished,
    StateMismatch,
    TaskNotFound,
    TaskNotReady,
)
from engine.workflow.scripts.expressions import ScriptContext
from engine.workflow.scripts.script_engine import FormulaScriptEngine
from engine.workflow.serializer import dump_workflow, restore_workflow
from engine.workflow.spec import DECISIONS, ProcessSpec, TaskMeta
from engine.workflow.variables import PROCESS_VARIABLES

_INITIAL = {"decision": None, "comment": None, "actor": None, "approvals": 0, "rejections": 0}


@dataclass(frozen=True)
class OpenTask:
    """A human task waiting for someone: what the inbox and the permission check need.

    `id` is stable across dump/restore. `assignee` is the login name the task is assigned to
    (resolved from the record field, item variable or submitter it names), `mi_item` the item of a
    multi-instance child (e.g. the approver of a countersign), `data` the task's data.
    """

    id: str
    bpmn_id: str
    name: str
    roles: tuple[str, ...]
    assignee: str | None
    due_at: datetime | None
    data: Mapping[str, Any] = field(repr=False)
    mi_item: Any = None
    candidate_users: tuple[str, ...] = ()
    allows_return: bool = False
    process_id: str = ""


class ProcessRun:
    """A workflow instance of a `ProcessSpec`, driven by decisions on its human tasks."""

    def __init__(self, process: ProcessSpec, workflow: Any, engine: ScriptContext) -> None:
        self.process = process
        self.context = engine
        self._workflow = workflow
        workflow.script_engine = FormulaScriptEngine(process.expressions, engine)

    @classmethod
    def start(cls, process: ProcessSpec, data: Mapping[str, Any], *, engine: ScriptContext) -> ProcessRun:
        """Start a run on `data` (the record's field values and `submitter`) and run it to its first wait."""
        check_data(data, "start data")
        run = cls(process, BpmnWorkflow(process.spec, dict(process.subprocess_specs)), engine)
        start = run._workflow.get_next_task(state=TaskState.READY)
        start.set_data(**{**_INITIAL, "submitter": None, **data})
        run._engine_steps()
        return run

    @classmethod
    def restore(cls, process: ProcessSpec, state: Mapping[str, Any], *, engine: ScriptContext) -> ProcessRun:
        """Rebuild a run from `dump()` output; `process` must be the version it was started with."""
        digest = state.get("process_digest")
        if digest != process.digest:
            raise StateMismatch(
                f"this run was started with process version {str(digest)[:12]}, not {process.digest[:12]} "
                f"({process.process_id!r}); load the process files it started with",
                message_code="process_version_mismatch",
                params={"started_with": str(digest)[:12], "current": process.digest[:12],
                        "process": process.process_id},
            )
        return cls(process, restore_workflow(dict(state), process), engine)

    def dump(self) -> dict[str, Any]:
        """Return the run's state as JSON-ready data (without the spec; it names `process_digest`)."""
        return dump_workflow(self._workflow, self.process)

    @property
    def is_completed(self) -> bool:
        return bool(self._workflow.is_completed())

    @property
    def is_withdrawn(self) -> bool:
        return self.is_completed and self._workflow.data.get("withdrawn_by") is not None

    @property
    def end_event(self) -> str | None:
        """The id of the end event the run finished at (`approved`, `rejected` ...), None while running."""
        if not self.is_completed:
            return None
        ends = [t for t in self._workflow.tasks.values()
                if isinstance(t.task_spec, EndEvent) and t.state == TaskState.COMPLETED]
        if not ends:
            return None
        return str(max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id)

    @property
    def data(self) -> dict[str, Any]:
        """The workflow's data: the end data when completed, else that of the latest completed task."""
        if self.is_completed:
            return dict(self._workflow.data)
        last = self._workflow.last_task
        return dict(last.data) if last is not None else {}

    def open_tasks(self) -> list[OpenTask]:
        """Return the READY human tasks, in tree order."""
        return [self._open_task(task) for task in self._workflow.get_tasks(state=TaskState.READY, manual=True)]

    def _open_task(self, task: Any) -> OpenTask:
        meta = self._meta(task)
        item = task.data.get(meta.mi_item) if meta.mi_item else None
        return OpenTask(
            id=str(task.id), bpmn_id=meta.bpmn_id, name=meta.name, roles=meta.roles,
            assignee=resolve_assignee(meta.assignee, task.data), due_at=self._due_at(meta, task),
            data=MappingProxyType(dict(task.data)), mi_item=item, candidate_users=meta.candidate_users,
            allows_return=meta.allows_return, process_id=meta.process_id,
        )

    def _meta(self, task: Any) -> TaskMeta:
        spec = task.task_spec
        found = self.process.tasks.get(spec.bpmn_id)
        if found is not None:
            return found
        return TaskMeta(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, (), None, None, False, False)

    def _due_at(self, meta: TaskMeta, task: Any) -> datetime | None:
        if meta.due is None:
            return None
        since = datetime.fromtimestamp(task.last_state_change, UTC)
        try:
            value = self.process.expressions.expression(meta.due).evaluate(task.data, self.context)
            return timers.resolve_due(value, since)
        except (FormulaRuntimeError, ValueError, ArithmeticError):
            return None  # a due date that does not evaluate leaves the task without one

    def complete(
        self, task_id: str, *, decision: str, comment: str | None, actor: str, data: Mapping[str, Any] | None = None
    ) -> None:
        """Record `decision` on a READY human task, complete it and run the process to its next wait."""
        task = self._ready_task(task_id)
        meta = self._meta(task)
        if decision not in DECISIONS:
            raise InvalidDecision(f"decision {decision!r} is not one of {', '.join(DECISIONS)}",
                                  message_code="decision_unknown",
                                  params={"decision": decision, "decisions": ', '.join(DECISIONS)})
        if decision == "return" and not meta.allows_return:
            raise InvalidDecision(f"task {meta.bpmn_id!r} cannot be returned: no gateway after it routes on "
                                  "decision == 'return'",
                                  message_code="decision_no_return_path", params={"bpmn_id": meta.bpmn_id})
        extra = dict(data or {})
        check_data(extra, "task data")
        reserved = sorted(set(extra) & set(PROCESS_VARIABLES))
        if reserved:
            raise InvalidProcessData(f"{', '.join(reserved)} are set by the process, not by task data",
                                     message_code="process_data_reserved", params={"reserved": ', '.join(reserved)})
        task.data.update(extra)
        task.data.update(decision=decision, comment=comment, actor=actor)
        parent = task.parent if isinstance(task.parent.task_spec, MultiInstanceTask) else None
        if parent is not None:
            self._count_votes(task, parent, decision, comment, actor)
        try:
            task.run()
        except Exception as error:  # as in _engine_steps: MI output and completion conditions run here
            raise _failure(f"task {meta.bpmn_id!r} could not complete", error) from error
        if parent is not None:
            parent.data.update({k: task.data.get(k) for k in ("decision", "comment", "actor", "approvals",
                                                                "rejections")})
        self._engine_steps()

    def _count_votes(self, task: Any, parent: Any, decision: str, comment: str | None, actor: str) -> None:
        """Give a multi-instance child the counts so far (its completion condition reads them)."""
        siblings = [c for c in parent.children if c.task_spec is task.task_spec and c.state == TaskState.COMPLETED]
        votes = [c.data.get("decision") for c in siblings] + [decision]
        task.data["approvals"] = votes.count("approve")
        task.data["rejections"] = votes.count("reject")
        mi = parent.task_spec
        if mi.output_item is not None and not mi.output_item.exists(task):
            item = task.data.get(mi.input_item.bpmn_id) if mi.input_item is not None else None
            mi.output_item.set(task, {"item": item, "actor": actor, "decision": decision, "comment": comment})

    def _ready_task(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            raise TaskNotFound(f"this process has no task {task_id!r}",
                               message_code="process_task_not_found", params={"task_id": task_id}) from None
        if task.state != TaskState.READY or not task.task_spec.manual:
            state = TaskState.get_name(task.state).lower()
            raise TaskNotReady(f"task {task.task_spec.bpmn_id!r} is {state}, not waiting for a decision",
                               message_code="task_not_waiting",
                               params={"bpmn_id": task.task_spec.bpmn_id, "state": state})
        return task

    def completed_human_tasks(self) -> set[str]:
        """The ids of the human tasks completed on the run's current path (those a rewind may go back to)."""
        return {str(task.id) for task in self._workflow.get_tasks(state=TaskState.COMPLETED, manual=True)}

    def rewind(self, task_id: str, data: Mapping[str, Any]) -> None:
        """Take the run back to a human task it completed (退回): that task is open again on the data it started
        with plus `data` (the record's values now); what followed it is dropped and runs again after it."""
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            raise TaskNotFound(f"this process has no task {task_id!r}",
                               message_code="process_task_not_found", params={"task_id": task_id}) from None
        if task.state != TaskState.COMPLETED or not task.task_spec.manual:
            raise TaskNotReady(f"task {task.task_spec.bpmn_id!r} is not a completed human task",
                               message_code="task_not_completed", params={"bpmn_id": task.task_spec.bpmn_id})
        check_data(dict(data), "task data")
        try:
            self._workflow.reset_from_task_id(task.id)
        except Exception as error:  # SpiffWorkflow's own errors on a tree it cannot rewind
            raise _failure(f"task {task.task_spec.bpmn_id!r} could not be reopened", error) from error
        task = self._workflow.get_task_from_id(task.id)  # ready again, on the data its parent left (set when ready)
        task.data.update({**data, "decision": None, "comment": None})
        self._engine_steps()

    def waiting_services(self) -> list[tuple[str, str, str]]:
        """(task id, BPMN id, topic) of the service tasks whose handler failed and that wait for a retry."""
        return [(str(task.id), task.task_spec.bpmn_id, task.task_spec.topic)
                for task in self._workflow.get_tasks(state=TaskState.STARTED)
                if isinstance(task.task_spec, TopicServiceTask)]

    def service_data(self, task_id: str) -> dict[str, Any]:
        return dict(self._workflow.get_task_from_id(UUID(task_id)).data)

    def finish_service(self, task_id: str, updates: Mapping[str, Any]) -> None:
        """Complete a waiting service task with the variables its handler set, and run on."""
        task = self._workflow.get_task_from_id(UUID(task_id))
        if task.state != TaskState.STARTED:
            raise TaskNotReady(f"service task {task.task_spec.bpmn_id!r} is not waiting",
                               message_code="service_task_not_waiting", params={"bpmn_id": task.task_spec.bpmn_id})
        check_data(dict(updates), "service task variables")
        task.data.update(updates)
        try:
            task.complete()
        except Exception as error:
            raise _failure(f"service task {task.task_spec.bpmn_id!r} could not complete", error) from error
        self._engine_steps()

    def withdraw(self, *, actor: str, comment: str | None = None) -> None:
        """Cancel the whole run (the submitter withdraws the record); `end_event` stays None."""
        if self.is_completed:
            outcome = self.end_event or "withdrawn"
            raise ProcessFinished(f"process {self.process.process_id!r} has already finished ({outcome})",
                                  message_code="process_finished",
                                  params={"process": self.process.process_id, "outcome": outcome})
        self._workflow.cancel()
        self._workflow.data.update(withdrawn_by=actor, comment=comment)

    def next_timer_at(self) -> datetime | None:
        """Return the earliest due time (UTC) of the run's waiting timers."""
        return timers.next_timer_at(self._workflow)

    def fire_due_timers(self, now: datetime) -> bool:
        """Fire the timers due by `now` and run what follows; return whether any fired."""
        try:
            return timers.fire_due_timers(self._workflow, now)
        except Exception as error:  # as in _engine_steps
            raise _failure(f"a timer of process {self.process.process_id!r} failed", error) from error

    def _engine_steps(self) -> None:
        try:
            self._workflow.do_engine_steps()
        except Exception as error:  # SpiffWorkflow lets TypeError/KeyError escape on bad data: one clear error
            raise _failure(f"process {self.process.process_id!r} stopped", error) from error


def _failure(what: str, error: Exception) -> ProcessFailed:
    """Say where the process stopped and the root cause (SpiffWorkflow wraps it in generic messages)."""
    bpmn_id = getattr(getattr(error, "task_spec", None), "bpmn_id", None)
    where = f" at {bpmn_id!r}" if bpmn_id else ""
    message = (str(error.args[0]) if error.args else type(error).__name__).rstrip(". ")
    cause: BaseException = error
    while isinstance(cause, SpiffWorkflowException):  # its own exceptions wrap the real cause
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    if cause is not error and str(cause) not in message:
        message = f"{message}: {cause}"
    return ProcessFailed(f"{what}{where}: {message}", message_code="process_stopped",
                         params={"what": what, "where": where, "message": message})
