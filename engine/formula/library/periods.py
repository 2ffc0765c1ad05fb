"""Functions for reports over time, in Python and in SQL: `year_month(date)` and `age_bucket(days, bounds)`.

`year_month(d)` is the month of a date as text, `2024-05` (the modules' `period`): a report groups a date
by month with it, and matches the `period` fields of other entities.

`age_bucket(days, [30, 90, 180])` is the ageing band of a number of days.

The bounds are ascending whole numbers written in the formula; the bands are `0–30天`, `31–90天`,
`91–180天` and `>180天` (a value is in the first band whose bound it does not exceed), a negative value
is `未到期` (not yet due: days counted to a date still ahead), and null stays null. The labels sort in
band order as texts as long as the bounds have at most one more digit each than the one before."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, literal, null
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from engine.core.codes.formula_codes import reason as coded
from engine.errors import FormulaRuntimeError
from engine.formula.functions import ArgumentError, register_function
from engine.formula.sql.constructs import YearMonth
from engine.formula.types import DATE, NUMBER, TEXT, FType, Kind
from engine.formula.values import ValueFailure

NOT_DUE = "未到期"
UNIT = "天"


def bands(bounds: Sequence[Any]) -> list[tuple[Decimal, str]] | None:
    """[(upper bound, label)] for ascending whole non-negative bounds, else None."""
    numbers = [b for b in bounds if isinstance(b, Decimal | int) and not isinstance(b, bool)]
    if not numbers or len(numbers) != len(bounds):
        return None
    values = [Decimal(b) for b in numbers]
    if any(v < 0 or v != v.to_integral_value() for v in values) or values != sorted(set(values)):
        return None
    result, low = [], 0
    for value in values:
        result.append((value, f"{low}–{int(value)}{UNIT}"))
        low = int(value) + 1
    return result


def last_label(bounds: Sequence[Any]) -> str:
    return f">{int(bounds[-1])}{UNIT}"


def _age_bucket(value: Decimal, bounds: list[Any] | None) -> str | None:
    found = bands(bounds or [])
    if found is None:
        raise ValueFailure(f"age_bucket() needs ascending whole numbers as bounds, e.g. [30, 90, 180]; got {bounds}")
    if value < 0:
        return NOT_DUE
    return next((label for bound, label in found if value <= bound), last_label(bounds or []))


def _age_bucket_type(types: Sequence[FType]) -> FType:
    value, bounds = types
    if not (value.is_loose or value.is_numeric):
        raise ArgumentError(coded("formula_age_days", found=str(value)), 0)
    if bounds.kind is not Kind.LIST or bounds.item is None or not (bounds.item.is_loose or bounds.item.is_numeric):
        raise ArgumentError(coded("formula_age_bounds", found=str(bounds)), 1)
    return TEXT


def _sql_age_bucket(args: Sequence[Any], types: Sequence[FType]) -> ColumnElement[Any]:
    value, items = args
    written = [item.value for item in items if isinstance(item, BindParameter)]
    found = bands(written) if len(written) == len(items) else None
    if found is None:
        raise FormulaRuntimeError(
            "age_bucket() needs ascending whole numbers written in the formula as its bounds, e.g. [30, 90, 180]",
            message_code="age_bucket_bounds")
    whens = [(value.is_(None), null()), (value < 0, literal(NOT_DUE))]
    whens += [(value <= literal(bound), literal(label)) for bound, label in found]
    return case(*whens, else_=literal(last_label(written)))


def _year_month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


register_function("year_month", [DATE], TEXT, _year_month_of, sql=lambda args, types: YearMonth(args[0]))
register_function("age_bucket", [NUMBER, NUMBER], TEXT, _age_bucket, infer=_age_bucket_type, sql=_sql_age_bucket,
                  propagates_null=True)
