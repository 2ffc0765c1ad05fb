"""Record queries in SQL: JSON field access per dialect, formula filters, sorting, paging, uniqueness."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy import literal as sql_literal
from sqlalchemy import or_ as sql_or
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from engine.core.suggestions import suggest
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec
from engine.errors import BadRequest, FormulaError
from engine.fields.values import to_json
from engine.formula import BOOL, TEXT, Environment, Formula, FType, Kind, ListField, bind_value, compile_formula
from engine.storage.models import Record
from engine.storage.sql_memo import memoized

SYSTEM_COLUMNS = frozenset(SYSTEM_FIELDS)


class Evaluation(Protocol):
    """What a user's filters may read besides the records (engine.records.compute.Evaluation)."""

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def user_name(self) -> str | None: ...

    @property
    def user_roles(self) -> tuple[str, ...]: ...


class Reader(Protocol):
    """What the actor may learn through their own formulas (engine.security.permissions.Reader)."""

    def may_read(self, entity: EntitySpec, path: Sequence[str]) -> bool: ...

    def environment(self, entity: EntitySpec) -> Environment: ...

    def refused(self, entity: EntitySpec, formulas: Iterable[Formula]) -> list[str]: ...

    def row_filters(self, key: str) -> list[Formula] | None: ...

    def params_of(self, module: str) -> Mapping[str, Any]: ...


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
        if name in SYSTEM_COLUMNS:
            column: ColumnElement[Any] = getattr(self.table, name)
            return func.datetime(column) if self._is_sqlite_datetime(ftype) else column
        return self.typed(self.json_text(name), ftype)

    def literal(self, value: Any, ftype: FType) -> ColumnElement[Any]:
        if self._is_sqlite_datetime(ftype) and isinstance(value, datetime):
            return func.datetime(sql_literal(to_json(value.astimezone(UTC))))
        return bind_value(value, ftype)

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
                         target.module == module, target.entity == entity, target.deleted_at.is_(None))
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


