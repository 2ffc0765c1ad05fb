"""Field values: coercion from user input, and the exact JSON form they are stored in."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from engine.core import field_types
from engine.declarations.model import NUMERIC_TYPES, FieldSpec

MAX_DIGITS = 28  # the precision numbers are computed in (engine/formula/values.py): more would be rounded away


class InvalidValue(ValueError):
    """The message says, in words for end users, what is wrong with the value; `code` and `params` name it."""

    def __init__(self, message: str, *, code: str = "invalid_value", params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})


_TRUE = {"true", "1", "yes", "y", "on", "是"}
_FALSE = {"false", "0", "no", "n", "off", "否", ""}


def coerce(spec: FieldSpec, raw: Any) -> Any:
    """Turn an input value (JSON, form text, Excel cell) into the field's Python value, or raise."""
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and spec.type not in ("text",)):
        return None
    kind = spec.type
    if kind in NUMERIC_TYPES:
        return _decimal(spec, raw)
    if kind == "boolean":
        return _boolean(raw)
    if kind == "date":
        return _date(raw)
    if kind == "datetime":
        return _datetime(raw)
    if kind == "multi_enum":
        return _multi_enum(spec, raw)
    if spec.multiple:
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise InvalidValue("must be a list of texts", code="not_a_list_of_texts")
        return list(dict.fromkeys(_text(item.strip()) for item in items if item.strip()))
    if kind == "table":
        if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
            raise InvalidValue("must be a list of rows (objects)", code="not_a_list_of_rows")
        return raw  # rows are coerced field by field by the record validator
    if kind in ("text", "enum", "ref", "user", "attachment"):
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            raise InvalidValue(f"must be text, not {_kind_of(raw)}", code="not_text", params={"kind": _kind_of(raw)})
        text = _text(str(raw))
        if kind == "enum" and text not in spec.options:
            raise InvalidValue(_not_an_option(spec, text), code="not_a_choice",
                               params={"value": text, "options": ", ".join(spec.options)})
        return text
    return _plugin_value(spec, raw)


def _text(text: str) -> str:
    """Text as every database stores it: PostgreSQL refuses NUL characters in text and JSON."""
    if "\x00" in text:
        raise InvalidValue("must not contain NUL characters", code="nul_character")
    return text


def _plugin_value(spec: FieldSpec, raw: Any) -> Any:
    """A value of a plugin field type, through the plugin's own coercion."""
    found = field_types.get(spec.type)
    if found is None or found.coerce is None:
        return raw
    try:
        return found.coerce(raw)
    except (ValueError, TypeError) as error:
        raise InvalidValue(str(error) or f"is not a valid {spec.type}", code="invalid_plugin_value",
                           params={"type": spec.type, "message": str(error) or f"is not a valid {spec.type}"}) from None


def _decimal(spec: FieldSpec, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise InvalidValue("must be a number, not true/false", code="not_a_number_boolean")
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, str):
        raw = raw.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        if spec.type == "percent" and raw.endswith("%"):
            raw = raw[:-1]
    try:
        value = Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidValue(f"must be a number, not {raw!r}", code="not_a_number", params={"value": raw}) from None
    if not value.is_finite():
        raise InvalidValue(f"must be a finite number, not {raw!r}", code="not_finite", params={"value": raw})
    places = spec.decimal_places
    _check_digits(value, places)
    if places is not None:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places and value != value.quantize(_step(places)):
            raise InvalidValue(
                "must be a whole number" if places == 0 else f"allows at most {places} decimal places",
                code="whole_number" if places == 0 else "decimal_places", params={"places": places},
            )
        value = value.quantize(_step(places))
    return value


def _check_digits(value: Decimal, places: int | None) -> None:
    """At most MAX_DIGITS digits in all, the field's decimal places included, so it computes exactly."""
    whole = _check_whole_digits(value, places)
    exponent = value.as_tuple().exponent
    if places is None and isinstance(exponent, int) and whole + max(-exponent, 0) > MAX_DIGITS:
        raise InvalidValue(f"has too many digits: at most {MAX_DIGITS} in all",
                           code="too_many_digits", params={"max_digits": MAX_DIGITS})


