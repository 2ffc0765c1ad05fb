"""Record use cases: create, read, update, delete, list and history of declared entities.

The service checks what the actor may do, then hands the write to the unit of work's cascade
(engine.records.cascade) and the checks of the values to engine.records.checks.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.declarations.compiler import suggest
from engine.declarations.model import Action, Effect, EntitySpec, ModuleSpec
from engine.errors import BadRequest, FieldError, NotFound, PluginNotEnabled
from engine.records import errors as record_errors
from engine.records import history as record_history
from engine.records.cascade import MAX_CASCADE, MAX_NETWORK_ROUNDS, Cascade, iso, record_document
from engine.records.checks import finish, warnings_of
from engine.records.compute import Evaluation, RuleWarning
from engine.records.flow import gathering
from engine.records.flow.frozen import EDITABLE_STATUSES
from engine.records.flow.locks import refuse_locked
from engine.records.input import accepted_input, defaults, with_defaults
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.security.permissions import Access, Reader
from engine.storage.models import Record
from engine.storage.queries import RecordQuery
from engine.tenancy.licenses import NotLicensed
from engine.tenancy.tenants import Actor

__all__ = ["EDITABLE_STATUSES", "MAX_CASCADE", "MAX_LIMIT", "MAX_NETWORK_ROUNDS", "MAX_OFFSET", "Page", "Records",
           "record_document"]

MAX_LIMIT = 500
MAX_OFFSET = 2 ** 31 - 1  # far past any entity's records, and within every database's OFFSET


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int


class Records:
    """One actor's record operations inside one tenant transaction."""

    def __init__(self, session: Session, actor: Actor, modules: Mapping[str, ModuleSpec],
                 parameters: Mapping[str, Mapping[str, Any]] | None = None, language: str = "en", *,
                 unlicensed: frozenset[str] = frozenset(), blocked: Mapping[str, str] | None = None,
                 work: UnitOfWork | None = None) -> None:
        self.work = work or UnitOfWork(session, actor, modules, parameters or {}, language)
        self.cascade = Cascade(self.work)
        self.unlicensed = unlicensed   # installed modules outside the tenant's license: 403, not 404
        self.blocked = blocked or {}  # modules left out of `modules` because a plugin they need is off: why

    @property
    def session(self) -> Session:
        return self.work.session

    @property
    def actor(self) -> Actor:
        return self.work.actor

    @property
    def modules(self) -> Mapping[str, ModuleSpec]:
        return self.work.modules

    @modules.setter
    def modules(self, value: Mapping[str, ModuleSpec]) -> None:
        self.work.modules = value

    @property
    def parameters(self) -> Mapping[str, Mapping[str, Any]]:
        return self.work.parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, Mapping[str, Any]]) -> None:
        self.work.parameters = value

    @property
    def language(self) -> str:
        return self.work.language

    @language.setter
    def language(self, value: str) -> None:
        self.work.language = value

    @property
    def now(self) -> datetime | None:
        """The clock formulas read; None: the real one (the scan moves it)."""
        return self.work.now

    @now.setter
    def now(self, moment: datetime | None) -> None:
        self.work.now = moment

    @property
    def fired(self) -> list[Effect]:
        """The declared effects this unit of work ran, in order."""
        return self.work.fired

    # -- lookup ------------------------------------------------------------------------------------

    def module(self, module: str) -> ModuleSpec:
        """An enabled, licensed module: 403 when the license excludes it, 404 when it is not enabled,
        422 when it needs a plugin the tenant has not enabled."""
        if module in self.blocked:
            raise PluginNotEnabled(self.blocked[module], message_code="module_needs_plugin",
                                   params={"module": module, "reason": self.blocked[module]})
        spec = self.modules.get(module)
        if spec is None and module in self.unlicensed:
            raise NotLicensed(f"module {module!r} is not in this tenant's license; ask the operator to extend it",
                              message_code="module_not_in_license", params={"module": module})
        if spec is None:
            raise NotFound(f"module {module!r} is not enabled for this tenant" + suggest(module, self.modules),
                           message_code="module_not_enabled",
                           params={"module": module, "hint": suggest(module, self.modules)})
        return spec

    def entity(self, module: str, entity: str) -> EntitySpec:
        spec = self.module(module)
        found = spec.entities.get(entity)
        if found is None:
            raise NotFound(f"module {module!r} has no entity {entity!r}" + suggest(entity, spec.entities),
                           message_code="entity_not_found",
                           params={"module": module, "entity": entity, "hint": suggest(entity, spec.entities)})
        return found

    def access(self, entity: EntitySpec) -> Access:
        return self.work.access(entity)

    def reader(self) -> Reader:
        """What the actor may learn through formulas of their own, at every hop."""
        return self.work.reader()

    def entity_of(self, key: str) -> EntitySpec | None:
        """An entity of an enabled module by key ('base.project'), or None."""
        return self.work.entity_of(key)

    def evaluation(self, entity: EntitySpec) -> Evaluation:
        return self.work.evaluation(entity)

    def params_of(self, module: str) -> dict[str, Any]:
        return self.work.params_of(module)

    def find_row(self, entity: EntitySpec, record_id: str) -> Record | None:
        """The live record, whatever the actor's row filters (for the engine's own checks)."""
        return self.work.find_row(entity, record_id)

    def row(self, entity: EntitySpec, record_id: str) -> Record:
        row = self.find_row(entity, record_id)
        if row is None:
            raise record_errors.record_not_found(entity, record_id)
        return row

    def visible_row(self, entity: EntitySpec, record_id: str) -> Record:
        """The live record the actor may read (or was copied to): 403 without the read action, 404 outside their
        row filters."""
        row = self.readable_row(entity, record_id)
        if row is None:
            self.access(entity).require(Action.READ)
            raise record_errors.record_not_found(entity, record_id)
        return row

    def readable_row(self, entity: EntitySpec, record_id: str) -> Record | None:
        """The live record if the actor may read it (the read action and the row filters), else None."""
        return self.work.readable_row(entity, record_id)

    def readable_rows(self, entity: EntitySpec, record_ids: Collection[str]) -> dict[str, Record]:
        """The live records among `record_ids` that the actor may read, by id, in one query."""
        return self.work.readable_rows(entity, record_ids)

    def named(self, entity: EntitySpec, row: Record, *, with_id: bool = True) -> str | None:
        """How a message to the actor names another record: its title as the actor sees it and its id; None
        when the actor may not read it."""
        return self.work.named(entity, row, with_id=with_id)

    def as_actor(self, actor: Actor) -> Records:
        """The same unit of work seen by another user of the tenant (whether they may read a record)."""
        return Records(self.session, actor, self.modules, self.parameters, self.language,
                       unlicensed=self.unlicensed, blocked=self.blocked, work=self.work.seen_by(actor))

    @staticmethod
    def values_of(entity: EntitySpec, row: Record) -> dict[str, Any]:
        return values_of(entity, row)

    def view(self, entity: EntitySpec, row: Record, warnings: list[RuleWarning] | None = None) -> dict[str, Any]:
        """The record as the actor may see it (hidden fields out, masked fields masked); after a write,
        with the `warnings` of the warning rules it breaks."""
        result = {
            "id": row.id, "module": row.module, "entity": row.entity, "version": row.version,
            "status": row.status, "schema_version": row.schema_version,
            "data": self.work.access_to(entity, row).shown(row.data),
            "created_at": iso(row.created_at), "created_by": row.created_by,
            "updated_at": iso(row.updated_at), "updated_by": row.updated_by,
        }
        if warnings is not None:
            result["warnings"] = [warning.as_dict() for warning in warnings]
        return result

    def warnings_of(self, entity: EntitySpec, row: Record) -> list[RuleWarning]:
        """The warning rules and warning conflicts a stored record has now (for its page)."""
        return warnings_of(self.work, entity, row)

    # -- use cases ---------------------------------------------------------------------------------

    def get(self, module: str, entity_name: str, record_id: str) -> dict[str, Any]:
        entity = self.entity(module, entity_name)
        return self.view(entity, self.visible_row(entity, record_id))

    def create(self, module: str, entity_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.CREATE)
        warnings: list[RuleWarning] = []
        row = self.cascade.create(entity, data, access, warnings)
        self.cascade.settle_networks()
        return self.view(entity, row, warnings)

    def create_as_system(self, entity: EntitySpec, data: Mapping[str, Any]) -> Record:
        """Insert a record the engine itself writes (seeds), without role checks."""
        row = self.cascade.create(entity, data)
        self.cascade.settle_networks()
        return row

    def validate(self, module: str, entity_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Check a new record exactly as `create` would, without writing it (an import's preview)."""
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.CREATE)
        values = with_defaults(entity, accepted_input(self.work, entity, data, access, previous=None))
        return finish(self.work, entity, values, record_id=None, numbered=False, gathered=True, by_user=True)

    def update(self, module: str, entity_name: str, record_id: str, data: Mapping[str, Any],
               version: Any) -> dict[str, Any]:
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.UPDATE)
        expected = _version(version)
        row = self.visible_row(entity, record_id)
        self._require_current(entity, row, expected)
        if row.status not in EDITABLE_STATUSES:
            raise record_errors.not_editable(entity, record_id, row.status)
        previous = self.values_of(entity, row)
        values = {name: previous[name] for name in entity.fields}
        if row.schema_version != self.modules[entity.module].version:  # written on another version of the module
            values.update(defaults(entity, [name for name in entity.fields if name not in row.data]))
        values.update(accepted_input(self.work, entity, data, access, previous=previous))
        refuse_locked(self.work, entity, row, changing=[n for n in data if values.get(n) != previous.get(n)])
        warnings: list[RuleWarning] = []
        document = finish(self.work, entity, values, record_id=row.id, warnings=warnings, gathered=True, by_user=True)
        row.schema_version = self.modules[entity.module].version  # it now satisfies the current version
        self.cascade.store(entity, row, document, "record.update", warnings=warnings)
        gathering.hold(self.work, entity, row)
        self.cascade.settle_networks()
        return self.view(entity, row, warnings)

    def delete(self, module: str, entity_name: str, record_id: str, version: Any = None) -> None:
        entity = self.entity(module, entity_name)
        self.access(entity).require(Action.DELETE)
        row = self.visible_row(entity, record_id)
        if version is not None:
            self._require_current(entity, row, _version(version))
        if row.status not in EDITABLE_STATUSES:
            raise record_errors.not_deletable(entity, record_id, row.status)
        refuse_locked(self.work, entity, row, deleting=True)
        row.deleted_at = datetime.now(UTC)
        row.updated_by = self.actor.username
        self.cascade.flush(entity)
        gathering.release(self.work, entity, row.id)
        self.cascade.audit("record.delete", entity, row, dict(row.data), None)
        self.cascade.emit("record.deleted", entity, row)
        self.cascade.mark_networks(entity, row.data)
        self.cascade.refresh_parents(entity, row.data)
        self.cascade.settle_networks()

    def find(self, module: str, entity_name: str, *, q: str | None = None, sort: str | None = None,
             limit: Any = 50, offset: Any = 0, counted: bool = True) -> Page:
        """A page of what the actor may read; `total` counts every match (not `counted`: the page's length)."""
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.READ)
        query = RecordQuery(self.session, entity, self.evaluation(entity), reader=self.reader())
        rows, total = query.page(q=q, sort=sort or entity.list_sort, row_filters=access.row_filters,
                                 limit=_bounded(limit, "limit", 1, MAX_LIMIT),
                                 offset=_bounded(offset, "offset", 0, MAX_OFFSET), counted=counted)
        return Page([self.view(entity, row) for row in rows], len(rows) if total is None else total)

    def change_during_review(self, entity: EntitySpec, row: Record, changes: Mapping[str, Any], *,
                             because: str) -> None:
        """Apply the fields an approval step may change, whatever the status; the process vouches for them.
        The audit entry (old -> new) says `because` (the step and its decision)."""
        previous = self.values_of(entity, row)
        values = {name: previous[name] for name in entity.fields}
        if row.schema_version != self.modules[entity.module].version:  # as in `update`: the new fields' defaults
            values.update(defaults(entity, [name for name in entity.fields if name not in row.data]))
        values.update(accepted_input(self.work, entity, changes, None, previous=previous))
        self.cascade.store(entity, row, finish(self.work, entity, values, record_id=row.id), "record.update",
                           because=because)
        self.cascade.settle_networks()

    def revalidate(self, entity: EntitySpec, row: Record, new_fields: Iterable[str] = ()) -> dict[str, Any]:
        """Check a stored record against `entity` (maybe a newer version of it), filling the defaults of
        `new_fields` and recomputing; return the document it would have, or raise RecordInvalid."""
        values = {name: value for name, value in self.values_of(entity, row).items() if name in entity.fields}
        values.update(defaults(entity, [name for name in new_fields if values.get(name) is None]))
        return finish(self.work, entity, values, record_id=row.id, numbered=False)

    def recompute(self, entity: EntitySpec, row: Record) -> bool:
        """Recompute a stored record's fields on the current clock and write it if they changed, as the
        actor (audited, version bumped, rollups refreshed, `when:` effects fired); whether it was written."""
        values = {name: value for name, value in self.values_of(entity, row).items() if name in entity.fields}
        current = self.modules[entity.module].version
        if row.schema_version != current:  # written on another version of the module, as in `update`
            values.update(defaults(entity, [name for name in entity.fields if name not in row.data]))
        document = finish(self.work, entity, values, record_id=row.id)
        for name, spec in entity.fields.items():  # `scan: false`: keep what the last save computed
            if not spec.scanned:
                document.pop(name, None)
                if name in row.data:
                    document[name] = row.data[name]
        if document == row.data:
            return False
        row.schema_version = current  # it now satisfies the current version
        self.cascade.store(entity, row, document, "record.scan")
        self.cascade.settle_networks()  # reschedules what the change reshapes, then runs the effects it held back
        return True

    def migrate(self, entity: EntitySpec, row: Record, document: dict[str, Any]) -> None:
        """Move a record to the current version of its module with the document `revalidate` gave."""
        row.schema_version = self.modules[entity.module].version
        self.cascade.store(entity, row, document, "record.migrate")
        self.cascade.flush(entity)
        self.cascade.settle_networks()  # inside batch(), once for all

    def set_status(self, entity: EntitySpec, row: Record, status: str) -> None:
        """Move a record along its approval; only the approval service calls this."""
        self.cascade.set_status(entity, row, status)

    @contextmanager
    def batch(self, *, settle: bool = True) -> Iterator[None]:
        """Write many records, rescheduling their networks once at the end instead of after each write
        (an import of 5,000 tasks would otherwise reschedule the plan 5,000 times); `settle=False`
        leaves that to a later `settle_networks()`."""
        self.cascade.batches += 1
        try:
            yield
        finally:
            self.cascade.batches -= 1
        if self.cascade.batches == 0 and settle:
            self.cascade.settle_networks()

    def settle_networks(self) -> list[FieldError]:
        """Reschedule the networks changed so far; a group whose links form a cycle is left as it was
        and reported (a record migration must not stop at one bad plan)."""
        problems: list[FieldError] = []
        self.cascade.settle_networks(problems)
        return problems

    def reschedule(self, module: str, entity_name: str, group_id: str) -> None:
        """Recompute one group's network now (records written around the engine, a bulk load)."""
        entity = self.entity(module, entity_name)
        if entity.network is None:
            raise BadRequest(f"{entity.title.en} declares no network to schedule", message_code="no_network",
                             params={"entity": entity.title.en})
        self.work.dirty_networks[(entity.key, group_id)] = entity
        self.cascade.settle_networks()

    def history(self, module: str, entity_name: str, record_id: str) -> list[dict[str, Any]]:
        """The record's audit entries, each as the permissions of the record it describes allow."""
        entity = self.entity(module, entity_name)
        return record_history.history(self.work, entity, self.visible_row(entity, record_id))

    def _require_current(self, entity: EntitySpec, row: Record, expected: int) -> None:
        if row.version != expected:
            raise record_errors.version_conflict(entity, row, expected)


def _version(raw: Any) -> int:
    if raw is None:
        raise BadRequest("send the record's 'version' (from your last read) to update it",
                         message_code="version_missing")
    return _bounded(raw, "version", 0, 2**63 - 1)


def _bounded(raw: Any, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"{name!r} must be a whole number, not {raw!r}", message_code="param_not_whole_number",
                         params={"name": name, "value": raw}) from None
    if not low <= value <= high:
        raise BadRequest(f"{name!r} must be between {low} and {high}, not {value}",
                         message_code="param_out_of_range",
                         params={"name": name, "low": low, "high": high, "value": value})
    return value
