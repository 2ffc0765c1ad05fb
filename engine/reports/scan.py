"""The daily scan: recompute the fields that read the clock on records nobody saved, and fire what they trigger.

A computed field reading `today()` or `now()` is only recomputed when its record is written, so a
task that merely ages past its dates would never turn red nor raise its alert. Which fields read
the clock is derived from the compiled formulas (directly, through other fields of the record, or
one ref hop away); the scan recomputes exactly those entities' live records and writes the ones
whose values changed, as the system actor, like any write: audited, version bumped, rollups
refreshed, `when:` effects fired once (the effect log keeps them from firing twice).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import select

from engine.declarations.model import Effect, EntitySpec, FieldSpec, ModuleSpec
from engine.errors import FormworkError, RecordInvalid
from engine.formula import Formula
from engine.formula.context import local_zone
from engine.formula.ir import CallExpr, RefField, walk
from engine.records.service import Records
from engine.storage.columns import live_of
from engine.storage.models import Record
from engine.tenancy.licenses import READ_ONLY_KEY

log = logging.getLogger("formwork.scan")
T = TypeVar("T")
CLOCK_FUNCTIONS = frozenset({"today", "now"})
ALERT_ENTITY = "base.alert"  # the built-in entity alerts (预警) are declared into
BATCH_SIZE = 200
SCAN_JOB = "scan.daily"
SCAN_TIME = time(0, 5)  # just after local midnight (FORMWORK_TIMEZONE): the day's dates have moved

Progress = Callable[[str], None]
RecordsFactory = Callable[[datetime], AbstractContextManager[Records]]


# -- which fields read the clock ------------------------------------------------------------------------

def _formulas_of(spec: FieldSpec) -> list[Formula]:
    """The formulas a field's value comes from: its own, its rollup's, its child rows' computed fields."""
    found = [spec.formula] if spec.formula is not None else []
    if spec.rollup is not None:
        found += [f for f in (spec.rollup.measure, spec.rollup.where) if f is not None]
    for child in spec.fields.values():
        found += _formulas_of(child)
    return found


def clock_fields(modules: Mapping[str, ModuleSpec]) -> dict[str, frozenset[str]]:
    """Entity key -> its computed fields whose value depends on the clock, transitively (a field reading
    such a field of the same record or, one ref hop away, of another record depends on it too)."""
    entities = {f"{module.name}.{name}": entity for module in modules.values()
                for name, entity in module.entities.items()}
    reads: dict[tuple[str, str], set[tuple[str, str]]] = {}
    dependent: set[tuple[str, str]] = set()
    for key, entity in entities.items():
        for name, spec in entity.fields.items():
            formulas = _formulas_of(spec)
            if not formulas or not spec.scanned or spec.freeze == "create":
                continue  # `scan: false`, `freeze: create`: the value as of a save (a lateness at entry, say)
            edges: set[tuple[str, str]] = set()
            for formula in formulas:
                edges |= {(key, other) for other in formula.dependencies if other != name}
                for node in walk(formula.tree):
                    if isinstance(node, CallExpr) and node.function.name in CLOCK_FUNCTIONS:
                        dependent.add((key, name))
                    elif isinstance(node, RefField):
                        target = node.entity if "." in node.entity else f"{entity.module}.{node.entity}"
                        edges.add((target, node.field))
            reads[(key, name)] = edges
    changed = True
    while changed:  # a fixpoint: few fields, few rounds
        changed = False
        for computed, edges in reads.items():
            if computed not in dependent and edges & dependent:
                dependent.add(computed)
                changed = True
    result: dict[str, set[str]] = {}
    for key, name in dependent:
        result.setdefault(key, set()).add(name)
    return {key: frozenset(names) for key, names in sorted(result.items())}


# -- the scan ---------------------------------------------------------------------------------------------

@dataclass
class TenantScan:
    """What a scan did in one tenant."""

    tenant_id: str
    scanned: int = 0
    changed: int = 0
    effects: int = 0
    alerts: int = 0
    refused: list[str] = field(default_factory=list)   # records the new values would make invalid: left alone
    error: str | None = None                            # the tenant's scan stopped here
    skipped: str | None = None                          # why it was not scanned (a read-only tenant)


@dataclass
class ScanSummary:
    tenants: list[TenantScan] = field(default_factory=list)

    @property
    def failed(self) -> list[TenantScan]:
        return [t for t in self.tenants if t.error is not None]

    def line(self) -> str:
        total = {name: sum(getattr(t, name) for t in self.tenants)
                 for name in ("scanned", "changed", "effects", "alerts")}
        refused = sum(len(t.refused) for t in self.tenants)
        skipped = sum(1 for t in self.tenants if t.skipped is not None)
        return (f"scanned {len(self.tenants)} tenant(s): {total['scanned']} record(s), {total['changed']} changed, "
                f"{total['alerts']} alert(s) raised, {total['effects']} effect(s) fired, {refused} left invalid, "
                f"{skipped} tenant(s) read-only, {len(self.failed)} tenant(s) failed")


def clock_of(day: date | None) -> datetime:
    """The moment a scan computes at: now, or the start of the given day (UTC) so a rerun is identical."""
    return datetime.now(UTC) if day is None else datetime.combine(day, time(0, 0), UTC)


