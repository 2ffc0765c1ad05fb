"""Row filters in SQL: one that reads only through a reference runs as a semi-join over the referenced records.

`user.name in project.members.user` tested row by row costs a lookup of the project per ticket; as `project IN
(the ids of the projects whose members hold the user)` it is one small query over the projects, hashed once, and
the indexes on the ticket's own fields (project, period, work date) carry the rest of the query.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from engine.declarations.model import EntitySpec
from engine.errors import FormulaRuntimeError
from engine.formula import Context, Formula, FType, ListField
from engine.storage.columns import Evaluation, RecordColumns, live_of
from engine.storage.database import TENANT_KEY
from engine.storage.models import Record
from engine.storage.sql_memo import memoized

_BUILT_KEY = "row_filter_ids"   # session.info: the selects `passing_ids` built in this transaction


class Through(RecordColumns):
    """Columns of a row filter read over the referenced records themselves: the reference is their id, and what
    the filter reads through it (`project.members.user`) is read on the row itself, not on another copy of it
    found by id (a correlated self-join PostgreSQL estimates at one row and then runs once per outer row)."""

    def __init__(self, dialect: str, target: type[Record] | AliasedClass[Record], ref: str) -> None:
        super().__init__(dialect, target)
        self.ref = ref
        self.itself = RecordColumns(dialect, target)

    def json_text(self, name: str) -> ColumnElement[Any]:
        return cast(ColumnElement[Any], self.table.id) if name == self.ref else super().json_text(name)

    def ref_field(self, ref_name: str, target_entity: str, field: str, ftype: FType) -> ColumnElement[Any]:
        if ref_name == self.ref:
            return self.itself.field(field, ftype)
        return super().ref_field(ref_name, target_entity, field, ftype)

    def list_contains(self, field: ListField, item: ColumnElement[Any]) -> ColumnElement[bool]:
        if field.ref == self.ref:
            return self.itself.list_contains(replace(field, ref=None, target_entity=None), item)
        return super().list_contains(field, item)

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> ColumnElement[Any]:
        if field.ref == self.ref:
            return self.itself.list_length(replace(field, ref=None, target_entity=None), skip_nulls=skip_nulls)
        return super().list_length(field, skip_nulls=skip_nulls)


def row_filter_sql(session: Session, entity: EntitySpec, columns: RecordColumns, evaluation: Evaluation,
                   formula: Formula) -> ColumnElement[bool]:
    """A row filter as SQL: a semi-join when it reads only through one reference (same rows: such a filter is
    false for a row whose reference is missing, checked by running it on one), else the formula per row."""
    through = referenced_through(entity, evaluation, formula)
    if through is None:
        def build() -> ColumnElement[bool]:
            return formula.to_sql(columns, params=evaluation.params, user_name=evaluation.user_name,
                                  user_roles=evaluation.user_roles, now=evaluation.now)

        if columns.table is not Record or columns.ref_rows is not None:
            return build()
        return memoized(formula, columns.dialect, evaluation.params, evaluation.user_name, evaluation.user_roles,
                        build)  # over the records table, as RecordQuery.sql compiles it: one memo entry serves both
    ref, target_entity = through
    return columns.json_text(ref).in_(passing_ids(session, columns.dialect, evaluation, formula, ref, target_entity))


def passing_ids(session: Session, dialect: str, evaluation: Evaluation, formula: Formula, ref: str,
                target_entity: str) -> Select[Any]:
    """The ids of the live records of `target_entity` that pass a row filter read through reference `ref`; built
    once per transaction (a dashboard asks for them dozens of times)."""
    built: dict[tuple[Any, ...], Select[Any]] = session.info.setdefault(_BUILT_KEY, {})
    key = (formula.text, ref, target_entity, evaluation.user_name, evaluation.user_roles, evaluation.now,
           tuple(sorted((name, str(value)) for name, value in evaluation.params.items())))
    if key not in built:
        tenant = session.info.get(TENANT_KEY)
        built[key] = memoized(formula, dialect, evaluation.params, evaluation.user_name, evaluation.user_roles,
                              lambda: _passing_ids(tenant, dialect, evaluation, formula, ref, target_entity),
                              over=("passing ids", ref, target_entity, tenant))
    return built[key]


def _passing_ids(tenant: str | None, dialect: str, evaluation: Evaluation, formula: Formula, ref: str,
                 target_entity: str) -> Select[Any]:
    module, _, name = target_entity.partition(".")
    target = aliased(Record)
    condition = formula.to_sql(Through(dialect, target, ref), params=evaluation.params,
                               user_name=evaluation.user_name, user_roles=evaluation.user_roles, now=evaluation.now)
    passing = select(target.id).where(live_of(target, module, name), condition)
    return passing if tenant is None else passing.where(target.tenant_id == tenant)


def referenced_through(entity: EntitySpec, evaluation: Evaluation, formula: Formula) -> tuple[str, str] | None:
    """(the reference, its entity) when every name the formula reads is a field of the record one reference
    points at and the formula is false without that record; None otherwise."""
    heads = {path[0] for path in formula.reads}
    if len(heads) != 1 or any(len(path) < 2 for path in formula.reads):
        return None
    ref = next(iter(heads))
    spec = entity.fields.get(ref)
    if spec is None or spec.type != "ref" or not spec.target:
        return None
    missing = Context(params=evaluation.params, user_name=evaluation.user_name, user_roles=evaluation.user_roles)
    try:
        if formula.evaluate(missing):
            return None
    except FormulaRuntimeError:
        return None
    return ref, spec.target
