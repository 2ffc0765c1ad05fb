"""What an actor may do with an entity: actions, hidden and read-only fields, row filters."""
from __future__ import annotations

from dataclasses import dataclass

from engine.declarations.model import Action, EntitySpec
from engine.errors import PermissionDenied
from engine.formula import Formula
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