def scan_tenant(tenant_id: str, open_records: RecordsFactory, moment: datetime,
                progress: Progress = lambda _line: None, batch_size: int = BATCH_SIZE) -> TenantScan:
    """Recompute the clock-dependent records of one tenant, `batch_size` records per transaction."""
    result = TenantScan(tenant_id)
    try:
        with open_records(moment) as records:
            read_only = records.session.info.get(READ_ONLY_KEY)
            if read_only:  # an expired trial keeps its figures as they were; nothing may be written
                result.skipped = str(read_only)
                progress(f"{tenant_id}: skipped, {read_only}")
                return result
            targets = clock_fields(records.modules)
            work = [(key, _live_ids(records, _entity(records, key))) for key in targets]
            networks = [(key, _live_ids(records, _entity(records, target))) for key, target in _networks(records)]
        for key, ids in work:
            for start in range(0, len(ids), batch_size):
                with open_records(moment) as records:
                    _scan_batch(records, _entity(records, key), ids[start:start + batch_size], result)
                progress(f"{tenant_id}: {key} {min(start + batch_size, len(ids))}/{len(ids)} scanned, "
                         f"{result.changed} changed so far")
        for key, group_ids in networks:  # forecasts count from the status date,
            # today when none is reported: each group is rescheduled on the scan's clock
            for group_id in group_ids:
                with open_records(moment) as records:
                    _reschedule(records, _entity(records, key), group_id, result)
            progress(f"{tenant_id}: {key} networks of {len(group_ids)} group(s) rescheduled")
    except FormworkError as error:
        result.error = str(error)
    except Exception as error:  # the outer boundary of one tenant: the others go on
        log.exception("the scan of tenant %s failed", tenant_id)
        result.error = f"{type(error).__name__}: {error}"
    return result


def _entity(records: Records, key: str) -> EntitySpec:
    module, _, name = key.partition(".")
    return records.modules[module].entities[name]


def _networks(records: Records) -> list[tuple[str, str]]:
    """(entity key, key of the entity grouping it) for every entity scheduled as a network."""
    return [(entity.key, entity.fields[entity.network.group].target or "") for module in records.modules.values()
            for entity in module.entities.values() if entity.network is not None]


def _live_ids(records: Records, entity: EntitySpec) -> list[str]:
    return list(records.session.scalars(
        select(Record.id).where(live_of(Record, entity.module, entity.name)).order_by(Record.id)))


def _scan_batch(records: Records, entity: EntitySpec, ids: Iterable[str], result: TenantScan) -> None:
    rows = {row.id: row for row in records.session.scalars(
        select(Record).where(live_of(Record, entity.module, entity.name), Record.id.in_(list(ids))))}
    for record_id in ids:
        row = rows.get(record_id)
        if row is None:
            continue  # deleted meanwhile
        result.scanned += 1
        if _attempt(records, entity, f"{entity.key} {record_id}", result,
                    functools.partial(records.recompute, entity, row)):
            result.changed += 1


def _reschedule(records: Records, entity: EntitySpec, group_id: str, result: TenantScan) -> None:
    """Reschedule one group's network on the scan's clock; a group whose links form a cycle is listed."""
    _attempt(records, entity, f"{entity.key} network of {group_id}", result,
             lambda: records.reschedule(entity.module, entity.name, group_id))


def _attempt(records: Records, entity: EntitySpec, what: str, result: TenantScan, write: Callable[[], T]) -> T | None:
    """One write in a savepoint: refused, it is undone and listed under `what`; done, its effects are counted."""
    fired_before = len(records.fired)
    savepoint = records.session.begin_nested()
    try:
        outcome = write()
    except RecordInvalid as error:
        savepoint.rollback()
        del records.fired[fired_before:]
        messages = "; ".join(f"{e.field or entity.key}: {e.message}" for e in error.errors)
        result.refused.append(f"{what}: {messages}")
        return None
    savepoint.commit()
    _count_fired(records.fired[fired_before:], result)
    return outcome


def _count_fired(fired: Sequence[Effect], result: TenantScan) -> None:
    result.effects += len(fired)
    result.alerts += sum(1 for effect in fired if effect.target == ALERT_ENTITY and not effect.updates)


def scan(tenant_ids: Iterable[str], open_records: Callable[[str, datetime], AbstractContextManager[Records]],
         moment: datetime, progress: Progress = lambda _line: None) -> ScanSummary:
    """Scan each tenant in turn; a tenant that fails is reported and the next one goes on."""
    summary = ScanSummary()
    for tenant_id in tenant_ids:
        done = scan_tenant(tenant_id, functools.partial(open_records, tenant_id), moment, progress)
        summary.tenants.append(done)
        if done.error is not None:
            progress(f"{tenant_id}: FAILED: {done.error}")
    return summary


def next_run(moment: datetime) -> datetime:
    """When the daily scan runs next after `moment`: shortly after the following local midnight."""
    zone = local_zone()
    return datetime.combine(moment.astimezone(zone).date() + timedelta(days=1), SCAN_TIME, zone).astimezone(UTC)
