"""What records do to each other: lookups fill fields, rollups aggregate children, effects create records.

All of it runs in SQL inside the caller's transaction, as the system (no row filters): a rollup
counts every child, not only the ones the current user may see.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.declarations.model import EntitySpec
from engine.records.flow import lookups, rollups
from engine.records.unit_of_work import UnitOfWork


def entity_of(work: UnitOfWork, key: str) -> EntitySpec | None:
    return work.entity_of(key)


def fill_lookups(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None = None) -> None:
    """Give the lookup and `fill` fields their values (records/flow/lookups.py says when)."""
    lookups.fill_fields(work, entity, values, record_id)


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
    for parent, spec in rollups.rollups_over(tuple(work.modules.values())).get(entity.key, ()):
        rollup = spec.rollup
        assert rollup is not None
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
