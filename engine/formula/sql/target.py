"""The port between formula SQL compilation and storage: how fields and values become SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, column, literal
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from engine.formula.types import BOOL, DATE, DATETIME, NULL, NUMBER, TEXT, FType, Kind


@dataclass(frozen=True, slots=True)
class ListField:
    """A list-valued field read in SQL: `name` of the record, or, with `ref`, of the record it points at.

    Record lists (multi_enum, user or attachment with `multiple`, computed lists of those) hold
    texts; with `column`, the list is that column of a child table's rows (texts or refs).
    `ref` is the record's ref field hopped through and `target_entity` the
    "module.entity" it points at (both None for the record's own field).
    """

    name: str
    ref: str | None = None
    target_entity: str | None = None
    column: str | None = None                      # a child table's column: `members.user`

    def __str__(self) -> str:
        path = self.name if self.column is None else f"{self.name}.{self.column}"
        return path if self.ref is None else f"{self.ref}.{path}"


class SqlTarget(Protocol):
    """The storage layer's side of SQL compilation (one implementation per table layout).

    A list read by a formula is null where it is missing, null, or not a list; the list
    methods give NULL (or false) there, as the Python evaluator gives null.
    """

    def field(self, name: str, type: FType) -> ColumnElement[Any]:
        """Return the record's field `name`, cast to the SQL type of `type`."""
        ...

    def ref_field(self, ref_name: str, target_entity: str, field: str, type: FType) -> ColumnElement[Any]:
        """Return `field` of the record the ref field `ref_name` points at (a scalar subquery)."""
        ...

    def literal(self, value: Any, type: FType) -> ColumnElement[Any]:
        """Return `value` (never None) as a bound parameter comparable with `field(..., type)`.

        `bind_value` is a portable default; SQLite storage that keeps dates as ISO text may
        need to bind dates and datetimes as text in the same format.
        """
        ...

    def list_contains(self, field: ListField, item: ColumnElement[Any]) -> ColumnElement[bool]:
        """Return whether the list `field` holds the text `item`.

        NULL or false where the list is null or `item` is NULL; null items never match.
        """
        ...

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> ColumnElement[Any]:
        """Return the number of items of the list `field` (without null items if `skip_nulls`).

        NULL where the list is null; 0 for an empty list.
        """
        ...


_SQL_TYPES: dict[Kind, TypeEngine[Any]] = {
    Kind.NUMBER: Numeric(),
    Kind.MONEY: Numeric(),
    Kind.TEXT: String(),
    Kind.REF: String(),
    Kind.BOOL: Boolean(),
    Kind.DATE: Date(),
    Kind.DATETIME: DateTime(timezone=True),
}


def bind_value(value: Any, type: FType) -> ColumnElement[Any]:
    """Bind `value` with the SQLAlchemy type matching `type` (a default for `SqlTarget.literal`)."""
    return literal(value, _SQL_TYPES.get(type.kind))


class SqlProbe:
    """A SqlTarget over no table: compiling to it tells whether a formula can run in the database.

    The declarations use it at compile time (a conflict's `when` is read in SQL), before any
    storage exists; what cannot become SQL raises FormulaError whatever the target.
    """

    def field(self, name: str, type: FType) -> ColumnElement[Any]:
        return column(name, _SQL_TYPES.get(type.kind))

    def ref_field(self, ref_name: str, target_entity: str, field: str, type: FType) -> ColumnElement[Any]:
        return column(f"{ref_name}.{field}", _SQL_TYPES.get(type.kind))

    def literal(self, value: Any, type: FType) -> ColumnElement[Any]:
        return bind_value(value, type)

    def list_contains(self, field: ListField, item: ColumnElement[Any]) -> ColumnElement[bool]:
        return column(f"{field} contains", Boolean())

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> ColumnElement[Any]:
        return column(f"{field} length", Integer())


def type_of_value(value: Any) -> FType:
    """Return the formula type of a Python value (for values whose static type was `any`)."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Decimal | int):
        return NUMBER
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    if isinstance(value, str):
        return TEXT
    return NULL
