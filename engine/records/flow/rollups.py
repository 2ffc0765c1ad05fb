"""Aggregates of other records in SQL: over records whose ref points here, over the table rows of other records
whose ref column points here, and the contributions other modules add to this entity's plain fields.

Like every rollup, they run as the system inside the caller's transaction (no row filters).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal_column, select, true
from sqlalchemy import literal as sql_literal

from engine.declarations.flow.contributions import PARENT
from engine.declarations.model import Contribution, EntitySpec, FieldSpec, ModuleSpec, Rollup
from engine.fields.values import from_sql
from engine.formula import Formula, FType
from engine.records.unit_of_work import UnitOfWork
from engine.storage.columns import live_of
from engine.storage.models import Record
from engine.storage.queries import RecordColumns, RecordQuery


class RowColumns(RecordColumns):
    """Formulas over one table row (`element`, a JSON object) of a record: the row's columns by name, the
    record's own fields as `parent.<field>`, a ref column's record one hop away."""

    def __init__(self, dialect: str, element: ColumnElement[Any]) -> None:
        super().__init__(dialect, Record)
        self.element = element

    def json_text(self, name: str) -> ColumnElement[Any]:
        if self.dialect == "postgresql":
            return self.element.op("->>")(literal_column(f"'{name}'"))
        return func.json_extract(self.element, literal_column(f"'$.{name}'"))

    def field(self, name: str, ftype: FType) -> ColumnElement[Any]:
        return self.typed(self.json_text(name), ftype)

    def ref_field(self, ref_name: str, target_entity: str, field: str, ftype: FType) -> ColumnElement[Any]:
        if ref_name == PARENT:
            return RecordColumns(self.dialect, Record).field(field, ftype)
        return super().ref_field(ref_name, target_entity, field, ftype)


def rollup_value(work: UnitOfWork, spec: FieldSpec, rollup: Rollup, record_id: str | None) -> Any:
    """A rollup field's value: over the source's records, or over their table rows (`rollup.table`)."""
    source = work.entity_of(rollup.source)
    if source is None:
        return None
    value = _scalar(work, source, rollup.via, rollup.measure, rollup.where, record_id, rollup.table)
    return from_sql(value, spec)


def contributed_value(work: UnitOfWork, spec: FieldSpec, contributions: list[Contribution],
                      record_id: str | None) -> Any:
    """The sum of what the enabled modules contribute to this field of the record."""
    total: Any = None
    for contribution in contributions:
        source = work.entity_of(contribution.source)
        if source is None:
            continue
        value = _scalar(work, source, contribution.via, contribution.measure, contribution.where, record_id, None)
        if value is not None:
            total = (total or 0) + Decimal(str(value))
    return from_sql(total if total is not None else 0, spec)


def _scalar(work: UnitOfWork, source: EntitySpec, via: str, measure: Formula, where: Formula | None,
            record_id: str | None, table: str | None) -> Any:
    query = RecordQuery(work.session, source, work.evaluation(source))
    statement: Select[Any]
    if table is None:
        columns: RecordColumns = query.columns
        statement = select(query.sql(measure)).select_from(Record)
    else:
        columns = query.columns
        element = _rows_of(columns, table)
        row_columns = RowColumns(columns.dialect, element.c.value)
        statement = select(_sql(query, measure, row_columns)).select_from(Record).join(element, true())
        if columns.dialect == "postgresql":  # the records holding such a row, by containment, then their rows
            statement = statement.where(columns._array_has(table, sql_literal(record_id or ""), via))
        columns = row_columns
    statement = statement.where(live_of(Record, source.module, source.name),
                                columns.json_text(via) == (record_id or ""))
    if where is not None:
        statement = statement.where(_sql(query, where, columns))
    value = work.session.scalar(statement)
    if value is None and measure.text.replace(" ", "").startswith(("sum(", "count(")):
        value = 0  # the sum of no children is zero, as in the formula language
    return value


def _sql(query: RecordQuery, formula: Formula, columns: RecordColumns) -> ColumnElement[Any]:
    evaluation = query.evaluation
    return formula.to_sql(columns, params=evaluation.params, user_name=evaluation.user_name,
                          user_roles=evaluation.user_roles)


def _rows_of(columns: RecordColumns, table: str) -> Any:
    """The rows of table field `table` of each record, as a table-valued function (column `value`)."""
    if columns.dialect == "postgresql":
        array = Record.data.op("->")(literal_column(f"'{table}'"))
        safe = case((func.jsonb_typeof(array) == literal_column("'array'"), array),
                    else_=literal_column("'[]'::jsonb"))
        return func.jsonb_array_elements(safe).table_valued("value").alias("table_row")
    return func.json_each(Record.data, literal_column(f"'$.{table}'")).table_valued("value").alias("table_row")


@lru_cache(maxsize=64)
def _contribution_index(modules: tuple[ModuleSpec, ...]) -> dict[str, dict[str, list[Contribution]]]:
    """Target entity key -> field -> the contributions of these modules to it."""
    index: dict[str, dict[str, list[Contribution]]] = {}
    for module in modules:
        for entity in module.entities.values():
            for contribution in entity.contributions:
                index.setdefault(contribution.target, {}).setdefault(contribution.field, []).append(contribution)
    return index


@lru_cache(maxsize=64)
def rollups_over(modules: tuple[ModuleSpec, ...]) -> dict[str, list[tuple[EntitySpec, FieldSpec]]]:
    """Source entity key -> the (parent entity, rollup field) pairs of these modules that count its records: each
    write asks which parents to refresh, which walked every field of every enabled module."""
    index: dict[str, list[tuple[EntitySpec, FieldSpec]]] = {}
    for module in modules:
        for parent in module.entities.values():
            for spec in parent.fields.values():
                if spec.rollup is not None:
                    index.setdefault(spec.rollup.source, []).append((parent, spec))
    return index


def contributions_to(modules: Mapping[str, ModuleSpec], entity: EntitySpec) -> dict[str, list[Contribution]]:
    """The fields of `entity` that enabled modules contribute to, with their contributions."""
    return _contribution_index(tuple(modules.values())).get(entity.key, {})


def contributed_parents(work: UnitOfWork, entity: EntitySpec, documents: tuple[Mapping[str, Any] | None, ...],
                        fields: frozenset[str] | None) -> Iterator[tuple[EntitySpec, str]]:
    """The records this entity's contributions add to, through the refs in these documents."""
    for contribution in entity.contributions:
        target = work.entity_of(contribution.target)
        if target is None or contribution.field not in target.fields:
            continue
        if fields is not None and not reads(contribution.measure, contribution.where, contribution.via, fields):
            continue
        for parent_id in sorted({str(d[contribution.via]) for d in documents if d and d.get(contribution.via)}):
            yield target, parent_id


def table_parents(rollup: Rollup, documents: tuple[Mapping[str, Any] | None, ...]) -> list[str]:
    """The ids the ref column of a table-row rollup holds in these documents' rows."""
    assert rollup.table is not None
    found = {str(row[rollup.via]) for d in documents if d for row in d.get(rollup.table) or []
             if isinstance(row, Mapping) and row.get(rollup.via)}
    return sorted(found)


def reads(measure: Formula, where: Formula | None, via: str, fields: frozenset[str]) -> bool:
    read = set(measure.dependencies) | {via}
    if where is not None:
        read |= where.dependencies
    return bool(read & fields)
