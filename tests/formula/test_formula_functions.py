"""Every built-in function, and functions added by plugins through `register_function`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from engine.errors import FormulaError, FormulaRuntimeError
from engine.formula import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    MONEY,
    NUMBER,
    TEXT,
    TEXT_LIST,
    Context,
    Environment,
    FieldInfo,
    FType,
    ListField,
    RecordList,
    bind_value,
    compile_formula,
    register_function,
    unregister_function,
)

D = Decimal
ENV = Environment(
    fields={
        "qty": FieldInfo(NUMBER),
        "price": FieldInfo(MONEY),
        "name": FieldInfo(TEXT),
        "due": FieldInfo(DATE),
        "at": FieldInfo(DATETIME),
        "tags": FieldInfo(TEXT_LIST),
        "lines": FieldInfo.table({"amount": FieldInfo(MONEY)}),
    }
)
NOW = datetime(2024, 5, 20, 10, 0, tzinfo=UTC)


def run(text: str, **values: Any) -> Any:
    return compile_formula(text, ENV).evaluate(Context(values=values, now=NOW))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("round(2.345, 2)", D("2.35")),
        ("round(2.344, 2)", D("2.34")),
        ("round(-2.345, 2)", D("-2.35")),
        ("round(2.5)", D(3)),
        ("round(-2.5)", D(-3)),
        ("round(0.5)", D(1)),
        ("round(1.005, 2)", D("1.01")),
        ("round(2.675, 2)", D("2.68")),
        ("round(1234.5, -2)", D(1200)),
        ("round(1250, -2)", D(1300)),
        ("round(7)", D(7)),
        ("round(1, 3)", D("1.000")),
        ("abs(-3.5)", D("3.5")),
        ("abs(2)", D(2)),
        ("coalesce(null, null, 3)", D(3)),
        ("coalesce(1)", D(1)),
        ("coalesce(null)", None),
        ("min(3, 1, 2)", D(1)),
        ("max(3, 1, 2)", D(3)),
        ("max(null, 2)", D(2)),
        ("max('b', 'a')", "b"),
        ("min(date('2024-01-02'), date('2024-01-01'))", date(2024, 1, 1)),
        ("year(date('2024-05-01'))", D(2024)),
        ("month(date('2024-05-01'))", D(5)),
        ("day(date('2024-05-01'))", D(1)),
        ("year(datetime('2024-12-31T23:00:00-02:00'))", D(2025)),
        ("days_between(date('2024-01-01'), date('2024-03-01'))", D(60)),
        ("days_between(date('2024-03-01'), date('2024-01-01'))", D(-60)),
        ("len('中文abc')", D(5)),
        ("len(['a', 'b'])", D(2)),
        ("len('')", D(0)),
        ("contains('steel beam', 'beam')", True),
        ("contains('steel beam', 'Beam')", False),
        ("contains('abc', '')", True),
        ("contains(['a', 'b'], 'b')", True),
        ("contains(['a', 'b'], 'c')", False),
        ("contains([1, 2], 2.0)", True),
        ("date('2024-05-01')", date(2024, 5, 1)),
        ("date(datetime('2024-05-01T23:00:00+08:00'))", date(2024, 5, 1)),
        ("datetime('2024-05-01T08:00:00')", datetime(2024, 5, 1, 8, tzinfo=UTC)),
        ("datetime('2024-05-01T08:00:00+08:00')", datetime(2024, 5, 1, 0, tzinfo=UTC)),
        ("datetime(date('2024-05-01'))", datetime(2024, 5, 1, tzinfo=UTC)),
        ("text(2.50)", "2.50"),
        ("text(round(1234.5, -2))", "1200"),
        ("text(true)", "true"),
        ("text(date('2024-05-01'))", "2024-05-01"),
        ("text('x')", "x"),
        ("upper('abc')", "ABC"),
        ("lower('ABC')", "abc"),
        ("today()", date(2024, 5, 20)),
        ("now()", NOW),
        ("sum([1, 2, null])", D(3)),
        ("avg([1, 2])", D("1.5")),
        ("count([1, null, 3])", D(2)),
        ("sum([])", D(0)),
    ],
)
def test_builtin_functions(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_round_keeps_the_money_type_and_decimal_scale() -> None:
    formula = compile_formula("round(price * qty, 2)", ENV)
    assert formula.type == MONEY
    result = formula.evaluate(Context(values={"price": D("0.125"), "qty": D(3)}))
    assert str(result) == "0.38"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("round(1, 0.5)", "round() needs a whole number of places"),
        ("round(1E+30, 2)", None),
        ("date('2024-02-30')", "expected a date, got '2024-02-30'"),
        ("datetime('yesterday')", "expected a datetime, got 'yesterday'"),
    ],
)
def test_function_failures_are_runtime_errors(text: str, message: str | None) -> None:
    if message is None:  # `1E+30` is no number literal: a syntax error, caught at compile time
        with pytest.raises(FormulaError):
            run(text)
        return
    with pytest.raises(FormulaRuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(text)


def test_round_beyond_the_precision_fails_clearly() -> None:
    with pytest.raises(FormulaRuntimeError, match="needs more than 28 digits"):
        run("round(qty, 5)", qty=D(10) ** 25)


def test_month_and_day_of_a_datetime_are_taken_in_utc() -> None:
    at = datetime(2024, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=8)))  # 2024-05-31 17:00 UTC
    assert run("month(at)", at=at) == 5
    assert run("day(at)", at=at) == 31


# --- plugins --------------------------------------------------------------------------------------


@pytest.fixture
def plugin_functions() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        unregister_function(name)


def test_a_plugin_function_is_typed_and_callable(plugin_functions: list[str]) -> None:
    register_function("vat", [MONEY, NUMBER], MONEY, lambda amount, rate: amount * rate)
    plugin_functions.append("vat")
    formula = compile_formula("vat(price, 0.13) + price", ENV)
    assert formula.type == MONEY
    assert formula.evaluate(Context(values={"price": D(100)})) == D("113.00")
    assert formula.evaluate(Context(values={})) is None  # null arguments never reach the plugin


def test_a_plugin_function_signature_is_checked(plugin_functions: list[str]) -> None:
    register_function("vat", [MONEY, NUMBER], MONEY, lambda amount, rate: amount * rate)
    plugin_functions.append("vat")
    with pytest.raises(FormulaError, match=r"argument 2 of vat\(\) must be number, not text") as caught:
        compile_formula("vat(price, name)", ENV)
    assert caught.value.column == 12
    with pytest.raises(FormulaError, match=r"vat\(\) takes 2 arguments, got 1"):
        compile_formula("vat(price)", ENV)
    with pytest.raises(FormulaError, match=r"unknown function 'vta' \(did you mean 'vat'\?\)"):
        compile_formula("vta(price, 1)", ENV)


def test_variadic_and_optional_parameters(plugin_functions: list[str]) -> None:
    register_function("join", [TEXT], TEXT, lambda *parts: "/".join(parts), variadic=True, min_args=1)
    register_function(
        "pad", [TEXT, NUMBER], TEXT, lambda text, width=5: text.ljust(int(width), "."), min_args=1
    )
    plugin_functions.extend(["join", "pad"])
    assert run("join('a', 'b', 'c')") == "a/b/c"
    assert run("join('a')") == "a"
    assert run("pad('ab')") == "ab..."
    assert run("pad('ab', 3)") == "ab."
    with pytest.raises(FormulaError, match=r"join\(\) takes at least 1 argument, got 0"):
        compile_formula("join()", ENV)
    with pytest.raises(FormulaError, match=r"argument 3 of join\(\) must be text, not number"):
        compile_formula("join('a', 'b', 3)", ENV)


def test_a_plugin_may_handle_nulls_and_read_the_context(plugin_functions: list[str]) -> None:
    register_function("is_blank", [TEXT], BOOL, lambda text: not text, propagates_null=False)
    register_function("who", [], TEXT, lambda ctx: ctx.user_name or "nobody", takes_context=True)
    plugin_functions.extend(["is_blank", "who"])
    assert run("is_blank(name)") is True
    assert run("is_blank(name)", name="x") is False
    assert compile_formula("who()", ENV).evaluate(Context(user_name="alice")) == "alice"


def test_plugin_results_are_checked_against_the_declared_type(plugin_functions: list[str]) -> None:
    register_function("half", [NUMBER], NUMBER, lambda x: float(x) / 2)
    register_function("twice", [NUMBER], NUMBER, lambda x: int(x) * 2)
    plugin_functions.extend(["half", "twice"])
    with pytest.raises(FormulaRuntimeError, match=r"expected a Decimal number, got 0\.5"):
        run("half(1)")
    assert run("twice(2)") == D(4)
    assert isinstance(run("twice(2)"), Decimal)


def test_plugin_exceptions_become_runtime_errors(plugin_functions: list[str]) -> None:
    def explode(x: Decimal) -> Decimal:
        raise ValueError("bad input")

    register_function("explode", [NUMBER], NUMBER, explode)
    plugin_functions.append("explode")
    with pytest.raises(FormulaRuntimeError, match=r"explode\(\) failed: bad input in formula 'explode\(1\)'"):
        run("explode(1)")


def test_a_generic_plugin_function_infers_its_result_type(plugin_functions: list[str]) -> None:
    def first_type(types: Sequence[FType]) -> FType:
        return types[0]

    register_function(
        "first", [ANY], ANY, lambda items: items[0] if items else None, infer=lambda t: t[0].item or ANY
    )
    register_function("same", [ANY], ANY, lambda x: x, infer=first_type)
    plugin_functions.extend(["first", "same"])
    assert compile_formula("first(lines.amount)", ENV).type == MONEY
    assert compile_formula("same(due)", ENV).type == DATE


def test_a_plugin_function_with_sql_compiles_into_filters(plugin_functions: list[str]) -> None:
    register_function("double", [NUMBER], NUMBER, lambda x: x * 2, sql=lambda args, types: args[0] * 2)
    register_function("python_only", [NUMBER], NUMBER, lambda x: x)
    plugin_functions.extend(["double", "python_only"])

    class Target:
        def field(self, name: str, type: FType) -> sa.ColumnElement[Any]:
            return sa.column(name, sa.Numeric())

        def ref_field(
            self, ref_name: str, target_entity: str, field: str, type: FType
        ) -> sa.ColumnElement[Any]:
            raise AssertionError("no refs here")

        def literal(self, value: Any, type: FType) -> sa.ColumnElement[Any]:
            return bind_value(value, type)

    sql = compile_formula("double(qty) > 4", ENV).to_sql(Target())
    assert str(sql) == "qty * :qty_1 > :param_1"
    with pytest.raises(FormulaError, match=r"python_only\(\) cannot be used in a filter at column 1"):
        compile_formula("python_only(qty) > 4", ENV).to_sql(Target())
    # Computed before the query when no record value is involved.
    assert str(compile_formula("python_only(2) < qty", ENV).to_sql(Target())) == ":param_1 < qty"


def test_a_plugin_function_sees_list_fields_in_filters_only_when_it_asks(plugin_functions: list[str]) -> None:
    def tag_count(args: Sequence[Any], types: Sequence[FType]) -> sa.ColumnElement[Any]:
        assert isinstance(args[0], RecordList) and types[0] == TEXT_LIST
        return args[0].length()

    register_function("tag_count", [TEXT_LIST], NUMBER, lambda tags: D(len(tags)), sql=tag_count,
                      sql_takes_lists=True)  # fmt: skip
    register_function("tag_text", [TEXT_LIST], TEXT, ",".join, sql=lambda args, types: args[0])
    register_function("tag_python", [TEXT_LIST], NUMBER, lambda tags: D(len(tags)))
    plugin_functions.extend(["tag_count", "tag_text", "tag_python"])

    class Target:
        def field(self, name: str, type: FType) -> sa.ColumnElement[Any]:
            return sa.column(name, sa.Numeric())

        def literal(self, value: Any, type: FType) -> sa.ColumnElement[Any]:
            return bind_value(value, type)

        def list_length(self, field: ListField, *, skip_nulls: bool = False) -> sa.ColumnElement[Any]:
            return sa.func.list_length(sa.column(str(field)))

    assert str(compile_formula("tag_count(tags) > 1", ENV).to_sql(Target())) == "list_length(tags) > :param_1"
    with pytest.raises(FormulaError, match=r"the list field 'tags' cannot be used in a filter except") as caught:
        compile_formula("tag_text(tags) == 'a'", ENV).to_sql(Target())
    assert caught.value.column == 10
    with pytest.raises(FormulaError, match=r"tag_python\(\) cannot be used in a filter at column 1"):
        compile_formula("tag_python(tags) > 1", ENV).to_sql(Target())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sum", r"function sum\(\) is already registered"),
        ("if", "'if' is a reserved word"),
        ("and", "reserved word"),
        ("params", "reserved word"),
        ("_hidden", "must be lower_snake_case"),
        ("Upper", "must be lower_snake_case"),
        ("with space", "must be lower_snake_case"),
        ("x-y", "must be lower_snake_case"),
    ],
)
def test_register_function_refuses_bad_names(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        register_function(name, [NUMBER], NUMBER, abs)


def test_register_function_refuses_inconsistent_signatures() -> None:
    with pytest.raises(ValueError, match="min_args"):
        register_function("broken", [NUMBER], NUMBER, abs, min_args=2)
    with pytest.raises(ValueError, match="variadic"):
        register_function("broken", [], NUMBER, abs, variadic=True)


def test_formulas_compiled_before_unregistering_keep_working(plugin_functions: list[str]) -> None:
    register_function("triple", [NUMBER], NUMBER, lambda x: x * 3)
    formula = compile_formula("triple(2)", ENV)
    unregister_function("triple")
    assert formula.evaluate(Context()) == D(6)
    with pytest.raises(FormulaError, match="unknown function 'triple'"):
        compile_formula("triple(2)", ENV)


def test_list_param_types_are_checked(plugin_functions: list[str]) -> None:
    register_function("first_tag", [TEXT_LIST], TEXT, lambda tags: tags[0] if tags else None)
    plugin_functions.append("first_tag")
    assert run("first_tag(tags)", tags=["a", "b"]) == "a"
    with pytest.raises(
        FormulaError, match=r"argument 1 of first_tag\(\) must be list of text, not list of money"
    ):
        compile_formula("first_tag(lines.amount)", ENV)
