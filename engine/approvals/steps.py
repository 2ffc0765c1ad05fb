"""What the approval idioms (加签, 退回, 抄送, 催办) use of the approval service: its steps, as a protocol, so the
idioms' modules need not import the service that calls them."""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.declarations.model import EntitySpec
from engine.errors import BadRequest, Conflict, FormworkError
from engine.records.service import Records
from engine.storage.models import Record
from engine.storage.workflow_models import HumanTask, ProcessInstance
from engine.workflow import ProcessRun, ProcessSpec


class NotEditable(BadRequest):
    """A decision sent something its step may not change: a process variable, or a field it does not list."""

    code = "not_editable"


def refuse_uneditable(editable: Collection[str], data: Mapping[str, Any]) -> None:
    """Process variables are the engine's: a step's performer changes only the record fields the step lists."""
    refused = sorted(set(data) - set(editable))
    if refused:
        may = (f"it may change {', '.join(editable)}" if editable
               else "it changes no field: send only the decision and a comment")
        raise NotEditable(f"this task may not change {', '.join(refused)}; {may}",
                          details={"refused": refused, "editable": list(editable)},
                          message_code="task_may_not_change", params={"refused": ", ".join(refused), "may": may})


def running_instance(session: Session, tenant_id: str, task: HumanTask, entity: EntitySpec,
                     row: Record) -> ProcessInstance:
    """The running process instance of a task's record; a decided, withdrawn or ended one is a 409."""
    instance = session.get(ProcessInstance, (tenant_id, task.instance_id))
    if instance is None or instance.status != "running":
        raise Conflict(f"the approval of {entity.title.en} {row.id} is no longer running",
                       message_code="approval_not_running", params={"entity": entity.title.en, "id": row.id})
    return instance


class ApprovalSteps(Protocol):
    """One actor's approval service (engine.approvals.service.Approvals)."""

    records: Records
    session: Session
    actor: Actor
    process_for: Callable[[ProcessInstance], ProcessSpec]
    services: Any

    def __init__(self, records: Records, process_for: Callable[[ProcessInstance], ProcessSpec],
                 services: Any = None) -> None: ...

    def _task(self, task_id: str) -> HumanTask: ...

    def _acting_for(self, task: HumanTask, refused: FormworkError) -> str | None: ...

    def _instance(self, record_id: str, *, running: bool = True) -> ProcessInstance | None: ...

    def _restore(self, instance: ProcessInstance, entity: EntitySpec) -> ProcessRun: ...

    def _complete(self, task: HumanTask, decision: str, comment: str, *, data: Mapping[str, Any] | None = None,
                  variables: Mapping[str, Any] | None = None) -> dict[str, Any]: ...

    def _save(self, instance: ProcessInstance, run: ProcessRun, row: Record, entity: EntitySpec, *,
              returned: bool = False) -> None: ...

    def _emit(self, event: str, row: Record, task: HumanTask | None, **extra: Any) -> None: ...

    def _flush(self) -> None: ...

    def _audit_record(self, row: Record, action: str, note: str, after: dict[str, Any] | None = None) -> None: ...

    def complete(self, task_id: str, decision: Any, comment: Any = "",
                 data: Mapping[str, Any] | None = None) -> dict[str, Any]: ...