class RecordQuery:
    """Queries over one entity's live records, in the session's tenant scope.

    With a `reader`, the filters and sorts a user writes (`filter_formula`, `sort_key`) may use only what
    the reader may learn: names it may read at every hop, and records reached through a reference that it
    may read under their row filters (the others count as missing).
    """

    def __init__(self, session: Session, entity: EntitySpec, evaluation: Evaluation,
                 reader: Reader | None = None) -> None:
        self.session = session
        self.entity = entity
        self.evaluation = evaluation
        self.reader = reader
        dialect = session.get_bind().dialect.name
        self.columns = RecordColumns(dialect)
        self.user_columns = RecordColumns(dialect, ref_rows=self._ref_rows) if reader is not None else self.columns

    def base(self) -> Select[Any]:
        return select(Record).where(Record.module == self.entity.module, Record.entity == self.entity.name,
                                    Record.deleted_at.is_(None))

    def sql(self, formula: Formula) -> ColumnElement[Any]:
        evaluation = self.evaluation
        return memoized(formula, self.columns.dialect, evaluation.params, evaluation.user_name, evaluation.user_roles,
                        lambda: formula.to_sql(self.columns, params=evaluation.params,
                                               user_name=evaluation.user_name, user_roles=evaluation.user_roles))

    def visible(self, statement: Select[Any], row_filters: list[Formula] | None) -> Select[Any]:
        if row_filters is None:
            return statement
        if not row_filters:
            return statement.where(false())
        return statement.where(sql_or(*(self.sql(f) for f in row_filters)))

    def one(self, record_id: str, row_filters: list[Formula] | None) -> Record | None:
        statement = self.visible(self.base().where(Record.id == record_id), row_filters)
        return self.session.scalars(statement).first()

    def _ref_rows(self, key: str, columns: RecordColumns) -> ColumnElement[bool] | None:
        assert self.reader is not None
        filters = self.reader.row_filters(key)
        if filters is None:
            return None
        if not filters:
            return false()
        params = self.reader.params_of(key.partition(".")[0])
        return sql_or(*(f.to_sql(columns, params=params, user_name=self.evaluation.user_name,
                                 user_roles=self.evaluation.user_roles) for f in filters))

    def filter_formula(self, q: str) -> Formula:
        """A user's filter, compiled against what the reader may read (other names are unknown), then every name
        path it reads checked hop by hop."""
        assert self.entity.environment is not None
        if self.reader is None:
            return compile_formula(q, self.entity.environment, expect=BOOL)
        formula = compile_formula(q, self.reader.environment(self.entity), expect=BOOL)
        refused = self.reader.refused(self.entity, [formula])
        if refused:  # not reached while the environment leaves them out; said like any unknown name
            raise FormulaError(f"unknown field {refused[0]!r}", text=q,
                               message_code="formula_unknown_field", params={"field": refused[0]})
        return formula

    def filter_sql(self, q: str) -> ColumnElement[Any]:
        """A user's filter as SQL: records reached through a reference count only where the reader may read them."""
        return self.filter_formula(q).to_sql(
            self.user_columns, params=self.evaluation.params, user_name=self.evaluation.user_name,
            user_roles=self.evaluation.user_roles)

    def page(self, *, q: str | None, sort: str | None, row_filters: list[Formula] | None, limit: int,
             offset: int) -> tuple[list[Record], int]:
        statement = self.visible(self.base(), row_filters)
        if q and q.strip():
            statement = statement.where(self.filter_sql(q))
        total = self.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
        statement = statement.order_by(*self.ordering(sort)).limit(limit).offset(offset)
        return list(self.session.scalars(statement)), total

    def ordering(self, sort: str | None) -> list[ColumnElement[Any]]:
        order: list[ColumnElement[Any]] = []
        for part in (sort or "").split(","):
            name = part.strip().lstrip("+-")
            if not name:
                continue
            descending = part.strip().startswith("-")
            expression = self.sort_key(name)
            order.append((expression.desc() if descending else expression.asc()).nulls_last())
        return [*order, Record.created_at.desc(), Record.id.asc()]

    def sort_key(self, name: str) -> ColumnElement[Any]:
        if name in SYSTEM_COLUMNS:
            column: ColumnElement[Any] = getattr(Record, name)
            return column
        spec = self.entity.fields.get(name)
        if spec is None or (self.reader is not None and not self.reader.may_read(self.entity, (name,))):
            known = [n for n in self.entity.fields if self.reader is None or self.reader.may_read(self.entity, (n,))]
            raise BadRequest(f"cannot sort by {name!r}: not a field" + suggest(name, [*known, *SYSTEM_FIELDS]),
                             message_code="sort_not_a_field",
                             params={"name": name, "hint": suggest(name, [*known, *SYSTEM_FIELDS])})
        if spec.type in ("table", "multi_enum"):
            raise BadRequest(f"cannot sort by {name!r}: it holds a list",
                             message_code="sort_on_list", params={"name": name})
        assert self.entity.environment is not None
        return self.columns.field(name, self.entity.environment.fields[name].type)

    def clash(self, json_values: dict[str, Any], *, exclude_id: str | None, where: Formula | None) -> Record | None:
        """A live record (other than `exclude_id`) holding all these field values, where `where` holds."""
        statement = self.base()
        for name, json_value in json_values.items():
            compared = json_value if self.columns.dialect == "sqlite" else _as_text(json_value)
            statement = statement.where(self.columns.json_text(name) == compared)
        if where is not None:
            statement = statement.where(self.sql(where))
        if exclude_id is not None:
            statement = statement.where(Record.id != exclude_id)
        return self.session.scalars(statement.limit(1)).first()

    def conflicting(self, json_values: Mapping[str, Any], *, exclude_id: str | None, where: Formula | None,
                    overlap: tuple[str, str] | None = None, start: Any = None, end: Any = None,
                    shares: tuple[str, str] | None = None, shared: Sequence[str] | None = None) -> Record | None:
        """A live record (other than `exclude_id`) with these field values, an empty one matching an empty one.

        With `overlap` (its start and end fields), the record's range must also meet [start, end]; an empty
        bound on either side is open. With `shares` (a table and its column) and `shared` values, that column
        of the record's rows must hold one of the texts `shared`, or nothing at all.
        """
        statement = self.base()
        for name, json_value in json_values.items():
            column = self.columns.json_text(name)
            if json_value is None:
                statement = statement.where(column.is_(None))
            else:
                statement = statement.where(column == (json_value if self.columns.dialect == "sqlite"
                                                       else _as_text(json_value)))
        if overlap is not None:
            assert self.entity.environment is not None
            ftype = self.entity.environment.fields[overlap[0]].type
            their_start, their_end = (self.columns.field(name, ftype) for name in overlap)
            if end is not None:
                bound = self.columns.literal(end, ftype)
                statement = statement.where(sql_or(their_start.is_(None), their_start <= bound))
            if start is not None:
                bound = self.columns.literal(start, ftype)
                statement = statement.where(sql_or(their_end.is_(None), their_end >= bound))
        if shares is not None and shared:
            rows = ListField(shares[0], column=shares[1])
            unknown = func.coalesce(self.columns.list_length(rows, skip_nulls=True), 0) == 0
            statement = statement.where(sql_or(unknown, *(self.columns.list_contains(rows, bind_value(item, TEXT))
                                                          for item in shared)))
        if where is not None:
            statement = statement.where(self.sql(where))
        if exclude_id is not None:
            statement = statement.where(Record.id != exclude_id)
        return self.session.scalars(statement.order_by(Record.created_at, Record.id).limit(1)).first()

    def exists_with(self, name: str, json_value: Any, *, exclude_id: str | None) -> bool:
        compared = json_value if self.columns.dialect == "sqlite" else _as_text(json_value)
        statement = self.base().where(self.columns.json_text(name) == compared)
        if exclude_id is not None:
            statement = statement.where(Record.id != exclude_id)
        return self.session.scalars(statement.limit(1)).first() is not None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
