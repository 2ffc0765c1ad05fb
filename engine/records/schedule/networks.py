"""Keep the declared activity networks current: recompute a group's critical path after its records change.

Runs inside the caller's transaction, as the system. The whole group is read in one query and
scheduled in memory (engine.records.schedule.critical_path); only records whose outputs changed are written.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from engine.declarations.model import EntitySpec, LinkType, Network
from engine.errors import FieldError, FormulaRuntimeError, RecordInvalid
from engine.fields.values import to_document
from engine.records.compute import Evaluation, compute_fields
from engine.records.schedule import critical_path
from engine.records.schedule.critical_path import Activity, Link, NetworkCycle, Timing
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.storage.models import Record
from engine.storage.queries import RecordQuery


def groups_touched(entity: EntitySpec, *documents: Mapping[str, Any] | None) -> list[str]:
    """The groups whose network these versions of one record belong to (old and new group when moved)."""
    network = entity.network
    if network is None:
        return []
    return sorted({str(d[network.group]) for d in documents if d and d.get(network.group)})


def reshapes(entity: EntitySpec, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether a change of one record can move its network: one of the fields the network reads changed."""
    network = entity.network
    if network is None:
        return False
    return any(before.get(name) != after.get(name) for name in network.input_fields)


def networks_grouped_by(work: UnitOfWork, entity: EntitySpec) -> Iterator[EntitySpec]:
    """The entities whose networks are grouped by records of `entity` (a plan groups its tasks)."""
    for module in work.modules.values():
        for candidate in module.entities.values():
            network = candidate.network
            if network is not None and candidate.fields[network.group].target == entity.key:
                yield candidate


def recompute(work: UnitOfWork, entity: EntitySpec, group_id: str) -> list[tuple[Record, dict[str, Any]]]:
    """Schedule the group's records and store their new outputs; return (row, document before) per change.

    A cycle in the links is a RecordInvalid on the links field naming the records of the loop.
    """
    network = entity.network
    assert network is not None
    query = RecordQuery(work.session, entity, work.evaluation(entity))
    rows = list(work.session.scalars(
        query.base().where(query.columns.json_text(network.group) == group_id).order_by(Record.id)))
    for row in rows:
        work.remember(row)
    evaluation = _with_cached_refs(work.evaluation(entity))
    values = {row.id: values_of(entity, row) for row in rows}
    activities, links, names = _network_of(entity, network, values, evaluation)
    try:
        timings = critical_path.schedule(activities, links, _status_date(network, values, evaluation), names)
    except NetworkCycle as cycle:
        raise RecordInvalid([FieldError(network.links, cycle.message, code=cycle.message_code,
                                        params=cycle.params)]) from None
    changed = []
    moment = datetime.now(UTC)
    for row in rows:
        document = _with_outputs(entity, network, row.data, values[row.id], timings.get(row.id), evaluation)
        if document != row.data:
            before = row.data
            row.data = document
            row.updated_at = moment
            changed.append((row, before))
    return changed


def _network_of(entity: EntitySpec, network: Network, values: Mapping[str, dict[str, Any]],
                evaluation: Evaluation) -> tuple[list[Activity], list[Link], dict[str, str]]:
    activities, links, names = [], [], {}
    for key, record in values.items():
        if network.where is not None and _run(evaluation, network.where, record) is not True:
            continue
        start = record.get(network.start)
        duration = _duration(network, record, start)
        if not isinstance(start, date) or duration is None:
            continue  # undated: not scheduled
        activities.append(Activity(
            key=key, start=start, duration=duration,
            actual_start=record.get(network.actual_start) if network.actual_start else None,
            actual_finish=record.get(network.actual_finish) if network.actual_finish else None,
            percent_complete=_percent(record.get(network.percent_complete) if network.percent_complete else None)))
        names[key] = _title(entity, record)
        for row in record.get(network.links) or []:
            predecessor = row.get(network.predecessor)
            if predecessor is None:
                continue
            kind = network.link_types.get(str(row.get(network.link_type))) if network.link_type else None
            lag = row.get(network.lag) if network.lag else None
            links.append(Link(predecessor=str(predecessor), successor=key, type=kind or LinkType.FS,
                              lag=int(lag) if isinstance(lag, (int, Decimal)) else 0))
    return activities, links, names


def _duration(network: Network, record: Mapping[str, Any], start: Any) -> int | None:
    if network.finish is not None:
        finish = record.get(network.finish)
        if not isinstance(start, date) or not isinstance(finish, date):
            return None
        return max(1, (finish - start).days + 1)
    raw = record.get(network.duration) if network.duration else None
    return max(1, int(raw)) if isinstance(raw, (int, Decimal)) else None


def _percent(raw: Any) -> Decimal | None:
    return Decimal(raw) if isinstance(raw, (int, Decimal)) else None


def _title(entity: EntitySpec, record: Mapping[str, Any]) -> str:
    """How a message names a record: its first list column (a code) and its title."""
    code = entity.list_columns[0] if entity.list_columns else None
    parts = dict.fromkeys(record.get(name) for name in (code, entity.title_field) if name)
    return " ".join(str(part) for part in parts if part) or str(record.get("id"))


def _status_date(network: Network, values: Mapping[str, dict[str, Any]], evaluation: Evaluation) -> date:
    """The group's data date: the latest one its records give (they read it from the group), else today."""
    formula = network.status_date
    found = [d for record in values.values()
             if formula is not None and isinstance(d := _run(evaluation, formula, record), date)]
    return max(found) if found else datetime.now(UTC).date()


def _with_outputs(entity: EntitySpec, network: Network, stored: Mapping[str, Any], record: dict[str, Any],
                  timing: Timing | None, evaluation: Evaluation) -> dict[str, Any]:
    """The stored document with new outputs and the computed fields that read them."""
    for role, name in network.outputs.items():
        record[name] = getattr(timing, role) if timing is not None else None
    if network.dependents:
        compute_fields(entity, record, evaluation, network.dependents)  # a failing formula leaves its field empty
    document = dict(stored)
    for name in (*network.outputs.values(), *network.dependents):
        if record.get(name) is None:
            document.pop(name, None)
        else:
            document[name] = to_document(entity.fields[name], record[name])
    return document


def _run(evaluation: Evaluation, formula: Any, record: Mapping[str, Any]) -> Any:
    try:
        return evaluation.run(formula, record)
    except FormulaRuntimeError:
        return None


def _with_cached_refs(evaluation: Evaluation) -> Evaluation:
    """The same evaluation, reading each referenced record once (every task reads the same plan)."""
    loader: Callable[[str, str], Mapping[str, Any] | None] = evaluation.load_ref
    cached = cache(loader)
    return replace(evaluation, load_ref=cached)

