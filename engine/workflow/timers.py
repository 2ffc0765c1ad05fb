"""Read and fire a workflow's timers against a clock the caller chooses.

SpiffWorkflow stores each waiting timer's absolute due time (UTC) in the timer task's internal
data and compares it with the real clock. A worker, and a test, passes its own `now`: a timer due
by then is marked as fired before SpiffWorkflow looks, so escalations can be run ahead of time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

_TICK = timedelta(microseconds=1)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def waiting_timers(workflow: Any) -> list[Any]:
    """Return the WAITING timer tasks of the workflow and its subprocesses."""
    return [
        task for task in workflow.event_manager.tasks.values()
        if task.state == TaskState.WAITING and isinstance(task.task_spec.event_definition, TimerEventDefinition)
    ]


def due_at(task: Any) -> datetime | None:
    """Return when a waiting timer task fires next (UTC), or None when it will not fire again."""
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None
        return _aware(datetime.fromisoformat(value["next"])).astimezone(UTC)
    moment = TimerEventDefinition.parse_time_or_duration(value)
    return moment.astimezone(UTC) if isinstance(moment, datetime) else None


def next_timer_at(workflow: Any) -> datetime | None:
    """Return the earliest due time of the workflow's waiting timers (UTC)."""
    times = [t for t in (due_at(task) for task in waiting_timers(workflow)) if t is not None]
    return min(times) if times else None


def fire_due_timers(workflow: Any, now: datetime) -> bool:
    """Fire every timer due by `now` (or by the real clock) and run what follows; return whether any fired.

    A cycle fires at most one occurrence per call, and keeps its schedule (the next one is one
    period after the occurrence that fired, not after the call).
    """
    clock = max(_aware(now), datetime.now(UTC))
    fired = False
    cycles: list[tuple[Any, datetime]] = []
    for task in waiting_timers(workflow):
        due = due_at(task)
        if due is None or due > clock:
            continue
        fired = True
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            # SpiffWorkflow compares with the real clock: move the occurrence just before it.
            task.internal_data["event_value"]["next"] = (datetime.now(UTC) - _TICK).isoformat()
            cycles.append((task, due))
        else:
            task.internal_data["event_fired"] = True
    workflow.refresh_timers()  # due timers become READY; do_engine_steps alone would leave them there
    for task, due in cycles:
        value = task.internal_data.get("event_value")
        if isinstance(value, dict) and value.get("cycles") != 0:
            value["next"] = (due + timedelta(seconds=value["duration"])).isoformat()
    workflow.do_engine_steps()
    return fired


def resolve_due(value: Any, since: datetime) -> datetime | None:
    """Turn an evaluated due-date text (ISO duration from `since`, date-time or cycle) into a UTC time."""
    if isinstance(value, datetime):
        return _aware(value).astimezone(UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.upper().startswith("R"):
        return _aware(TimerEventDefinition.parse_iso_recurring_interval(text)[1]).astimezone(UTC)
    parsed = TimerEventDefinition.parse_time_or_duration(text)
    if isinstance(parsed, datetime):
        return parsed.astimezone(UTC)
    delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, since)
    return since + delta
