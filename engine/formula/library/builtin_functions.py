"""The built-in functions, registered through the same `register_function` plugins use."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Integer, case, cast, extract, false, func, literal
from sqlalchemy.sql.elements import ColumnElement

from engine.formula.context import Context
from engine.formula.functions import register_function
from engine.formula.library import builtin_signatures as rules
from engine.formula.sql.compiled import RecordList
from engine.formula.sql.constructs import DaysBetweenDates, DaysBetweenDatetimes, TextContains
from engine.formula.types import ANY, BOOL, DATE, DATETIME, NUMBER, TEXT, FType, Kind
from engine.formula.values import (
    DECIMAL,
    ZERO,
    ValueFailure,
    aware,
    comparable,
    date_diff,
    datetime_diff,
    to_date,
    to_datetime,
)

Col = ColumnElement[Any]


# --- Python implementations -------------------------------------------------------------------


def _present(items: Iterable[Any] | None) -> list[Any]:
    return [item for item in items or () if item is not None]


def _sum(items: list[Any] | None) -> Decimal:
    total = ZERO
    for item in items or ():
        if item is not None:
            total = DECIMAL.add(total, item)
    return total


def _avg(items: list[Any] | None) -> Decimal | None:
    present = _present(items)
    return DECIMAL.divide(_sum(present), Decimal(len(present))) if present else None


def _count(items: list[Any] | None) -> Decimal:
    if type(items) is list:  # what the evaluator passes: count the nulls, build no list
        return Decimal(len(items) - items.count(None))
    return Decimal(len(_present(items)))


def _extreme_impl(pick: Callable[[list[Any]], Any]) -> Callable[..., Any]:
    def extreme(*args: Any) -> Any:
        present = _present(args[0] if len(args) == 1 else args)
        if not present:
            return None
        try:
            return pick([comparable(v) for v in present])
        except TypeError:
            raise ValueFailure(f"cannot compare {present!r}") from None

    return extreme


_STEPS = {Decimal(places): Decimal(1).scaleb(-places) for places in range(13)}  # round(x, 2): 0.01


def _round(value: Decimal, places: Decimal = ZERO) -> Decimal:
    step = _STEPS.get(places)
    try:
        if step is not None:
            return DECIMAL.quantize(value, step)  # the decimal context rounds half up
        if places != places.to_integral_value():
            raise ValueFailure(f"round() needs a whole number of places, got {places}")
        digits = int(places)
        if digits >= 0:
            return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=DECIMAL)
        rounded = value.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=DECIMAL)
        return rounded.scaleb(-digits).quantize(Decimal(1), context=DECIMAL)
    except InvalidOperation:
        raise ValueFailure(f"round({value}, {int(places)}) needs more than 28 digits") from None


def _part(part: str) -> Callable[[date], Decimal]:
    """year(), month() or day() of a date, or of a datetime in UTC."""
    read = operator.attrgetter(part)

    def part_of(value: date) -> Decimal:
        if type(value) is not date and isinstance(value, datetime):
            value = aware(value).astimezone(UTC)
        return Decimal(read(value))

    part_of.__name__ = part
    return part_of


def _days_between(start: date, end: date) -> Decimal:
    if type(start) is date and type(end) is date:
        return Decimal((end - start).days)
    if isinstance(start, datetime) and isinstance(end, datetime):
        return datetime_diff(end, start)
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise ValueFailure("days_between() needs two dates or two datetimes")
    return date_diff(end, start)


def _contains(container: Any, item: Any) -> bool:
    if container is None or item is None:
        return False
    if isinstance(container, str):
        if not isinstance(item, str):
            raise ValueFailure(f"contains() cannot look for {item!r} in text")
        return item in container
    return comparable(item) in [comparable(v) for v in container if v is not None]


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return to_date(value)


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return to_datetime(value)


def _text(value: Any) -> str:
    if type(value) is Decimal:
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _len(value: Any) -> Decimal:
    return Decimal(len(value))


# --- the same, written in place of the call (functions.Inline) -----------------------------------


Bind = Callable[[Any], str]


def _inline_count(args: Sequence[str], types: Sequence[FType], bind: Bind) -> str:
    (items,) = args
    return f"({bind(Decimal)}({bind(len)}({items}) - {items}.count(None)) if type({items}) is list " \
           f"else {bind(_count)}({items}))"


def _inline_coalesce(args: Sequence[str], types: Sequence[FType], bind: Bind) -> str:
    written = "None"
    for arg in reversed(args):
        written = f"({arg} if {arg} is not None else {written})"
    return written


def _inline_part(part: str) -> Callable[[Sequence[str], Sequence[FType], Bind], str | None]:
    def inline(args: Sequence[str], types: Sequence[FType], bind: Bind) -> str | None:
        return f"{bind(Decimal)}({args[0]}.{part})" if types[0].kind is Kind.DATE else None

    return inline


def _inline_days_between(args: Sequence[str], types: Sequence[FType], bind: Bind) -> str | None:
    start, end = args
    if types[0].kind is Kind.DATE and types[1].kind is Kind.DATE:
        return f"{bind(Decimal)}(({end} - {start}).days)"
    return None


def _inline_text(args: Sequence[str], types: Sequence[FType], bind: Bind) -> str | None:
    return f"{bind(format)}({args[0]}, 'f')" if types[0].is_numeric else None


# --- SQL implementations ----------------------------------------------------------------------


def _sql_round(args: Sequence[Col], types: Sequence[FType]) -> Col:
    # SQL ROUND is half away from zero on PostgreSQL numeric, like ROUND_HALF_UP; SQLite rounds
    # its binary floats on their shortest decimal form, which agrees for ordinary amounts.
    return func.round(args[0], cast(args[1], Integer)) if len(args) == 2 else func.round(args[0])


def _sql_coalesce(args: Sequence[Col], types: Sequence[FType]) -> Col:
    return args[0] if len(args) == 1 else func.coalesce(*args)


def _sql_extreme(keep_left: Callable[[Col, Col], Col]) -> Callable[[Sequence[Col], Sequence[FType]], Col]:
    # SQLite's scalar max() is null when any argument is; PostgreSQL's greatest() skips nulls.
    # CASE skips nulls on both, as the Python side does.
    def compile_extreme(args: Sequence[Col], types: Sequence[FType]) -> Col:
        result = args[0]
        for arg in args[1:]:
            result = case(
                (result.is_(None), arg), (arg.is_(None), result), (keep_left(result, arg), result), else_=arg
            )
        return result

    return compile_extreme


def _sql_part(part: str) -> Callable[[Sequence[Col], Sequence[FType]], Col]:
    return lambda args, types: extract(part, args[0])


def _sql_days_between(args: Sequence[Col], types: Sequence[FType]) -> Col:
    if Kind.DATETIME in (types[0].kind, types[1].kind):
        return DaysBetweenDatetimes(args[0], args[1])
    return DaysBetweenDates(args[0], args[1])


def _sql_contains(args: Sequence[Any], types: Sequence[FType]) -> Col:
    container, item = args
    if isinstance(container, RecordList):
        found: Col = container.contains(item)
    elif isinstance(container, list):
        found = item.in_(container)
    else:
        found = TextContains(container, item)
    # Python answers false (never null) when either side is null.
    return func.coalesce(found, false())


def _sql_len(args: Sequence[Any], types: Sequence[FType]) -> Col:
    (value,) = args
    if isinstance(value, RecordList):
        return value.length()
    if isinstance(value, list):  # a list literal with items read from the row, nulls included
        return literal(len(value))
    return func.length(value)


def _sql_count(args: Sequence[Any], types: Sequence[FType]) -> Col:
    (items,) = args
    if isinstance(items, RecordList):
        return items.count()
    present = [case((item.is_(None), 0), else_=1) for item in items]
    return sum(present[1:], present[0]) if present else literal(0)


def _first_present(*args: Any) -> Any:
    return next((arg for arg in args if arg is not None), None)


def _register_builtins() -> None:
    day_kinds, text_or_days = (Kind.DATE, Kind.DATETIME), (Kind.TEXT, Kind.DATE, Kind.DATETIME)
    register = register_function
    # Over lists; they see nulls themselves (to skip them).
    register("sum", [ANY], NUMBER, _sum, infer=rules.numeric_list("sum"), propagates_null=False)
    register("avg", [ANY], NUMBER, _avg, infer=rules.numeric_list("avg"), propagates_null=False)
    register("count", [ANY], NUMBER, _count, infer=rules.count_type, sql=_sql_count, propagates_null=False,
             sql_takes_lists=True, inline=_inline_count)  # fmt: skip
    for name, pick, keep_left in (("min", min, operator.le), ("max", max, operator.ge)):
        register(name, [ANY], ANY, _extreme_impl(pick), variadic=True, infer=rules.extreme(name),
                 sql=_sql_extreme(keep_left), propagates_null=False)  # fmt: skip
    # Numbers.
    register("round", [NUMBER, NUMBER], NUMBER, _round, min_args=1, infer=rules.numeric_same("round"),
             sql=_sql_round)  # fmt: skip
    register("abs", [NUMBER], NUMBER, Decimal.copy_abs, infer=rules.numeric_same("abs"),
             sql=lambda args, types: func.abs(args[0]))  # fmt: skip
    register("coalesce", [ANY], ANY, _first_present, variadic=True, infer=rules.coalesce_type,
             sql=_sql_coalesce, propagates_null=False, inline=_inline_coalesce)  # fmt: skip
    # Dates.
    register("today", [], DATE, Context.today, takes_context=True)
    register("now", [], DATETIME, Context.clock, takes_context=True)
    for part in ("year", "month", "day"):
        register(part, [ANY], NUMBER, _part(part), infer=rules.of_kinds(part, day_kinds, NUMBER),
                 sql=_sql_part(part), inline=_inline_part(part))  # fmt: skip
    register("days_between", [ANY, ANY], NUMBER, _days_between, infer=rules.days_between_type,
             sql=_sql_days_between, inline=_inline_days_between)  # fmt: skip
    register("date", [ANY], DATE, _date, infer=rules.of_kinds("date", text_or_days, DATE))
    register("datetime", [ANY], DATETIME, _datetime, infer=rules.of_kinds("datetime", text_or_days, DATETIME))
    # Texts.
    register("len", [ANY], NUMBER, _len, infer=rules.of_kinds("len", (Kind.TEXT, Kind.LIST), NUMBER),
             sql=_sql_len, sql_takes_lists=True)  # fmt: skip
    register("contains", [ANY, ANY], BOOL, _contains, infer=rules.contains_type, sql=_sql_contains,
             propagates_null=False, sql_takes_lists=True)  # fmt: skip
    register("text", [ANY], TEXT, _text, infer=rules.text_type, inline=_inline_text)
    register("upper", [TEXT], TEXT, str.upper, sql=lambda args, types: func.upper(args[0]))
    register("lower", [TEXT], TEXT, str.lower, sql=lambda args, types: func.lower(args[0]))


_register_builtins()
