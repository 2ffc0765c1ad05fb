"""What one declared effect writes: the scopes it runs in (the record, each row of a table, each group of
rows), the records an update effect changes, and the values it gives them.

The record service's cascade (records/cascade.py) does the writes; this module only reads.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.declarations.model import Effect, EntitySpec
from engine.records.flow import lookups
from engine.records.unit_of_work import UnitOfWork
from engine.storage.models import Record
from engine.storage.queries import RecordQuery

ROW, GROUP, TARGET = "row", "group", "target"


def scopes(work: UnitOfWork, entity: EntitySpec, effect: Effect, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The bindings the effect runs with, once each: the record's values; with `for_each`, those and one row's
    columns as `row.<column>`; with `group_by`, those and one group's rows as `row`, its keys as `group.<name>`."""
    if effect.for_each is None:
        return [dict(values)]
    rows = [row for row in values.get(effect.for_each) or [] if isinstance(row, Mapping)]
    per_row = [{**values, **{f"{ROW}.{name}": value for name, value in row.items()}} for row in rows]
    if not effect.group_by:
        return per_row
    evaluation = work.evaluation(entity)
    groups: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[Mapping[str, Any]]]] = {}
    for row, bound in zip(rows, per_row, strict=True):
        key = tuple(evaluation.run(formula, bound) for _name, formula in effect.group_by)
        groups.setdefault(tuple(_hashable(part) for part in key), (key, []))[1].append(row)
    return [{**values, ROW: members, **{f"{GROUP}.{name}": part for (name, _), part in zip(effect.group_by, key,
                                                                                          strict=True)}}
            for key, members in groups.values()]  # in the order of their first rows


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def target_ids(work: UnitOfWork, entity: EntitySpec, effect: Effect, target: EntitySpec,
               scope: Mapping[str, Any]) -> list[str]:
    """The records an update effect changes in one scope: those its `records` formula names, or the live
    records whose fields equal its `match` values and that pass its `where` (one query), oldest first."""
    evaluation = work.evaluation(entity)
    if effect.records is not None:
        named = evaluation.run(effect.records, scope)
        return list(dict.fromkeys(str(i) for i in (named if isinstance(named, list) else [named]) if i is not None))
    assert target.environment is not None
    query = RecordQuery(work.session, target, work.evaluation(target))
    statement = query.base()
    for field, formula in effect.match:
        wanted = evaluation.run(formula, scope)
        if wanted is None:
            return []  # like a lookup: an empty match value matches nothing
        column_type = target.environment.fields[field].type
        statement = statement.where(query.columns.field(field, column_type)
                                    == query.columns.literal(wanted, column_type))
    if effect.where is not None:
        statement = statement.where(query.sql(effect.where))
    rows = work.session.scalars(statement.order_by(Record.created_at, Record.id)).all()
    for row in rows:
        work.remember(row)
    return [row.id for row in rows]


def data_for(work: UnitOfWork, entity: EntitySpec, effect: Effect, target: EntitySpec, scope: Mapping[str, Any],
             current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The values the effect writes in one scope; `current`, the updated record's values, read as `target.<field>`."""
    evaluation = work.evaluation(entity)
    bound = scope if current is None else {**scope, **{f"{TARGET}.{name}": v for name, v in current.items()}}
    data = {name: evaluation.run(formula, bound) for name, formula in effect.values}
    for name, lookup in effect.lookups:
        data[name] = lookups.looked_up(work, entity, target.fields[name], lookup, bound)
    return data


def because(entity: EntitySpec, row: Record, effect: Effect) -> str:
    """How the audit trail names the document whose effect wrote a record."""
    title = row.data.get(entity.title_field) if entity.title_field else None
    named = f"{title} (id {row.id})" if title not in (None, "") else f"id {row.id}"
    return f"effect {effect.key} of {entity.key} {named}"


def into_optional_module(work: UnitOfWork, entity: EntitySpec, effect: Effect) -> bool:
    """Whether the effect writes into a module its own module lists as `optional` (then, where the tenant does not
    enable that module, the effect is skipped: nothing is written and nothing logged)."""
    source = work.modules.get(entity.key.partition(".")[0])
    return source is not None and effect.target.partition(".")[0] in source.optional
