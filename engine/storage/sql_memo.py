"""Formula filters compiled to SQL once per process, not once per query.

Building a SQLAlchemy expression tree is most of what a formula filter costs a write (a conflict's
`when`, a row filter, a lookup's `where`): the same formula, with the same parameters, user and roles,
gives the same expression, and expressions are immutable, so one tree serves every later query.
A formula that reads the clock (`today()`, `now()`, any function that takes the context) is folded
with the moment it was compiled, so it is compiled afresh every time.
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select

from engine.formula import Formula
from engine.formula.ir import CallExpr, walk

T = TypeVar("T")
E = TypeVar("E", ColumnElement[Any], Select[Any])

LIMIT = 4096  # distinct (formula, dialect, user, roles, parameters) kept; past it the memo starts over

_compiled: dict[tuple[Hashable, ...], Any] = {}
_volatile: dict[Formula, bool] = {}


def memoized(formula: Formula, dialect: str, params: Mapping[str, Any], user_name: str | None,
             user_roles: tuple[str, ...], build: Callable[[], E], *, over: Hashable = None) -> E:
    """`build()`'s expression for the formula over the records table, from the memo when it may be; `over` names
    anything else the expression is built from (a reference it is read through, a tenant it is limited to)."""
    if _reads_context(formula):
        return build()
    try:
        key: tuple[Hashable, ...] = (formula, dialect, user_name, user_roles, frozenset(params.items()), over)
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


class StatementMemo(Generic[T]):
    """Statements built once per shape (what they compare, the types of the values bound at execution), for the
    queries every save runs (a declared conflict, a lookup). A shape may name declarations by id: `built_from` are
    those objects, and a statement is built again when one is not the object it was built from (an id is reused
    once its object is gone)."""

    def __init__(self, most: int) -> None:
        self._most = most
        self._kept: dict[Hashable, tuple[tuple[object, ...], T]] = {}

    def get(self, shape: Hashable, built_from: tuple[object, ...], build: Callable[[], T]) -> T:
        kept = self._kept.get(shape)
        if kept is None or len(kept[0]) != len(built_from) or not all(map(operator.is_, kept[0], built_from)):
            if len(self._kept) >= self._most:
                self._kept.clear()
            kept = self._kept[shape] = (built_from, build())
        return kept[1]
