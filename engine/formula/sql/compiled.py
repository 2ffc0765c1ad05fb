"""What the SQL compiler makes of one node: a value computed in Python, a SQL expression, or a list.

Lists stay lists until an operation consumes them: a list literal (`[a, b]`) becomes its item
expressions, a list field read from the record becomes a `RecordList`, whose membership,
length and count the storage layer (`SqlTarget`) spells in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, literal
from sqlalchemy.sql.elements import ColumnElement, Null

from engine.formula.ast import Pos
from engine.formula.sql.target import ListField, SqlTarget
from engine.formula.types import FType

Col = ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Folded:
    """A value computed in Python before the query (it does not depend on the row)."""

    value: Any
    type: FType
    pos: Pos


@dataclass(frozen=True, slots=True)
class Sql:
    """A SQL expression; `falsy_null`: where it is NULL, Python would say false."""

    expr: Col
    falsy_null: bool = False


@dataclass(frozen=True, slots=True)
class SqlList:
    """A list literal with items read from the row, e.g. `[a, b]` (only usable with `in`)."""

    items: list[Col]
    pos: Pos


@dataclass(frozen=True, slots=True)
class RecordList:
    """A list field of the record, or one ref hop away (`tags`, `project.members`).

    Functions registered with `sql_takes_lists=True` receive it in place of a SQL expression.
    """

    field: ListField
    target: SqlTarget
    pos: Pos

    def contains(self, item: Col) -> Col:
        """Whether the list holds `item`; NULL or false when the list or the item is null."""
        if isinstance(item, Null):  # SQLAlchemy would turn `value = NULL` into `value IS NULL`
            return false()
        return self.target.list_contains(self.field, item)

    def length(self) -> Col:
        """The number of items, null ones included (Python's `len`); NULL for a null list."""
        return self.target.list_length(self.field)

    def count(self) -> Col:
        """The number of items that are not null; 0 for a null list (Python's `count`)."""
        return func.coalesce(self.target.list_length(self.field, skip_nulls=True), literal(0))


Compiled = Folded | Sql | SqlList | RecordList
