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
