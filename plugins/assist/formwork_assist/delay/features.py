"""What the delay model sees of a task on a given day: six numbers, each with words for the reason it gives.

The same function describes an open task today (to score it) and a finished task as it stood on an earlier
day (to learn from it): its slip so far, its progress against the plan (from the progress reports up to that
day), its predecessors' delay, its crew's record of late tasks finished before that day, the delay signals
and bad-weather days reported for it, and its planned duration. Nothing here reads the database.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from formwork_assist.delay.signals import Signal

FEATURES = ("slip_days", "progress_gap", "pred_delay", "crew_late_rate", "signals", "duration")
BAD_WEATHER = frozenset({"rain", "snow", "wind", "heat"})


@dataclass(frozen=True)
class Task:
    """A WBS task as the model needs it (dates as `date`; `pct` is its % complete now)."""

    id: str
    code: str
    name: str
    project: str | None
    crew: str | None
    ref_start: date
    ref_finish: date
    actual_start: date | None = None
    actual_finish: date | None = None
    pct: float = 0.0
    predecessors: tuple[str, ...] = ()
    delay_days: int | None = None          # the engine's forecast-based delay of an open task
    status_day: date | None = None         # the day its plan's figures are as of (the plan's status date)

    @property
    def duration(self) -> int:
        return max(1, (self.ref_finish - self.ref_start).days + 1)

    @property
    def is_late(self) -> bool | None:
        """Finished after its reference finish; None while open."""
        return None if self.actual_finish is None else self.actual_finish > self.ref_finish


@dataclass
class History:
    """The tenant's tasks, their progress points, the signals and the weather reported, by task or project."""

    tasks: dict[str, Task] = field(default_factory=dict)
    progress: dict[str, list[tuple[date, float]]] = field(default_factory=dict)   # task -> (day, % to date)
    signals: dict[str, list[tuple[date, Signal]]] = field(default_factory=dict)   # task -> (day, signal)
    weather: dict[str, list[tuple[date, str]]] = field(default_factory=dict)      # project -> (day, weather)
    _crews: dict[str, list[tuple[date, int, str]]] | None = field(default=None, repr=False)

    def finished(self) -> list[Task]:
        return [task for task in self.tasks.values() if task.actual_finish is not None]

    def crew_finishes(self) -> dict[str, list[tuple[date, int, str]]]:
        """crew -> (finish day, late?, task id) of its finished tasks, by day (built once: a bisect per question)."""
        if self._crews is None:
            self._crews = {}
            for task in self.finished():
                if task.crew is not None and task.actual_finish is not None:
                    self._crews.setdefault(task.crew, []).append((task.actual_finish, int(bool(task.is_late)), task.id))
            for finishes in self._crews.values():
                finishes.sort()
        return self._crews


@dataclass(frozen=True)
class Snapshot:
    """A task's features on one day, with what the reasons quote."""

    values: Mapping[str, float]
    facts: Mapping[str, object]


def pct_on(history: History, task: Task, day: date, *, now: bool = False) -> float:
    """% complete on `day`: the last progress report up to it (`now`: the task's own % when none says more)."""
    points = [pct for when, pct in history.progress.get(task.id, []) if when <= day]
    reported = points[-1] if points else 0.0
    return max(reported, task.pct) if now else reported


def planned_pct(task: Task, day: date) -> float:
    if day < task.ref_start:
        return 0.0
    if day >= task.ref_finish:
        return 100.0
    return round(((day - task.ref_start).days + 1) * 100 / task.duration, 2)


def slip_days(task: Task, day: date) -> int:
    """Days late so far on `day`: a late start, or days past the finish while still open (the naive rule)."""
    started = task.actual_start if task.actual_start is not None and task.actual_start <= day else None
    start_late = ((started or day) - task.ref_start).days
    overdue = (day - task.ref_finish).days if day > task.ref_finish else 0
    return max(0, start_late, overdue)


def pred_delay(history: History, task: Task, day: date, *, now: bool = False) -> tuple[int, str | None]:
    """The largest delay of the task's predecessors as known on `day`, and the code of that predecessor."""
    worst, code = 0, None
    for pred_id in task.predecessors:
        pred = history.tasks.get(pred_id)
        if pred is None:
            continue
        if pred.actual_finish is not None and pred.actual_finish <= day:
            delay = max(0, (pred.actual_finish - pred.ref_finish).days)
        elif now and pred.delay_days is not None:
            delay = pred.delay_days          # the engine's forecast through the network
        else:
            delay = slip_days(pred, day)
        if delay > worst:
            worst, code = delay, pred.code
    return worst, code


def crew_record(history: History, task: Task, day: date) -> tuple[int, int]:
    """(late, finished) of the crew's other tasks finished before `day`."""
    if task.crew is None:
        return 0, 0
    done = history.crew_finishes().get(task.crew, [])
    count = bisect.bisect_left(done, (day,))
    earlier = [(late, other) for _when, late, other in done[:count] if other != task.id]
    return sum(late for late, _other in earlier), len(earlier)


def signals_on(history: History, task: Task, day: date) -> tuple[list[Signal], int]:
    """The delay signals written about the task up to `day`, and the bad-weather days reported on its project
    since it was due to start."""
    said = [signal for when, signal in history.signals.get(task.id, []) if when <= day]
    weather = {when for when, kind in history.weather.get(task.project or "", [])
               if task.ref_start <= when <= day and kind in BAD_WEATHER}
    return said, len(weather)


def snapshot(history: History, task: Task, day: date, *, now: bool = False) -> Snapshot:
    """The task's features on `day` (`now`: scoring an open task, which may use the engine's forecasts)."""
    pct = pct_on(history, task, day, now=now)
    late, done = crew_record(history, task, day)
    worst, worst_code = pred_delay(history, task, day, now=now)
    said, bad_days = signals_on(history, task, day)
    values = {
        "slip_days": float(slip_days(task, day)),
        "progress_gap": round(planned_pct(task, day) - pct, 2),
        "pred_delay": float(worst),
        "crew_late_rate": (late + 1) / (done + 2),   # Laplace: a crew with no record is neither good nor bad
        "signals": float(len(said) + bad_days),
        "duration": math.log1p(task.duration),
    }
    facts = {"pct": pct, "planned_pct": planned_pct(task, day), "pred_code": worst_code, "crew_late": late,
             "crew_done": done, "signals": said, "bad_weather_days": bad_days, "duration_days": task.duration}
    return Snapshot(values, facts)


def cut_days(task: Task, fractions: Sequence[float] = (0.0, 0.35, 0.7)) -> list[date]:
    """The days a finished task is learnt from: points of its planned span while it was still open."""
    assert task.actual_finish is not None
    days = []
    for fraction in fractions:
        offset = round((task.duration - 1) * fraction)
        day = date.fromordinal(task.ref_start.toordinal() + offset)
        if day < task.actual_finish and day not in days:
            days.append(day)
    return days


@dataclass
class Rows:
    """Training rows: features, outcome (1 = finished late), the naive score, and the task each row is of."""

    features: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def training_rows(history: History, tasks: Sequence[Task] | None = None) -> Rows:
    """Every finished task (or those given) at each of its cut days."""
    rows = Rows()
    for task in history.finished() if tasks is None else tasks:
        for day in cut_days(task):
            shot = snapshot(history, task, day)
            rows.features.append([shot.values[name] for name in FEATURES])
            rows.labels.append(1 if task.is_late else 0)
            rows.naive.append(shot.values["slip_days"])
            rows.groups.append(task.id)
    return rows
