"""Turn a running workflow into a JSON-ready dict and back, without its spec.

The spec is stored once per process version (its `ProcessSpec.digest`) and comes from the caller on
restore, so an instance's state holds only its own task tree and data. Decimal and date values in
task data are kept as such and written as `{"typename": "Decimal", "value": "12.50"}`.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from .spec import ProcessSpec

SERIALIZER_VERSION = BpmnWorkflowSerializer.VERSION_KEY
FORMAT = "formwork-1"


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Write a workflow without `spec`/`subprocess_specs`; on restore they are objects put in by the caller."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


class DataTaskConverter(TaskConverter):  # type: ignore[misc]
    """SpiffWorkflow leaves task data deltas unconverted (its JSON encoder does it); convert them here."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(task)
        dct["data"] = self.registry.convert(dct["data"])
        delta = dct["delta"]
        if delta:
            delta["updates"] = self.registry.convert(delta["updates"])
        return dct


def _registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    config[Task] = DataTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


_SERIALIZER = BpmnWorkflowSerializer(_registry())


def dump_workflow(workflow: Any, process: ProcessSpec) -> dict[str, Any]:
    """Return the workflow's state as JSON-ready data, naming the process version it runs."""
    state: dict[str, Any] = _SERIALIZER.to_dict(workflow)
    state[SERIALIZER_VERSION] = _SERIALIZER.VERSION
    state["format"] = FORMAT
    state["process_id"] = process.process_id
    state["process_digest"] = process.digest
    return state


def restore_workflow(state: dict[str, Any], process: ProcessSpec) -> Any:
    """Rebuild a workflow from `dump_workflow` output with the specs of `process` (state is not modified)."""
    dct = {k: v for k, v in state.items() if k not in ("format", "process_id", "process_digest")}
    if dct.get(SERIALIZER_VERSION) != _SERIALIZER.VERSION:
        dct = copy.deepcopy(dct)  # migrations rewrite nested dicts in place
    _SERIALIZER.migrate(dct)
    dct["subprocesses"] = dict(dct.get("subprocesses", {}))  # restoring pops entries from it
    dct["spec"] = process.spec
    dct["subprocess_specs"] = dict(process.subprocess_specs)
    return _SERIALIZER.from_dict(dct)
