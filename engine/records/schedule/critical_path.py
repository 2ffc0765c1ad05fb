"""The critical path method over one activity network: early/late dates, total float and a forecast.

Pure computation (no storage). Dates are inclusive calendar days: an activity of duration d that
starts on day S finishes on S + d − 1. Working-day calendars are not modelled: lags and durations
count calendar days. A link from P to S constrains S's early start by

    FS: P.finish + 1 + lag        SS: P.start + lag
    FF: P.finish + lag − d + 1    SF: P.start + lag − d + 1   (S finishes on P.finish + lag / P.start + lag)

The plan pass starts activities without predecessors on their planned start, the others as early as
their links allow (never before the network's first planned start); the backward pass ends every
activity without successors on the network's latest early finish. Total float = late − early start;
an activity is critical when its float is ≤ 0.

The forecast pass reads progress at the status date (the last day reported): a finished activity
keeps its actual dates; one in progress keeps its actual start and needs its remaining duration,
ceil(d × (100 − %) / 100) days, after the status date (a late FF/SF predecessor can push its
finish further); one not started starts no earlier than its planned start, the day after the status
date, and what its predecessors' forecasts allow.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from engine.declarations.model import LinkType
from engine.errors import FormworkError


@dataclass(frozen=True)
class Activity:
    key: str
    start: date                                    # planned
    duration: int                                  # calendar days, at least 1
    actual_start: date | None = None
    actual_finish: date | None = None
    percent_complete: Decimal | None = None


@dataclass(frozen=True)
class Link:
    predecessor: str
    successor: str
    type: LinkType = LinkType.FS
    lag: int = 0


@dataclass(frozen=True)
class Timing:
    early_start: date
    early_finish: date
    late_start: date
    late_finish: date
    total_float: int
    is_critical: bool
    forecast_start: date
    forecast_finish: date


class NetworkCycle(FormworkError):
    """The links loop back on themselves; `keys` are the activities of one loop, in link order."""

    code = "network_cycle"

    def __init__(self, keys: Sequence[str], message: str, *, message_code: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"cycle": list(keys)}, message_code=message_code, params=params)
        self.keys = tuple(keys)


def schedule(activities: Iterable[Activity], links: Iterable[Link], status_date: date,
             names: Mapping[str, str] | None = None) -> dict[str, Timing]:
    """Compute every activity's timing; links naming an activity outside the network are ignored.

    Raise NetworkCycle naming the activities of a loop (by `names`, else by key).
    """
    nodes = {a.key: a for a in activities}
    incoming: dict[str, list[Link]] = {key: [] for key in nodes}
    outgoing: dict[str, list[Link]] = {key: [] for key in nodes}
    for link in links:
        if link.predecessor in nodes and link.successor in nodes:
            incoming[link.successor].append(link)
            outgoing[link.predecessor].append(link)
    order = _topological(nodes, incoming, outgoing, names or {})
    if not order:
        return {}
    day = {key: a.start.toordinal() for key, a in nodes.items()}
    length = {key: max(1, a.duration) for key, a in nodes.items()}
    first = min(day.values())

    early: dict[str, int] = {}
    for key in order:
        if incoming[key]:
            early[key] = max(first, max(_start_after(link, early[link.predecessor],
                                                     early[link.predecessor] + length[link.predecessor] - 1,
                                                     length[key]) for link in incoming[key]))
        else:
            early[key] = day[key]
    finish = max(early[key] + length[key] - 1 for key in order)
    late_finish: dict[str, int] = {}
    for key in reversed(order):
        bound = finish
        for link in outgoing[key]:
            successor = link.successor
            late_start = late_finish[successor] - length[successor] + 1
            bound = min(bound, _finish_before(link, late_start, late_finish[successor], length[key]))
        late_finish[key] = bound

    status = status_date.toordinal()
    forecast: dict[str, tuple[int, int]] = {}
    for key in order:
        forecast[key] = _forecast(nodes[key], length[key], day[key], status,
                                  [(link, forecast[link.predecessor]) for link in incoming[key]])

    result = {}
    for key in order:
        es, ef = early[key], early[key] + length[key] - 1
        lf = late_finish[key]
        ls = lf - length[key] + 1
        fs, ff = forecast[key]
        result[key] = Timing(early_start=_date(es), early_finish=_date(ef), late_start=_date(ls),
                             late_finish=_date(lf), total_float=ls - es, is_critical=ls - es <= 0,
                             forecast_start=_date(fs), forecast_finish=_date(ff))
    return result


def _start_after(link: Link, pred_start: int, pred_finish: int, duration: int) -> int:
    """The earliest start of the successor that `link` allows."""
    if link.type is LinkType.FS:
        return pred_finish + 1 + link.lag
    if link.type is LinkType.SS:
        return pred_start + link.lag
    if link.type is LinkType.FF:
        return pred_finish + link.lag - duration + 1
    return pred_start + link.lag - duration + 1


def _finish_before(link: Link, succ_start: int, succ_finish: int, duration: int) -> int:
    """The latest finish of the predecessor (of `duration`) that `link` allows."""
    if link.type is LinkType.FS:
        return succ_start - 1 - link.lag
    if link.type is LinkType.SS:
        return succ_start - link.lag + duration - 1
    if link.type is LinkType.FF:
        return succ_finish - link.lag
    return succ_finish - link.lag + duration - 1


def _forecast(activity: Activity, duration: int, planned: int, status: int,
              predecessors: list[tuple[Link, tuple[int, int]]]) -> tuple[int, int]:
    if activity.actual_finish is not None:
        finish = activity.actual_finish.toordinal()
        start = activity.actual_start.toordinal() if activity.actual_start is not None else finish - duration + 1
        return start, finish
    if activity.actual_start is not None:
        start = activity.actual_start.toordinal()
        done = min(Decimal(100), max(Decimal(0), activity.percent_complete or Decimal(0)))
        remaining = math.ceil(duration * (100 - done) / 100)
        finish = max(status, start - 1) + remaining if remaining else max(status, start)
        for link, (pred_start, pred_finish) in predecessors:
            if link.type in (LinkType.FF, LinkType.SF):  # the start is history; only a finish link still binds
                finish = max(finish, _start_after(link, pred_start, pred_finish, duration) + duration - 1)
        return start, finish
    start = max(planned, status + 1)
    for link, (pred_start, pred_finish) in predecessors:
        start = max(start, _start_after(link, pred_start, pred_finish, duration))
    return start, start + duration - 1


def _topological(nodes: Mapping[str, Activity], incoming: Mapping[str, list[Link]],
                 outgoing: Mapping[str, list[Link]], names: Mapping[str, str]) -> list[str]:
    """Kahn's order, predecessors first; raise NetworkCycle on a loop."""
    waiting = {key: len(incoming[key]) for key in nodes}
    ready = [key for key in nodes if waiting[key] == 0]
    order: list[str] = []
    while ready:
        key = ready.pop()
        order.append(key)
        for link in outgoing[key]:
            waiting[link.successor] -= 1
            if waiting[link.successor] == 0:
                ready.append(link.successor)
    if len(order) < len(nodes):
        loop = _a_cycle({key for key, count in waiting.items() if count > 0}, incoming)
        shown = [names.get(key, key) for key in loop]
        raise NetworkCycle(loop, "the predecessor links form a cycle: " + " -> ".join([*shown, shown[0]])
                           + "; remove one of these links",
                           message_code="network_cycle", params={"cycle": " -> ".join([*shown, shown[0]])})
    return order


def _a_cycle(stuck: set[str], incoming: Mapping[str, list[Link]]) -> list[str]:
    """Walk back through stuck predecessors until a node repeats: that stretch is a loop."""
    key = min(stuck)
    seen: dict[str, int] = {}
    path: list[str] = []
    while key not in seen:
        seen[key] = len(path)
        path.append(key)
        key = next(link.predecessor for link in incoming[key] if link.predecessor in stuck)
    loop = path[seen[key]:]
    loop.reverse()  # walked successor -> predecessor; report in link order
    return loop


def _date(ordinal: int) -> date:
    return date.fromordinal(ordinal)

