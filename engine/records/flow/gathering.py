"""Gathered tables (`gather:`): a table's rows are the records of another entity that match this record.

While the gathering record is editable (created, draft, returned, withdrawn) every save recomputes the
rows in its transaction: the live source records that match it and pass `where`, less those another
live record of the same entity holds in the same field. The rows a record holds are kept in
`gather_holds`, whose primary key gives each source record one holder: of two saves racing for one
source record, the second to commit is refused (409 `gather_source_taken`). A deleted or rejected
record lets its sources go; once submitted, its rows and holds stay as they are.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from engine.declarations.model import EntitySpec, FieldSpec, Gather
from engine.errors import Conflict
from engine.fields.values import coerce
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.storage.models import GatherHold, Record
from engine.storage.queries import RecordQuery

RELEASING_STATUSES = frozenset({"rejected"})  # a record in these no longer holds what it gathered


def gather_rows(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None) -> None:
    """Set every gathered table of `values` to the rows of the sources it takes now (in place). The columns a
    user filled in (those the gather does not write) are kept on the row of a source that stays."""
    for name, spec in entity.fields.items():
        if spec.gather is not None:
            values[name] = _rows(work, entity, spec, spec.gather, values, record_id)


def _rows(work: UnitOfWork, entity: EntitySpec, spec: FieldSpec, gather: Gather, values: Mapping[str, Any],
          record_id: str | None) -> list[dict[str, Any]]:
    source = work.entity_of(gather.source)
    if source is None or source.environment is None:
        return []  # its module is not enabled: nothing to gather
    sources = _sources(work, entity, spec.name, source, gather, values, record_id)
    typed = {str(row.get(gather.row)): row for row in values.get(spec.name) or [] if isinstance(row, dict)}
    evaluation = work.evaluation(source)
    rows = []
    for found in sources:
        work.remember(found)  # a reference to it, checked from here, is not read again
        kept = typed.get(found.id) or {}
        row = {column: value for column, value in kept.items()
               if column not in gather.columns and column in spec.fields and not spec.fields[column].is_computed}
        for column, child in spec.fields.items():
            if column not in row and child.default is not None and not child.is_computed:
                row[column] = coerce(child, child.default)
        source_values = values_of(source, found)
        row[gather.row] = found.id
        row.update({column: evaluation.run(formula, source_values) for column, formula in gather.values})
        rows.append(row)
    return rows


def _sources(work: UnitOfWork, entity: EntitySpec, field: str, source: EntitySpec, gather: Gather,
             values: Mapping[str, Any], record_id: str | None) -> list[Record]:
    """The source records this record takes now, in one query (none when a match formula is empty)."""
    assert source.environment is not None
    evaluation = work.evaluation(entity)
    query = RecordQuery(work.session, source, work.evaluation(source))
    statement = query.base()
    for name, formula in gather.match:
        wanted = evaluation.run(formula, values)
        if wanted is None:
            return []
        ftype = source.environment.fields[name].type
        statement = statement.where(query.columns.field(name, ftype) == query.columns.literal(wanted, ftype))
    if gather.where is not None:
        statement = statement.where(query.sql(gather.where))
    held = select(GatherHold.source_id).where(
        GatherHold.tenant_id == work.actor.tenant_id, GatherHold.module == entity.module,
        GatherHold.entity == entity.name, GatherHold.field == field)
    if record_id is not None:
        held = held.where(GatherHold.holder_id != record_id)
    statement = statement.where(Record.id.not_in(held))
    order = [query.columns.field(name, source.environment.fields[name].type).asc().nulls_last()
             for name in gather.order_by]
    return list(work.session.scalars(statement.order_by(*order, Record.created_at.asc(), Record.id.asc())))


def hold(work: UnitOfWork, entity: EntitySpec, row: Record) -> None:
    """Make the holds of a written record those its gathered tables name: let go of the sources it dropped,
    take the new ones. A source another record took meanwhile (a concurrent save) is a 409."""
    for name, spec in entity.fields.items():
        if spec.gather is None:
            continue
        wanted = {str(item[spec.gather.row]) for item in row.data.get(name) or []
                  if isinstance(item, dict) and item.get(spec.gather.row)}
        mine = _held_by(work, entity, name, row.id)
        gone = set(mine) - wanted
        if gone:
            work.session.execute(delete(GatherHold).where(
                GatherHold.tenant_id == work.actor.tenant_id, GatherHold.holder_id == row.id,
                GatherHold.module == entity.module, GatherHold.entity == entity.name, GatherHold.field == name,
                GatherHold.source_id.in_(sorted(gone))))
        new = sorted(wanted - set(mine))
        if not new:
            continue
        try:
            with work.session.begin_nested():
                work.session.add_all([GatherHold(module=entity.module, entity=entity.name, field=name,
                                                 source_id=source_id, holder_id=row.id) for source_id in new])
        except IntegrityError:
            raise Conflict(f"{entity.title.en}: a record gathered into {name!r} was taken by another "
                           f"{entity.title.en} meanwhile; save again to gather what is left",
                           message_code="gather_source_taken",
                           params={"entity": entity.title.en, "field": name}) from None


def release(work: UnitOfWork, entity: EntitySpec, record_id: str) -> None:
    """Let go of every source a deleted or rejected record held."""
    if any(spec.gather is not None for spec in entity.fields.values()):
        work.session.execute(delete(GatherHold).where(
            GatherHold.tenant_id == work.actor.tenant_id, GatherHold.holder_id == record_id,
            GatherHold.module == entity.module, GatherHold.entity == entity.name))


def _held_by(work: UnitOfWork, entity: EntitySpec, field: str, record_id: str) -> list[str]:
    return list(work.session.scalars(select(GatherHold.source_id).where(
        GatherHold.tenant_id == work.actor.tenant_id, GatherHold.holder_id == record_id,
        GatherHold.module == entity.module, GatherHold.entity == entity.name, GatherHold.field == field)))


def gathers(entity: EntitySpec) -> bool:
    """Whether the entity has a gathered table."""
    return any(spec.gather is not None for spec in entity.fields.values())
