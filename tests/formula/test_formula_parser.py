"""Parsing: literals, precedence and syntax errors reported at their line and column."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine.errors import FormulaError
from engine.formula import Context, Environment, compile_formula
from engine.formula.parser import parse

EMPTY = Environment(fields={})


def run(text: str) -> Any:
    return compile_formula(text, EMPTY).evaluate(Context())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", Decimal(7)),
        ("(1 + 2) * 3", Decimal(9)),
        ("10 - 2 - 3", Decimal(5)),
        ("100 / 10 / 5", Decimal(2)),
        ("2 * 3 % 4", Decimal(2)),
        ("-2 * 3", Decimal(-6)),
        ("- -2", Decimal(2)),
        ("+2", Decimal(2)),
        ("-(1 + 2)", Decimal(-3)),
        ("7 % 3", Decimal(1)),
        ("-7 % 3", Decimal(-1)),
        ("1 + 2 == 3", True),
        ("1 < 2 == true", None),  # parsed as (1 < 2) == true? no: comparisons do not chain
        ("not true or true", True),
        ("not (true or true)", False),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not 1 > 2", True),
        ("1 + 1 in [2, 3]", True),
        ("3 not in [2, 3]", False),
        ("'a' + \"b\"", "ab"),
        ("0.1 + 0.2 == 0.3", True),
        ("1 / 3 * 3", Decimal("0.9999999999999999999999999999")),
    ],
)
def test_operators_follow_the_documented_precedence(text: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(FormulaError, match="comparisons do not chain"):
            run(text)
        return
    result = run(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.50", Decimal("2.50")),
        ("007", Decimal(7)),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'a\\nb\\tc\\\\'", "a\nb\tc\\"),
        ("'\\u4e2d\\u6587'", "中文"),
        ("'钢筋'", "钢筋"),
        ('"single \' inside"', "single ' inside"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[]", []),
        ("[1, 2, ]", [Decimal(1), Decimal(2)]),
        ("['a', null]", ["a", None]),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_numbers_are_decimals_with_their_written_scale() -> None:
    value = run("2.50")
    assert isinstance(value, Decimal)
    assert str(value) == "2.50"


def test_whitespace_and_newlines_are_ignored() -> None:
    assert run("\n  1 +\n\t2  \n") == 3


def test_identical_texts_share_one_parse() -> None:
    assert parse("a + b * 2") is parse("a + b * 2")


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("1 +", 4, "unexpected end of formula (expected a value)"),
        ("(1 + 2", 7, "unexpected end of formula"),
        ("1 + 2)", 6, "unexpected ')'"),
        ("qty $ 2", 5, "unexpected character '$'"),
        ("a < b < c", 7, "comparisons do not chain"),
        ("f(1,,2)", 5, "unexpected ','"),
        ("[1 2]", 4, "unexpected '2'"),
        ("1.", 2, "unexpected '.'"),
        ("x.y()", 4, "unexpected '('"),
        ("().__class__", 2, "unexpected ')'"),
        ("a and", 6, "expected a value"),
        ("and", 1, "unexpected 'and'"),
        ("if", 1, None),  # a bare `if` is an unknown name, not a syntax error
        ("'abc", 1, "unexpected character"),
        ("'a\\qb'", 3, "unknown escape sequence '\\q'"),
        ("1 = 2", 3, "unexpected character '='"),
        ("a ** 2", 4, "unexpected '*'"),
    ],
)
def test_syntax_errors_name_the_column(text: str, column: int, fragment: str | None) -> None:
    with pytest.raises(FormulaError) as caught:
        run(text)
    error = caught.value
    assert error.column == column
    assert error.line == 1
    assert error.text == text
    assert f"column {column}" in error.message
    assert error.details == {"formula": text, "line": 1, "column": column}
    if fragment is not None:
        assert fragment in error.message


def test_syntax_errors_in_multiline_formulas_name_line_and_column() -> None:
    with pytest.raises(FormulaError, match=r"at line 3, column 5") as caught:
        run("1 +\n2 +\n3 + )")
    assert (caught.value.line, caught.value.column) == (3, 5)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_formula_is_an_error(text: str) -> None:
    with pytest.raises(FormulaError, match="formula is empty"):
        run(text)


def test_overlong_and_overdeep_formulas_are_errors_not_crashes() -> None:
    with pytest.raises(FormulaError, match="longer than"):
        run("1 + " * 5000 + "1")
    with pytest.raises(FormulaError, match="nested too deeply"):
        run("-" * 3000 + "1")
    with pytest.raises(FormulaError, match="nested too deeply"):
        run(" + ".join(["1"] * 500))
    assert run("(" * 1000 + "1" + ")" * 1000) == 1  # parentheses alone add no depth


def test_keywords_are_reserved() -> None:
    with pytest.raises(FormulaError, match="unexpected 'in'"):
        run("user.in")
    with pytest.raises(FormulaError, match=r"unexpected '\.'"):
        run("true.x")
    with pytest.raises(FormulaError, match=r"unexpected '\('"):
        run("null(1)")