def _check_whole_digits(value: Decimal, places: int | None) -> int:
    """The digits before the decimal point, when they leave room for the field's places."""
    whole = max(value.adjusted() + 1, 1)
    room = MAX_DIGITS - (places or 0)
    if whole > room:
        raise InvalidValue(f"is too large: at most {room} digits before the decimal point",
                           code="too_large", params={"room": room})
    return whole


@cache
def _step(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def round_to(spec: FieldSpec, value: Decimal) -> Decimal:
    """Round a computed number the way finance expects: half up, to the field's places; InvalidValue when
    it has more digits than a field holds."""
    places = spec.decimal_places
    if places is None:
        return value
    _check_whole_digits(value, places)
    return value.quantize(_step(places), rounding=ROUND_HALF_UP)


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(f"must be true or false, not {raw!r}", code="not_boolean", params={"value": raw})


_DATE_SEPARATORS = re.compile(r"[/.年月]")


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _DATE_SEPARATORS.sub("-", str(raw).strip()).rstrip("日")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise InvalidValue(f"must be a date like 2024-05-31, not {raw!r}",
                           code="not_a_date", params={"value": raw}) from None


def _datetime(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidValue(f"must be a date and time like 2024-05-31T08:30:00, not {raw!r}",
                               code="not_a_datetime", params={"value": raw}) from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _multi_enum(spec: FieldSpec, raw: Any) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise InvalidValue("must be a list of options", code="not_a_list_of_options")
    chosen = [str(item).strip() for item in items if str(item).strip()]
    for item in chosen:
        if item not in spec.options:
            raise InvalidValue(_not_an_option(spec, item), code="not_a_choice",
                               params={"value": item, "options": ", ".join(spec.options)})
    return list(dict.fromkeys(chosen))


def _not_an_option(spec: FieldSpec, value: str) -> str:
    return f"{value!r} is not one of {', '.join(spec.options)}"


def _kind_of(raw: Any) -> str:
    return {list: "a list", dict: "an object", bool: "true/false"}.get(type(raw), type(raw).__name__)


def to_json(value: Any) -> Any:
    """Store exactly: Decimals as strings, dates ISO, nested rows recursively."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def to_document(spec: FieldSpec, value: Any) -> Any:
    """The JSON form of a field value: integers as numbers, other numbers as exact strings."""
    if value is None:
        return None
    if spec.type == "integer" and isinstance(value, Decimal):
        return int(value)
    if spec.type == "table":
        return [{name: to_document(child, row[name]) for name, child in spec.fields.items()
                 if row.get(name) is not None} for row in value]
    return to_json(value)


def from_json(spec: FieldSpec, stored: Any) -> Any:
    """Read a stored JSON value back into its Python type (trusted: it was validated on write)."""
    if stored is None:
        return None
    if spec.type in NUMERIC_TYPES or field_types.base_type(spec.type) == "decimal":
        return Decimal(str(stored))
    if spec.type == "date":
        return date.fromisoformat(stored)
    if spec.type == "datetime":
        return datetime.fromisoformat(stored)
    if spec.type == "table":
        return [{name: from_json(child, row.get(name)) for name, child in spec.fields.items()} for row in stored]
    return stored


def sql_number(value: Any) -> Decimal:
    """A number read back from SQL, exact: SQLite computes in binary floats (90.45 / 2 = 45.22499...)."""
    if isinstance(value, float):
        value = round(value, 9)
    return Decimal(str(value))


def from_sql(value: Any, spec: FieldSpec) -> Any:
    """A field value computed by SQL (a rollup), in the field's Python type and precision."""
    if value is None:
        return None
    if spec.type in NUMERIC_TYPES:
        return round_to(spec, sql_number(value))
    if spec.type == "date" and not isinstance(value, str):  # min()/max() of dates: the driver's date
        return value.date() if isinstance(value, datetime) else value
    if spec.type == "date":
        return date.fromisoformat(value[:10])
    return from_json(spec, value)
