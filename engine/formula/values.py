"""Runtime value semantics shared by the evaluator and the built-in functions.

Numbers are `Decimal` computed in one explicit context (28 digits, ROUND_HALF_UP) so results
never depend on the thread's decimal context and never pass through float.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from engine.formula.types import FType, Kind

DECIMAL = Context(prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])
ZERO = Decimal(0)
ONE = Decimal(1)
_MICROSECONDS_PER_DAY = Decimal(86_400_000_000)


class ValueFailure(Exception):
    """Raised inside evaluation; `Formula.evaluate` re-raises it naming the formula."""


def aware(value: datetime) -> datetime:
    """Return `value` with a timezone, reading a naive datetime as UTC (what storage writes)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def to_number(value: Any) -> Decimal | None:
    if value is None or type(value) is Decimal:
        return value
    if isinstance(value, bool | float):
        raise ValueFailure(f"expected a Decimal number, got {value!r} ({type(value).__name__})")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise ValueFailure(f"expected a number, got {value!r}")


def to_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueFailure(f"expected text, got {value!r}")


def to_ref(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueFailure(f"expected a record id, got {value!r}")


def to_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueFailure(f"expected true or false, got {value!r}")


def to_date(value: Any) -> date | None:
    if value is None or type(value) is date:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueFailure(f"expected a date, got {value!r}")


def to_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, str):
        try:
            return aware(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise ValueFailure(f"expected a datetime, got {value!r}")


def to_list(value: Any) -> list[Any] | None:
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    raise ValueFailure(f"expected a list, got {value!r}")


def to_row(value: Any) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise ValueFailure(f"expected a table row, got {value!r}")


def _as_is(value: Any) -> Any:
    return value


_COERCIONS: dict[Kind, Callable[[Any], Any]] = {
    Kind.NUMBER: to_number,
    Kind.MONEY: to_number,
    Kind.TEXT: to_text,
    Kind.BOOL: to_bool,
    Kind.DATE: to_date,
    Kind.DATETIME: to_datetime,
    Kind.REF: to_ref,
    Kind.LIST: to_list,
    Kind.ROW: to_row,
}


# Values of these exact types are what the coercions give back unchanged.
EXACT: dict[Kind, type] = {
    Kind.NUMBER: Decimal,
    Kind.MONEY: Decimal,
    Kind.TEXT: str,
    Kind.BOOL: bool,
    Kind.DATE: date,
    Kind.REF: str,
    Kind.ROW: dict,
}


def coercion(ftype: FType) -> Callable[[Any], Any]:
    """Return the function that checks (and widens int to Decimal) a value read from outside."""
    if ftype.kind is Kind.LIST and ftype.item is not None and ftype.item.kind in _COERCIONS:
        item, exact = _COERCIONS[ftype.item.kind], EXACT.get(ftype.item.kind)

        def coerce_list(value: Any) -> list[Any] | None:
            items = value if type(value) is list else to_list(value)
            return None if items is None else [v if v is None or type(v) is exact else item(v) for v in items]

        return coerce_list
    return _COERCIONS.get(ftype.kind, _as_is)


# --- arithmetic -----------------------------------------------------------------------------


def add(a: Decimal, b: Decimal) -> Decimal:
    return DECIMAL.add(a, b)


def sub(a: Decimal, b: Decimal) -> Decimal:
    return DECIMAL.subtract(a, b)


def mul(a: Decimal, b: Decimal) -> Decimal:
    return DECIMAL.multiply(a, b)


def div(a: Decimal, b: Decimal) -> Decimal:
    if not b:
        raise ValueFailure("division by zero")
    return DECIMAL.divide(a, b)


def mod(a: Decimal, b: Decimal) -> Decimal:
    """Return the remainder with the sign of `a` (truncating, as SQL's mod() does)."""
    if not b:
        raise ValueFailure("division by zero")
    return DECIMAL.remainder(a, b)


def concat(a: str, b: str) -> str:
    return a + b


def whole_days(n: Decimal) -> int:
    """Round a day count half up to whole days (date arithmetic has no fractions)."""
    return int(n.to_integral_value(rounding=ROUND_HALF_UP))


def date_add(d: date, n: Decimal) -> date:
    try:
        return d + timedelta(days=whole_days(n))
    except OverflowError:
        raise ValueFailure(f"date out of range: {d.isoformat()} + {n} days") from None


def date_sub(d: date, n: Decimal) -> date:
    return date_add(d, -n)


def date_diff(a: date, b: date) -> Decimal:
    return Decimal((a - b).days)


def datetime_add(d: datetime, n: Decimal) -> datetime:
    micro = int(DECIMAL.multiply(n, _MICROSECONDS_PER_DAY).to_integral_value(rounding=ROUND_HALF_UP))
    try:
        return aware(d) + timedelta(microseconds=micro)
    except OverflowError:
        raise ValueFailure(f"datetime out of range: {d.isoformat()} + {n} days") from None


def datetime_sub(d: datetime, n: Decimal) -> datetime:
    return datetime_add(d, -n)


def datetime_diff(a: datetime, b: datetime) -> Decimal:
    """Return `a - b` in days, with the fraction of a day (to the microsecond)."""
    delta = aware(a) - aware(b)
    return DECIMAL.divide(Decimal(delta // timedelta(microseconds=1)), _MICROSECONDS_PER_DAY)


def kind_of(value: Any) -> str:
    """Name the formula kind of a runtime value, for `any`-typed operations and messages."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Decimal | int):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


_DYNAMIC: dict[tuple[str, str, str], Callable[[Any, Any], Any]] = {
    ("+", "number", "number"): add,
    ("-", "number", "number"): sub,
    ("*", "number", "number"): mul,
    ("/", "number", "number"): div,
    ("%", "number", "number"): mod,
    ("+", "text", "text"): concat,
    ("+", "date", "number"): date_add,
    ("+", "number", "date"): lambda n, d: date_add(d, n),
    ("-", "date", "number"): date_sub,
    ("-", "date", "date"): date_diff,
    ("+", "datetime", "number"): datetime_add,
    ("+", "number", "datetime"): lambda n, d: datetime_add(d, n),
    ("-", "datetime", "number"): datetime_sub,
    ("-", "datetime", "datetime"): datetime_diff,
}


def dynamic(op: str, a: Any, b: Any) -> Any:
    """Apply `op` to values whose static type was `any`, choosing the operation at runtime."""
    left, right = kind_of(a), kind_of(b)
    operation = _DYNAMIC.get((op, left, right))
    if operation is None:
        raise ValueFailure(f"cannot apply {op!r} to {left} and {right}")
    if left == "number":
        a = Decimal(a)
    if right == "number":
        b = Decimal(b)
    return operation(a, b)


# --- comparison -----------------------------------------------------------------------------


def comparable(value: Any) -> Any:
    """Normalise a value of unknown type so that equal things compare equal."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def order_check(a: Any, b: Any) -> None:
    """Refuse to order values of different kinds (Python would raise TypeError)."""
    left, right = kind_of(a), kind_of(b)
    if left != right or left in ("bool", "list"):
        raise ValueFailure(f"cannot compare {left} with {right}")
