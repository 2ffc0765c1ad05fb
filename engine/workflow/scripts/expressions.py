"""Compile the expressions of a process (conditions, scripts, timers) to formulas, once per process.

Every text SpiffWorkflow hands to the script engine is looked up here by its raw text. The table is
filled when the process loads, where each text is translated from its dialect and type-checked
against the entity's fields plus the process variables; a text the loader did not see (an internal
path of SpiffWorkflow) is compiled on first use against the same environment. Nothing is ever
handed to Python's `eval` or `exec`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Protocol

from engine.errors import FormulaError, FormulaRuntimeError
from engine.formula import (
    BOOL,
    DATE,
    DATETIME,
    TEXT,
    Context,
    Environment,
    FieldInfo,
    Formula,
    FType,
    Kind,
    compile_formula,
)
from engine.formula.context import RefLoader, no_refs
from engine.workflow.scripts.dialects import Untranslatable, is_cron, is_iso_timer, to_formula

_NO_VALUES: Mapping[str, Any] = MappingProxyType({})
_ASSIGNMENT = re.compile(r"\A\s*(?P<name>[A-Za-z][A-Za-z0-9_]*)\s*=(?!=)(?P<expr>.*)\Z", re.DOTALL)
_RESERVED_NAMES = frozenset({"params", "user", "and", "or", "not", "in", "if", "true", "false", "null"})
_TIMER_TYPES = (TEXT, DATE, DATETIME)


class ExpressionError(ValueError):
    """An expression does not compile; `line` is 1-based within the text, `reason` the bare message."""

    def __init__(self, reason: str, *, line: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class ServiceCaller(Protocol):
    def __call__(self, topic: str, bpmn_id: str, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Handle a service task: the variables it sets, or None to leave it waiting (retried later)."""


@dataclass(frozen=True)
class ScriptContext:
    """What formulas read at runtime besides task data: module parameters, the user, refs, the clock."""

    params: Mapping[str, Any] = field(default_factory=lambda: _NO_VALUES)
    user_name: str | None = None
    user_roles: Sequence[str] = ()
    load_ref: RefLoader = no_refs
    now: datetime | None = None
    call_service: ServiceCaller | None = None

    def formula_context(self, values: Mapping[str, Any]) -> Context:
        """Return the formula context that reads `values` as the record."""
        return Context(
            values=values, params=self.params, user_name=self.user_name, user_roles=self.user_roles,
            load_ref=self.load_ref, now=self.now,
        )


class Evaluable(Protocol):
    def evaluate(self, values: Mapping[str, Any], context: ScriptContext) -> Any: ...


@dataclass(frozen=True)
class Literal:
    """A text that stands for itself (a plain ISO 8601 timer such as `PT4H`)."""

    value: Any

    def evaluate(self, values: Mapping[str, Any], context: ScriptContext) -> Any:
        return self.value


@dataclass(frozen=True)
class FormulaExpression:
    """An expression compiled to a formula."""

    formula: Formula

    def evaluate(self, values: Mapping[str, Any], context: ScriptContext) -> Any:
        return self.formula.evaluate(context.formula_context(values))


@dataclass(frozen=True)
class Script:
    """`name = expression` lines, run in order; each line sees the names assigned before it."""

    assignments: tuple[tuple[str, Formula], ...]

    def run(self, values: dict[str, Any], context: ScriptContext) -> None:
        for name, formula in self.assignments:
            values[name] = formula.evaluate(context.formula_context(values))


def compile_expression(raw: str, env: Environment, *, expect: FType | None = BOOL) -> FormulaExpression:
    """Translate `raw` from its dialect and compile it; raise ExpressionError with the reason."""
    try:
        text = to_formula(raw)
    except Untranslatable as error:
        raise ExpressionError(f"cannot be translated to the formula language: {error}") from None
    try:
        return FormulaExpression(compile_formula(text, env, expect=expect))
    except FormulaError as error:
        raise ExpressionError(error.reason, line=error.line) from None


def compile_timer(raw: str, env: Environment) -> Evaluable:
    """Compile a timer text: a plain ISO 8601 literal, a quoted one, or a formula giving text or a date."""
    text = raw.strip()
    if is_iso_timer(text):
        return Literal(text)
    if is_cron(text):
        raise ExpressionError("cron schedules are not supported; use an ISO 8601 cycle such as R/PT5M")
    compiled = compile_expression(text, env, expect=None)
    result = compiled.formula.type
    if not any(kind.accepts(result) for kind in _TIMER_TYPES) and result.kind is not Kind.ANY:
        raise ExpressionError(f"a timer must give an ISO 8601 text, a date or a datetime, not {result}")
    constant = _constant_text(compiled.formula)
    if constant is not None and not is_iso_timer(constant):
        raise ExpressionError(f"{constant!r} is not an ISO 8601 duration (PT4H), date-time or cycle (R3/PT1H)")
    return compiled


def _constant_text(formula: Formula) -> str | None:
    if formula.dependencies or formula.type != TEXT:
        return None
    try:
        value = formula.evaluate(Context())
    except FormulaRuntimeError:
        return None
    return value if isinstance(value, str) else None


def compile_script(raw: str, env: Environment) -> tuple[Script, dict[str, FType]]:
    """Compile `name = expression` lines; return the script and the type each assigned name gets."""
    assignments: list[tuple[str, Formula]] = []
    assigned: dict[str, FType] = {}
    lines = raw.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            raise ExpressionError(f"line {line.strip()!r} is not a `name = expression` assignment", line=number)
        name = match.group("name")
        if name.lower() in _RESERVED_NAMES:
            raise ExpressionError(f"{name!r} is reserved and cannot be assigned", line=number)
        line_env = Environment({**env.fields, **{n: FieldInfo(t) for n, t in assigned.items()}}, env.params)
        try:
            formula = compile_formula(match.group("expr").strip(), line_env)
        except FormulaError as error:
            raise ExpressionError(error.reason, line=number) from None
        assignments.append((name, formula))
        assigned[name] = formula.type
    if not assignments:
        raise ExpressionError("the script is empty")
    return Script(tuple(assignments)), assigned


class ExpressionTable:
    """The compiled expressions and scripts of one process, keyed by their raw text (thread-safe)."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._expressions: dict[str, Evaluable] = {}
        self._scripts: dict[str, Script] = {}
        self._lock = threading.Lock()

    def add_expression(self, raw: str, compiled: Evaluable) -> None:
        with self._lock:
            self._expressions.setdefault(raw, compiled)

    def add_script(self, raw: str, script: Script) -> None:
        with self._lock:
            self._scripts.setdefault(raw, script)

    def expression(self, raw: str) -> Evaluable:
        """Return the compiled expression for `raw`, compiling a text the loader did not see."""
        found = self._expressions.get(raw)
        if found is None:
            found = compile_timer(raw, self.environment) if is_iso_timer(raw) else compile_expression(
                raw, self.environment, expect=None
            )
            self.add_expression(raw, found)
        return found

    def script(self, raw: str) -> Script:
        found = self._scripts.get(raw)
        if found is None:
            found = compile_script(raw, self.environment)[0]
            self.add_script(raw, found)
        return found


def timer_value(value: Any) -> Any:
    """Turn what a timer formula gave into the ISO text SpiffWorkflow parses."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00+00:00"
    return value
