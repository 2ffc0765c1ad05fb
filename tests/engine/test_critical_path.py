"""The critical path method on small networks computed by hand (inclusive calendar days)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.declarations.model import LinkType
from engine.records.schedule.critical_path import Activity, Link, NetworkCycle, schedule

FS, SS, FF, SF = LinkType.FS, LinkType.SS, LinkType.FF, LinkType.SF
BEFORE = date(2023, 12, 1)  # a status date before everything: the forecast is the plan


def d(day: int, month: int = 1) -> date:
    return date(2024, month, day)


def table(timings: dict, *fields: str) -> dict:
    return {key: tuple(getattr(t, f) for f in fields) for key, t in sorted(timings.items())}


def test_parallel_paths_with_a_lag_give_float_to_the_shorter_path() -> None:
    # A(3) -FS+2-> B(2) -> D(1); A -> C(2) -> D: A, B, D critical; C has 2 days of float
    result = schedule([Activity("A", d(1), 3), Activity("B", d(1), 2), Activity("C", d(1), 2),
                       Activity("D", d(1), 1)],
                      [Link("A", "B", FS, 2), Link("A", "C"), Link("B", "D"), Link("C", "D")], BEFORE)
    assert table(result, "early_start", "early_finish", "late_start", "late_finish", "total_float") == {
        "A": (d(1), d(3), d(1), d(3), 0),
        "B": (d(6), d(7), d(6), d(7), 0),       # 01-03 + 1 + 2
        "C": (d(4), d(5), d(6), d(7), 2),
        "D": (d(8), d(8), d(8), d(8), 0),
    }
    assert {key for key, t in result.items() if t.is_critical} == {"A", "B", "D"}


def test_start_to_start_with_a_lag() -> None:
    # B(3) starts 2 days after A(5) starts and ends with it: both critical
    result = schedule([Activity("A", d(1), 5), Activity("B", d(1), 3)], [Link("A", "B", SS, 2)], BEFORE)
    assert table(result, "early_start", "early_finish", "late_finish", "total_float") == {
        "A": (d(1), d(5), d(5), 0), "B": (d(3), d(5), d(5), 0)}


def test_finish_to_finish_with_a_lag_and_a_successor_with_float() -> None:
    # B(3) finishes 2 days after A(5) finishes: B 01-05..01-07; C(1) SS A: float until the end
    result = schedule([Activity("A", d(1), 5), Activity("B", d(1), 3), Activity("C", d(1), 1)],
                      [Link("A", "B", FF, 2), Link("A", "C", SS, 0)], BEFORE)
    assert table(result, "early_start", "early_finish", "late_start", "late_finish", "total_float") == {
        "A": (d(1), d(5), d(1), d(5), 0),
        "B": (d(5), d(7), d(5), d(7), 0),
        "C": (d(1), d(1), d(7), d(7), 6),
    }


def test_start_to_finish_with_a_lag() -> None:
    # B(3) may finish only once A has started + 1 day: B ends 01-11, starts 01-09
    result = schedule([Activity("A", d(10), 2), Activity("B", d(1), 3)], [Link("A", "B", SF, 1)], BEFORE)
    assert table(result, "early_start", "early_finish", "late_start", "late_finish", "total_float") == {
        "A": (d(10), d(11), d(10), d(11), 0),
        "B": (d(9), d(11), d(9), d(11), 0),
    }


def test_a_late_task_in_progress_pushes_its_successors_forecast() -> None:
    # A(10) started 01-02, 40 % at 01-08: 6 days left → 01-14; B(3) FS+1 → 01-16..01-18;
    # C(4) in progress, 50 %, FF on A: its own 2 days would end 01-10, A holds it to 01-14;
    # F finished keeps its actual dates; N not started, no predecessor, after the status date: as planned
    result = schedule(
        [Activity("A", d(1), 10, actual_start=d(2), percent_complete=Decimal(40)),
         Activity("B", d(12), 3),
         Activity("C", d(5), 4, actual_start=d(5), percent_complete=Decimal(50)),
         Activity("F", d(1), 2, actual_start=d(2), actual_finish=d(4), percent_complete=Decimal(100)),
         Activity("N", d(20), 2)],
        [Link("A", "B", FS, 1), Link("A", "C", FF, 0)], d(8))
    assert table(result, "forecast_start", "forecast_finish") == {
        "A": (d(2), d(14)), "B": (d(16), d(18)), "C": (d(5), d(14)), "F": (d(2), d(4)), "N": (d(20), d(21))}
    # the plan's own pass is untouched by progress: B early start 01-10 + 1 + 1
    assert (result["B"].early_start, result["B"].early_finish) == (d(12), d(14))


def test_a_task_not_started_by_the_status_date_starts_the_day_after() -> None:
    result = schedule([Activity("A", d(1), 3)], [], d(10))
    assert (result["A"].forecast_start, result["A"].forecast_finish) == (d(11), d(13))


def test_links_to_tasks_outside_the_network_are_ignored() -> None:
    result = schedule([Activity("A", d(1), 2)], [Link("elsewhere", "A"), Link("A", "gone")], BEFORE)
    assert (result["A"].early_start, result["A"].total_float, result["A"].is_critical) == (d(1), 0, True)


def test_a_cycle_is_refused_naming_its_tasks() -> None:
    activities = [Activity(key, d(1), 1) for key in "ABCD"]
    links = [Link("A", "B"), Link("B", "C"), Link("C", "A"), Link("C", "D")]
    with pytest.raises(NetworkCycle, match=r"form a cycle: .*1 A.* -> .*; remove one of these links") as caught:
        schedule(activities, links, BEFORE, names={k: f"{n} {k}" for n, k in enumerate("ABCD", 1)})
    assert sorted(caught.value.keys) == ["A", "B", "C"]
    with pytest.raises(NetworkCycle, match="A -> A"):
        schedule(activities, [Link("A", "A")], BEFORE)


def test_an_empty_network_has_no_timings() -> None:
    assert schedule([], [], BEFORE) == {}
