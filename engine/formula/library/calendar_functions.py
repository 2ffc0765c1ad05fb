"""Working days: `workdays_between(start, end, calendar)` and `add_workdays(day, n, calendar)`.

A calendar is tenant data, a record of `base.work_calendar`: its table `special_days` lists dates
with kind `holiday` (a day off, e.g. 国庆节 on a weekday) or `workday` (调休: a Saturday or Sunday
worked in exchange); every other Monday to Friday is a working day. `based_on` names another
calendar whose days apply too (a project's calendar on top of the national one; this calendar's
own entry wins on the same date). Without a calendar (null, or a calendar that no longer exists)
the working days are Monday to Friday.

The calendar is read the way a ref hop reads its record, through the evaluation's `load_ref`:
once per evaluation (the functions count as ref reads, so the loader is memoized with the hops),
and from the database once per unit of work (its identity map keeps the record). Both functions
are Python-only: a filter using them is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from engine.core.codes.formula_codes import reason as coded
from engine.formula.context import Context
from engine.formula.functions import ArgumentError, register_function
from engine.formula.types import ANY, DATE, NUMBER, FType, Kind
from engine.formula.values import ValueFailure, to_date, to_list, to_ref, to_row

CALENDAR_ENTITY = "base.work_calendar"
DAYS, DAY_DATE, DAY_KIND, BASED_ON = "special_days", "date", "kind", "based_on"
HOLIDAY, WORKDAY = "holiday", "workday"
_MAX_BASES = 8  # calendars based on calendars: a loop or a deep chain stops here


def special_days(ctx: Context, calendar: str | None) -> dict[date, bool]:
    """The calendar's special days: True for a make-up working day, False for a holiday."""
    chain: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    record_id = to_ref(calendar)
    while record_id is not None and record_id not in seen and len(chain) < _MAX_BASES:
        seen.add(record_id)
        record = ctx.load_ref(CALENDAR_ENTITY, record_id)
        if record is None:
            break
        chain.append(record)
        record_id = to_ref(record.get(BASED_ON))
    days: dict[date, bool] = {}
    for record in reversed(chain):  # the base first: the calendar's own days win
        for raw in to_list(record.get(DAYS)) or ():
            row = to_row(raw)
            day = to_date(row.get(DAY_DATE)) if row is not None else None
            kind = row.get(DAY_KIND) if row is not None else None
            if day is not None and kind in (HOLIDAY, WORKDAY):
                days[day] = kind == WORKDAY
    return days


def _is_workday(day: date, days: Mapping[date, bool]) -> bool:
    special = days.get(day)
    return special if special is not None else day.weekday() < 5


def _weekdays(start: date, end: date) -> int:
    """Monday-to-Friday days from start to end, both included (start <= end)."""
    total = (end - start).days + 1
    weeks, rest = divmod(total, 7)
    count = weeks * 5
    first = start.weekday()
    count += sum(1 for offset in range(rest) if (first + offset) % 7 < 5)
    return count


def workdays_between(ctx: Context, start: Any, end: Any, calendar: Any = None) -> Decimal | None:
    """Working days from start to end, both included; negative when end is before start."""
    first, last = to_date(start), to_date(end)
    if first is None or last is None:
        return None
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    days = special_days(ctx, calendar)
    count = _weekdays(first, last)
    for day, worked in days.items():
        if first <= day <= last and worked != (day.weekday() < 5):
            count += 1 if worked else -1
    return Decimal(sign * count)


def add_workdays(ctx: Context, start: Any, n: Any, calendar: Any = None) -> date | None:
    """The date n working days after start (before it when n < 0); start itself when n is 0."""
    day = to_date(start)
    if day is None or n is None:
        return None
    if n != n.to_integral_value():
        raise ValueFailure(f"add_workdays() moves by whole working days, not {n}")
    steps = int(n)
    if abs(steps) > 36500:
        raise ValueFailure(f"add_workdays() moves by at most 36500 working days, not {steps}")
    days = special_days(ctx, calendar)
    step = timedelta(days=1 if steps > 0 else -1)
    try:
        for _ in range(abs(steps)):
            day += step
            while not _is_workday(day, days):
                day += step
    except OverflowError:
        raise ValueFailure(f"add_workdays() leaves the calendar ({steps} working days)") from None
    return day


def _calendar_arg(name: str, types: Sequence[FType]) -> FType:
    start = types[0]
    if not (start.is_loose or start.kind is Kind.DATE):
        raise ArgumentError(coded("formula_argument_type", number=1, name=name, expected="a date",
                                  found=str(start)), 0)
    if len(types) == 3:
        calendar = types[2]
        if not (calendar.is_loose or (calendar.kind is Kind.REF and calendar.entity in (None, CALENDAR_ENTITY))):
            raise ArgumentError(coded("formula_argument_calendar", number=3, name=name, entity=CALENDAR_ENTITY,
                                      found=str(calendar)), 2)
    return NUMBER if name == "workdays_between" else DATE


def _workdays_between_type(types: Sequence[FType]) -> FType:
    end = types[1]
    if not (end.is_loose or end.kind is Kind.DATE):
        raise ArgumentError(coded("formula_argument_type", number=2, name="workdays_between", expected="a date",
                                  found=str(end)), 1)
    return _calendar_arg("workdays_between", types)


def _add_workdays_type(types: Sequence[FType]) -> FType:
    count = types[1]
    if not (count.is_loose or count.is_numeric):
        raise ArgumentError(coded("formula_argument_type", number=2, name="add_workdays", expected="a number",
                                  found=str(count)), 1)
    return _calendar_arg("add_workdays", types)


def _register() -> None:
    # Null dates give null; a null calendar is Monday to Friday, so null does not propagate.
    register_function("workdays_between", [ANY, ANY, ANY], NUMBER, workdays_between, min_args=2,
                      infer=_workdays_between_type, takes_context=True, propagates_null=False, reads_refs=True)
    register_function("add_workdays", [ANY, ANY, ANY], DATE, add_workdays, min_args=2,
                      infer=_add_workdays_type, takes_context=True, propagates_null=False, reads_refs=True)


_register()
