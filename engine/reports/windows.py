"""The SQL of a report's running columns and of `rows: any`: windows over the grouped rows, a union of groups."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Subquery, and_, func, select, true, union
from sqlalchemy.sql.functions import FunctionElement

from engine.declarations.model import Window

WINDOW_FUNCTIONS: dict[str, Callable[[ColumnElement[Any]], FunctionElement[Any]]] = {
    "sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}


def window_column(window: Window, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
    """`sum(net) OVER (PARTITION BY project ORDER BY period)`, or `lag(amount, 1) OVER (...)` for previous.

    With an order, sum/avg/min/max run from the partition's first row to the current one and its peers
    (rows with the same order values count together); without, they cover the whole partition."""
    value = columns[window.column]
    partition = [columns[name] for name in window.partition]
    order = [columns[name].desc() if descending else columns[name].asc() for name, descending in window.order]
    if window.function in WINDOW_FUNCTIONS:
        call = WINDOW_FUNCTIONS[window.function](value)
    elif window.function == "previous":
        call = func.lag(value, window.offset)
    else:
        call = func.lead(value, window.offset)
    over: ColumnElement[Any] = call.over(partition_by=partition or None, order_by=order or None)
    return over


def every_group(main: Subquery, groups: Sequence[str], sides: Sequence[tuple[Subquery, Sequence[str]]]) -> Subquery:
    """The groups any of a report's entities has (`rows: any`): the union of the report's own grouping
    values and each join's match keys (a join of `rows: any` matches every grouping)."""
    selects = [select(*(main.c[name] for name in groups))]
    selects += [select(*(side.c[f"{name}__key"].label(name) for name in groups)) for side, _ in sides]
    return union(*selects).subquery("groups")


def matching(left: FromClause, right: FromClause, pairs: Sequence[tuple[str, str]], *,
             nulls_match: bool) -> ColumnElement[bool]:
    """Equal grouping values; `nulls_match` for the union of groups, where an empty grouping is a group too."""
    if nulls_match:
        return and_(true(), *(left.c[a].is_not_distinct_from(right.c[b]) for a, b in pairs))
    return and_(true(), *(left.c[a] == right.c[b] for a, b in pairs))
