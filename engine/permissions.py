"""What an actor may do with an entity: actions, hidden and read-only fields, row filters."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.declarations.model import Action, EntitySpec
from engine.errors import PermissionDenied
from engine.formula import Formula
from engine.masking import masked
from engine.tenancy import Actor


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

    @property
    def _roles(self) -> list[str]:
        return [role for role in self.entity.permissions if role in self.actor.roles]

    @property
    def is_unrestricted(self) -> bool:
        return self.actor.is_admin or not self.entity.permissions

    def allows(self, action: Action) -> bool:
        if self.is_unrestricted:
            return True
        return any(action in self.entity.permissions[role].actions for role in self._roles)

    def require(self, action: Action) -> None:
        if not self.allows(action):
            roles = ", ".join(sorted(self.actor.roles)) or "none"
            raise PermissionDenied(
                f"your roles ({roles}) may not {action.value} {self.entity.title.en} records; "
                "ask a tenant administrator for a role that grants it"
            )

    def _granting(self, action: Action) -> list[str]:
        return [r for r in self._roles if action in self.entity.permissions[r].actions]

    @property
    def hidden_fields(self) -> frozenset[str]:
        if self.is_unrestricted:
            return frozenset()
        sets = [self.entity.permissions[r].hidden_fields for r in self._granting(Action.READ)]
        return frozenset.intersection(*sets) if sets else frozenset(self.entity.fields)

    @property
    def masked_fields(self) -> frozenset[str]:
        """Fields with a `mask` that none of the actor's roles is `unmasked_for` (administrators see all)."""
        if self.actor.is_admin:
            return frozenset()
        return frozenset(name for name, spec in self.entity.fields.items()
                         if spec.mask is not None and not spec.mask.unmasked_for & self.actor.roles)

    @property
    def unreadable_fields(self) -> frozenset[str]:
        """Fields whose real values the actor may not learn: hidden or masked (no filtering or sorting on them)."""
        return self.hidden_fields | self.masked_fields

    def shown(self, document: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A stored document as this actor may see it: hidden fields left out, masked fields masked.

        The one place every read path (REST, lists, exports, pages, history) goes through.
        """
        if document is None:
            return None
        hidden, masks = self.hidden_fields, self.masked_fields
        result: dict[str, Any] = {}
        for name, value in document.items():
            mask = self.entity.fields[name].mask if name in masks else None
            if name not in hidden:
                result[name] = masked(mask, value) if mask is not None else value
        return result

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
