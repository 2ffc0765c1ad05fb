"""The list page's filter builder: (field, operator, value) conditions become one formula `q`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.declarations.model import NUMERIC_TYPES, SYSTEM_FIELDS, EntitySpec
from web.ui.display import SYSTEM_TYPES, display_zone, label_of
from web.ui.i18n import translate
from web.ui.services import quoted

ORDERED = ("eq", "ne", "gt", "ge", "lt", "le", "empty", "not_empty")
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("contains", "eq", "ne", "empty", "not_empty"),
    "number": ORDERED,
    "date": ORDERED,
    "datetime": ("gt", "ge", "lt", "le", "empty", "not_empty"),
    "choice": ("eq", "ne", "empty", "not_empty"),
    "multi": ("contains", "empty", "not_empty"),
    "boolean": ("true", "false"),
    "ref": ("contains", "eq", "empty", "not_empty"),
}
SYMBOLS = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
FILTERABLE_SYSTEM = ("status", "created_by", "created_at", "updated_by", "updated_at")


class BadCondition(ValueError):
    """A condition's value does not fit its field; the message is for the user."""


@dataclass(frozen=True)
class FilterField:
    name: str
    label: str
    family: str                                  # a key of OPERATORS
    options: list[tuple[str, str]] = field(default_factory=list)   # value choices (enum, status, user)


@dataclass(frozen=True)
class Condition:
    name: str
    operator: str
    value: str


def family_of(kind: str, is_multiple: bool = False) -> str:
    if kind in NUMERIC_TYPES:
        return "number"
    if kind in ("date", "datetime", "boolean", "ref"):
        return kind
    if kind == "multi_enum" or is_multiple:
        return "multi"
    if kind in ("enum", "user", "status"):
        return "choice"
    return "text"


def filter_fields(entity: EntitySpec, hidden: frozenset[str], language: str, users: list[tuple[str, str]],
                  statuses: list[tuple[str, str]]) -> list[FilterField]:
    """Fields a user may filter on: the list view's declared filters first, then its columns, then the other
    fields, then system columns."""
    names = list(dict.fromkeys(c for c in (*entity.list_filters, *entity.list_columns)
                               if c in entity.fields or c in SYSTEM_FIELDS))
    names += [n for n in entity.fields if n not in names]
    names += [n for n in FILTERABLE_SYSTEM if n not in names]
    result = []
    for name in names:
        spec = entity.fields.get(name)
        if spec is not None and (spec.hidden or name in hidden or spec.type in ("table", "attachment")):
            continue
        kind = spec.type if spec is not None else SYSTEM_TYPES.get(name, "text")
        family = family_of(kind, bool(spec and spec.multiple))
        options: list[tuple[str, str]] = []
        if spec is not None and spec.options:
            options = [(key, label.get(language)) for key, label in spec.options.items()]
        elif kind == "user":
            options = users
        elif kind == "status":
            options = statuses
        result.append(FilterField(name, label_of(entity, name, language), family, options))
    return result


def conditions_from(args: Any) -> list[Condition]:
    """The builder's rows from the query string (`f`, `op`, `v` repeated), incomplete ones dropped."""
    names, operators, values = args.getlist("f"), args.getlist("op"), args.getlist("v")
    rows = []
    for index, name in enumerate(names):
        operator = operators[index] if index < len(operators) else ""
        value = values[index] if index < len(values) else ""
        if name and operator and (value.strip() or operator in ("empty", "not_empty", "true", "false")):
            rows.append(Condition(name, operator, value.strip()))
    return rows


def formula_of(condition: Condition, fields: dict[str, FilterField], entity: EntitySpec, language: str,
               ref_titles: dict[str, str | None]) -> str:
    """One condition as a formula; raises BadCondition when the value does not fit the field.

    `ref_titles` names, per ref field, the (text) title field of the entity it points at: a ref
    condition matches the referenced record's title, as people see it in the list.
    """
    target = fields.get(condition.name)
    if target is None or condition.operator not in OPERATORS[target.family]:
        raise BadCondition(translate("list.bad_value", language, label=condition.name, value=condition.operator))
    name, operator, value = condition.name, condition.operator, condition.value
    if operator == "empty":
        return f"{name} == null" if target.family != "multi" else f"({name} == null or len({name}) == 0)"
    if operator == "not_empty":
        return f"{name} != null" if target.family != "multi" else f"len({name}) > 0"
    if operator in ("true", "false"):
        return f"{name} == true" if operator == "true" else f"coalesce({name}, false) == false"
    if target.family == "text" and operator == "contains":
        return f"contains(lower({name}), {quoted(value.lower())})"
    if target.family == "ref":
        title = ref_titles.get(name)
        if (operator == "eq" and _looks_like_id(value)) or not title:
            return f"{name} == {quoted(value)}"
        if operator == "eq":
            return f"{name}.{title} == {quoted(value)}"
        return f"contains(lower({name}.{title}), {quoted(value.lower())})"
    if target.family == "multi":
        return f"contains({name}, {quoted(_choice(target, value, language))})"
    literal = _literal(target, value, language)
    return f"{name} {SYMBOLS[operator]} {literal}"


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def _choice(target: FilterField, value: str, language: str) -> str:
    """An option key from its key or its label (people type what they see)."""
    for key, label in target.options:
        if value in (key, label) or value.lower() == label.lower():
            return key
    if target.options and target.family == "multi":
        raise BadCondition(translate("list.bad_value", language, label=target.label, value=value))
    return value


def _literal(target: FilterField, value: str, language: str) -> str:
    try:
        if target.family == "number":
            number = Decimal(value.replace(",", "").replace("，", "").rstrip("%"))
            if not number.is_finite():
                raise InvalidOperation
            return format(number, "f")
        if target.family == "date":
            return f"date({quoted(date.fromisoformat(value).isoformat())})"
        if target.family == "datetime":
            moment = datetime.fromisoformat(value if "T" in value else f"{value}T00:00")
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=display_zone())
            return f"datetime({quoted(moment.isoformat())})"
    except (InvalidOperation, ValueError):
        raise BadCondition(translate("list.bad_value", language, label=target.label, value=value)) from None
    if target.family == "choice":
        return quoted(_choice(target, value, language))
    return quoted(value)


def combined(parts: list[str]) -> str | None:
    parts = [p for p in parts if p and p.strip()]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
