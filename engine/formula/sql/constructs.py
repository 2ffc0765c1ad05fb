"""SQL expressions the two supported dialects spell differently (SQLite and PostgreSQL).

Each is a small SQLAlchemy `FunctionElement` compiled per dialect with `@compiles`, which is
how SQLAlchemy intends dialect differences to be bridged. The default spelling is
PostgreSQL's (standard SQL where one exists).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean, Date, Numeric, String


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


class DaysBetweenDates(FunctionElement[Any]):
    """Whole days from the first argument to the second (two dates)."""

    type = Numeric()
    name = "days_between_dates"
    inherit_cache = True


@compiles(DaysBetweenDates)
def _days_between_dates(element: DaysBetweenDates, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"({end} - {start})"


@compiles(DaysBetweenDates, "sqlite")
def _days_between_dates_sqlite(element: DaysBetweenDates, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(julianday({end}) - julianday({start}))"


class DaysBetweenDatetimes(FunctionElement[Any]):
    """Days, with the fraction of a day, from the first argument to the second (two datetimes)."""

    type = Numeric()
    name = "days_between_datetimes"
    inherit_cache = True


@compiles(DaysBetweenDatetimes)
def _days_between_datetimes(element: DaysBetweenDatetimes, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS NUMERIC) / 86400)"


@compiles(DaysBetweenDatetimes, "sqlite")
def _days_between_datetimes_sqlite(element: DaysBetweenDatetimes, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(julianday({end}) - julianday({start}))"


class DateAddDays(FunctionElement[Any]):
    """The date `n` days after `d` (arguments `d, n`), `n` rounded half away from zero to whole days."""

    type = Date()
    name = "date_add_days"
    inherit_cache = True


@compiles(DateAddDays)
def _date_add_days(element: DateAddDays, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = _args(element, compiler, **kw)
    return f"({day} + CAST(ROUND({days}) AS INTEGER))"


@compiles(DateAddDays, "sqlite")
def _date_add_days_sqlite(element: DateAddDays, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday() of a date is its midnight, so adding whole days keeps date() exact.
    day, days = _args(element, compiler, **kw)
    return f"date(julianday({day}) + ROUND({days}))"


class DecimalDiv(FunctionElement[Any]):
    """`a / b` without integer division, and null (not an error) when b = 0.

    A filter cannot raise for one row, so division by zero makes the comparison null (the row
    does not match) where the Python evaluator raises.
    """

    type = Numeric()
    name = "decimal_div"
    inherit_cache = True


@compiles(DecimalDiv)
def _decimal_div(element: DecimalDiv, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"(CAST({a} AS NUMERIC) / NULLIF({b}, 0))"


@compiles(DecimalDiv, "sqlite")
def _decimal_div_sqlite(element: DecimalDiv, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite divides two integers as integers (7 / 2 = 3) and has no exact decimals anyway.
    a, b = _args(element, compiler, **kw)
    return f"(CAST({a} AS REAL) / NULLIF({b}, 0))"


class TextContains(FunctionElement[Any]):
    """Whether the first text contains the second: case-sensitive, no LIKE wildcards."""

    type = Boolean()
    name = "text_contains"
    inherit_cache = True


@compiles(TextContains)
def _text_contains(element: TextContains, compiler: SQLCompiler, **kw: Any) -> str:
    text, part = _args(element, compiler, **kw)
    return f"(strpos({text}, {part}) > 0)"


@compiles(TextContains, "sqlite")
def _text_contains_sqlite(element: TextContains, compiler: SQLCompiler, **kw: Any) -> str:
    text, part = _args(element, compiler, **kw)
    return f"(instr({text}, {part}) > 0)"


class PeriodText(FunctionElement[Any]):
    """The period 'YYYY-MM' of a month index (year * 12 + month - 1, an integer)."""

    type = String()
    name = "period_text"
    inherit_cache = True


@compiles(PeriodText)
def _period_text(element: PeriodText, compiler: SQLCompiler, **kw: Any) -> str:
    (index,) = _args(element, compiler, **kw)
    return (f"(lpad(CAST(div({index}, 12) AS TEXT), 4, '0') || '-' || "
            f"lpad(CAST(mod({index}, 12) + 1 AS TEXT), 2, '0'))")


@compiles(PeriodText, "sqlite")
def _period_text_sqlite(element: PeriodText, compiler: SQLCompiler, **kw: Any) -> str:
    (index,) = _args(element, compiler, **kw)
    return f"printf('%04d-%02d', ({index}) / 12, mod({index}, 12) + 1)"


class YearMonth(FunctionElement[Any]):
    """The month of a date as `YYYY-MM` text."""

    type = String()
    name = "year_month"
    inherit_cache = True


@compiles(YearMonth)
def _year_month(element: YearMonth, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(element, compiler, **kw)
    return f"to_char({day}, 'YYYY-MM')"


@compiles(YearMonth, "sqlite")
def _year_month_sqlite(element: YearMonth, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(element, compiler, **kw)
    return f"strftime('%Y-%m', {day})"
