"""Approval processes: BPMN 2.0 files run on SpiffWorkflow, with the formula language as script engine.

This package is the only one that imports SpiffWorkflow. It has no database and no web code.

Loading
    `load_processes(files, process_file, origin=, roles=, environment=, params=)` validates an
    entity's process and the processes it calls, and returns a `ProcessSpec` or the `Problem`s
    (file, line, element id). `ProcessCache` memoizes it per module version. Conditions and
    scripts are formula language (Camunda JUEL `${...}` and Zeebe FEEL `= ...` conditions are
    translated on load); they read the entity's fields, `params.<name>`, and the process
    variables `decision`, `comment`, `submitter`, `actor`, `approvals`, `rejections`, plus
    names script tasks assign and multi-instance item variables. Timers accept plain ISO 8601
    (`PT4H`, `R3/PT1H`, `2026-01-01T09:00:00Z`) or a formula giving such a text or a date.

Who does a task
    A human task's roles come from `camunda:candidateGroups` (or the Spiff property
    `candidateGroups`), else from its lane's name; `submitter`/`initiator` means the record's
    creator. `camunda:assignee` names a user field (`${created_by}`), the submitter
    (`${initiator}`) or the multi-instance item (`${approver}`).

Running
    `ProcessRun.start(process, data, engine=ScriptContext(...))`, `.open_tasks()`,
    `.complete(task_id, decision=, comment=, actor=)`, `.withdraw(actor=)`,
    `.fire_due_timers(now)`, `.dump()` / `ProcessRun.restore(process, state, engine=...)`.
    Decisions are `approve`, `reject`, `return`; "return to the submitter" is modelled in BPMN
    (a gateway on `decision == 'return'` leading back to a task in lane `submitter`).
    A multi-instance child sees `approvals` / `rejections` counted over the instance so far, so
    completion conditions such as `decision == 'reject'` (countersign) or `decision == 'approve'`
    (or-sign) or `approvals >= 2` (quorum) work; its output item is filled in automatically
    (`{"item", "actor", "decision", "comment"}`), and its last decision and the counts are what the
    gateway after it sees. `ProcessRun` does not authorise: the caller checks `OpenTask.roles` /
    `assignee` (and any delegation it keeps by task id) and passes the acting user as `actor`.

Service tasks
    `<serviceTask camunda:type="external" camunda:topic="acme.check_credit">` (or Zeebe
    `zeebe:taskDefinition type=`, or `spiffworkflow:serviceTaskOperator id=`) runs the handler a
    plugin registered for the topic (`services`); an unknown topic is a load problem. The run asks
    `ScriptContext.call_service`; a task whose handler failed waits (`waiting_services`) until the
    caller completes it with `finish_service`. Java classes, expressions and connectors are refused.

Not supported (each is a load problem that says what to use instead)
    DMN / business rule tasks, send and receive tasks, message, signal, conditional,
    link, cancel and compensation events, event-based and complex gateways, transactions, ad-hoc
    subprocesses, data stores, Camunda listeners and input/output mappings,
    `camunda:collection` (use `loopDataInputRef`), cron timers, scripts that are not
    `name = expression` lines, and anything written in Python.
"""

from engine.workflow import services as services
from engine.workflow.cache import ProcessCache as ProcessCache
from engine.workflow.errors import InvalidDecision as InvalidDecision
from engine.workflow.errors import InvalidProcessData as InvalidProcessData
from engine.workflow.errors import ProcessFailed as ProcessFailed
from engine.workflow.errors import ProcessFinished as ProcessFinished
from engine.workflow.errors import StateMismatch as StateMismatch
from engine.workflow.errors import TaskNotFound as TaskNotFound
from engine.workflow.errors import TaskNotReady as TaskNotReady
from engine.workflow.errors import UnsupportedState as UnsupportedState
from engine.workflow.loader import load_processes as load_processes
from engine.workflow.run import OpenTask as OpenTask
from engine.workflow.run import ProcessRun as ProcessRun
from engine.workflow.scripts.expressions import ScriptContext as ScriptContext
from engine.workflow.scripts.expressions import ServiceCaller as ServiceCaller
from engine.workflow.serializer import check_state as check_state
from engine.workflow.spec import DECISIONS as DECISIONS
from engine.workflow.spec import ProcessSpec as ProcessSpec
from engine.workflow.spec import TaskMeta as TaskMeta
from engine.workflow.variables import PROCESS_VARIABLES as PROCESS_VARIABLES

__all__ = [
    "DECISIONS",
    "PROCESS_VARIABLES",
    "InvalidDecision",
    "InvalidProcessData",
    "OpenTask",
    "ProcessCache",
    "ProcessFailed",
    "ProcessFinished",
    "ProcessRun",
    "ProcessSpec",
    "ScriptContext",
    "ServiceCaller",
    "StateMismatch",
    "TaskMeta",
    "TaskNotFound",
    "TaskNotReady",
    "UnsupportedState",
    "check_state",
    "load_processes",
]
