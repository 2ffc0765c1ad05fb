"""What a loaded approval process is: its SpiffWorkflow specs plus what Formwork needs to know about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.workflow.scripts.expressions import ExpressionTable

# The process variables every condition and script may read, besides the entity's fields.
DECISIONS = ("approve", "reject", "return")


@dataclass(frozen=True)
class TaskMeta:
    """One human task of a process (user, manual or plain task), keyed by its BPMN id.

    `roles` are declared role keys (lane name or candidate groups, matched to the declared roles);
    `assignee` names a record field, a multi-instance item variable or `submitter` (the record's
    creator); `candidate_users` are literal login names. `due` is the raw due-date text (an ISO 8601
    duration or date, or a formula). `allows_return` is true when a gateway right after the task
    routes on `decision == 'return'`. `mi_item` is the item variable of a multi-instance task.
    """

    bpmn_id: str
    name: str
    roles: tuple[str, ...]
    assignee: str | None
    due: str | None
    is_multi_instance: bool
    allows_return: bool
    candidate_users: tuple[str, ...] = ()
    lane: str | None = None
    process_id: str = ""
    mi_item: str | None = None
    documentation: str | None = None
    editable: tuple[str, ...] = ()
    separation_of_duties: bool = True    # false: the submitter, and approvers of other steps, may decide it
    allow_same_approver: bool = False    # true: who approved another step of the run may approve this one too
    cc: tuple[str, ...] = ()  # 抄送 when the task completes: role keys and `user:<name>`s


@dataclass(frozen=True, eq=False)
class ProcessSpec:
    """A parsed, validated process: shared read-only between runs and threads (never mutate it).

    `digest` is the sha256 of the process id and the BPMN files it uses; a stored run names it, so
    a run is always restored against the very spec it started with. `files` are those files.
    """

    process_id: str
    digest: str
    spec: Any = field(repr=False)
    subprocess_specs: Mapping[str, Any] = field(repr=False)
    tasks: Mapping[str, TaskMeta] = field(repr=False)
    end_events: Mapping[str, str] = field(repr=False)
    expressions: ExpressionTable = field(repr=False)
    files: tuple[str, ...] = ()
    name: str = ""
    cc: tuple[str, ...] = ()  # 抄送 when the process ends (a property of the process element)
    has_service_tasks: bool = True  # false: no run of it ever waits on a service task's retry
