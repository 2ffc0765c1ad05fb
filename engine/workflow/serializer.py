"""Turn a running workflow into a JSON-ready dict and back, without its spec.

The spec is stored once per process version (its `ProcessSpec.digest`) and comes from the caller on
restore, so an instance's state holds only its own task tree and data. Decimal and date values in
task data are kept as such and written as `{"typename": "Decimal", "value": "12.50"}`.

A state is restored only if it carries this serializer's version. SpiffWorkflow's own migrations of
older states eval() expressions found in them (timer dates of version 1.1), and a state can come from
outside (a backup file, a changed row), so they never run: moving stored states to a new SpiffWorkflow
version is a migration of ours, written without eval.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.workflow.errors import UnsupportedState
from engine.workflow.spec import ProcessSpec

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


def check_state(state: Any) -> None:
    """Refuse a state this Formwork's serializer did not write (it is never migrated, see above)."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UnsupportedState(f"this process state was not written by Formwork (its format is not {FORMAT!r})",
                               message_code="process_state_foreign", params={"format": FORMAT})
    version = state.get(SERIALIZER_VERSION)
    if version != _SERIALIZER.VERSION:
        raise UnsupportedState(
            f"this process state has serializer version {version!r}; this Formwork reads only version "
            f"{_SERIALIZER.VERSION!r} and does not migrate other versions",
            message_code="process_state_version", params={"version": version, "supported": _SERIALIZER.VERSION})


def restore_workflow(state: dict[str, Any], process: ProcessSpec) -> Any:
    """Rebuild a workflow from `dump_workflow` output with the specs of `process` (state is not modified)."""
    check_state(state)
    skipped = ("format", "process_id", "process_digest", SERIALIZER_VERSION, "spec", "subprocess_specs")
    dct = {k: v for k, v in state.items() if k not in skipped}
    dct["subprocesses"] = dict(dct.get("subprocesses", {}))  # restoring pops entries from it
    dct["spec"] = process.spec
    dct["subprocess_specs"] = dict(process.subprocess_specs)
    return _SERIALIZER.from_dict(dct)
