"""Record queries in SQL: JSON field access per dialect, formula filters, sorting, paging, uniqueness."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    bindparam,
    false,
    func,
    select,
    union_all,
)
from sqlalchemy import literal as sql_literal
from sqlalchemy import or_ as sql_or
from sqlalchemy.orm import Session, aliased

from engine.core.suggestions import suggest
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec
from engine.errors import BadRequest, FormulaError
from engine.formula import BOOL, TEXT, Environment, Formula, ListField, bind_value, compile_formula
from engine.storage.columns import SYSTEM_COLUMNS, Evaluation, RecordColumns, RefRows, ResultColumns, live_of
from engine.storage.database import TENANT_PARAM
from engine.storage.models import Record
from engine.storage.row_filters import row_filter_sql
from engine.storage.sql_memo import StatementMemo, memoized

__all__ = ["SYSTEM_COLUMNS", "Evaluation", "RecordColumns", "RecordQuery", "RefRows", "ResultColumns"]


# A declared conflict runs at every save with the same shape: its statement is built once (values bound at execution)
_CLASH_STATEMENTS: StatementMemo[Select[Any]] = StatementMemo(1024)
_UNIONS: StatementMemo[Select[Any]] = StatementMemo(256)  # several asked at once (first_of_each)


def first_of_each(session: Session, statements: Sequence[Select[Any]], params: Mapping[str, Any]
                  ) -> list[Record | None]:
    """The record each statement finds first, in one UNION ALL of them: statements of records (each with its own
    order and `LIMIT 1`), built once per shape, their parameters named apart. The tenant scope reaches every member
    (storage/database.py), as for any statement of records."""
    if len(statements) < 2:
        return [session.scalars(statement, params).first() for statement in statements]

    def build() -> Select[Any]:
        matches = [select(*found.c).select_from(found) for found in (
            statement.add_columns(sql_literal(index).label("asked")).subquery()
            for index, statement in enumerate(statements))]
        union = union_all(*matches).subquery()
        return select(aliased(Record, union), union.c.asked)

    union = _UNIONS.get(tuple(map(id, statements)), tuple(statements), build)
    found: list[Record | None] = [None] * len(statements)
    for row, index in session.execute(union, params):
        found[index] = row
    return found


@dataclass(frozen=True)
class Clash:
    """What one declared conflict compares for a record (`RecordQuery.conflicting`'s arguments)."""

    values: Mapping[str, Any]
    where: Formula | None = None
    overlap: tuple[str, str] | None = None
    start: Any = None
    end: Any = None
    shares: tuple[str, str] | None = None
    shared: Sequence[str] | None = None


class Reader(Protocol):
    """What the actor may learn through their own formulas (engine.security.permissions.Reader)."""

    def may_read(self, entity: EntitySpec, path: Sequence[str]) -> bool: ...

    def environment(self, entity: EntitySpec) -> Environment: ...

    def refused(self, entity: EntitySpec, formulas: Iterable[Formula]) -> list[str]: ...

    def row_filters(self, key: str) -> list[Formula] | None: ...

    def params_of(self, module: str) -> Mapping[str, Any]: ...


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
        return select(Record).where(live_of(Record, self.entity.module, self.entity.name))

    def sql(self, formula: Formula) -> ColumnElement[Any]:
        evaluation = self.evaluation  # a formula reading the clock is compiled afresh (sql_memo), with `now`
        return memoized(formula, self.columns.dialect, evaluation.params, evaluation.user_name, evaluation.user_roles,
                        lambda: formula.to_sql(self.columns, params=evaluation.params, user_name=evaluation.user_name,
                                               user_roles=evaluation.user_roles, now=evaluation.now))

    def visible(self, statement: Select[Any], row_filters: list[Formula] | None) -> Select[Any]:
        if row_filters is None:
            return statement
        if not row_filters:
            return statement.where(false())
        return statement.where(sql_or(*(row_filter_sql(self.session, self.entity, self.columns, self.evaluation, f)
                                        for f in row_filters)))

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
            raise FormulaError(f"unknown field {refused[0]!r}", text=q, message_code="formula_unknown_field",
                               params={"field": refused[0], "suggestion": ""})
        return formula

    def filter_sql(self, q: str) -> ColumnElement[Any]:
        """A user's filter as SQL: records reached through a reference count only where the reader may read them."""
        return self.filter_formula(q).to_sql(
            self.user_columns, params=self.evaluation.params, user_name=self.evaluation.user_name,
            user_roles=self.evaluation.user_roles)

    def page(self, *, q: str | None, sort: str | None, row_filters: list[Formula] | None, limit: int,
             offset: int, counted: bool = True) -> tuple[list[Record], int | None]:
        """The page's rows and how many match in all (None unless `counted`: one query fewer)."""
        statement = self.visible(self.base(), row_filters)
        if q and q.strip():
            statement = statement.where(self.filter_sql(q))
        total = None
        if counted:
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
            statement = statement.where(self.columns.json_text(name) == self.compared(json_value))
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
        if overlap is not None:  # a rate's validity: rare writes, built each time
            return self.session.scalars(self._clash_statement(json_values, exclude_id, where, shares, shared, overlap,
                                                              start, end)).first()
        statement, params = self._kept_clash(json_values, exclude_id, where, shares, shared, "")
        return self.session.scalars(statement, params).first()

    def conflicting_each(self, asks: Sequence[Clash], *, exclude_id: str | None) -> list[Record | None]:
        """`conflicting` for several checks of one record: one statement (their queries as one UNION ALL), the
        oldest match of each, in order."""
        if len(asks) < 2 or any(ask.overlap is not None for ask in asks):
            return [self.conflicting(ask.values, exclude_id=exclude_id, where=ask.where, overlap=ask.overlap,
                                     start=ask.start, end=ask.end, shares=ask.shares, shared=ask.shared)
                    for ask in asks]
        parts = [self._kept_clash(ask.values, exclude_id, ask.where, ask.shares, ask.shared, f"c{index}_")
                 for index, ask in enumerate(asks)]
        return first_of_each(self.session, [statement for statement, _own in parts],
                             {name: value for _statement, own in parts for name, value in own.items()})

    def _kept_clash(self, json_values: Mapping[str, Any], exclude_id: str | None, where: Formula | None,
                    shares: tuple[str, str] | None, shared: Sequence[str] | None, prefix: str
                    ) -> tuple[Select[Any], dict[str, Any]]:
        """A conflict's statement built once per shape, its parameters named after `prefix`, and their values."""
        where_sql = self.sql(where) if where is not None else None
        shape = (self.entity, self.columns.dialect, tuple((name, type(value)) for name, value in json_values.items()),
                 shares, len(shared or ()) if shares is not None else 0, exclude_id is None, id(where_sql), prefix)

        def build() -> Select[Any]:
            named: dict[str, Any] = {  # each bound with the type its value would have had as a literal
                name: None if value is None else bindparam(f"{prefix}m_{name}",
                                                           type_=sql_literal(self.compared(value)).type)
                for name, value in json_values.items()}
            tenant = Record.tenant_id == bindparam(TENANT_PARAM)  # spelled out: a member of a UNION too
            return self._clash_statement(named, None if exclude_id is None else bindparam(f"{prefix}exclude_id"),
                                         where, shares, [bindparam(f"{prefix}shared_{i}", type_=String())
                                                         for i in range(len(shared or ()))]).where(tenant)

        statement = _CLASH_STATEMENTS.get(shape, (where_sql,), build)
        params: dict[str, Any] = {f"{prefix}m_{name}": self.compared(value) for name, value in json_values.items()
                                  if value is not None}
        params.update({f"{prefix}shared_{i}": item for i, item in enumerate(shared or ())})
        if exclude_id is not None:
            params[f"{prefix}exclude_id"] = exclude_id
        return statement, params

    def _clash_statement(self, json_values: Mapping[str, Any], exclude_id: Any, where: Formula | None,
                         shares: tuple[str, str] | None, shared: Sequence[Any] | None,
                         overlap: tuple[str, str] | None = None, start: Any = None, end: Any = None) -> Select[Any]:
        """The query `conflicting` runs: values (or bound parameters standing for them) compared as stored."""
        statement = self.base()
        for name, json_value in json_values.items():
            column = self.columns.json_text(name)
            if json_value is None:
                statement = statement.where(column.is_(None))
            else:
                compared = json_value if isinstance(json_value, BindParameter) else self.compared(json_value)
                statement = statement.where(column == compared)
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
            items = [item if isinstance(item, BindParameter) else bind_value(item, TEXT) for item in shared]
            statement = statement.where(sql_or(unknown, *(self.columns.list_contains(rows, item) for item in items)))
        if where is not None:
            statement = statement.where(self.sql(where))
        if exclude_id is not None:
            statement = statement.where(Record.id != exclude_id)
        return statement.order_by(Record.created_at, Record.id).limit(1)

    def compared(self, json_value: Any) -> Any:
        """A stored JSON value as `json_text` gives it: SQLite's json_extract keeps numbers and booleans, PostgreSQL's
        ->> gives text."""
        return json_value if self.columns.dialect == "sqlite" else as_text(json_value)

    def exists_with(self, name: str, json_value: Any, *, exclude_id: str | None) -> bool:
        statement = self.base().where(self.columns.json_text(name) == self.compared(json_value))
        if exclude_id is not None:
            statement = statement.where(Record.id != exclude_id)
        return self.session.scalars(statement.limit(1)).first() is not None


def as_text(value: Any) -> str:
    """A JSON scalar as PostgreSQL's ->> gives it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
