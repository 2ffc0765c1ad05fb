"""What records do to each other: lookups fill fields, rollups aggregate children, effects create records.

All of it runs in SQL inside the caller's transaction, as the system (no row filters): a rollup
counts every child, not only the ones the current user may see.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import ColumnElement, select

from engine.declarations.model import EntitySpec, FieldSpec, Lookup, Rollup
from engine.fields.values import from_sql
from engine.records.flow import lookups
from engine.records.unit_of_work import UnitOfWork
from engine.storage.models import Record
from engine.storage.queries import RecordQuery


def entity_of(work: UnitOfWork, key: str) -> EntitySpec | None:
    return work.entity_of(key)


def fill_lookups(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None = None) -> None:
    """Give the lookup and `fill` fields their values (records/flow/lookups.py says when)."""
    lookups.fill_fields(work, entity, values, record_id)


def looked_up(work: UnitOfWork, entity: EntitySpec, spec: FieldSpec, lookup: Lookup,
              values: Mapping[str, Any]) -> Any:
    return lookups.looked_up(work, entity, spec, lookup, values)


def compute_rollups(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None) -> None:
    """Set every rollup field from the children that point at this record (none before it exists)."""
    for name, spec in entity.fields.items():
        if spec.rollup is not None:
            values[name] = _aggregate(work, spec, spec.rollup, record_id)


def _aggregate(work: UnitOfWork, spec: FieldSpec, rollup: Rollup, record_id: str | None) -> Any:
    source = entity_of(work, rollup.source)
    if source is None:
        return None
    query = RecordQuery(work.session, source, work.evaluation(source))
    measure: ColumnElement[Any] = query.sql(rollup.measure)
    statement = select(measure).select_from(Record).where(
        Record.module == source.module, Record.entity == source.name, Record.deleted_at.is_(None),
        query.columns.json_text(rollup.via) == (record_id or ""))
    if rollup.where is not None:
        statement = statement.where(query.sql(rollup.where))
    value = work.session.scalar(statement)
    if value is None and rollup.measure.text.replace(" ", "").startswith(("sum(", "count(")):
        value = 0  # the sum of no children is zero, as in the formula language
    return from_sql(value, spec)


def parents_to_refresh(work: UnitOfWork, entity: EntitySpec, *documents: Mapping[str, Any] | None,
                       fields: frozenset[str] | None = None) -> Iterator[tuple[EntitySpec, str]]:
    """The records whose rollups count `entity` records, through the refs in these documents; with
    `fields`, only those whose rollups read one of these fields (what changed)."""
    for module in work.modules.values():
        for parent in module.entities.values():
            for spec in parent.fields.values():
                if spec.rollup is None or spec.rollup.source != entity.key:
                    continue
                if fields is not None and not _reads(spec.rollup, fields):
                    continue
                seen = {str(d.get(spec.rollup.via)) for d in documents if d and d.get(spec.rollup.via)}
                for parent_id in sorted(seen):
                    yield parent, parent_id


def _reads(rollup: Rollup, fields: frozenset[str]) -> bool:
    read = set(rollup.measure.dependencies) | {rollup.via}
    if rollup.where is not None:
        read |= rollup.where.dependencies
    return bool(read & fields)
