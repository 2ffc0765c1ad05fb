"""Every engine error names its message by a code of engine/core/error_codes.py, and the code renders the message."""
from __future__ import annotations

import ast
import importlib
import pkgutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.core import error_codes
from engine.declarations.model import FieldSpec, Label
from engine.errors import FieldError, FormworkError
from engine.fields.values import InvalidValue, coerce
from engine.records.compute import check_field

ENGINE = Path(engine.__file__).parent
# These build their message (and params) in their own __init__ from what they are given.
SELF_NAMED = {"DeclarationError", "RecordInvalid", "ImportRejected", "InvalidPattern", "TooManyAttempts"}


def _error_classes() -> dict[str, type[FormworkError]]:
    for module in pkgutil.walk_packages(engine.__path__, "engine."):
        importlib.import_module(module.name)
    found: dict[str, type[FormworkError]] = {}
    pending: list[type[FormworkError]] = [FormworkError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending += cls.__subclasses__()
    return found


def _calls() -> list[tuple[str, ast.Call, str]]:
    """(where, call, class name) for each construction of an error in engine/."""
    names = set(_error_classes()) | {"FieldError", "InvalidValue"}
    calls = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name in ("errors.py", "error_codes.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in names:
                    calls.append((f"{path.relative_to(ENGINE.parent)}:{node.lineno}", node, str(name)))
    return calls


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_every_field_error_and_invalid_value_passes_a_code() -> None:
    missing = [where for where, call, name in _calls()
               if name in ("FieldError", "InvalidValue") and _keyword(call, "code") is None]
    assert missing == []


def test_every_engine_error_names_its_message() -> None:
    missing = [where for where, call, name in _calls()
               if name not in ("FieldError", "InvalidValue", *SELF_NAMED) and _keyword(call, "message_code") is None]
    assert missing == []


def test_every_code_used_is_in_the_table() -> None:
    used = {}
    for where, call, _name in _calls():
        for value in filter(None, (_keyword(call, "code"), _keyword(call, "message_code"))):
            for node in ast.walk(value):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    used[node.value] = where
    classes = _error_classes()
    used |= {classes[name].code: name for name in SELF_NAMED}
    assert {code: where for code, where in used.items() if code not in error_codes.MESSAGES} == {}


def test_codes_are_snake_case_identifiers() -> None:
    assert [code for code in error_codes.MESSAGES if not code.isidentifier() or code.lower() != code] == []


def _spec(**declared: Any) -> FieldSpec:
    return FieldSpec(**{"name": "qty", "type": "decimal", "label": Label("数量", "Quantity"), **declared})


FIELD_CASES = [
    (_spec(required=True), None, "required"),
    (_spec(min=Decimal(1)), Decimal("0.5"), "min"),
    (_spec(max=Decimal(10)), Decimal(11), "max"),
    (_spec(type="percent"), Decimal(101), "percent_range"),
    (_spec(type="text", min_length=3), "ab", "min_length"),
    (_spec(type="text", max_length=3), "abcd", "max_length"),
    (_spec(type="text", pattern="[a-z]+"), "ABC", "pattern"),
    (_spec(type="text", pattern="[a-z]+", pattern_message=Label("只能小写", "lower case only")), "A",
     "pattern_message"),
]


@pytest.mark.parametrize(("spec", "value", "code"), FIELD_CASES, ids=[case[2] for case in FIELD_CASES])
def test_field_checks_render_from_their_code(spec: FieldSpec, value: Any, code: str) -> None:
    [error] = check_field(spec, value, "qty")
    assert error.code == code
    assert error_codes.render(error.code, error.params) == error.message


VALUE_CASES = [
    (_spec(), "abc", "not_a_number"),
    (_spec(), True, "not_a_number_boolean"),
    (_spec(), "Infinity", "not_finite"),
    (_spec(type="integer"), "1.5", "whole_number"),
    (_spec(type="money"), "1.555", "decimal_places"),
    (_spec(), "1" * 40, "too_large"),
    (_spec(type="boolean"), "maybe", "not_boolean"),
    (_spec(type="date"), "31.13.2024", "not_a_date"),
    (_spec(type="datetime"), "soon", "not_a_datetime"),
    (_spec(type="text"), {"a": 1}, "not_text"),
    (_spec(type="text"), "a\x00b", "nul_character"),
    (_spec(type="enum", options={"a": Label("甲", "A"), "b": Label("乙", "B")}), "c", "not_a_choice"),
    (_spec(type="multi_enum", options={"a": Label("甲", "A")}), "a,z", "not_a_choice"),
    (_spec(type="table"), "rows", "not_a_list_of_rows"),
]


@pytest.mark.parametrize(("spec", "raw", "code"), VALUE_CASES,
                         ids=[f"{case[2]}-{case[0].type}" for case in VALUE_CASES])
def test_value_errors_render_from_their_code(spec: FieldSpec, raw: Any, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        coerce(spec, raw)
    assert caught.value.code == code
    assert error_codes.render(code, caught.value.params) == str(caught.value)


def test_an_error_without_a_message_code_is_named_by_its_class() -> None:
    error = FormworkError("boom")
    assert (error.code, error.message_code, error.params) == ("error", "error", {})


def test_field_errors_with_other_params_are_still_one_error() -> None:
    """Params do not take part in equality, so duplicates collapse as before."""
    first = FieldError("qty", "is required", code="required", params={"a": 1})
    assert list(dict.fromkeys([first, FieldError("qty", "is required", code="required")])) == [first]
