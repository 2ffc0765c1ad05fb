"""What records do to each other: lookups fill fields, rollups aggregate children, effects create records.

All of it runs in SQL inside the caller's transaction, as the system (no row filters): a rollup
counts every child, not only the ones the current user may see.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.declarations.model import EntitySpec, FieldSpec, Lookup
from engine.records.flow import rollups
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.storage.models import Record
from engine.storage.queries import RecordQuery


def entity_of(work: UnitOfWork, key: str) -> EntitySpec | None:
    return work.entity_of(key)


def fill_lookups(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any]) -> None:
    """Give every empty lookup field the value of the newest matching target record."""
    for name, spec in entity.fields.items():
        if spec.lookup is not None and values.get(name) in (None, ""):
            values[name] = looked_up(work, entity, spec, spec.lookup, values)


def looked_up(work: UnitOfWork, entity: EntitySpec, spec: FieldSpec, lookup: Lookup,
               values: Mapping[str, Any]) -> Any:
    target = entity_of(work, lookup.target)
    if target is None or target.environment is None:
        return None
    evaluation = work.evaluation(entity)
    query = RecordQuery(work.session, target, work.evaluation(target))
    statement = query.base()
    for field, formula in lookup.match:
        wanted = evaluation.run(formula, values)
        if wanted is None:
            return None
        statement = statement.where(query.columns.field(field, target.environment.fields[field].type)
                                    == query.columns.literal(wanted, target.environment.fields[field].type))
    if lookup.where is not None:
        statement = statement.where(query.sql(lookup.where))
    if lookup.effective_field and lookup.effective_on is not None:
        moment = evaluation.run(lookup.effective_on, values)
        if moment is None:
            return None
        column_type = target.environment.fields[lookup.effective_field].type
        column = query.columns.field(lookup.effective_field, column_type)
        statement = statement.where(column <= query.columns.literal(moment, column_type)).order_by(column.desc())
    row = work.session.scalars(statement.order_by(Record.created_at.desc()).limit(1)).first()
    if row is None:
        return None
    work.remember(row)  # a reference to it, filled in from here, is not read again
    return values_of(target, row).get(lookup.value)


def compute_rollups(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None) -> None:
    """Set every rollup field from the children that point at this record (none before it exists), and every
    field other modules contribute to from their records."""
    for name, spec in entity.fields.items():
        if spec.rollup is not None:
            values[name] = rollups.rollup_value(work, spec, spec.rollup, record_id)
    for name, contributions in rollups.contributions_to(work.modules, entity).items():
        if name in entity.fields:
            values[name] = rollups.contributed_value(work, entity.fields[name], contributions, record_id)


def parents_to_refresh(work: UnitOfWork, entity: EntitySpec, *documents: Mapping[str, Any] | None,
                       fields: frozenset[str] | None = None) -> Iterator[tuple[EntitySpec, str]]:
    """The records whose rollups count `entity` records (or their table rows), and those its contributions add
    to, through the refs in these documents; with `fields`, only those whose rollups read one of these fields
    (what changed)."""
    for module in work.modules.values():
        for parent in module.entities.values():
            for spec in parent.fields.values():
                rollup = spec.rollup
                if rollup is None or rollup.source != entity.key:
                    continue
                if rollup.table is not None:
                    if fields is None or rollup.table in fields:
                        for parent_id in rollups.table_parents(rollup, documents):
                            yield parent, parent_id
                    continue
                if fields is not None and not rollups.reads(rollup.measure, rollup.where, rollup.via, fields):
                    continue
                seen = {str(d.get(rollup.via)) for d in documents if d and d.get(rollup.via)}
                for parent_id in sorted(seen):
                    yield parent, parent_id
    yield from rollups.contributed_parents(work, entity, documents, fields)
