"""Record fields as typed SQL per dialect (JSON access, list fields, reference hops), and report result columns."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy import literal as sql_literal
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from engine.declarations.model import SYSTEM_FIELDS
from engine.errors import BadRequest
from engine.fields.values import to_json
from engine.formula import FType, Kind, ListField, bind_value
from engine.storage.models import Record

SYSTEM_COLUMNS = frozenset(SYSTEM_FIELDS)
# (dialect, field, kind) -> a field of the records table as typed SQL: expressions are immutable, and building one
# (a JSON operator, a cast) is most of what comparing a field costs a query built per save
_FIELDS: dict[tuple[str, str, Kind], ColumnElement[Any]] = {}
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def live_of(table: type[Record] | AliasedClass[Record], module: str, entity: str) -> ColumnElement[bool]:
    """The live records of one entity, its module and entity names written as literals: the records table has an
    expression index per declared field, each partial on its entity, and a literal is what lets PostgreSQL plan a
    prepared statement once (a generic plan) instead of proving every partial index again at each execution."""
    if not (_NAME.fullmatch(module) and _NAME.fullmatch(entity)):  # declared names are identifiers; never text
        raise ValueError(f"not an entity name: {module}.{entity}")
    return and_(table.module == literal_column(f"'{module}'"), table.entity == literal_column(f"'{entity}'"),
                table.deleted_at.is_(None))


class Evaluation(Protocol):
    """What a user's filters may read besides the records (engine.records.compute.Evaluation)."""

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def user_name(self) -> str | None: ...

    @property
    def user_roles(self) -> tuple[str, ...]: ...

    @property
    def now(self) -> datetime | None: ...


# The condition a record reached through a reference must meet (its entity's key, columns over it); None: any.
RefRows = Callable[[str, "RecordColumns"], ColumnElement[bool] | None]


