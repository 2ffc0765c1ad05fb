"""The one error hierarchy of Formwork; the web layer maps each class to an HTTP status."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class FormworkError(Exception):
    """Base of every error Formwork raises on purpose; `code` is stable for API clients.

    `code` is the kind of failure (one per class, it picks the HTTP status); `message_code` names
    this very message in engine/core/error_codes.py and `params` fill its placeholders, so a catalog in
    another language can say the same thing (`message` stays the English text).
    """

    code = "error"

    def __init__(self, message: str, *, details: Any = None, message_code: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.message_code = message_code or self.code
        self.params: dict[str, Any] = dict(params or {})


@dataclass(frozen=True)
class Problem:
    """One finding in a declaration file, printed as `file:line:col: message`.

    `code` names the message in engine/core/declaration_codes.py and `params` fill it, so a page can say it in
    the reader's language (`message` is the English text; build one with `declaration_codes.problem_at`).
    `element` is the id of the BPMN element a process problem is about, so an editor can mark it.
    """

    file: str
    line: int
    column: int
    message: str
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    element: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class DeclarationError(FormworkError):
    """A module, overlay or BPMN file has problems; all of them are listed."""

    code = "invalid_declaration"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        summary = "\n".join(str(p) for p in problems)
        super().__init__(summary, details=[str(p) for p in problems])


class FormulaError(FormworkError):
    """A formula does not parse or does not type-check; `column` is 1-based within the text."""

    code = "invalid_formula"

    def __init__(self, message: str, *, text: str, line: int = 1, column: int = 1, reason: str | None = None,
                 message_code: str | None = None, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, details={"formula": text, "line": line, "column": column},
                         message_code=message_code, params=params)
        self.reason = reason or message  # the message without "at column N", for file:line:col reports
        found = self.params.get("reason")  # the problem by its code, where a formula_at error names it
        self.reason_part: dict[str, Any] = (dict(found) if isinstance(found, Mapping) and "code" in found
                                            else {"code": self.message_code, "params": self.params,
                                                  "message": self.reason})
        self.text = text
        self.line = line
        self.column = column


class FormulaRuntimeError(FormworkError):
    """Evaluating a well-typed formula failed on the data (division by zero, bad date ...)."""

    code = "formula_failed"


@dataclass(frozen=True)
class FieldError:
    """One field's problem: `code` names the message in engine/core/error_codes.py, `params` fill it."""

    field: str
    message: str
    code: str = "invalid"
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)


class RecordInvalid(FormworkError):
    """A record failed validation; `errors` lists each field's problem."""

    code = "invalid_record"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors),
            details=[{"field": e.field, "message": e.message} for e in errors],
        )


class NotFound(FormworkError):
    code = "not_found"


class Conflict(FormworkError):
    code = "conflict"


class PermissionDenied(FormworkError):
    code = "forbidden"


class AuthenticationFailed(FormworkError):
    code = "unauthorized"


class BadRequest(FormworkError):
    code = "bad_request"



class PluginNotEnabled(FormworkError):
    """A module needs a plugin (a formula function, a service task) the tenant has not enabled."""

    code = "plugin_not_enabled"
