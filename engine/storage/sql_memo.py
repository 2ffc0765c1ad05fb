"""Formula filters compiled to SQL once per process, not once per query.

Building a SQLAlchemy expression tree is most of what a formula filter costs a write (a conflict's
`when`, a row filter, a lookup's `where`): the same formula, with the same parameters, user and roles,
gives the same expression, and expressions are immutable, so one tree serves every later query.
A formula that reads the clock (`today()`, `now()`, any function that takes the context) is folded
with the moment it was compiled, so it is compiled afresh every time.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from sqlalchemy import ColumnElement

from engine.formula import Formula
from engine.formula.ir import CallExpr, walk

LIMIT = 4096  # distinct (formula, dialect, user, roles, parameters) kept; past it the memo starts over

_compiled: dict[tuple[Hashable, ...], ColumnElement[Any]] = {}
_volatile: dict[Formula, bool] = {}


def memoized(formula: Formula, dialect: str, params: Mapping[str, Any], user_name: str | None,
             user_roles: tuple[str, ...], build: Callable[[], ColumnElement[Any]]) -> ColumnElement[Any]:
    """`build()`'s expression for the formula over the records table, from the memo when it may be."""
    if _reads_context(formula):
        return build()
    try:
        key: tuple[Hashable, ...] = (formula, dialect, user_name, user_roles, frozenset(params.items()))
        hash(key)
    except TypeError:  # a list parameter: not worth a key of its own
        return build()
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) >= LIMIT:
            _compiled.clear()
            _volatile.clear()
        found = _compiled[key] = build()
    return found


def _reads_context(formula: Formula) -> bool:
    if formula not in _volatile:
        _volatile[formula] = any(isinstance(node, CallExpr) and node.function.takes_context
                                 for node in walk(formula.tree))
    return _volatile[formula]
