"""Message codes of declaration problems (a module, an overlay, a seed file, a BPMN process) and their English.

A `Problem` names its message by a code of DECLARATION_MESSAGES with `params`, so the designer can show it in
the administrator's language; the English text (`Problem.message`, what the CLI prints) is rendered here from
the same template, written once. Part of MESSAGES in engine.core.error_codes, hence of the message catalogs.

A param may be a part of the message with a code of its own (`{"code": ..., "params": ...}`, or a list of such
parts, read as alternatives: "a, b or c"), so that a description such as "field 'qty'" is said in the reader's
language too. Two params are filled in by the renderer rather than the caller:

- `hint`: from `suggestion` (a close name the author may have meant, or ''), " (did you mean 'x'?)";
- the BPMN element a process problem is about (`bpmn_tag`, `bpmn_id`) prefixes the text: "user task 'approve': ".
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.core.declaration_codes.module_messages import MODULE_MESSAGES
from engine.core.declaration_codes.process_messages import PROCESS_MESSAGES
from engine.core.declaration_codes.schema_messages import SCHEMA_MESSAGES
from engine.errors import Problem

DECLARATION_MESSAGES: dict[str, str] = MODULE_MESSAGES | SCHEMA_MESSAGES | PROCESS_MESSAGES
Part = dict[str, Any]  # a part of a message: {"code": ..., "params": {...}}


def part(code: str, params: Mapping[str, Any] | None = None, message: str | None = None) -> Part:
    """A part of a message (`what` a formula is, a report's name ...) named by its own code; a code of another
    table (a value's error) brings its English `message` along."""
    found: Part = {"code": code, "params": dict(params or {})}
    return {**found, "message": message} if message is not None else found


def english_hint(suggestion: Any) -> str:
    return f" (did you mean {suggestion!r}?)" if suggestion else ""


def element_words(tag: str) -> str:
    """A BPMN element kind in English words: `userTask` -> `user task`."""
    return "".join(" " + c.lower() if c.isupper() else c for c in tag).strip()


def element_label(params: Mapping[str, Any]) -> str:
    """`user task 'approve'` for a process problem's element params, '' for other problems."""
    tag, ident = params.get("bpmn_tag"), params.get("bpmn_id")
    if not tag:
        return ""
    return f"{element_words(str(tag))} {ident!r}" if ident else element_words(str(tag))


def render(code: str, params: Mapping[str, Any]) -> str:
    """The English text of declaration message `code` with `params` (KeyError for an unknown code)."""
    values = {name: _english_part(value) for name, value in params.items()}
    text = DECLARATION_MESSAGES[code].format(**values, hint=english_hint(params.get("suggestion")))
    label = element_label(params)
    return f"{label}: {text}" if label else text


def _english_part(value: Any) -> Any:
    if isinstance(value, Mapping) and "code" in value:
        if value["code"] not in DECLARATION_MESSAGES:
            return value.get("message", "")
        return render(str(value["code"]), value.get("params") or {})
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        words = [str(_english_part(item)) for item in value]
        return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return value


def problem_at(file: str, line: int, column: int, code: str, params: Mapping[str, Any] | None = None,
               element: str | None = None) -> Problem:
    """A problem at `file:line:column`, its English message rendered from `code` and `params`."""
    values = dict(params or {})
    return Problem(file, line, column, render(code, values), code, values, element)


def snake_case(name: str) -> str:
    """A code's part from a camelCase name (a BPMN tag, a JSON Schema keyword): codes are snake_case identifiers."""
    return re.sub(r"([A-Z])", lambda found: "_" + found.group(1).lower(), name)
