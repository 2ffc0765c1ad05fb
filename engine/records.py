"""Record use cases: create, read, update, delete, list and history of declared entities."""
from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, events, files, links, networks, record_history
from engine.compute import Evaluation, RuleWarning, check_record, compute, rule_warnings
from engine.conflicts import conflict_errors, conflict_warnings
from engine.declarations.compiler import suggest
from engine.declarations.model import SYSTEM_FIELDS, Action, Effect, EntitySpec, FieldSpec, ModuleSpec
from engine.errors import BadRequest, Conflict, FieldError, NotFound, PluginNotEnabled, RecordInvalid
from engine.json_schema import schema_errors
from engine.licenses import NotLicensed
from engine.masking import is_masked_echo
from engine.numbering import assign_numbers
from engine.permissions import Access, Reader, is_masked_for
from engine.storage.indexes import unique_key_of
from engine.storage.models import EffectLog, Record
from engine.storage.queries import RecordQuery
from engine.tenancy import Actor
from engine.values import InvalidValue, coerce, from_json, to_document, to_json

EDITABLE_STATUSES = frozenset({"draft", "returned", "withdrawn"})
MAX_CASCADE = 5  # rollup levels: a ticket updates a summary updates a contract ...
MAX_NETWORK_ROUNDS = 3  # a network's recompute may change a record that reshapes another network
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
                 unlicensed: frozenset[str] = frozenset(), blocked: Mapping[str, str] | None = None) -> None:
        self.session = session
        self.unlicensed = unlicensed   # installed modules outside the tenant's license: 403, not 404
        self.blocked = blocked or {}  # modules left out of `modules` because a plugin they need is off: why
        self.actor = actor
        self.modules = modules
        self.parameters = parameters or {}
        self.language = language
        self.now: datetime | None = None  # the clock formulas read; None: the real one (the scan moves it)
        self.fired: list[Effect] = []      # the declared effects this unit of work ran, in order
        self._dirty_networks: dict[tuple[str, str], EntitySpec] = {}  # (entity key, group id) -> entity
        self._waiting_effects: dict[str, tuple[EntitySpec, Record]] = {}  # run once their networks settle
        self._batches = 0  # inside batch(): networks settle once, at its end

    # -- lookup ------------------------------------------------------------------------------------

    def module(self, module: str) -> ModuleSpec:
        """An enabled, licensed module: 403 when the license excludes it, 404 when it is not enabled,
        422 when it needs a plugin the tenant has not enabled."""
        if module in self.blocked:
            raise PluginNotEnabled(self.blocked[module])
        spec = self.modules.get(module)
        if spec is None and module in self.unlicensed:
            raise NotLicensed(f"module {module!r} is not in this tenant's license; ask the operator to extend it")
        if spec is None:
            raise NotFound(f"module {module!r} is not enabled for this tenant" + suggest(module, self.modules))
        return spec

    def entity(self, module: str, entity: str) -> EntitySpec:
        spec = self.module(module)
        found = spec.entities.get(entity)
        if found is None:
            raise NotFound(f"module {module!r} has no entity {entity!r}" + suggest(entity, spec.entities))
        return found

    def access(self, entity: EntitySpec) -> Access:
        return Access(entity, self.actor)

    def reader(self) -> Reader:
        """What the actor may learn through formulas of their own, at every hop."""
        return Reader(self.actor, self.entity_of, self.params_of)

    def entity_of(self, key: str) -> EntitySpec | None:
        """An entity of an enabled module by key ('base.project'), or None."""
        module, _, name = key.partition(".")
        spec = self.modules.get(module)
        return spec.entities.get(name) if spec is not None else None

    def evaluation(self, entity: EntitySpec) -> Evaluation:
        return Evaluation(params=self.params_of(entity.module), user_name=self.actor.username,
                          user_roles=tuple(sorted(self.actor.roles)), load_ref=self._load_ref, now=self.now)

    def params_of(self, module: str) -> dict[str, Any]:
        spec = self.modules[module]
        values = {name: p.default for name, p in spec.parameters.items()}
        values.update(self.parameters.get(module, {}))
        return {name: coerce(FieldSpec(name, spec.parameters[name].type, spec.parameters[name].label), value)
                for name, value in values.items() if name in spec.parameters}

    def _load_ref(self, target: str, record_id: str) -> dict[str, Any] | None:
        module, _, entity = target.partition(".")
        if module not in self.modules or entity not in self.modules[module].entities:
            return None
        row = self.find_row(self.modules[module].entities[entity], record_id)
        return self.values_of(self.modules[module].entities[entity], row) if row is not None else None

    def find_row(self, entity: EntitySpec, record_id: str) -> Record | None:
        """The live record, whatever the actor's row filters (for the engine's own checks)."""
        return self.session.scalars(
            select(Record).where(Record.id == record_id, Record.module == entity.module,
                                 Record.entity == entity.name, Record.deleted_at.is_(None))
        ).first()

    def row(self, entity: EntitySpec, record_id: str) -> Record:
        row = self.find_row(entity, record_id)
        if row is None:
            raise NotFound(f"{entity.title.en} {record_id!r} does not exist")
        return row

    def visible_row(self, entity: EntitySpec, record_id: str) -> Record:
        """The live record the actor may read: 403 without the read action, 404 outside their row filters."""
        self.access(entity).require(Action.READ)
        row = self.readable_row(entity, record_id)
        if row is None:
            raise NotFound(f"{entity.title.en} {record_id!r} does not exist")
        return row

    def readable_row(self, entity: EntitySpec, record_id: str) -> Record | None:
        """The live record if the actor may read it (the read action and the row filters), else None."""
        return self.readable_rows(entity, [record_id]).get(record_id)

    def readable_rows(self, entity: EntitySpec, record_ids: Collection[str]) -> dict[str, Record]:
        """The live records among `record_ids` that the actor may read, by id, in one query."""
        access = self.access(entity)
        if not record_ids or not access.allows(Action.READ):
            return {}
        query = RecordQuery(self.session, entity, self.evaluation(entity))
        statement = query.visible(query.base().where(Record.id.in_(list(record_ids))), access.row_filters)
        return {row.id: row for row in self.session.scalars(statement)}

    def named(self, entity: EntitySpec, row: Record) -> str | None:
        """How a message to the actor names another record (a unique key or a conflict it clashes with): its
        title as the actor sees it and its id; None when the actor may not read it (neither is theirs to learn)."""
        if self.readable_row(entity, row.id) is None:
            return None
        shown = self.access(entity).shown(row.data) or {}
        title = shown.get(entity.title_field) if entity.title_field else None
        return f"{title!r} (id {row.id})" if title is not None else f"id {row.id}"

    def as_actor(self, actor: Actor) -> Records:
        """The same unit of work seen by another user of the tenant (whether they may read a record)."""
        return Records(self.session, actor, self.modules, self.parameters, self.language,
                       unlicensed=self.unlicensed, blocked=self.blocked)

    @staticmethod
    def values_of(entity: EntitySpec, row: Record) -> dict[str, Any]:
        values = {name: from_json(spec, row.data.get(name)) for name, spec in entity.fields.items()}
        values.update(id=row.id, status=row.status, version=row.version, created_at=row.created_at,
                      created_by=row.created_by, updated_at=row.updated_at, updated_by=row.updated_by)
        return values

    def view(self, entity: EntitySpec, row: Record, warnings: list[RuleWarning] | None = None) -> dict[str, Any]:
        """The record as the actor may see it (hidden fields out, masked fields masked); after a write,
        with the `warnings` of the warning rules it breaks."""
        result = {
            "id": row.id, "module": row.module, "entity": row.entity, "version": row.version,
            "status": row.status, "schema_version": row.schema_version,
            "data": self.access(entity).shown(row.data),
            "created_at": _iso(row.created_at), "created_by": row.created_by,
            "updated_at": _iso(row.updated_at), "updated_by": row.updated_by,
        }
        if warnings is not None:
            result["warnings"] = [warning.as_dict() for warning in warnings]
        return result

    def warnings_of(self, entity: EntitySpec, row: Record) -> list[RuleWarning]:
        """The warning rules and warning conflicts a stored record has now (for its page)."""
        values, evaluation = self.values_of(entity, row), self.evaluation(entity)
        return (rule_warnings(entity, values, evaluation, self.language)
                + conflict_warnings(self.session, entity, evaluation, values, row.id, self.language,
                                    self.access(entity), self.named))

    # -- use cases ---------------------------------------------------------------------------------

    def get(self, module: str, entity_name: str, record_id: str) -> dict[str, Any]:
        entity = self.entity(module, entity_name)
        return self.view(entity, self.visible_row(entity, record_id))

    def create(self, module: str, entity_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.CREATE)
        warnings: list[RuleWarning] = []
        row = self._create(entity, data, access, warnings)
        self._settle_networks()
        return self.view(entity, row, warnings)

    def create_as_system(self, entity: EntitySpec, data: Mapping[str, Any]) -> Record:
        """Insert a record the engine itself writes (seeds), without role checks."""
        row = self._create(entity, data)
        self._settle_networks()
        return row

    def _create(self, entity: EntitySpec, data: Mapping[str, Any], access: Access | None = None,
                warnings: list[RuleWarning] | None = None) -> Record:
        """Insert a record; without `access` it is the system writing (declared effects), unrestricted."""
        values = self._with_defaults(entity, self._accepted_input(entity, data, access, previous=None))
        document = self._finish(entity, values, record_id=None, warnings=warnings)
        moment = datetime.now(UTC)
        row = Record(id=str(uuid.uuid4()), module=entity.module, entity=entity.name,
                     schema_version=self.modules[entity.module].version, status="draft", version=1, data=document,
                     created_at=moment, created_by=self.actor.username, updated_at=moment,
                     updated_by=self.actor.username)
        self.session.add(row)
        self._flush(entity)
        self._audit("record.create", entity, row, None, document, warnings)
        self._emit("record.created", entity, row)
        self._mark_networks(entity, document)
        self._refresh_parents(entity, document)
        self._run_effects_after_networks(entity, row)
        return row

    def validate(self, module: str, entity_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Check a new record exactly as `create` would, without writing it (an import's preview)."""
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.CREATE)
        values = self._with_defaults(entity, self._accepted_input(entity, data, access, previous=None))
        return self._finish(entity, values, record_id=None, numbered=False)

    @staticmethod
    def _with_defaults(entity: EntitySpec, values: dict[str, Any]) -> dict[str, Any]:
        for name, spec in entity.fields.items():
            if name not in values and spec.default is not None and not spec.is_computed:
                values[name] = coerce(spec, spec.default)
        return values

    def update(self, module: str, entity_name: str, record_id: str, data: Mapping[str, Any],
               version: Any) -> dict[str, Any]:
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.UPDATE)
        expected = _version(version)
        row = self.visible_row(entity, record_id)
        self._require_current(entity, row, expected)
        if row.status not in EDITABLE_STATUSES:
            raise Conflict(f"{entity.title.en} {record_id} is {row.status} and can no longer be edited")
        previous = self.values_of(entity, row)
        values = {name: previous[name] for name in entity.fields}
        if row.schema_version != self.modules[entity.module].version:  # written on another version of the module
            values.update(self._defaults(entity, [name for name in entity.fields if name not in row.data]))
        values.update(self._accepted_input(entity, data, access, previous=previous))
        warnings: list[RuleWarning] = []
        document = self._finish(entity, values, record_id=row.id, warnings=warnings)
        row.schema_version = self.modules[entity.module].version  # it now satisfies the current version
        self._store(entity, row, document, "record.update", warnings=warnings)
        self._settle_networks()
        return self.view(entity, row, warnings)

    def delete(self, module: str, entity_name: str, record_id: str, version: Any = None) -> None:
        entity = self.entity(module, entity_name)
        self.access(entity).require(Action.DELETE)
        row = self.visible_row(entity, record_id)
        if version is not None:
            self._require_current(entity, row, _version(version))
        if row.status not in EDITABLE_STATUSES:
            raise Conflict(f"{entity.title.en} {record_id} is {row.status} and can no longer be deleted")
        row.deleted_at = datetime.now(UTC)
        row.updated_by = self.actor.username
        self._flush(entity)
        self._audit("record.delete", entity, row, dict(row.data), None)
        self._emit("record.deleted", entity, row)
        self._mark_networks(entity, row.data)
        self._refresh_parents(entity, row.data)
        self._settle_networks()

    def find(self, module: str, entity_name: str, *, q: str | None = None, sort: str | None = None,
             limit: Any = 50, offset: Any = 0) -> Page:
        entity = self.entity(module, entity_name)
        access = self.access(entity)
        access.require(Action.READ)
        query = RecordQuery(self.session, entity, self.evaluation(entity), reader=self.reader())
        rows, total = query.page(q=q, sort=sort or entity.list_sort, row_filters=access.row_filters,
                                 limit=_bounded(limit, "limit", 1, MAX_LIMIT),
                                 offset=_bounded(offset, "offset", 0, MAX_OFFSET))
        return Page([self.view(entity, row) for row in rows], total)

    def change_during_review(self, entity: EntitySpec, row: Record, changes: Mapping[str, Any], *,
                             because: str) -> None:
        """Apply the fields an approval step may change, whatever the status; the process vouches for them.
        The audit entry (old -> new) says `because` (the step and its decision)."""
        previous = self.values_of(entity, row)
        values = {name: previous[name] for name in entity.fields}
        values.update(self._accepted_input(entity, changes, None, previous=previous))
        self._store(entity, row, self._finish(entity, values, record_id=row.id), "record.update", because=because)
        self._settle_networks()

    def revalidate(self, entity: EntitySpec, row: Record, new_fields: Iterable[str] = ()) -> dict[str, Any]:
        """Check a stored record against `entity` (maybe a newer version of it), filling the defaults of
        `new_fields` and recomputing; return the document it would have, or raise RecordInvalid."""
        values = {name: value for name, value in self.values_of(entity, row).items() if name in entity.fields}
        values.update(self._defaults(entity, [name for name in new_fields if values.get(name) is None]))
        return self._finish(entity, values, record_id=row.id, numbered=False)

    @staticmethod
    def _defaults(entity: EntitySpec, names: Iterable[str]) -> dict[str, Any]:
        """The declared defaults of the named fields that have one (computed fields are computed)."""
        fields = [entity.fields[name] for name in names]
        return {spec.name: coerce(spec, spec.default) for spec in fields
                if spec.default is not None and not spec.is_computed}

    def recompute(self, entity: EntitySpec, row: Record) -> bool:
        """Recompute a stored record's fields on the current clock and write it if they changed, as the
        actor (audited, version bumped, rollups refreshed, `when:` effects fired); whether it was written."""
        values = {name: value for name, value in self.values_of(entity, row).items() if name in entity.fields}
        current = self.modules[entity.module].version
        if row.schema_version != current:  # written on another version of the module, as in `update`
            values.update(self._defaults(entity, [name for name in entity.fields if name not in row.data]))
        document = self._finish(entity, values, record_id=row.id)
        for name, spec in entity.fields.items():  # `scan: false`: keep what the last save computed
            if not spec.scanned:
                document.pop(name, None)
                if name in row.data:
                    document[name] = row.data[name]
        if document == row.data:
            return False
        row.schema_version = current  # it now satisfies the current version
        self._store(entity, row, document, "record.scan")
        self._settle_networks()  # reschedules what the change reshapes, then runs the effects it held back
        return True

    def migrate(self, entity: EntitySpec, row: Record, document: dict[str, Any]) -> None:
        """Move a record to the current version of its module with the document `revalidate` gave."""
        row.schema_version = self.modules[entity.module].version
        self._store(entity, row, document, "record.migrate")
        self._flush(entity)
        self._settle_networks()  # inside batch(), once for all

    def set_status(self, entity: EntitySpec, row: Record, status: str) -> None:
        """Move a record along its approval; only the approval service calls this."""
        if row.status != status:
            before = row.status
            row.status = status
            row.updated_at = datetime.now(UTC)
            row.updated_by = self.actor.username
            self._flush(entity)
            audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action="record.status",
                        target_type="record", target_id=row.id, before={"status": before},
                        after={"status": status}, note=f"{entity.key} v{row.version}")
            self._run_effects(entity, row, status)
            self._refresh_parents(entity, row.data)
            self._settle_networks()

    # -- links between records ---------------------------------------------------------------------

    def _refresh_parents(self, entity: EntitySpec, *documents: Mapping[str, Any] | None, depth: int = 0,
                         fields: frozenset[str] | None = None) -> None:
        """Recompute the rollups that count this entity's records, on the records they point at (with
        `fields`, only the rollups that read one of them)."""
        if depth > MAX_CASCADE:
            raise Conflict(f"rollups of {entity.title.en} cascade more than {MAX_CASCADE} levels deep")
        for parent, parent_id in dict.fromkeys(links.parents_to_refresh(self, entity, *documents, fields=fields)):
            row = self.find_row(parent, parent_id)
            if row is None:
                continue
            values = {name: value for name, value in self.values_of(parent, row).items() if name in parent.fields}
            try:
                document = self._finish(parent, values, record_id=row.id)
            except RecordInvalid as error:
                raise RecordInvalid([FieldError(e.field, f"{parent.title.en} {row.id}: {e.message}")
                                     for e in error.errors]) from None
            self._store(parent, row, document, "record.recompute", depth=depth + 1)

    def _store(self, entity: EntitySpec, row: Record, document: dict[str, Any], action: str, *,
               depth: int | None = None, warnings: list[RuleWarning] | None = None, because: str = "") -> None:
        """Write a changed document, audit it (`because` says why, if not the actor's own edit) and
        refresh the rollups that count it.

        A user's change (`depth` None) stamps who changed it; a rollup recompute, `depth` levels
        down a cascade, keeps the last editor.
        """
        if document == row.data:
            return
        before = dict(row.data)
        row.data = document
        row.updated_at = datetime.now(UTC)
        if depth is None:
            row.updated_by = self.actor.username
        self._flush(entity)
        self._audit(action, entity, row, before, document, warnings, because)
        if networks.reshapes(entity, before, document):
            self._mark_networks(entity, before, document)
        if depth is None:  # a user's change of a group (a plan's status date) reschedules its network
            for grouped in networks.networks_grouped_by(self, entity):
                self._dirty_networks[(grouped.key, row.id)] = grouped
            self._emit("record.updated", entity, row)
            self._refresh_parents(entity, before, document)
        else:
            self._refresh_parents(entity, document, depth=depth)
        self._run_effects_after_networks(entity, row)

    @contextmanager
    def batch(self, *, settle: bool = True) -> Iterator[None]:
        """Write many records, rescheduling their networks once at the end instead of after each write
        (an import of 5,000 tasks would otherwise reschedule the plan 5,000 times); `settle=False`
        leaves that to a later `settle_networks()`."""
        self._batches += 1
        try:
            yield
        finally:
            self._batches -= 1
        if self._batches == 0 and settle:
            self._settle_networks()

    def settle_networks(self) -> list[FieldError]:
        """Reschedule the networks changed so far; a group whose links form a cycle is left as it was
        and reported (a record migration must not stop at one bad plan)."""
        problems: list[FieldError] = []
        self._settle_networks(problems)
        return problems

    def reschedule(self, module: str, entity_name: str, group_id: str) -> None:
        """Recompute one group's network now (records written around the engine, a bulk load)."""
        entity = self.entity(module, entity_name)
        if entity.network is None:
            raise BadRequest(f"{entity.title.en} declares no network to schedule")
        self._dirty_networks[(entity.key, group_id)] = entity
        self._settle_networks()

    def _mark_networks(self, entity: EntitySpec, *documents: Mapping[str, Any] | None) -> None:
        for group_id in networks.groups_touched(entity, *documents):
            self._dirty_networks[(entity.key, group_id)] = entity

    def _run_effects_after_networks(self, entity: EntitySpec, row: Record) -> None:
        """Run a record's effects now, or, when its network is about to be rescheduled, once it is
        (its conditions may read the schedule: a task's delay reads its forecast)."""
        if entity.network is not None and networks.groups_touched(entity, row.data):
            self._waiting_effects[row.id] = (entity, row)
        else:
            self._run_effects(entity, row)

    def _settle_networks(self, problems: list[FieldError] | None = None) -> None:
        """Recompute the networks this use case reshaped, once each, after its own writes and cascades.

        With `problems`, a group that cannot be scheduled is reported there instead of raised.
        """
        if self._batches:
            return
        for _round in range(MAX_NETWORK_ROUNDS):
            if not self._dirty_networks:
                break
            dirty, self._dirty_networks = self._dirty_networks, {}
            for (_key, group_id), entity in sorted(dirty.items(), key=lambda item: item[0]):
                if problems is None:
                    self._recompute_network(entity, group_id)
                    continue
                try:
                    with self.session.begin_nested():
                        self._recompute_network(entity, group_id)
                except RecordInvalid as error:
                    problems += [FieldError(e.field, f"{entity.title.en} group {group_id}: {e.message}")
                                 for e in error.errors]
        self._dirty_networks = {}  # what is left changes only derived values of derived values
        waiting, self._waiting_effects = self._waiting_effects, {}
        for entity, row in waiting.values():
            if row.deleted_at is None:
                self._run_effects(entity, row)

    def _recompute_network(self, entity: EntitySpec, group_id: str) -> None:
        """Store a group's new critical path: one audit entry for the group, then rollups and effects."""
        changed = networks.recompute(self, entity, group_id)
        if not changed:
            return
        self._flush(entity)
        assert entity.network is not None
        written = (*entity.network.outputs.values(), *entity.network.dependents)
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action="record.network",
                    target_type="record", target_id=group_id, before=None,
                    after={row.id: {name: row.data.get(name) for name in written
                                    if row.data.get(name) != before.get(name)} for row, before in changed},
                    note=f"{entity.key} network of {group_id}: {len(changed)} records rescheduled")
        moved = frozenset(name for row, before in changed for name in written
                          if row.data.get(name) != before.get(name))
        self._refresh_parents(entity, *(before for _row, before in changed), *(row.data for row, _ in changed),
                              fields=moved)
        watched = {name for effect in entity.effects if effect.when is not None for name in effect.when.dependencies}
        for row, before in changed:  # a condition over fields that did not move holds as it did
            if any(row.data.get(name) != before.get(name) for name in watched):
                self._run_effects(entity, row)

    def _run_effects(self, entity: EntitySpec, row: Record, status: str | None = None) -> None:
        """Write what the record triggers, each effect once per record: with `status`, the effects `on` the
        status it just reached; without, after any write, the effects whose `when` condition now holds."""
        evaluation = self.evaluation(entity)
        values: Mapping[str, Any] | None = None
        for effect in entity.effects:
            if status is not None and effect.on != status:
                continue
            if status is None and effect.when is None:
                continue
            if self.session.get(EffectLog, (self.actor.tenant_id, row.id, effect.key)) is not None:
                continue  # it ran when the record first reached this status or condition
            values = values if values is not None else self.values_of(entity, row)
            if effect.when is not None and not evaluation.run(effect.when, values):
                continue
            target = links.entity_of(self, effect.target)
            if target is None:
                raise Conflict(f"{entity.title.en} writes {effect.target}, which is not enabled")
            data = {name: evaluation.run(formula, values) for name, formula in effect.values}
            for name, lookup in effect.lookups:
                data[name] = links.looked_up(self, entity, target.fields[name], lookup, values)
            created = None
            try:
                if effect.records is None:
                    created = self._create(target, data).id
                else:
                    named = evaluation.run(effect.records, values)
                    for target_id in named if isinstance(named, list) else [named]:
                        if target_id is not None:
                            self._update_by_effect(target, str(target_id), data, effect.status)
            except RecordInvalid as error:
                verb = "creating" if effect.records is None else "updating"
                raise RecordInvalid([FieldError(e.field, f"{verb} {target.title.en}: {e.message}")
                                     for e in error.errors]) from None
            self.session.add(EffectLog(source_id=row.id, effect=effect.key, created_id=created,
                                       at=datetime.now(UTC)))
            self._flush(entity)
            self.fired.append(effect)

    def _update_by_effect(self, target: EntitySpec, target_id: str, data: Mapping[str, Any],
                          status: str | None) -> None:
        """Change one record an update effect names; the source's approval vouches for it, locked or not."""
        row = self.find_row(target, target_id)
        if row is None:
            return  # deleted since it was named: nothing left to change
        if data:
            previous = self.values_of(target, row)
            values = {name: previous[name] for name in target.fields}
            values.update(self._accepted_input(target, data, None, previous=previous))
            self._store(target, row, self._finish(target, values, record_id=row.id), "record.effect")
        if status is not None:
            self.set_status(target, row, status)

    def history(self, module: str, entity_name: str, record_id: str) -> list[dict[str, Any]]:
        """The record's audit entries, each as the permissions of the record it describes allow."""
        entity = self.entity(module, entity_name)
        return record_history.history(self, entity, self.visible_row(entity, record_id))

    # -- steps -------------------------------------------------------------------------------------

    def _accepted_input(self, entity: EntitySpec, data: Mapping[str, Any], access: Access | None,
                        previous: Mapping[str, Any] | None) -> dict[str, Any]:
        """Coerce writable input fields; unknown, hidden and read-only fields are errors (not for the system)."""
        if not isinstance(data, Mapping):
            raise BadRequest("the record data must be a JSON object of field values")
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        hidden = access.hidden_fields if access else frozenset()
        readonly = access.readonly_fields if access else frozenset()
        masks = access.masked_fields if access else frozenset()
        for name, raw in data.items():
            spec = entity.fields.get(name)
            if spec is None:
                if name not in SYSTEM_FIELDS:
                    errors.append(FieldError(name, "is not a field of " + entity.title.en
                                             + suggest(name, entity.fields)))
                continue
            if spec.is_computed:
                continue  # computed fields are recalculated; sending back what was read is harmless
            if name in hidden:
                errors.append(FieldError(name, "is hidden for your roles and cannot be written"))
                continue
            if name in masks and spec.mask is not None and previous is not None and is_masked_echo(
                    spec.mask, raw, previous.get(name)):
                continue  # the masked text read back unchanged: the real value stays
            try:
                value = coerce(spec, raw)
                if spec.type == "table" and value is not None:  # null: no rows
                    value = self._rows(spec, value, errors)
                    if access is not None and previous is not None:
                        value = self._unmasked_rows(spec, value, previous.get(name))
            except InvalidValue as error:
                errors.append(FieldError(name, str(error)))
                continue
            if previous is not None and value != previous.get(name) and self._is_locked(entity, spec, readonly,
                                                                                          previous):
                errors.append(FieldError(name, "is read-only"))
                continue
            if spec.readonly and access is not None and value != (previous or {}).get(name):
                errors.append(FieldError(name, "is read-only"))
                continue
            if spec.numbering is not None and access is not None and value != (previous or {}).get(name):
                errors.append(FieldError(name, "is read-only: it is numbered automatically "
                                               f"({spec.numbering.template}); leave it out"))
                continue
            if previous is None and name in readonly and value is not None:
                errors.append(FieldError(name, "is read-only for your roles"))
                continue
            values[name] = value
        if errors:
            raise RecordInvalid(errors)
        return values

    def _is_locked(self, entity: EntitySpec, spec: FieldSpec, readonly: frozenset[str],
                   previous: Mapping[str, Any]) -> bool:
        if spec.name in readonly:
            return True
        return spec.readonly_if is not None and self.evaluation(entity).run(spec.readonly_if, previous) is True

    def _unmasked_rows(self, spec: FieldSpec, rows: list[dict[str, Any]], stored: Any) -> list[dict[str, Any]]:
        """A table sent back as it was read: a masked column's masked text, unchanged in its row, keeps its value."""
        if not isinstance(stored, list):
            return rows
        for row, before in zip(rows, stored, strict=False):
            for name, column in spec.fields.items():
                if (column.mask is not None and is_masked_for(column, self.actor) and isinstance(before, dict)
                        and is_masked_echo(column.mask, row.get(name), before.get(name))):
                    row[name] = before[name]
        return rows

    @staticmethod
    def _rows(spec: FieldSpec, rows: list[dict[str, Any]], errors: list[FieldError]) -> list[dict[str, Any]]:
        result = []
        for index, row in enumerate(rows):
            clean: dict[str, Any] = {}
            for name, raw in row.items():
                child = spec.fields.get(name)
                if child is None:
                    errors.append(FieldError(f"{spec.name}[{index}].{name}",
                                             "is not a column of this table" + suggest(name, spec.fields)))
                elif not child.is_computed:
                    try:
                        clean[name] = coerce(child, raw)
                    except InvalidValue as error:
                        errors.append(FieldError(f"{spec.name}[{index}].{name}", str(error)))
            for name, child in spec.fields.items():
                if name not in clean and child.default is not None and not child.is_computed:
                    clean[name] = coerce(child, child.default)
            result.append(clean)
        return result

    def _finish(self, entity: EntitySpec, values: dict[str, Any], record_id: str | None, *,
                numbered: bool = True, warnings: list[RuleWarning] | None = None) -> dict[str, Any]:
        """Compute, number, check and serialise; every problem found is reported at once.

        `numbered` False leaves empty numbered fields empty (previews and dry runs take no number);
        `warnings` receives the warning rules a valid record breaks.
        """
        evaluation = self.evaluation(entity)
        links.fill_lookups(self, entity, values)
        links.compute_rollups(self, entity, values, record_id)
        errors = compute(entity, values, evaluation)
        if numbered:
            errors += assign_numbers(self.session, self.actor.tenant_id, entity, values, evaluation)
        errors += check_record(entity, values, evaluation, self.language)
        document = {name: to_document(spec, values[name]) for name, spec in entity.fields.items()
                    if values.get(name) is not None}
        reported = {e.field for e in errors}
        errors += [e for e in schema_errors(entity, document) if e.field not in reported]
        errors += self._reference_errors(entity, values)
        errors += files.attachment_errors(self.session, entity, values)
        errors += self._uniqueness_errors(entity, values, record_id)
        errors += self._unique_key_errors(entity, values, record_id)
        if not errors:  # a clash with another record matters once the record itself is sound
            errors += conflict_errors(self.session, entity, evaluation, values, record_id, self.language,
                                      self.access(entity), self.named)
        if errors:
            raise RecordInvalid(_deduplicated(errors))
        if warnings is not None:
            warnings += rule_warnings(entity, values, evaluation, self.language)
            warnings += conflict_warnings(self.session, entity, evaluation, values, record_id, self.language,
                                          self.access(entity), self.named)
        return document

    def _reference_errors(self, entity: EntitySpec, values: Mapping[str, Any]) -> list[FieldError]:
        errors = []
        for name, spec in entity.fields.items():
            targets: list[tuple[str, FieldSpec, Any]] = []
            if spec.type == "ref" and values.get(name):
                targets.append((name, spec, values[name]))
            if spec.type == "table":
                for index, row in enumerate(values.get(name) or []):
                    targets += [(f"{name}[{index}].{c}", child, row[c]) for c, child in spec.fields.items()
                                if child.type == "ref" and row.get(c)]
            for where, ref_spec, ref_id in targets:
                if ref_spec.target and self._load_ref(ref_spec.target, str(ref_id)) is None:
                    errors.append(FieldError(where, f"refers to {ref_spec.target} {ref_id!r}, which does not exist"))
        return errors

    def _uniqueness_errors(self, entity: EntitySpec, values: Mapping[str, Any],
                           record_id: str | None) -> list[FieldError]:
        query = RecordQuery(self.session, entity, self.evaluation(entity))
        return [FieldError(name, f"{to_json(values[name])!r} is already used by another {entity.title.en}")
                for name, spec in entity.fields.items()
                if spec.unique and values.get(name) is not None
                and query.exists_with(name, to_json(values[name]), exclude_id=record_id)]

    def _unique_key_errors(self, entity: EntitySpec, values: Mapping[str, Any],
                           record_id: str | None) -> list[FieldError]:
        """Composite unique keys: reported on the key's last field, naming the record that holds the values."""
        errors = []
        evaluation = self.evaluation(entity)
        query = RecordQuery(self.session, entity, evaluation)
        for key in entity.unique:
            if any(values.get(name) is None for name in key.fields):
                continue  # like the index: a key with an empty part clashes with nothing
            if key.when is not None and evaluation.run(key.when, values) is not True:
                continue
            clash = query.clash({name: to_json(values[name]) for name in key.fields}, exclude_id=record_id,
                                where=key.when)
            if clash is None:
                continue
            holder = self.named(entity, clash)
            readable = self.access(entity).shown({name: to_json(values[name]) for name in key.fields}) or {}
            shown = ", ".join(f"{name} = {value!r}" for name, value in readable.items()) or "this combination of values"
            if key.message is not None:
                message = key.message.get(self.language) + (f" ({holder})" if holder else "")
            else:
                message = f"{shown} is already used by another {entity.title.en}" + (f": {holder}" if holder else "")
            errors.append(FieldError(key.fields[-1], message))
        return errors

    def _require_current(self, entity: EntitySpec, row: Record, expected: int) -> None:
        if row.version != expected:
            raise Conflict(f"{entity.title.en} {row.id} was changed by {row.updated_by} (version {row.version}, "
                           f"you sent {expected}); reload it and apply your change again",
                           details={"current_version": row.version})

    def _flush(self, entity: EntitySpec) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            raise Conflict(f"{entity.title.en} was changed by someone else meanwhile; reload it") from None
        except IntegrityError as error:
            key = unique_key_of(entity, str(error.orig))
            what = f"the values of {', '.join(key)} are" if key else "a unique value is"
            raise Conflict(f"{entity.title.en} conflicts with another record ({what} already used); "
                           "reload and change them", details=str(error.orig)) from None

    def _emit(self, event: str, entity: EntitySpec, row: Record) -> None:
        events.emit(self.session, self.actor.tenant_id, event, module=entity.module, entity=entity.name,
                    record=record_document(row))

    def _audit(self, action: str, entity: EntitySpec, row: Record, before: dict[str, Any] | None,
               after: dict[str, Any] | None, warnings: list[RuleWarning] | None = None, because: str = "") -> None:
        note = f"{entity.key} v{row.version}" + (f"; {because}" if because else "")
        if warnings:
            note += "; warnings: " + " | ".join(w.audited or w.message for w in warnings)
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action=action,
                    target_type="record", target_id=row.id, before=before, after=after, note=note)


def record_document(row: Record) -> dict[str, Any]:
    """A record as plugins receive it: its stored fields plus the system fields, JSON-ready."""
    return {**row.data, "id": row.id, "status": row.status, "version": row.version,
            "created_by": row.created_by, "created_at": _iso(row.created_at),
            "updated_by": row.updated_by, "updated_at": _iso(row.updated_at)}


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _version(raw: Any) -> int:
    if raw is None:
        raise BadRequest("send the record's 'version' (from your last read) to update it")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"'version' must be a whole number, not {raw!r}") from None


def _bounded(raw: Any, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"{name!r} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"{name!r} must be between {low} and {high}, not {value}")
    return value


def _deduplicated(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))
