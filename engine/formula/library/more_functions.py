"""Text prefixes, distinct counts, list overlap, resident-ID check digits, periods and hours.

Each has a Python implementation and, where a filter or report may use it on record values, a SQL
one that agrees with it on SQLite and PostgreSQL; `count_distinct` of a list is Python-only (in a
report measure, `count_distinct(field)` counts distinct values over records in SQL instead).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, false, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from engine.core.codes.formula_codes import reason as coded
from engine.formula.functions import ArgumentError, register_function
from engine.formula.library import builtin_signatures as rules
from engine.formula.sql.compiled import RecordList
from engine.formula.sql.constructs import DaysBetweenDatetimes, PeriodText
from engine.formula.types import ANY, BOOL, NUMBER, TEXT, FType, Kind
from engine.formula.values import ValueFailure, aware, comparable

Col = ColumnElement[Any]

# GB 11643-1999: the weights of the first 17 digits and the check character for each sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_DIGITS = [str(d) for d in range(10)]
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]\Z")
_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})\Z")


# --- Python implementations -------------------------------------------------------------------


def _starts_with(text: str | None, prefix: str | None) -> bool:
    return text is not None and prefix is not None and text.startswith(prefix)


def _ends_with(text: str | None, suffix: str | None) -> bool:
    return text is not None and suffix is not None and text.endswith(suffix)


def _count_distinct(items: list[Any] | None) -> Decimal:
    try:
        return Decimal(len({comparable(item) for item in items or () if item is not None}))
    except TypeError:
        raise ValueFailure("count_distinct() counts single values, not rows or lists") from None


def _overlaps(first: list[Any] | None, second: list[Any] | None) -> bool:
    if not first or not second:
        return False
    try:
        left = {comparable(item) for item in first if item is not None}
        return any(comparable(item) in left for item in second if item is not None)
    except TypeError:
        raise ValueFailure("overlaps() compares single values, not rows or lists") from None


def id_check_ok(text: str) -> bool:
    """Whether `text` is 17 digits and the GB 11643-1999 check character (0-9 or X) of them."""
    if not _ID_SHAPE.match(text):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text, ID_WEIGHTS, strict=False))
    return text[17] == ID_CHECK_CHARS[total % 11]


def _period_add(period: str, months: Decimal) -> str:
    match = _PERIOD.match(period)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueFailure(f"period_add() needs a period 'YYYY-MM', not {period!r}")
    if months != months.to_integral_value():
        raise ValueFailure(f"period_add() moves by whole months, not {months}")
    index = int(match.group(1)) * 12 + int(match.group(2)) - 1 + int(months)
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueFailure(f"period_add({period!r}, {months}) leaves the years 0001-9999")
    return f"{year:04d}-{month + 1:02d}"


def _hours_between(start: datetime, end: datetime) -> Decimal:
    delta = aware(end) - aware(start)
    return Decimal(delta // timedelta(microseconds=1)) / Decimal(3_600_000_000)


# --- typing rules -----------------------------------------------------------------------------


def _scalar_list(name: str, arg: FType, index: int) -> None:
    if arg.is_loose:
        return
    if arg.kind is not Kind.LIST or arg.item is None or arg.item.kind in (Kind.ROW, Kind.LIST):
        raise ArgumentError(coded("formula_scalar_list", name=name, found=str(arg)), index)


def _count_distinct_type(types: Sequence[FType]) -> FType:
    _scalar_list("count_distinct", types[0], 0)
    return NUMBER


def _overlaps_type(types: Sequence[FType]) -> FType:
    for index, arg in enumerate(types):
        _scalar_list("overlaps", arg, index)
    first, second = types
    if first.item is not None and second.item is not None and not (
        first.item.accepts(second.item) or second.item.accepts(first.item)
    ):
        raise ArgumentError(coded("formula_overlaps_types", left=str(first), right=str(second)), 1)
    return BOOL


# --- SQL implementations ----------------------------------------------------------------------


def _sql_starts_with(args: Sequence[Col], types: Sequence[FType]) -> Col:
    text, prefix = args
    return func.coalesce(func.substr(text, 1, func.length(prefix)) == prefix, false())


def _sql_ends_with(args: Sequence[Col], types: Sequence[FType]) -> Col:
    # SQLite's substr counts a start below 1 from the right, hence the length test first.
    text, suffix = args
    found = and_(func.length(text) >= func.length(suffix),
                 func.substr(text, func.length(text) - func.length(suffix) + 1) == suffix)
    return func.coalesce(found, false())


def _sql_overlaps(args: Sequence[Any], types: Sequence[FType]) -> Col:
    first, second = args
    if isinstance(first, RecordList) and isinstance(second, RecordList):
        raise ArgumentError("overlaps() of two list fields read from the record")
    if isinstance(second, RecordList):
        first, second = second, first
    if isinstance(first, RecordList):
        tests = [first.contains(item) for item in second]
    else:
        tests = [a == b for a in first for b in second]
    return func.coalesce(or_(*tests), false()) if tests else false()


def _is_digit(char: Col) -> Col:
    return char.in_(_DIGITS)


def _sql_id_check_ok(args: Sequence[Col], types: Sequence[FType]) -> Col:
    (text,) = args
    chars = [func.substr(text, position, 1) for position in range(1, 19)]
    shape = and_(func.length(text) == 18, *(_is_digit(char) for char in chars[:17]),
                 or_(_is_digit(chars[17]), chars[17] == "X"))
    total = sum((cast(char, Integer) * weight for char, weight in zip(chars, ID_WEIGHTS, strict=False)),
                literal(0))
    expected = case({rest: literal(check, String) for rest, check in enumerate(ID_CHECK_CHARS)},
                    value=func.mod(total, 11))
    # CASE, so that the digits are only cast (PostgreSQL refuses 'X' as an integer) once they are digits.
    return case((shape, func.coalesce(expected == chars[17], false())), else_=false())


def _sql_period_add(args: Sequence[Col], types: Sequence[FType]) -> Col:
    period, months = args
    chars = [func.substr(period, position, 1) for position in (1, 2, 3, 4, 6, 7)]
    month = cast(func.substr(period, 6, 2), Integer)
    shape = and_(func.length(period) == 7, func.substr(period, 5, 1) == "-", *(_is_digit(c) for c in chars))
    index = cast(func.substr(period, 1, 4), Integer) * 12 + month - 1 + cast(months, Integer)
    moved = PeriodText(index)
    return case((and_(shape, month >= 1, month <= 12), moved), else_=None)


def _sql_hours_between(args: Sequence[Col], types: Sequence[FType]) -> Col:
    return DaysBetweenDatetimes(args[0], args[1]) * 24


def _register() -> None:
    register = register_function
    register("starts_with", [TEXT, TEXT], BOOL, _starts_with, sql=_sql_starts_with, propagates_null=False)
    register("ends_with", [TEXT, TEXT], BOOL, _ends_with, sql=_sql_ends_with, propagates_null=False)
    register("count_distinct", [ANY], NUMBER, _count_distinct, infer=_count_distinct_type,
             propagates_null=False)  # fmt: skip
    register("overlaps", [ANY, ANY], BOOL, _overlaps, infer=_overlaps_type, sql=_sql_overlaps,
             propagates_null=False, sql_takes_lists=True)  # fmt: skip
    register("id_check_ok", [TEXT], BOOL, id_check_ok, sql=_sql_id_check_ok)
    register("period_add", [TEXT, NUMBER], TEXT, _period_add, sql=_sql_period_add)
    register("hours_between", [ANY, ANY], NUMBER, _hours_between, sql=_sql_hours_between,
             infer=rules.of_kinds("hours_between", (Kind.DATETIME,), NUMBER))  # fmt: skip


_register()
