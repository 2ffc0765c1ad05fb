"""Who acts: a tenant user with roles, or the system for the command line and the worker."""
from __future__ import annotations

from dataclasses import dataclass, field

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a tenant user with roles (or the system, for CLI work)."""

    tenant_id: str
    username: str
    roles: frozenset[str]
    # False when the token check found no colleague's delegation naming this user (none now or to come): their
    # tasks are then theirs alone, and a decision need not look for colleagues they stand in for
    stands_in: bool = field(default=True, compare=False)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