class RecordColumns:
    """The formula language's SqlTarget: names a record field as a typed SQL expression.

    List fields are JSON arrays of texts in `data`: SQLite walks them with json_each(),
    PostgreSQL asks `jsonb ? text`. A value that is not an array counts as a null list.
    With `ref_rows`, a referenced record that does not meet it counts as missing (its fields null).
    """

    def __init__(self, dialect: str, table: type[Record] | AliasedClass[Record] = Record,
                 ref_rows: RefRows | None = None) -> None:
        self.dialect = dialect
        self.table = table
        self.ref_rows = ref_rows

    def json_text(self, name: str) -> ColumnElement[Any]:
        # The key is a literal (names are validated identifiers) so expression indexes match.
        if self.dialect == "postgresql":
            return self.table.data.op("->>")(literal_column(f"'{name}'"))
        return func.json_extract(self.table.data, literal_column(f"'$.{name}'"))

    def field(self, name: str, ftype: FType) -> ColumnElement[Any]:
        if self.table is Record:  # the records table itself (not an alias): one expression per field and type
            key = (self.dialect, name, ftype.kind)
            found = _FIELDS.get(key)
            if found is None:
                found = _FIELDS[key] = self._field(name, ftype)
            return found
        return self._field(name, ftype)

    def _field(self, name: str, ftype: FType) -> ColumnElement[Any]:
        if name in SYSTEM_COLUMNS:
            column: ColumnElement[Any] = getattr(self.table, name)
            return func.datetime(column) if self._is_sqlite_datetime(ftype) else column
        return self.typed(self.json_text(name), ftype)

    def literal(self, value: Any, ftype: FType) -> ColumnElement[Any]:
        if self._is_sqlite_datetime(ftype) and isinstance(value, datetime):
            return func.datetime(sql_literal(to_json(value.astimezone(UTC))))
        return bind_value(value, ftype)

    def parameter(self, name: str, value: Any, ftype: FType) -> ColumnElement[Any]:
        """`literal(value, ftype)` as the bound parameter `name` (bind it `bound(value, ftype)`). It depends only on
        `ftype` and the value's Python type: a statement built with it serves any value of that type."""
        if self._is_sqlite_datetime(ftype) and isinstance(value, datetime):
            return func.datetime(bindparam(name, type_=String()))
        return bindparam(name, type_=bind_value(value, ftype).type)

    def bound(self, value: Any, ftype: FType) -> Any:
        """The value to bind to `parameter(name, value, ftype)`."""
        if self._is_sqlite_datetime(ftype) and isinstance(value, datetime):
            return to_json(value.astimezone(UTC))
        return value

    def _is_sqlite_datetime(self, ftype: FType) -> bool:
        """SQLite keeps datetimes as text in two spellings; datetime() makes them comparable."""
        return self.dialect == "sqlite" and ftype.kind is Kind.DATETIME

    def typed(self, expression: ColumnElement[Any], ftype: FType) -> ColumnElement[Any]:
        kind = ftype.kind.value
        is_pg = self.dialect == "postgresql"
        if kind in ("number", "money"):
            return cast(expression, Numeric)
        if kind == "date":
            return cast(expression, Date) if is_pg else type_coerce(expression, Date)
        if kind == "datetime":
            return cast(expression, DateTime(timezone=True)) if is_pg else func.datetime(expression)
        if kind == "bool":
            return cast(expression, Boolean) if is_pg else type_coerce(expression, Boolean)
        return expression

    def ref_field(self, ref_name: str, target_entity: str, field: str, ftype: FType) -> ColumnElement[Any]:
        target = aliased(Record)
        value = RecordColumns(self.dialect, target).field(field, ftype)
        return select(value).where(self._is_ref_target(target, ref_name, target_entity)).scalar_subquery()

    def _is_ref_target(self, target: type[Record] | AliasedClass[Record], ref_name: str,
                       target_entity: str) -> ColumnElement[bool]:
        module, _, entity = target_entity.partition(".")
        condition = and_(target.tenant_id == self.table.tenant_id, target.id == self.json_text(ref_name),
                         live_of(target, module, entity))
        rows = self.ref_rows(target_entity, RecordColumns(self.dialect, target)) if self.ref_rows else None
        return condition if rows is None else and_(condition, rows)

    def list_contains(self, field: ListField, item: ColumnElement[Any]) -> ColumnElement[bool]:
        if field.ref is None:
            return self._array_has(field.name, item, field.column)
        assert field.target_entity is not None
        target = aliased(Record)
        holds = RecordColumns(self.dialect, target)._array_has(field.name, item, field.column)
        return select(literal_column("1")).where(
            self._is_ref_target(target, field.ref, field.target_entity), holds).exists()

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> ColumnElement[Any]:
        if field.ref is None:
            return self._array_length(field.name, skip_nulls, field.column)
        assert field.target_entity is not None
        target = aliased(Record)
        length = RecordColumns(self.dialect, target)._array_length(field.name, skip_nulls, field.column)
        return select(length).where(self._is_ref_target(target, field.ref, field.target_entity)).scalar_subquery()

    def _json_path(self, name: str) -> ColumnElement[Any]:
        """The key (PostgreSQL) or path (SQLite) of field `name`, as a literal like in `json_text`."""
        return literal_column(f"'{name}'" if self.dialect == "postgresql" else f"'$.{name}'")

    def _is_array(self, name: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            json_type = func.jsonb_typeof(self.table.data.op("->")(self._json_path(name)))
        else:
            json_type = func.json_type(self.table.data, self._json_path(name))
        return json_type == literal_column("'array'")

    def _array_has(self, name: str, item: ColumnElement[Any], column: str | None = None) -> ColumnElement[bool]:
        """Whether the array `name` holds `item` (with `column`: has a row whose `column` is `item`)."""
        if self.dialect == "postgresql":
            array = self.table.data.op("->")(self._json_path(name))
            if column is not None:  # containment: [{"user": "ann"}] is in [{"user": "ann", "position": ...}]
                wanted = func.jsonb_build_array(func.jsonb_build_object(literal_column(f"'{column}'"), item))
                return and_(self._is_array(name), array.op("@>", return_type=Boolean)(wanted))
            return and_(self._is_array(name), array.op("?", return_type=Boolean)(item))
        items = func.json_each(self.table.data, self._json_path(name)).table_valued("value")
        value = items.c.value if column is None else func.json_extract(items.c.value, literal_column(f"'$.{column}'"))
        found = select(literal_column("1")).select_from(items).where(value == item).exists()
        return and_(self._is_array(name), found)

    def _array_length(self, name: str, skip_nulls: bool, column: str | None = None) -> ColumnElement[Any]:
        """The number of items (rows) of the array `name`; without null items (rows whose `column` is null)."""
        length: ColumnElement[Any]
        if self.dialect == "postgresql":
            array = self.table.data.op("->")(self._json_path(name))
            if skip_nulls:
                path = "$[*] ? (@ != null)" if column is None else f"$[*] ? (@.{column} != null)"
                array = func.jsonb_path_query_array(array, literal_column(f"'{path}'"))
            length = func.jsonb_array_length(array, type_=Integer)
        elif skip_nulls:
            items = func.json_each(self.table.data, self._json_path(name)).table_valued("value", "type")
            present = (items.c.type != literal_column("'null'") if column is None else
                       func.json_type(items.c.value, literal_column(f"'$.{column}'")).not_in(["null"]))
            length = select(func.count()).select_from(items).where(present).scalar_subquery()
        else:
            length = func.json_array_length(self.table.data, self._json_path(name), type_=Integer)
        return case((self._is_array(name), length))


class ResultColumns:
    """The SqlTarget of formulas over a query's named result columns (a report's derived columns).

    The names are checked when the module compiles and are plain numbers, texts, dates or refs,
    so no ref hops or lists reach here."""

    def __init__(self, columns: Mapping[str, ColumnElement[Any]]) -> None:
        self.columns = columns

    def field(self, name: str, ftype: FType) -> ColumnElement[Any]:
        return self.columns[name]

    def literal(self, value: Any, ftype: FType) -> ColumnElement[Any]:
        return bind_value(value, ftype)

    def ref_field(self, ref_name: str, target_entity: str, field: str, ftype: FType) -> ColumnElement[Any]:
        raise BadRequest(f"a formula over report columns cannot read {ref_name}.{field}",
                         message_code="report_formula_ref", params={"ref_name": ref_name, "field": field})

    def list_contains(self, field: ListField, item: ColumnElement[Any]) -> ColumnElement[bool]:
        raise BadRequest(f"a formula over report columns cannot read the list {field.name!r}",
                         message_code="report_formula_list", params={"name": field.name})

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> ColumnElement[Any]:
        raise BadRequest(f"a formula over report columns cannot read the list {field.name!r}",
                         message_code="report_formula_list", params={"name": field.name})


