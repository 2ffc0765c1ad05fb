"""The function registry: every callable name in a formula, built-in or added by a plugin.

A `Function` bundles a typed signature (checked when a formula compiles), a Python
implementation (run by the evaluator) and optionally a SQL implementation (used when the
formula is compiled to a filter). Built-ins are registered through the same
`register_function` that plugins call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from engine.core.codes.formula_codes import reason as coded
from engine.formula.types import FType

# The SQL implementation receives one SQLAlchemy expression per argument (a Python list of
# bound values for a list known before the query runs; with `sql_takes_lists`, a `RecordList`
# for a list field read from the record) and the arguments' formula types.
SqlImpl = Callable[[Sequence[Any], Sequence[FType]], ColumnElement[Any]]
# Computes the result type from the argument types, or raises ArgumentError.
Infer = Callable[[Sequence[FType]], FType]
# Writes the Python expression the evaluator puts in place of a call, from the names holding the arguments,
# their types and `bind` (which names a value the expression uses); None to call the implementation.
Inline = Callable[[Sequence[str], Sequence[FType], Callable[[Any], str]], str | None]

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_RESERVED = frozenset({"if", "and", "or", "not", "in", "true", "false", "null", "params", "user"})


class ArgumentError(Exception):
    """An argument does not fit the signature; `index` points the error at that argument."""

    def __init__(self, message: str | dict[str, Any], index: int | None = None) -> None:
        self.problem = message  # a part by its code (engine.core.codes.formula_codes.reason), or English not named yet
        self.message = str(message["message"]) if isinstance(message, dict) else message
        super().__init__(self.message)
        self.index = index


@dataclass(frozen=True)
class Function:
    """A callable formula function.

    `propagates_null`: the implementation is not called when any argument is null and the
    result is null (so plugin code never sees None). `takes_context`: the implementation
    receives the evaluation `Context` first (for the clock or the user). `sql_takes_lists`:
    `sql` accepts a list field read from the record as a `RecordList` (`.contains(item)`,
    `.length()`, `.count()`); other functions are refused in filters on such lists. `reads_refs`:
    the implementation reads records through `Context.load_ref` (like a ref hop), so one evaluation
    reads each record once however many calls and hops read it. `inline` (built-ins): the expression
    the evaluator writes instead of calling `impl`, which must give the same value (or failure).
    """

    name: str
    params: tuple[FType, ...]
    returns: FType
    impl: Callable[..., Any]
    variadic: bool = False
    min_args: int = 0
    infer: Infer | None = None
    sql: SqlImpl | None = None
    propagates_null: bool = True
    takes_context: bool = False
    sql_takes_lists: bool = False
    reads_refs: bool = False
    inline: Inline | None = None

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)

    def result_type(self, arg_types: Sequence[FType]) -> FType:
        """Check the arity and argument types; return the result type or raise ArgumentError."""
        count = len(arg_types)
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            raise ArgumentError(coded("formula_arity", name=self.name, arity=self._arity(), count=count))
        if self.infer is not None:
            return self.infer(arg_types)
        for index, arg_type in enumerate(arg_types):
            expected = self.params[min(index, len(self.params) - 1)]
            if not expected.accepts(arg_type):
                raise ArgumentError(coded("formula_argument_type", number=index + 1, name=self.name,
                                          expected=str(expected), found=str(arg_type)), index)
        return self.returns

    def _arity(self) -> dict[str, Any]:
        low, high = self.min_args, self.max_args
        plural = "" if (high if high is not None else low) == 1 else "s"
        if high is None:
            return coded("formula_arity_at_least", low=low, plural="" if low == 1 else "s")
        if low == high:
            return coded("formula_arity_exact", low=low, plural=plural) if low else coded("formula_arity_none")
        return coded("formula_arity_range", low=low, high=high)


class FunctionRegistry:
    """Functions by name; the process-wide one is `FUNCTIONS`."""

    def __init__(self) -> None:
        self._functions: dict[str, Function] = {}

    def register(self, function: Function) -> None:
        if function.name in _RESERVED:
            raise ValueError(f"{function.name!r} is a reserved word of the formula language")
        if not _NAME.match(function.name):
            raise ValueError(
                f"function name {function.name!r} must be lower_snake_case starting with a letter"
            )
        if function.name in self._functions:
            raise ValueError(f"function {function.name}() is already registered")
        self._functions[function.name] = function

    def unregister(self, name: str) -> None:
        """Remove a function (for tests and plugin unloading); formulas compiled earlier keep it."""
        self._functions.pop(name, None)

    def get(self, name: str) -> Function | None:
        return self._functions.get(name)

    def names(self) -> list[str]:
        return sorted(self._functions)


FUNCTIONS = FunctionRegistry()


def register_function(
    name: str,
    params: Sequence[FType],
    returns: FType,
    impl: Callable[..., Any],
    *,
    variadic: bool = False,
    min_args: int | None = None,
    infer: Infer | None = None,
    sql: SqlImpl | None = None,
    propagates_null: bool = True,
    takes_context: bool = False,
    sql_takes_lists: bool = False,
    reads_refs: bool = False,
    inline: Inline | None = None,
) -> Function:
    """Add a function to the formula language and return it.

    `params` are the argument types (with `variadic`, the last one repeats); `min_args`
    makes trailing parameters optional (omitted ones are not passed, so `impl`'s defaults
    apply). `infer` replaces the plain signature check for generic functions. Without `sql`
    the function works in Python only; a filter using it on record data is refused with a
    clear message. `sql_takes_lists` lets `sql` receive list fields read from the record.
    `inline` writes the call as a Python expression (see `Function`).
    """
    required = len(params) if min_args is None else min_args
    if not 0 <= required <= len(params):
        raise ValueError(f"min_args of {name}() must be between 0 and {len(params)}")
    if variadic and not params:
        raise ValueError(f"variadic function {name}() needs at least one parameter type")
    function = Function(
        name=name,
        params=tuple(params),
        returns=returns,
        impl=impl,
        variadic=variadic,
        min_args=required,
        infer=infer,
        sql=sql,
        propagates_null=propagates_null,
        takes_context=takes_context,
        sql_takes_lists=sql_takes_lists,
        reads_refs=reads_refs,
        inline=inline,
    )
    FUNCTIONS.register(function)
    return function


def unregister_function(name: str) -> None:
    """Remove a function added with `register_function`."""
    FUNCTIONS.unregister(name)
