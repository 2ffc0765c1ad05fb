"""Regular expressions that tenants write (a field's `pattern`): RE2, so matching is linear in the text.

Python's `re` backtracks: a pattern such as `(a+)+$` takes exponential time on `aaaa…!`, and one save
would hold a worker that every tenant shares. RE2 never backtracks; it refuses what it cannot run in
linear time (backreferences, lookaround), and a declaration with such a pattern does not load.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

from engine.errors import FormworkError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the reason goes into our error, not onto the worker's stderr
_OPTIONS.max_mem = 8 << 20   # a compiled pattern may take 8 MiB; `x{1000}{1000}` asks for more and is refused


class InvalidPattern(FormworkError):
    """A pattern RE2 cannot compile; `reason` says why (for file:line:col reports)."""

    code = "invalid_pattern"

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"pattern {pattern!r} is not supported: {reason}", details={"pattern": pattern},
                         params={"pattern": pattern, "reason": reason})
        self.reason = reason


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern, or InvalidPattern (backreferences, lookaround, bad syntax, too large)."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        raise InvalidPattern(pattern, _reason(error)) from None


def check_pattern(pattern: str) -> str | None:
    """Why RE2 refuses `pattern`, or None when it compiles."""
    try:
        compile_pattern(pattern)
    except InvalidPattern as error:
        return error.reason
    return None


def fullmatches(pattern: str, text: str) -> bool:
    """Whether all of `text` matches `pattern` (a field's declared format)."""
    return compile_pattern(pattern).fullmatch(text) is not None


def searches(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text` (JSON Schema's `pattern` keyword)."""
    return compile_pattern(pattern).search(text) is not None


_HINTS = (  # what RE2 says -> what the author should know
    (re.compile(r"invalid escape sequence: \\[1-9]"), "backreferences such as \\1 are not supported"),
    (re.compile(r"invalid perl operator: \(\?P(?!<)"), "named backreferences (?P=name) are not supported"),
    (re.compile(r"invalid perl operator: \(\?<?[=!]"), "lookahead and lookbehind (?=, ?!, ?<=, ?<!) are not supported"),
    (re.compile(r"invalid escape sequence: \\Z"), "\\Z is not supported; write \\z or $"),
)


def _reason(error: Exception) -> str:
    raw = error.args[0] if error.args else b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for said, hint in _HINTS:
        if said.match(text):
            return hint
    return text or "RE2 cannot compile it"


# -- an example of a pattern, for users who cannot read one ("格式不正确，例如：DG-001") -------------------------

_CLASS_PICKS = "1aA0_-. "   # what a character class offers first, in the order people expect
_CATEGORY_PICKS = {"CATEGORY_DIGIT": "1", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a", "CATEGORY_NOT_WORD": "-",
                   "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a"}
MAX_EXAMPLE = 40


class _NoExample(Exception):
    """The pattern uses something the generator does not follow (it then offers no example)."""


def example(pattern: str) -> str | None:
    """A short text `pattern` fully matches (literals, classes, repeats, groups, alternation), or None."""
    from re import _parser  # Python's own parser of regular expressions: its tree is what we walk

    try:
        text = _emit(_parser.parse(pattern))
    except (_NoExample, re.error, RecursionError, OverflowError, ValueError):
        return None
    if not text.strip() or len(text) > MAX_EXAMPLE or check_pattern(pattern) or not fullmatches(pattern, text):
        return None
    return text


def _emit(items: Any) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("NOT_LITERAL", "ANY"):
            out.append(next(c for c in "a1-" if ord(c) != arg) if name == "NOT_LITERAL" else "a")
        elif name == "IN":
            out.append(_pick(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_emit(sub) * low)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            out.append(_emit(arg[-1] if name == "SUBPATTERN" else arg))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0]))
        elif name != "AT":  # anchors take no room; backreferences, lookaround ... are not followed
            raise _NoExample(name)
    return "".join(out)


def _pick(members: Any) -> str:
    """One character of a class `[...]`: its first member's natural pick, or for `[^...]` one it leaves out."""
    if members and str(members[0][0]) == "NEGATE":
        found = next((c for c in _CLASS_PICKS if not any(_holds(op, arg, c) for op, arg in members[1:])), None)
        if found is None:
            raise _NoExample("class")
        return found
    op, arg = members[0]
    kind = str(op)
    if kind == "LITERAL":
        return chr(arg)
    if kind == "RANGE":
        return next((c for c in _CLASS_PICKS if arg[0] <= ord(c) <= arg[1]), chr(arg[0]))
    if kind == "CATEGORY" and str(arg) in _CATEGORY_PICKS:
        return _CATEGORY_PICKS[str(arg)]
    raise _NoExample(kind)


def _holds(op: Any, arg: Any, c: str) -> bool:
    kind = str(op)
    return bool((kind == "LITERAL" and ord(c) == arg) or (kind == "RANGE" and arg[0] <= ord(c) <= arg[1])
                or (kind == "CATEGORY" and str(arg) in _CATEGORY_RE and re.fullmatch(_CATEGORY_RE[str(arg)], c)))


_CATEGORY_RE = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
                "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S"}
