"""抄送 (cc): when a step with a `cc` property is decided (or a process with one ends, or whose entity's `workflow`
declares `cc`), the users and roles it names are told, and may read that one record from then on
(engine.security.grants)."""
from __future__ import annotations

from datetime import UTC, datetime

from engine.approvals.steps import ApprovalSteps
from engine.declarations.model import EntitySpec
from engine.security import grants
from engine.storage.models import Record
from engine.storage.workflow_models import HumanTask
from engine.workflow import ProcessRun

CC_EVENT = "record.cc"


def after_step(service: ApprovalSteps, task: HumanTask, run: ProcessRun, row: Record, entity: EntitySpec) -> None:
    """Copy the record to whom the decided step names, and to whom the process names once it has ended."""
    meta = run.process.tasks.get(task.bpmn_id)
    if meta is not None and meta.cc:
        _copy(service, row, entity, meta.cc, task.bpmn_id, task.title)
    declared = entity.workflow.cc if entity.workflow is not None else ()
    ending = tuple(dict.fromkeys((*run.process.cc, *declared)))
    if run.is_completed and ending:
        _copy(service, row, entity, ending, run.process.process_id, run.process.name)


def _copy(service: ApprovalSteps, row: Record, entity: EntitySpec, cc: tuple[str, ...], step: str, title: str) -> None:
    grants.grant(service.session, service.actor.tenant_id, record_id=row.id, module=entity.module,
                 entity=entity.name, grantees=cc, step=step, at=_moment())
    service._audit_record(row, "task.cc", f"{title}: 抄送 {', '.join(cc)}", after={"task": step, "cc": list(cc)})
    service._emit(CC_EVENT, row, None, cc=list(cc), title=title, bpmn_id=step)


def _moment() -> datetime:
    return datetime.now(UTC)
