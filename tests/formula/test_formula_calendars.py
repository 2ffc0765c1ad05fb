"""workdays_between and add_workdays over base.work_calendar records read through load_ref."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import FormulaError, FormulaRuntimeError
from engine.formula import DATE, NUMBER, Context, Environment, FieldInfo, FType, SqlProbe, compile_formula

ENV = Environment(fields={"start": FieldInfo(DATE), "end": FieldInfo(DATE), "n": FieldInfo(NUMBER),
                          "cal": FieldInfo(FType.ref("base.work_calendar"))})
CALENDARS: dict[str, dict[str, Any]] = {
    # the national days of the autumn of 2025: 10-01 .. 10-08 off, Sunday 09-28 and Saturday 10-11 worked
    "national": {"special_days": [*({"date": date(2025, 10, d), "kind": "holiday"} for d in range(1, 9)),
                                  {"date": date(2025, 9, 28), "kind": "workday"},
                                  {"date": "2025-10-11", "kind": "workday"}]},
    # a site on top of it: Friday 10-17 off, Saturday 10-18 worked, and 10-08 worked after all
    "site": {"based_on": "national", "special_days": [{"date": date(2025, 10, 17), "kind": "holiday"},
                                                      {"date": date(2025, 10, 18), "kind": "workday"},
                                                      {"date": date(2025, 10, 8), "kind": "workday"}]},
    "loop_a": {"based_on": "loop_b", "special_days": [{"date": date(2025, 10, 15), "kind": "holiday"}]},
    "loop_b": {"based_on": "loop_a", "special_days": [{"date": date(2025, 10, 16), "kind": "holiday"}]},
}
READS: list[str] = []


def load(entity: str, record_id: str) -> dict[str, Any] | None:
    assert entity == "base.work_calendar"
    READS.append(record_id)
    return CALENDARS.get(record_id)


def run(text: str, **values: Any) -> Any:
    return compile_formula(text, ENV).evaluate(Context(values=values, load_ref=load))


@pytest.mark.parametrize(("cal", "expected"), [
    (None, 17),        # 09-26 (Fri) .. 10-20 (Mon): Monday to Friday
    ("gone", 17),      # a calendar that no longer exists: Monday to Friday
    ("national", 13),  # less 6 weekday holidays, plus 2 make-up days
    ("site", 14),      # less the site's Friday, plus its Saturday and 10-08 worked
    ("loop_a", 15),    # each calendar of the loop read once: 10-15 and 10-16 off
])  # fmt: skip
def test_workdays_between_counts_both_ends(cal: str | None, expected: int) -> None:
    assert run("workdays_between(start, end, cal)", start=date(2025, 9, 26), end=date(2025, 10, 20),
               cal=cal) == expected
    assert run("workdays_between(end, start, cal)", start=date(2025, 9, 26), end=date(2025, 10, 20),
               cal=cal) == -expected


def test_workdays_between_edge_cases() -> None:
    assert run("workdays_between(start, start)", start=date(2025, 10, 20)) == 1           # a Monday
    assert run("workdays_between(start, start)", start=date(2025, 10, 19)) == 0           # a Sunday
    assert run("workdays_between(start, start, cal)", start=date(2025, 9, 28), cal="national") == 1
    assert run("workdays_between(start, end)", start=date(2025, 10, 20), end=None) is None
    assert run("workdays_between(start, end)", start=date(2024, 1, 1), end=date(2024, 12, 31)) == 262
    READS.clear()
    run("workdays_between(start, end, cal) + workdays_between(end, start, cal)",
        start=date(2025, 1, 1), end=date(2025, 2, 1), cal="site")
    assert READS.count("site") == 1   # once per evaluation (a unit of work reads it from the database once)


def test_add_workdays_skips_holidays_and_works_make_up_days() -> None:
    assert run("add_workdays(start, 1, cal)", start=date(2025, 9, 26), cal="national") == date(2025, 9, 28)
    assert run("add_workdays(start, 3, cal)", start=date(2025, 9, 30), cal="national") == date(2025, 10, 11)
    assert run("add_workdays(start, -1, cal)", start=date(2025, 10, 9), cal="national") == date(2025, 9, 30)
    assert run("add_workdays(start, 0, cal)", start=date(2025, 10, 1), cal="national") == date(2025, 10, 1)
    assert run("add_workdays(start, 1)", start=date(2025, 10, 17)) == date(2025, 10, 20)
    assert run("add_workdays(start, 1, cal)", start=date(2025, 10, 16), cal="site") == date(2025, 10, 18)
    assert run("add_workdays(start, n)", start=date(2025, 10, 16), n=None) is None
    for n in (Decimal("1.5"), Decimal(40000)):
        with pytest.raises(FormulaRuntimeError, match="add_workdays"):
            run("add_workdays(start, n)", start=date(2025, 10, 16), n=n)


@pytest.mark.parametrize(("text", "message"), [
    ("workdays_between(n, end)", "argument 1 of workdays_between\\(\\) must be a date, not number"),
    ("workdays_between(start, n)", "argument 2 of workdays_between\\(\\) must be a date, not number"),
    ("add_workdays(start, end)", "argument 2 of add_workdays\\(\\) must be a number, not date"),
    ("workdays_between(start)", "workdays_between\\(\\) takes 2 to 3 arguments, got 1"),
])  # fmt: skip
def test_misuse_is_a_formula_error(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        compile_formula(text, ENV)


def test_a_calendar_of_another_entity_is_refused() -> None:
    env = Environment(fields={"start": FieldInfo(DATE), "project": FieldInfo(FType.ref("base.project"))})
    with pytest.raises(FormulaError, match=r"argument 3 of workdays_between\(\) must be a ref to base\.work_calendar"):
        compile_formula("workdays_between(start, start, project)", env)


def test_calendar_functions_are_refused_in_filters() -> None:
    with pytest.raises(FormulaError, match="workdays_between\\(\\) cannot be used in a filter"):
        compile_formula("workdays_between(start, end, cal) > 3", ENV).to_sql(SqlProbe())
