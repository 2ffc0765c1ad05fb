"""Who acts: a tenant user with roles, or the system for the command line and the worker."""
from __future__ import annotations

from dataclasses import dataclass

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a tenant user with roles (or the system, for CLI work)."""

    tenant_id: str
    username: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

