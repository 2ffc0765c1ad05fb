"""Turn formula text into a syntax tree, reporting syntax errors at their line and column."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from engine.core.codes.formula_codes import reason as coded
from engine.errors import FormulaError
from engine.formula.ast import Binary, Call, ListLiteral, Literal, Name, Node, Pos, Unary

# Lark's expected terminals, grouped into what a user would call them.
_VALUE_STARTS = frozenset({"NAME", "NUMBER", "STRING", "LPAR", "LSQB", "TRUE", "FALSE", "NULL"})
_OPERATORS = frozenset({"COMP_OP", "ADD_OP", "MUL_OP", "AND", "OR", "IN", "NOT", "DOT"})
_CLOSERS = {"RPAR": "')'", "RSQB": "']'", "COMMA": "','", "$END": "the end of the formula"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
MAX_LENGTH = 10_000
# Each level costs a Python stack frame when checking and evaluating; real formulas stay far below.
MAX_DEPTH = 200


@functools.cache
def _lark() -> Lark:
    return Lark.open_from_package(
        "engine.formula",
        "grammar.lark",
        parser="lalr",
        lexer="basic",  # keywords stay keywords everywhere (`and` is never a field name)
        propagate_positions=True,
        maybe_placeholders=False,
    )


def position_text(text: str, pos: Pos) -> str:
    """Say where `pos` is: `column 7`, or `line 2, column 7` in a multi-line formula."""
    return f"line {pos.line}, column {pos.column}" if "\n" in text else f"column {pos.column}"


def position_part(text: str, pos: Pos) -> dict[str, Any]:
    if "\n" in text:
        return coded("formula_line_column", line=pos.line, column=pos.column)
    return coded("formula_column", column=pos.column)


def error_at(problem: str | Mapping[str, Any], text: str, pos: Pos) -> FormulaError:
    """Build a FormulaError whose message ends with the position it carries; `problem` is a part by its code
    (engine.core.codes.formula_codes.reason) or, for a message not named yet, its English."""
    message = str(problem["message"]) if isinstance(problem, Mapping) else problem
    return FormulaError(
        f"{message} at {position_text(text, pos)}", text=text, line=pos.line, column=pos.column, reason=message,
        message_code="formula_at", params={"reason": problem, "position": position_part(text, pos)},
    )


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse `text` into a syntax tree (cached: identical texts share one immutable tree)."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is longer than {MAX_LENGTH} characters", text=text,
                           message_code="formula_too_long", params={"max_length": MAX_LENGTH})
    if not text.strip():
        raise FormulaError("formula is empty", text=text, message_code="formula_empty")
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    return _build(tree, text, 0)


def _syntax_error(text: str, error: UnexpectedInput) -> FormulaError:
    pos = Pos(error.line if error.line > 0 else 1, error.column if error.column > 0 else 1)
    if isinstance(error, UnexpectedCharacters):
        return error_at(coded("formula_syntax_char", char=error.char, expected=""), text, pos)
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            return error_at(coded("formula_syntax_end", expected=_expected(set(error.expected))), text, _end_pos(text))
        if token.type == "COMP_OP" and "COMP_OP" not in error.expected:
            return error_at(coded("formula_syntax_chain", token=token.value), text, pos)
        return error_at(coded("formula_syntax_token", token=token.value, expected=_expected(set(error.expected))),
                        text, pos)
    if isinstance(error, UnexpectedEOF):
        return error_at(coded("formula_syntax_end", expected=_expected(set(error.expected))), text, _end_pos(text))
    return error_at(coded("formula_syntax", expected=""), text, pos)  # pragma: no cover - lark raises the three


def _expected(expected: set[str]) -> dict[str, Any] | str:
    """What could have come instead, as a part (" (expected a value)"), or '' when nothing helps."""
    if expected & _VALUE_STARTS:
        return coded("formula_expected_value")
    hints = [text for name, text in _CLOSERS.items() if name in expected]
    if expected & _OPERATORS:
        hints.insert(0, "an operator")
    if not hints:
        return ""
    words = ", ".join(hints[:-1]) + " or " + hints[-1] if len(hints) > 1 else "".join(hints)
    return coded("formula_expected", words=words)


def _end_pos(text: str) -> Pos:
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    return Pos(line, len(stripped) - (stripped.rfind("\n") + 1) + 1)


def _pos(token: Token) -> Pos:
    assert token.line is not None and token.column is not None
    return Pos(token.line, token.column)


def _build(tree: Tree[Token] | Token, text: str, depth: int) -> Node:
    """Convert lark's tree into our nodes; runs once per distinct text."""
    assert isinstance(tree, Tree), tree
    if depth > MAX_DEPTH:
        raise FormulaError(f"formula is nested too deeply (more than {MAX_DEPTH} levels)", text=text,
                           message_code="formula_too_deep_levels", params={"max_depth": MAX_DEPTH})
    depth += 1
    kind = tree.data
    children = tree.children
    if kind == "number":
        token = _token(children[0])
        return Literal(Decimal(token.value), _pos(token))
    if kind == "string":
        token = _token(children[0])
        return Literal(_unescape(token, text), _pos(token))
    if kind in ("true", "false", "null"):
        token = _token(children[0])
        return Literal({"true": True, "false": False, "null": None}[kind], _pos(token))
    if kind == "list":
        return ListLiteral(tuple(_build(c, text, depth) for c in children[1:]), _pos(_token(children[0])))
    if kind == "call":
        token = _token(children[0])
        return Call(token.value, tuple(_build(c, text, depth) for c in children[1:]), _pos(token))
    if kind == "name":
        tokens = [_token(c) for c in children]
        return Name(tuple(t.value for t in tokens), tuple(_pos(t) for t in tokens))
    if kind == "unary" or kind == "not_":
        op = _token(children[0])
        return Unary(op.value, _build(children[1], text, depth), _pos(op))
    if kind in ("arith", "compare", "logic", "in_"):
        op = _token(children[1])
        return Binary(op.value, _build(children[0], text, depth), _build(children[2], text, depth), _pos(op))
    if kind == "not_in":
        op = _token(children[1])
        return Binary("not in", _build(children[0], text, depth), _build(children[3], text, depth), _pos(op))
    raise AssertionError(f"unhandled grammar rule {kind!r}")  # pragma: no cover


def _token(child: Tree[Token] | Token) -> Token:
    assert isinstance(child, Token), child
    return child


def _unescape(token: Token, text: str) -> str:
    body = str(token.value)[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        if code in _ESCAPES:
            return _ESCAPES[code]
        offset = match.start() + 1  # +1 for the opening quote
        raise error_at(
            coded("formula_escape", escape=code),
            text,
            Pos(_pos(token).line, _pos(token).column + offset),
        )

    return _ESCAPE.sub(replace, body)
