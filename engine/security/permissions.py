"""What an actor may do with an entity: actions, hidden and read-only fields, row filters."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.core.actor import Actor
from engine.declarations.model import Action, EntitySpec, FieldSpec
from engine.errors import PermissionDenied
from engine.fields.masking import masked
from engine.formula import Environment, FieldInfo, Formula

EntityOf = Callable[[str], EntitySpec | None]   # an entity by key ('base.project'); None when not in use
ParamsOf = Callable[[str], Mapping[str, Any]]    # a module's parameter values for the tenant


@dataclass(frozen=True)
class Access:
    """The actor's rights on one entity, merged over all of the actor's roles.

    A role grants what it lists; the actor gets the union. A field is hidden (or read-only)
    only when every granting role hides it, and the row filters of the granting roles are
    OR-ed: a role without a row filter sees every row. Tenant administrators may do
    everything. An entity that declares no permissions at all is open to every tenant user.
    """

    entity: EntitySpec
    actor: Actor
    cc: bool = False  # a cc grant (engine.security.grants) lets the actor read this one record, nothing else
    # refs the actor cannot look up (engine.security.reach): not offered on their forms — filled by the engine
    # at the save (`derived_refs`) or left out (`left_out_refs`); an API client that knows an id may still send it
    derived_refs: frozenset[str] = frozenset()
    left_out_refs: frozenset[str] = frozenset()

    @property
    def _roles(self) -> list[str]:
        return [role for role in self.entity.permissions if role in self.actor.roles]

    @property
    def is_unrestricted(self) -> bool:
        return self.actor.is_admin or not self.entity.permissions

    def allows(self, action: Action) -> bool:
        if self.is_unrestricted or (self.cc and action is Action.READ):
            return True
        return any(action in self.entity.permissions[role].actions for role in self._roles)

    def require(self, action: Action) -> None:
        if not self.allows(action):
            roles = ", ".join(sorted(self.actor.roles)) or "none"
            raise PermissionDenied(
                f"your roles ({roles}) may not {action.value} {self.entity.title.en} records; "
                "ask a tenant administrator for a role that grants it",
                message_code="action_forbidden",
                params={"roles": roles, "action": action.value, "entity": self.entity.title.en},
            )

    def _granting(self, action: Action) -> list[str]:
        return [r for r in self._roles if action in self.entity.permissions[r].actions]

    @property
    def hidden_fields(self) -> frozenset[str]:
        if self.is_unrestricted:
            return frozenset()
        sets = [self.entity.permissions[r].hidden_fields for r in self._granting(Action.READ)]
        if not sets and self.cc:  # read through a cc grant: what no reading role hides
            readers = [p.hidden_fields for p in self.entity.permissions.values() if Action.READ in p.actions]
            return frozenset.union(*readers) if readers else frozenset(self.entity.fields)
        return frozenset.intersection(*sets) if sets else frozenset(self.entity.fields)

    @property
    def masked_fields(self) -> frozenset[str]:
        """Fields with a `mask` that none of the actor's roles is `unmasked_for` (administrators see all)."""
        return frozenset(name for name, spec in self.entity.fields.items() if is_masked_for(spec, self.actor))

    @property
    def unreadable_fields(self) -> frozenset[str]:
        """Fields whose real values the actor may not learn: hidden or masked (no filtering or sorting on them)."""
        return self.hidden_fields | self.masked_fields

    def shown(self, document: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A stored document as this actor may see it: hidden fields left out, masked fields and masked columns of
        tables masked.

        The one place every read path (REST, lists, exports, pages, history) goes through.
        """
        if document is None:
            return None
        hidden, masks = self.hidden_fields, self.masked_fields
        result: dict[str, Any] = {}
        for name, value in document.items():
            if name in hidden:
                continue
            spec = self.entity.fields.get(name)
            if spec is not None and spec.mask is not None and name in masks:
                value = masked(spec.mask, value)
            elif spec is not None and spec.type == "table" and isinstance(value, list):
                value = self._rows_shown(spec, value)
            result[name] = value
        return result

    def _rows_shown(self, table: FieldSpec, rows: list[Any]) -> list[Any]:
        """A table's rows with the columns that declare a `mask` masked for this actor."""
        masks = {name: column.mask for name, column in table.fields.items()
                 if column.mask is not None and is_masked_for(column, self.actor)}
        if not masks:
            return rows
        return [{name: masked(masks[name], value) if name in masks else value for name, value in row.items()}
                if isinstance(row, dict) else row for row in rows]

    @property
    def readonly_fields(self) -> frozenset[str]:
        if self.is_unrestricted:
            return frozenset()
        sets = [self.entity.permissions[r].readonly_fields | self.entity.permissions[r].hidden_fields
                for r in self._granting(Action.UPDATE) or self._granting(Action.CREATE)]
        return frozenset.intersection(*sets) if sets else frozenset()

    @property
    def row_filters(self) -> list[Formula] | None:
        """Formulas of which a row must match one; None when all rows are visible."""
        if self.is_unrestricted:
            return None
        filters = []
        for role in self._granting(Action.READ):
            rows = self.entity.permissions[role].rows
            if rows is None:
                return None
            filters.append(rows)
        return filters


def is_masked_for(spec: FieldSpec, actor: Actor) -> bool:
    """Whether the actor sees the field (or a table's column) masked: none of their roles is `unmasked_for`."""
    return spec.mask is not None and not actor.is_admin and not spec.mask.unmasked_for & actor.roles


@dataclass(frozen=True)
class Reader:
    """What one actor may learn through a formula of their own (a list filter, a sort, a report's `q`) or a
    declared one they run (a report, a kpi): every name it reads, at every hop, and which records a hop reaches.

    A name path such as `project.contract_amount` or `project.members.user` is readable when, hop by hop,
    the actor may read the entity the hop lands on and the field there is neither hidden nor masked for
    them; a table's columns are readable with the table unless masked themselves. A record reached through
    a reference counts only when the actor may read it under that entity's row filters (`row_filters`).
    """

    actor: Actor
    entity_of: EntityOf
    params_of: ParamsOf
    # answers already worked out (a dashboard asks the same ones dozens of times), by entity object and path
    _known: dict[tuple[int, tuple[str, ...]], Any] = field(default_factory=dict, compare=False, repr=False)

    def may_read(self, entity: EntitySpec, path: Sequence[str]) -> bool:
        key = (id(entity), tuple(path))
        if key not in self._known:
            self._known[key] = self._may_read(entity, path)
        return bool(self._known[key])

    def _unreadable(self, entity: EntitySpec) -> frozenset[str] | None:
        """The entity's fields the actor may not learn; None when they may not read the entity at all."""
        key = (id(entity), ("", "unreadable"))
        if key not in self._known:
            access = Access(entity, self.actor)
            self._known[key] = access.unreadable_fields if access.allows(Action.READ) else None
        unreadable: frozenset[str] | None = self._known[key]
        return unreadable

    def _may_read(self, entity: EntitySpec, path: Sequence[str]) -> bool:
        unreadable = self._unreadable(entity)
        if not path or unreadable is None:
            return False
        head, rest = path[0], path[1:]
        spec = entity.fields.get(head)
        if spec is None:  # a system field (id, status, created_by ...): readable with the record, no hops
            return entity.environment is not None and head in entity.environment.fields and not rest
        if head in unreadable:
            return False
        if not rest:
            return True
        if spec.type == "ref":
            target = self.entity_of(spec.target) if spec.target else None
            return target is not None and self.may_read(target, rest)
        if spec.type == "table" and len(rest) == 1:
            column = spec.fields.get(rest[0])
            return column is not None and not is_masked_for(column, self.actor)
        return False

    def refused(self, entity: EntitySpec, formulas: Iterable[Formula]) -> list[str]:
        """The dotted names the formulas read that the actor may not learn, sorted."""
        reads = {path for formula in formulas for path in formula.reads}
        return sorted(".".join(path) for path in reads if not self.may_read(entity, path))

    def require(self, entity: EntitySpec, formulas: Iterable[Formula], what: str) -> None:
        """Refuse declared formulas (a report's, a kpi's) that read what the actor may not see."""
        refused = self.refused(entity, formulas)
        if refused:
            raise PermissionDenied(f"{what} uses {', '.join(refused)}, which your roles may not see",
                                   message_code="fields_not_visible",
                                   params={"what": what, "refused": ', '.join(refused)})

    def environment(self, entity: EntitySpec) -> Environment:
        """The names the actor's own formulas over `entity` may use: the others are unknown to them, with
        the same error as a name that does not exist, and are never suggested."""
        assert entity.environment is not None
        key = (id(entity), ("", "environment"))
        if key not in self._known:
            self._known[key] = Environment(self._readable(entity, entity.environment.fields, ()),
                                           entity.environment.params)
        environment: Environment = self._known[key]
        return environment

    def _readable(self, entity: EntitySpec, infos: Mapping[str, FieldInfo],
                  prefix: tuple[str, ...]) -> dict[str, FieldInfo]:
        result = {}
        for name, info in infos.items():
            path = (*prefix, name)
            if not self.may_read(entity, path):
                continue
            if info.row is not None:
                info = replace(info, row=self._readable(entity, info.row, path))
            if info.target is not None:  # one hop: the language reads no further
                info = replace(info, target=self._readable(entity, info.target, path) if not prefix else None)
            result[name] = info
        return result

    def row_filters(self, key: str) -> list[Formula] | None:
        """The row filters of the entity `key` for the actor (None: every row); [] when they may read none."""
        entity = self.entity_of(key)
        if entity is None:
            return []
        access = Access(entity, self.actor)
        return access.row_filters if access.allows(Action.READ) else []
