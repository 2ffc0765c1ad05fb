"""Read the expression dialects found in BPMN files: formula language, Camunda JUEL, Zeebe FEEL, ISO timers.

Conditions written for Camunda (`${amount > 1000}`, `#{!approved}`) or Zeebe (`= amount > 1000`)
are translated token by token into the formula language when a process loads; what cannot be
translated (method calls on Java objects, ternaries, FEEL quantifiers) raises `Untranslatable`.
Timer texts may be bare ISO 8601 literals (`PT4H`, `R3/PT1H`, `2026-01-01T09:00:00Z`), which
SpiffWorkflow would otherwise hand to the script engine as an expression.
"""

from __future__ import annotations

import re

_JUEL = re.compile(r"\A\s*[$#]\{(?P<body>.*)\}\s*\Z", re.DOTALL)
_FEEL = re.compile(r"\A\s*=(?!=)(?P<body>.*)\Z", re.DOTALL)
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<op>&&|\|\||==|!=|<=|>=|=|<|>|!|\(|\)|\[|\]|,|\+|-|\*|/|%)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_WORD_OPERATORS = {
    "and": "and", "or": "or", "not": "not",
    "eq": "==", "ne": "!=", "gt": ">", "lt": "<", "ge": ">=", "le": "<=",
    "div": "/", "mod": "%", "true": "true", "false": "false", "null": "null",
}
_SYMBOL_OPERATORS = {"&&": "and", "||": "or", "!": "not", "=": "=="}
_FEEL_UNSUPPORTED = frozenset({"some", "every", "satisfies", "for", "return", "then", "else", "instance"})

_DURATION = r"P(?=\d|T)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO_TIMER = re.compile(
    rf"\A(?:{_DURATION}|{_DATETIME}|R\d*/(?:{_DURATION}|{_DATETIME})(?:/(?:{_DURATION}|{_DATETIME}))?)\Z"
)
_CRON = re.compile(r"\A\s*\S+(?:\s+\S+){4,6}\s*\Z")
_PYTHON_HINTS = re.compile(
    r"__|\bimport\b|\blambda\b|\bdef\b|\bexec\b|\beval\b|\bprint\s*\(|\bTrue\b|\bFalse\b|\bNone\b"
    r"|\bis\s+not\b|\bis\b|\[[^\]]*\bfor\b[^\]]*\bin\b|\w\s*\.\s*\w+\s*\(|\bself\b|\bos\b|\bsys\b|\+=|-="
)

ASSIGNEE_SUBMITTER = "submitter"
_SUBMITTER_NAMES = frozenset({"submitter", "initiator"})


class Untranslatable(ValueError):
    """A Camunda/Zeebe expression uses something the formula language has no equivalent for."""


def dialect_of(text: str) -> str:
    """Name the dialect of a BPMN expression: `juel`, `feel` or `formula`."""
    if _JUEL.match(text):
        return "juel"
    if _FEEL.match(text):
        return "feel"
    return "formula"


def to_formula(text: str) -> str:
    """Return `text` in the formula language, translating JUEL `${...}`/`#{...}` and FEEL `= ...`."""
    juel = _JUEL.match(text)
    if juel:
        return _translate(juel.group("body"), feel=False)
    feel = _FEEL.match(text)
    if feel:
        return _translate(feel.group("body"), feel=True)
    return text.strip()


def _translate(body: str, *, feel: bool) -> str:
    words = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(body) if m.lastgroup != "space"]
    parts: list[str] = []
    index = 0
    while index < len(words):
        kind, value = words[index]
        following = words[index + 1] if index + 1 < len(words) else ("", "")
        index += 1
        if kind == "other":
            raise Untranslatable(f"{value!r} has no equivalent in the formula language")
        if kind == "op":
            if value == "!" and following[0] == "name" and following[1].lower() != "empty":
                # JUEL's `!` binds tighter than comparisons; the formula `not` is looser.
                parts.append(f"(not {following[1]})")
                index += 1
            else:
                parts.append(_SYMBOL_OPERATORS.get(value, value))
            continue
        if kind != "name":
            parts.append(value)
            continue
        lowered = value.lower()
        if feel and lowered in _FEEL_UNSUPPORTED:
            raise Untranslatable(f"FEEL {value!r} expressions have no equivalent in the formula language")
        if lowered == "empty" and not feel:
            if following[0] != "name":
                raise Untranslatable("'empty' must be followed by a variable name")
            parts.append(f"({following[1]} == null or len({following[1]}) == 0)")
            index += 1
        elif "." in value and following[1] == "(":
            raise Untranslatable(f"method call {value}(...) cannot be translated; use a process variable")
        else:
            parts.append(_WORD_OPERATORS.get(lowered, value))
    if not parts:
        raise Untranslatable("the expression is empty")
    return _join(parts)


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        glued = not text or text[-1] in "([" or part in (")", "]", ",")
        text += part if glued else " " + part
    return text


def is_iso_timer(text: str) -> bool:
    """Return whether `text` is a plain ISO 8601 duration, date-time or repeating interval."""
    return bool(_ISO_TIMER.match(text.strip()))


def is_cron(text: str) -> bool:
    """Return whether `text` looks like a Quartz/cron schedule (`0/5 0/1 * 1/1 * ?`)."""
    return bool(_CRON.match(text)) and not is_iso_timer(text) and any(c in text for c in "*?")


def looks_like_python(text: str) -> bool:
    """Return whether an expression that failed to compile was most likely written in Python."""
    return bool(_PYTHON_HINTS.search(text))


def assignee_name(text: str) -> str:
    """Return the field an assignee expression names (`${created_by}`, `= created_by`), or 'submitter'."""
    stripped = text.strip()
    juel, feel = _JUEL.match(stripped), _FEEL.match(stripped)
    inner = (juel.group("body") if juel else feel.group("body") if feel else stripped).strip()
    return ASSIGNEE_SUBMITTER if inner.lower() in _SUBMITTER_NAMES else inner


def is_submitter_role(name: str) -> bool:
    """Return whether a lane or candidate group means "the record's creator"."""
    return name.strip().lower() in _SUBMITTER_NAMES
