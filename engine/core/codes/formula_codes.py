"""Message codes of formula errors (a syntax or type error in a formula) and their English, written once.

A FormulaError says `formula_at` ("{reason} at {position}") with two parts: `reason`, the problem by a code of
FORMULA_MESSAGES with its params, and `position` ("column 7"). A declaration problem about a formula carries the
same `reason` part, so the designer and the list filter word it in the reader's language. Params that name a
formula type (`TYPE_PARAMS`: "number", "a number", "list of text") are said in the reader's words by the page;
`suggestion` (a close name, or '') becomes the `hint` " (did you mean 'x'?)". Part of MESSAGES in
engine.core.error_codes, hence of the message catalogs.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# params holding a formula type's English name, with or without its article ("a number", "an integer")
TYPE_PARAMS = frozenset({"type", "left", "right", "expected", "found", "side", "container", "item"})

FORMULA_MESSAGES: dict[str, str] = {
    "formula_at": "{reason} at {position}",
    "formula_column": "column {column}",
    "formula_line_column": "line {line}, column {column}",
    # syntax
    "formula_syntax_char": "syntax error: unexpected character {char!r}{expected}",
    "formula_syntax_token": "syntax error: unexpected {token!r}{expected}",
    "formula_syntax_chain": "syntax error: unexpected {token!r} (comparisons do not chain; write 'a < b and b < c')",
    "formula_syntax_end": "syntax error: unexpected end of formula{expected}",
    "formula_syntax": "syntax error{expected}",
    "formula_expected_value": " (expected a value)",
    "formula_expected": " (expected {words})",
    "formula_escape": "unknown escape sequence '\\{escape}' in string",
    # names
    "formula_unknown_field": "unknown field {field!r}{hint}",
    "formula_one_hop": "only one hop is allowed: '{head}.{attr}' cannot be followed by '.{next}'",
    "formula_one_hop_column": (
        "only one hop is allowed: '{head}.{attr}' cannot be followed by '.{next}' (after a hop, only a table's "
        "column may follow)"),
    "formula_unknown_hop_column": "unknown field {field!r} in the rows of table '{head}.{attr}'{hint}",
    "formula_unknown_ref_field": "unknown field {field!r} of {owner!r}{hint}",
    "formula_unknown_ref_field_entity": "unknown field {field!r} of {owner!r} ({entity}){hint}",
    "formula_unknown_column": "unknown field {field!r} in the rows of table {table!r}{hint}",
    "formula_no_fields": "{name!r} is {type}, not a reference or a table, so it has no field {field!r}",
    "formula_this_alone": "write this.<field> to read a field of the record doing the lookup",
    "formula_unknown_this_field": "unknown field {field!r} of this record{hint}",
    "formula_parent_alone": "write parent.<field> to read a field of the record that holds this row",
    "formula_unknown_parent_field": "unknown field {field!r} of the parent record{hint}",
    "formula_parent_table": "'parent.{field}' is a table; a row formula reads the parent's single values",
    "formula_params_alone": "write params.<name> to read a module parameter",
    "formula_unknown_param": "unknown parameter {name!r}{hint}",
    "formula_user_attr": "the user has only 'user.name' and 'user.roles'{hint}",
    # types
    "formula_list_types": "list items must have one type, found {left} and {right}",
    "formula_field_outside_aggregate": (
        "field {field!r} must be inside an aggregate in a report measure, e.g. sum({field})"),
    "formula_unknown_function": "unknown function {name!r}{hint}",
    "formula_count_records": "count() without arguments counts records; it is only allowed in report measures",
    "formula_if_arguments": "if() takes 3 arguments (condition, value if true, value if false), got {count}",
    "formula_if_condition": "if() condition must be bool, not {type}",
    "formula_if_branches": "if() branches must have one type, found {left} and {right}",
    "formula_nested_aggregates": "aggregates cannot be nested",
    "formula_aggregate_numbers": "{name}() needs numbers, not {type}",
    "formula_aggregate_ordered": "{name}() needs numbers, texts or dates, not {type}",
    "formula_not_bool": "'not' needs a bool, not {type}",
    "formula_unary_number": "unary {op!r} needs a number, not {type}",
    "formula_logic_bool": "{op!r} needs bool operands, not {type}",
    "formula_null_ordering": "a comparison with null using {op!r} is always false; use '== null' or '!= null'",
    "formula_expected_type": "expected a {expected} formula, found {found}",
    "formula_in_measure": "{reason} ({name}() of a field over records is only allowed in report measures)",
    # operators
    "formula_cannot_arith": "cannot {verb} {left} and {right}",
    "formula_money_by_money": "cannot multiply money by money (one side should be a quantity or a rate)",
    "formula_number_by_money": "cannot divide a number by money",
    "formula_remainder_by_money": "cannot take the remainder of a number by money",
    "formula_compare_list": "cannot compare a {side} with {op!r}; use 'in' or contains()",
    "formula_order_kind": "cannot order {side} values with {op!r}",
    "formula_cannot_compare": "cannot compare {left} with {right}",
    "formula_in_needs_list": "'in' needs a list on the right, not {container}",
    "formula_in_needs_list_text": "'in' needs a list on the right, not {container}; for text use contains(text, part)",
    "formula_cannot_look_for": "cannot look for {item} in a {container}",
    # function arguments
    "formula_arity": "{name}() takes {arity}, got {count}",
    "formula_arity_none": "no arguments",
    "formula_arity_exact": "{low} argument{plural}",
    "formula_arity_range": "{low} to {high} arguments",
    "formula_arity_at_least": "at least {low} argument{plural}",
    "formula_argument_type": "argument {number} of {name}() must be {expected}, not {found}",
    "formula_argument_calendar": "argument {number} of {name}() must be a ref to {entity} (or null), not {found}",
    "formula_list_of": "{name}() needs a list of {what}, e.g. {name}(lines.amount); got {found}",
    "formula_count_list": "count() needs a list, e.g. count(lines); got {found}",
    "formula_extreme_kinds": "{name}() compares numbers, texts or dates, not {found}",
    "formula_one_type": "{name}() arguments must have one type: {left} and {right}",
    "formula_two_dates": "days_between() needs two dates or two datetimes, not {left} and {right}",
    "formula_contains_look": "contains() cannot look for {item} in a {container}",
    "formula_text_single": "text() converts a single value, not a {found}",
    "formula_scalar_list": "{name}() needs a list of values, e.g. {name}(workers.worker); got {found}",
    "formula_overlaps_types": "overlaps() cannot compare a {left} with a {right}",
    "formula_age_days": "argument 1 of age_bucket() must be a number of days, not {found}",
    "formula_age_bounds": "age_bucket() needs a list of bounds in days, e.g. [30, 90, 180]; got {found}",
    # what a filter cannot run in the database
    "formula_not_in_filter": "{what} cannot be used in a filter",
    "formula_what_computed_list": "a list computed from record values",
    "formula_what_parent": "'parent.{field}' (a table row's record)",
    "formula_what_child_table": "the child table '{field}'",
    "formula_what_child_values": "the child table values '{field}'",
    "formula_what_list_field": "the list field '{field}' ({type}, not a list of text)",
    "formula_what_function": "{name}()",
    "formula_what_datetime_days": "adding days to a datetime read from the record (use days_between)",
    "formula_what_unknown_type": "an operation on values of unknown type",
    "formula_list_in_filter": "a list cannot be used in a filter except on the right of 'in' or in contains()",
    "formula_list_field_in_filter": (
        "the list field '{field}' cannot be used in a filter except on the right of 'in', in contains(), len(), "
        "count() or with '== null'"),
    "formula_argument_in_filter": "{reason}; it cannot be used in a filter",
}


def english_hint(suggestion: Any) -> str:
    return f" (did you mean {suggestion!r}?)" if suggestion else ""


def render(code: str, params: Mapping[str, Any]) -> str:
    """The English text of formula message `code` with `params`; a param that is a part renders in English too."""
    values = {name: render_part(value) for name, value in params.items()}
    return FORMULA_MESSAGES[code].format(**values, hint=english_hint(params.get("suggestion")))


def render_part(value: Any) -> Any:
    if isinstance(value, Mapping) and "code" in value:
        if value["code"] in FORMULA_MESSAGES:
            return render(str(value["code"]), value.get("params") or {})
        return value.get("message", "")
    return value


def reason(code: str, **params: Any) -> dict[str, Any]:
    """A formula problem as a part: {"code", "params", "message"} (the English rendered here)."""
    return {"code": code, "params": params, "message": render(code, params)}
