"""The writes of one unit of work and what they set off: rollups of the records they count, declared effects,
and the activity networks to reschedule before commit.

Everything here runs as the system inside the caller's transaction; the record service checks the
actor's rights before it calls in.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine.declarations.model import Effect, EntitySpec
from engine.errors import Conflict, FieldError, RecordInvalid
from engine.records import links
from engine.records.checks import finish
from engine.records.compute import RuleWarning
from engine.records.flow import effects as effect_flow
from engine.records.flow import gathering
from engine.records.flow.locks import refuse_locked
from engine.records.input import accepted_input, with_defaults
from engine.records.schedule import networks
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.security import audit
from engine.security.permissions import Access
from engine.storage.indexes import unique_key_of
from engine.storage.models import EffectLog, Record
from engine.tenancy import plugin_events as events

MAX_CASCADE = 5  # rollup levels: a ticket updates a summary updates a contract ...
MAX_NETWORK_ROUNDS = 3  # a network's recompute may change a record that reshapes another network


class Cascade:
    """Insert and change records of one unit of work, and settle what each write sets off."""

    def __init__(self, work: UnitOfWork) -> None:
        self.work = work
        self.batches = 0  # inside a batch, networks settle once, at its end

    def create(self, entity: EntitySpec, data: Mapping[str, Any], access: Access | None = None,
               warnings: list[RuleWarning] | None = None, because: str = "") -> Record:
        """Insert a record; without `access` it is the system writing (declared effects), unrestricted."""
        work = self.work
        values = with_defaults(entity, accepted_input(work, entity, data, access, previous=None))
        document = finish(work, entity, values, record_id=None, warnings=warnings, gathered=True,
                          by_user=access is not None)
        if access is not None:  # a user's record: not one its entity's readonly_when would lock
            refuse_locked(work, entity, None, values)
        moment = datetime.now(UTC)
        row = Record(id=str(uuid.uuid4()), module=entity.module, entity=entity.name,
                     schema_version=work.modules[entity.module].version, status="draft", version=1, data=document,
                     created_at=moment, created_by=work.actor.username, updated_at=moment,
                     updated_by=work.actor.username)
        work.session.add(row)
        self.flush(entity)
        gathering.hold(work, entity, row)
        work.remember(row)
        self.audit("record.create", entity, row, None, document, warnings, because)
        self.emit("record.created", entity, row)
        self.mark_networks(entity, document)
        self.refresh_parents(entity, document)
        self._run_effects_after_networks(entity, row)
        return row

    def store(self, entity: EntitySpec, row: Record, document: dict[str, Any], action: str, *,
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
            row.updated_by = self.work.actor.username
        self.flush(entity)
        self.audit(action, entity, row, before, document, warnings, because)
        if networks.reshapes(entity, before, document):
            self.mark_networks(entity, before, document)
        if depth is None:  # a user's change of a group (a plan's status date) reschedules its network
            for grouped in networks.networks_grouped_by(self.work, entity):
                self.work.dirty_networks[(grouped.key, row.id)] = grouped
            self.emit("record.updated", entity, row)
            self.refresh_parents(entity, before, document)
        else:
            self.refresh_parents(entity, document, depth=depth)
        self._run_effects_after_networks(entity, row)

    def set_status(self, entity: EntitySpec, row: Record, status: str, because: str = "") -> None:
        """Move a record along its approval: audited, then the effects `on` that status and the rollups."""
        if row.status != status:
            work = self.work
            before = row.status
            row.status = status
            row.updated_at = datetime.now(UTC)
            row.updated_by = work.actor.username
            self.flush(entity)
            if status in gathering.RELEASING_STATUSES:  # a rejected record lets its gathered sources go ...
                gathering.release(work, entity, row.id)
            elif before in gathering.RELEASING_STATUSES:  # ... and takes them again when resubmitted
                gathering.hold(work, entity, row)
            audit.write(work.session, work.actor.tenant_id, actor=work.actor.username, action="record.status",
                        target_type="record", target_id=row.id, before={"status": before},
                        after={"status": status},
                        note=f"{entity.key} v{row.version}" + (f"; {because}" if because else ""))
            self._run_effects(entity, row, status)
            self.refresh_parents(entity, row.data)
            self.settle_networks()

    def refresh_parents(self, entity: EntitySpec, *documents: Mapping[str, Any] | None, depth: int = 0,
                        fields: frozenset[str] | None = None) -> None:
        """Recompute the rollups that count this entity's records, on the records they point at (with
        `fields`, only the rollups that read one of them)."""
        if depth > MAX_CASCADE:
            raise Conflict(f"rollups of {entity.title.en} cascade more than {MAX_CASCADE} levels deep",
                           message_code="rollup_too_deep", params={"entity": entity.title.en, "levels": MAX_CASCADE})
        for parent, parent_id in dict.fromkeys(links.parents_to_refresh(self.work, entity, *documents,
                                                                        fields=fields)):
            row = self.work.find_row(parent, parent_id)
            if row is None:
                continue
            values = {name: value for name, value in values_of(parent, row).items() if name in parent.fields}
            try:
                document = finish(self.work, parent, values, record_id=row.id)
            except RecordInvalid as error:
                raise RecordInvalid([FieldError(e.field, f"{parent.title.en} {row.id}: {e.message}",
                                                code="in_parent_record",
                                                params={"entity": parent.title.en, "id": row.id, "message": e.message,
                                                        "cause": {"code": e.code, "params": dict(e.params)}})
                                     for e in error.errors]) from None
            self.store(parent, row, document, "record.recompute", depth=depth + 1)

    def mark_networks(self, entity: EntitySpec, *documents: Mapping[str, Any] | None) -> None:
        for group_id in networks.groups_touched(entity, *documents):
            self.work.dirty_networks[(entity.key, group_id)] = entity

    def _run_effects_after_networks(self, entity: EntitySpec, row: Record) -> None:
        """Run a record's effects now, or, when its network is about to be rescheduled, once it is
        (its conditions may read the schedule: a task's delay reads its forecast)."""
        if entity.network is not None and networks.groups_touched(entity, row.data):
            self.work.waiting_effects[row.id] = (entity, row)
        else:
            self._run_effects(entity, row)

    def settle_networks(self, problems: list[FieldError] | None = None) -> None:
        """Recompute the networks this use case reshaped, once each, after its own writes and cascades.

        With `problems`, a group that cannot be scheduled is reported there instead of raised.
        """
        if self.batches:
            return
        work = self.work
        for _round in range(MAX_NETWORK_ROUNDS):
            if not work.dirty_networks:
                break
            dirty, work.dirty_networks = work.dirty_networks, {}
            for (_key, group_id), entity in sorted(dirty.items(), key=lambda item: item[0]):
                if problems is None:
                    self._recompute_network(entity, group_id)
                    continue
                try:
                    with work.session.begin_nested():
                        self._recompute_network(entity, group_id)
                except RecordInvalid as error:
                    problems += [FieldError(e.field, f"{entity.title.en} group {group_id}: {e.message}",
                                            code="in_network_group",
                                            params={"entity": entity.title.en, "group": group_id, "message": e.message,
                                                    "cause": {"code": e.code, "params": dict(e.params)}})
                                 for e in error.errors]
        work.dirty_networks = {}  # what is left changes only derived values of derived values
        waiting, work.waiting_effects = work.waiting_effects, {}
        for entity, row in waiting.values():
            if row.deleted_at is None:
                self._run_effects(entity, row)

    def _recompute_network(self, entity: EntitySpec, group_id: str) -> None:
        """Store a group's new critical path: one audit entry for the group, then rollups and effects."""
        work = self.work
        changed = networks.recompute(work, entity, group_id)
        if not changed:
            return
        self.flush(entity)
        assert entity.network is not None
        written = (*entity.network.outputs.values(), *entity.network.dependents)
        audit.write(work.session, work.actor.tenant_id, actor=work.actor.username, action="record.network",
                    target_type="record", target_id=group_id, before=None,
                    after={row.id: {name: row.data.get(name) for name in written
                                    if row.data.get(name) != before.get(name)} for row, before in changed},
                    note=f"{entity.key} network of {group_id}: {len(changed)} records rescheduled")
        moved = frozenset(name for row, before in changed for name in written
                          if row.data.get(name) != before.get(name))
        self.refresh_parents(entity, *(before for _row, before in changed), *(row.data for row, _ in changed),
                             fields=moved)
        watched = {name for effect in entity.effects if effect.when is not None and effect.on is None
                   for name in effect.when.dependencies}
        for row, before in changed:  # a condition over fields that did not move holds as it did
            if any(row.data.get(name) != before.get(name) for name in watched):
                self._run_effects(entity, row)

    def _run_effects(self, entity: EntitySpec, row: Record, status: str | None = None) -> None:
        """Write what the record triggers, each effect once per record: with `status`, the effects `on` the
        status it just reached (and whose `when`, if any, holds); without, after any write, the effects
        without `on` whose `when` condition now holds."""
        work = self.work
        evaluation = work.evaluation(entity)
        values: Mapping[str, Any] | None = None
        for effect in entity.effects:
            if status is not None and effect.on != status:
                continue
            if status is None and (effect.when is None or effect.on is not None):
                continue
            if work.session.get(EffectLog, (work.actor.tenant_id, row.id, effect.key)) is not None:
                continue  # it ran when the record first reached this status or condition
            values = values if values is not None else values_of(entity, row)
            if effect.when is not None and not evaluation.run(effect.when, values):
                continue
            target = links.entity_of(work, effect.target)
            if target is None and effect_flow.into_optional_module(work, entity, effect):
                continue  # a module the source lists as `optional` that this tenant does not enable
            if target is None:
                raise Conflict(f"{entity.title.en} writes {effect.target}, which is not enabled",
                               message_code="effect_target_not_enabled",
                               params={"entity": entity.title.en, "target": effect.target})
            because = effect_flow.because(entity, row, effect)
            created = None
            try:
                for scope in effect_flow.scopes(work, entity, effect, values):
                    if not effect.updates:
                        made = self.create(target, effect_flow.data_for(work, entity, effect, target, scope),
                                           because=because)
                        created = created or made.id
                        continue
                    for target_id in effect_flow.target_ids(work, entity, effect, target, scope):
                        self._update_by_effect(entity, effect, target, target_id, scope, because)
            except RecordInvalid as error:
                verb = "updating" if effect.updates else "creating"
                raise RecordInvalid([FieldError(e.field, f"{verb} {target.title.en}: {e.message}",
                                                code="effect_update_failed" if effect.updates
                                                else "effect_create_failed",
                                                params={"entity": target.title.en, "message": e.message,
                                                        "cause": {"code": e.code, "params": dict(e.params)}})
                                     for e in error.errors]) from None
            work.session.add(EffectLog(source_id=row.id, effect=effect.key, created_id=created,
                                       at=datetime.now(UTC)))
            self.flush(entity)
            work.fired.append(effect)

    def _update_by_effect(self, source: EntitySpec, effect: Effect, target: EntitySpec, target_id: str,
                          scope: Mapping[str, Any], because: str) -> None:
        """Change one record an update effect names; the source's approval vouches for it, locked or not."""
        row = self.work.find_row(target, target_id)
        if row is None:
            return  # deleted since it was named: nothing left to change
        if effect.values or effect.lookups:
            previous = values_of(target, row)
            data = effect_flow.data_for(self.work, source, effect, target, scope, previous)
            values = {name: previous[name] for name in target.fields}
            values.update(accepted_input(self.work, target, data, None, previous=previous, vouched=True))
            self.store(target, row, finish(self.work, target, values, record_id=row.id), "record.effect",
                       because=because)
        if effect.status is not None:
            self.set_status(target, row, effect.status, because)

    def flush(self, entity: EntitySpec) -> None:
        try:
            self.work.session.flush()
        except StaleDataError:
            raise Conflict(f"{entity.title.en} was changed by someone else meanwhile; reload it",
                           message_code="changed_meanwhile", params={"entity": entity.title.en}) from None
        except IntegrityError as error:
            key = unique_key_of(entity, str(error.orig))
            what = f"the values of {', '.join(key)} are" if key else "a unique value is"
            raise Conflict(f"{entity.title.en} conflicts with another record ({what} already used); "
                           "reload and change them", details=str(error.orig),
                           message_code="unique_key_conflict" if key else "unique_conflict",
                           params={"entity": entity.title.en, "fields": ", ".join(key)}) from None

    def emit(self, event: str, entity: EntitySpec, row: Record) -> None:
        if events.heard(self.work.session, self.work.actor.tenant_id, event):
            events.emit(self.work.session, self.work.actor.tenant_id, event, module=entity.module,
                        entity=entity.name, record=record_document(row))

    def audit(self, action: str, entity: EntitySpec, row: Record, before: dict[str, Any] | None,
              after: dict[str, Any] | None, warnings: list[RuleWarning] | None = None, because: str = "") -> None:
        note = f"{entity.key} v{row.version}" + (f"; {because}" if because else "")
        if warnings:
            note += "; warnings: " + " | ".join(w.audited or w.message for w in warnings)
        audit.write(self.work.session, self.work.actor.tenant_id, actor=self.work.actor.username, action=action,
                    target_type="record", target_id=row.id, before=before, after=after, note=note)


def record_document(row: Record) -> dict[str, Any]:
    """A record as plugins receive it: its stored fields plus the system fields, JSON-ready."""
    return {**row.data, "id": row.id, "status": row.status, "version": row.version,
            "created_by": row.created_by, "created_at": iso(row.created_at),
            "updated_by": row.updated_by, "updated_at": iso(row.updated_at)}


def iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
