"""Turn formula text into a syntax tree, reporting syntax errors at their line and column."""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from engine.errors import FormulaError
from engine.formula.ast import Binary, Call, ListLiteral, Literal, Name, Node, Pos, Unary

# Lark's expected terminals, grouped into what a user would call them.
_VALUE_STARTS = frozenset({"NAME", "NUMBER", "STRING", "LPAR", "LSQB", "TRUE", "FALSE", "NULL"})
_OPERATORS = frozenset({"COMP_OP", "ADD_OP", "MUL_OP", "AND", "OR", "IN", "NOT", "DOT"})
_CLOSERS = {"RPAR": "')'", "RSQB": "']'", "COMMA": "','", "$END": "the end of the formula"}
_COMPARISONS_CHAIN = "comparisons do not chain; write 'a < b and b < c'"
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


def error_at(message: str, text: str, pos: Pos) -> FormulaError:
    """Build a FormulaError whose message ends with the position it carries."""
    return FormulaError(
        f"{message} at {position_text(text, pos)}", text=text, line=pos.line, column=pos.column, reason=message,
        message_code="formula_at", params={"reason": message, "position": position_text(text, pos)},
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
        what = f"unexpected character {error.char!r}"
        expected: set[str] = set()
    elif isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            what = "unexpected end of formula"
            pos = _end_pos(text)
        elif token.type == "COMP_OP" and "COMP_OP" not in error.expected:
            what = f"unexpected {token.value!r} ({_COMPARISONS_CHAIN})"
        else:
            what = f"unexpected {token.value!r}"
        expected = set() if "comparisons do not chain" in what else set(error.expected)
    elif isinstance(error, UnexpectedEOF):
        what, pos, expected = "unexpected end of formula", _end_pos(text), set(error.expected)
    else:  # pragma: no cover - lark raises only the three above
        what, expected = "syntax error", set()
    hint = _expected_hint(expected)
    message = f"syntax error: {what}" + (f" (expected {hint})" if hint else "")
    return error_at(message, text, pos)


def _expected_hint(expected: set[str]) -> str:
    if expected & _VALUE_STARTS:
        return "a value"
    hints = [text for name, text in _CLOSERS.items() if name in expected]
    if expected & _OPERATORS:
        hints.insert(0, "an operator")
    return ", ".join(hints[:-1]) + " or " + hints[-1] if len(hints) > 1 else "".join(hints)


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
            f"unknown escape sequence '\\{code}' in string",
            text,
            Pos(_pos(token).line, _pos(token).column + offset),
        )

    return _ESCAPE.sub(replace, body)
