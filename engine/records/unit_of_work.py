"""One use case's transaction: who acts, the tenant's modules, the clock, the records read and the work left.

The identity map holds the live records this unit of work has read or written, by id: a record
referenced many times (checked as a reference, read by formulas, by a number's template) is read
once, and the references of one record are read together (`WHERE id IN ...`). It reads as the
engine does, past the actor's row filters; what the actor may read is `readable_rows`.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from engine.declarations.model import Action, Effect, EntitySpec, FieldSpec, ModuleSpec
from engine.errors import FormulaRuntimeError
from engine.fields.values import coerce, from_json
from engine.records.compute import Evaluation
from engine.security import grants
from engine.security.permissions import Access, Reader
from engine.security.reach import with_reach
from engine.storage import summaries  # noqa: F401 - its flush hooks keep the record counts with every write
from engine.storage.models import Record
from engine.storage.queries import RecordQuery
from engine.tenancy.tenants import Actor


@dataclass(eq=False)  # one transaction's work: equal only to itself
class UnitOfWork:
    """What one actor's use case reads and leaves to do inside one tenant transaction."""

    session: Session
    actor: Actor
    modules: Mapping[str, ModuleSpec]
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    language: str = "en"
    now: datetime | None = None  # the clock formulas read; None: the real one (the scan moves it)
    fired: list[Effect] = field(default_factory=list)  # the declared effects this unit of work ran, in order
    # (entity key, group id) -> entity: networks to reschedule before commit
    dirty_networks: dict[tuple[str, str], EntitySpec] = field(default_factory=dict)
    # record id -> (entity, row): effects that run once their networks settle
    waiting_effects: dict[str, tuple[EntitySpec, Record]] = field(default_factory=dict)
    loaded: dict[str, Record | None] = field(default_factory=dict)  # the identity map; None: no live record
    _params: dict[str, dict[str, Any]] = field(default_factory=dict)  # module -> its parameters, coerced once
    _evaluations: dict[tuple[str, datetime | None], Evaluation] = field(default_factory=dict)
    # while a bulk import runs (records/bulk/), what its rows read alike: the lookups found (by what they read),
    # the values of referenced records; emptied after each batch's writes. None: not kept
    kept: dict[tuple[Any, ...], Any] | None = None
    _reader: tuple[Mapping[str, ModuleSpec], Reader] | None = field(default=None, repr=False)
    granted: set[str] = field(default_factory=set)  # records read through a cc grant only (see `access_to`)
    # rows one step read that a later step gets by key (session.get): the session's identity map keeps an object
    # only while something refers to it
    pinned: list[Any] = field(default_factory=list)
    # (target, id) -> the values `load_ref` gave for the row as it was then (the row, its document, its version):
    # formulas read the same referenced record many times in one save
    _ref_values: dict[tuple[str, str], tuple[Record, Any, Any, dict[str, Any]]] = field(default_factory=dict)
    _accesses: dict[int, tuple[EntitySpec, Access]] = field(default_factory=dict)  # id(entity) -> its `access`

    def __post_init__(self) -> None:
        event.listen(self.session, "after_soft_rollback", self._forget)

    def _forget(self, _session: Session, _transaction: Any) -> None:
        """After a rollback (a savepoint's too) what was read may be undone: read it again when needed."""
        self.loaded.clear()
        self.pinned.clear()
        self._ref_values.clear()
        if self.kept is not None:
            self.kept.clear()

    def seen_by(self, actor: Actor) -> UnitOfWork:
        """The same transaction and records read, seen by another user of the tenant (nothing left to do)."""
        return UnitOfWork(self.session, actor, self.modules, self.parameters, self.language, self.now,
                          loaded=self.loaded)

    # -- declarations ------------------------------------------------------------------------------

    def entity_of(self, key: str) -> EntitySpec | None:
        """An entity of an enabled module by key ('base.project'), or None."""
        module, _, name = key.partition(".")
        spec = self.modules.get(module)
        return spec.entities.get(name) if spec is not None else None

    def params_of(self, module: str) -> dict[str, Any]:
        """The module's parameters (defaults, then the tenant's), coerced once per unit of work."""
        if module not in self._params:
            spec = self.modules[module]
            values = {name: p.default for name, p in spec.parameters.items()}
            values.update(self.parameters.get(module, {}))
            self._params[module] = {
                name: coerce(FieldSpec(name, spec.parameters[name].type, spec.parameters[name].label), value)
                for name, value in values.items() if name in spec.parameters}
        return self._params[module]

    def access(self, entity: EntitySpec) -> Access:
        """The actor's rights on the entity, with the refs they cannot look up (engine.security.reach): worked out
        once per entity in a unit of work (a save asks five times; an Access does not change)."""
        known = self._accesses.get(id(entity))
        if known is not None and known[0] is entity:
            return known[1]
        access = with_reach(Access(entity, self.actor), self.entity_of)
        self._accesses[id(entity)] = (entity, access)
        return access

    def access_to(self, entity: EntitySpec, row: Record) -> Access:
        """The actor's rights on one record read: their roles', or a cc grant's (read only) for a record they
        read only through one."""
        access = self.access(entity)
        return replace(access, cc=True) if row.id in self.granted and not access.allows(Action.READ) else access

    def reader(self) -> Reader:
        """What the actor may learn through formulas of their own, at every hop: one per unit of work (it
        remembers its answers) while the modules stay the same."""
        if self._reader is None or self._reader[0] is not self.modules:
            self._reader = (self.modules, Reader(self.actor, self.entity_of, self.params_of))
        return self._reader[1]

    def evaluation(self, entity: EntitySpec) -> Evaluation:
        """What the formulas of the module's records see: one per module and clock in a unit of work."""
        key = (entity.module, self.now)
        if key not in self._evaluations:
            self._evaluations[key] = Evaluation(params=self.params_of(entity.module), user_name=self.actor.username,
                                                user_roles=tuple(sorted(self.actor.roles)), load_ref=self.load_ref,
                                                now=self.now)
        return self._evaluations[key]

    # -- the identity map --------------------------------------------------------------------------

    def load(self, ids: Iterable[str]) -> dict[str, Record]:
        """The live records among `ids`, by id: those not read yet in one query, the others as read."""
        wanted = list(dict.fromkeys(str(i) for i in ids if i))
        missing = [i for i in wanted if not self._is_known(i)]
        if missing:
            found = {row.id: row for row in self.session.scalars(
                select(Record).where(Record.id.in_(missing), Record.deleted_at.is_(None)))}
            for record_id in missing:
                self.loaded[record_id] = found.get(record_id)
        return {i: row for i in wanted if (row := self._live(i)) is not None}

    def remember(self, row: Record) -> None:
        """A record written or read in this unit of work: later reads by id take it from here."""
        self.loaded[row.id] = row

    def find_row(self, entity: EntitySpec, record_id: str) -> Record | None:
        """The live record of `entity`, whatever the actor's row filters (for the engine's own checks)."""
        row = self.load([record_id]).get(str(record_id))
        return row if row is not None and row.module == entity.module and row.entity == entity.name else None

    def load_ref(self, target: str, record_id: str) -> dict[str, Any] | None:
        """The values of the record a reference to `target` names, or None when there is no such live record."""
        entity = self.entity_of(target)
        if entity is None:
            return None
        key = ("values", target, record_id)
        if self.kept is not None and key in self.kept:
            found: dict[str, Any] = self.kept[key]
            return found
        row = self.find_row(entity, record_id)
        if row is None:
            return None
        seen = self._ref_values.get((target, record_id))
        stamp = (row.version, row.status, row.updated_at)
        if seen is not None and seen[0] is row and seen[1] is row.data and seen[2] == stamp:
            return seen[3]
        values = values_of(entity, row)
        self._ref_values[target, record_id] = (row, row.data, stamp, values)
        if self.kept is not None:   # (one not there yet may be written by the import itself)
            self.kept[key] = values
        return values

    def prefetch_refs(self, entity: EntitySpec, values: Mapping[str, Any]) -> None:
        """Read every record the values refer to (table rows included) in one query, for what follows."""
        self.load(ref_ids(entity, values))

    def _is_known(self, record_id: str) -> bool:
        if record_id not in self.loaded:
            return False
        row = self.loaded[record_id]
        return row is None or inspect(row).persistent  # not one a rolled-back savepoint took away

    def _live(self, record_id: str) -> Record | None:
        row = self.loaded.get(record_id)
        return row if row is not None and row.deleted_at is None else None

    # -- what the actor may read -------------------------------------------------------------------

    def readable_rows(self, entity: EntitySpec, record_ids: Collection[str]) -> dict[str, Record]:
        """The live records among `record_ids` that the actor may read, by id, in one query."""
        access = self.access(entity)
        found: dict[str, Record] = {}
        if record_ids and access.allows(Action.READ):
            query = RecordQuery(self.session, entity, self.evaluation(entity))
            statement = query.visible(query.base().where(Record.id.in_(list(record_ids))), access.row_filters)
            found = {row.id: row for row in self.session.scalars(statement)}
        if not access.is_unrestricted:  # the others may have been copied to the actor (抄送)
            found.update(self._granted_rows(entity, [i for i in record_ids if i not in found]))
        for row in found.values():
            self.remember(row)  # a live record: the engine's own reads of it need not read it again
        return found

    def readable_row(self, entity: EntitySpec, record_id: str) -> Record | None:
        """One live record if the actor may read it: read by id once per unit of work (the use case goes on with
        it), its row filters evaluated on it."""
        access = self.access(entity)
        if access.allows(Action.READ):
            row = self.find_row(entity, record_id)
            if row is not None and self._passes_row_filters(entity, access, row):
                return row
        return self._granted_rows(entity, [record_id]).get(str(record_id))

    def _granted_rows(self, entity: EntitySpec, record_ids: Collection[str]) -> dict[str, Record]:
        """The live records among `record_ids` a cc grant lets the actor read (remembered for `access_to`)."""
        ids = grants.granted(self.session, self.actor, [str(i) for i in record_ids])
        self.granted |= ids
        return {i: row for i, row in self.load(ids).items()
                if row.module == entity.module and row.entity == entity.name}

    def named(self, entity: EntitySpec, row: Record, *, with_id: bool = True) -> str | None:
        """How a message to the actor names another record (a unique key or a conflict it clashes with): its
        title as the actor sees it and its id (`with_id`: a Chinese sentence names it 「by its title」 alone, the
        id only when it has none); None when the actor may not read it (neither is theirs to learn)."""
        access = self.access(entity)
        if not access.allows(Action.READ) or not self._passes_row_filters(entity, access, row):
            return None
        shown = access.shown(row.data) or {}
        title = shown.get(entity.title_field) if entity.title_field else None
        if title is None:
            return f"id {row.id}"
        return f"{title!r} (id {row.id})" if with_id else f"「{title}」"

    def _passes_row_filters(self, entity: EntitySpec, access: Access, row: Record) -> bool:
        """Whether a record already read meets the actor's row filters, evaluated here rather than read again
        (a formula means in Python what it means in SQL; what it reads through references is in the identity
        map, or read once)."""
        filters = access.row_filters
        if filters is None:
            return True
        evaluation, values = self.evaluation(entity), values_of(entity, row)
        if any(len(path) > 1 for formula in filters for path in formula.reads):
            self.prefetch_refs(entity, values)  # one query for what the filters and the use case read through
        for formula in filters:
            try:
                if evaluation.run(formula, values) is True:
                    return True
            except FormulaRuntimeError:
                continue  # a filter that fails on this record does not let it through
        return False


def values_of(entity: EntitySpec, row: Record) -> dict[str, Any]:
    """A stored record's field values (typed) and its system fields; a field the entity declares under a system
    field's name (a plan's own `version`) is its own, as its formulas read it."""
    values = {"id": row.id, "status": row.status, "version": row.version, "created_at": row.created_at,
              "created_by": row.created_by, "updated_at": row.updated_at, "updated_by": row.updated_by}
    values.update({name: from_json(spec, row.data.get(name)) for name, spec in entity.fields.items()})
    return values


def ref_ids(entity: EntitySpec, values: Mapping[str, Any]) -> list[str]:
    """The ids the record's reference fields hold, those of its tables' rows included."""
    found: list[str] = []
    for name, spec in entity.fields.items():
        if spec.type == "ref" and values.get(name):
            found.append(str(values[name]))
        if spec.type == "table":
            for row in values.get(name) or []:
                if isinstance(row, Mapping):
                    found += [str(row[c]) for c, child in spec.fields.items() if child.type == "ref" and row.get(c)]
    return found
