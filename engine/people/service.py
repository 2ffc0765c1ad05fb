"""A tenant administrator's user work: invite, roles, deactivate and reactivate, password resets.

Roles are those the tenant's enabled modules declare, plus `admin`; a tenant always keeps one
active administrator. Every change is audited in the same transaction, and a deactivated user's
sessions and API tokens stop working at once. Project membership is in `engine.people.membership`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.suggestions import suggest
from engine.declarations.model import Label, ModuleSpec
from engine.errors import BadRequest, Conflict, NotFound, PermissionDenied
from engine.people import membership
from engine.records.service import Records
from engine.security import audit
from engine.storage.models import User
from engine.tenancy import invitations, licenses
from engine.tenancy import tenants as tenancy

ADMIN_ROLE = "admin"
ADMIN_LABEL = Label(zh="租户管理员", en="Tenant administrator")
MAX_EMAIL = 254
INVITED = tenancy.NO_PASSWORD + "invite"   # the hash of a user who has not used their invitation yet
RESET = tenancy.NO_PASSWORD + "reset"      # ... of one whose password an administrator reset


class LastAdmin(Conflict):
    """The change would leave the tenant without an active administrator."""

    code = "last_admin"


@dataclass(frozen=True)
class Role:
    """A role an administrator may give: its label and the modules declaring it."""

    key: str
    label: Label
    modules: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label.as_dict(), "modules": list(self.modules)}


def declared_roles(modules: Mapping[str, ModuleSpec]) -> dict[str, Role]:
    """`admin` first, then each role the modules declare, in declaration order (first label wins)."""
    roles: dict[str, Role] = {ADMIN_ROLE: Role(ADMIN_ROLE, ADMIN_LABEL, ())}
    for name, spec in modules.items():
        for key, label in spec.roles.items():
            known = roles.get(key)
            roles[key] = Role(key, known.label if known else label, (*known.modules, name) if known else (name,))
    return roles


class People:
    """One tenant administrator's user management inside one tenant transaction."""

    def __init__(self, session: Session, actor: tenancy.Actor, modules: Mapping[str, ModuleSpec], *,
                 records: Records | None = None, read_only: str = "") -> None:
        if not actor.is_admin:
            raise PermissionDenied("only tenant administrators (role 'admin') manage users and roles",
                                   message_code="users_admin_only")
        self.session = session
        self.actor = actor
        self.tenant_id = actor.tenant_id
        self.roles = declared_roles(modules)
        self._records = records
        self.read_only = read_only   # why the tenant's records may not change now ('' while they may)

    @property
    def records(self) -> Records:
        if self._records is None:
            raise NotFound("project membership needs the tenant's records; open People through Formwork.people",
                           message_code="membership_unavailable")
        return self._records

    # -- reading -------------------------------------------------------------------------------------

    def user(self, username: str) -> User:
        user = self.session.get(User, (self.tenant_id, username))
        if user is None:
            names = self.session.scalars(select(User.username))
            raise NotFound(f"user {username!r} does not exist in this tenant" + suggest(username, list(names)),
                           message_code="user_not_found",
                           params={"username": username, "hint": suggest(username, list(names))})
        return user

    def describe(self, user: User) -> dict[str, Any]:
        """A user as the API and pages show them: status is active, invited, reset or deactivated."""
        link = invitations.pending(self.session, user.username) if not tenancy.has_password(user) else None
        if not user.is_active:
            status = "deactivated"
        elif tenancy.has_password(user):
            status = "active"
        else:
            status = "invited" if user.password_hash == INVITED else "reset"
        return {"username": user.username, "display_name": user.display_name, "email": user.email,
                "roles": list(user.roles), "is_active": bool(user.is_active), "status": status,
                "link_expires_at": licenses.as_utc(link.expires_at).isoformat() if link else None,
                "unknown_roles": [r for r in user.roles if r not in self.roles],
                "created_at": licenses.as_utc(user.created_at).isoformat()}

    def users(self) -> list[dict[str, Any]]:
        return [self.describe(u) for u in self.session.scalars(select(User).order_by(User.username))]

    def seats(self) -> dict[str, int | None]:
        tenant = tenancy.get_tenant(self.session, self.tenant_id)
        return {"used": licenses.active_users(self.session, self.tenant_id),
                "total": licenses.current(tenant).seats}

    # -- changes -------------------------------------------------------------------------------------

    def invite(self, username: str, display_name: str = "", roles: Iterable[str] = (), email: str | None = None,
               days: int = invitations.INVITATION_DAYS) -> tuple[User, invitations.Link]:
        """A new user (taking a seat) and the one-time link with which they set their password."""
        # The tenant lock first, not only at the commit (engine/security/audit.py): the seat and
        # last-administrator checks here and below read other users, so changes to users run one at a time.
        audit.lock_chain(self.session, self.tenant_id)
        wanted = self._checked_roles(roles, held=())
        user = tenancy.add_user(self.session, self.tenant_id, username.strip(), None, wanted,
                                display_name=display_name.strip(), email=_email(email), actor=self.actor.username,
                                action="user.invite")
        user.password_hash = INVITED
        return user, invitations.issue(self.session, user, "invite", self.actor.username, days)

    def update(self, username: str, *, display_name: str | None = None, email: str | None = None) -> User:
        audit.lock_chain(self.session, self.tenant_id)
        user = self.user(username)
        before = {"display_name": user.display_name, "email": user.email}
        if display_name is not None:
            user.display_name = display_name.strip() or user.username
        if email is not None:
            user.email = _email(email)
        after = {"display_name": user.display_name, "email": user.email}
        if after != before:
            audit.write(self.session, self.tenant_id, actor=self.actor.username, action="user.update",
                        target_type="user", target_id=username, before=before, after=after)
        return user

    def set_roles(self, username: str, roles: Iterable[str]) -> User:
        """Replace a user's roles: new ones must be declared; roles held already may stay or go."""
        audit.lock_chain(self.session, self.tenant_id)
        user = self.user(username)
        wanted = self._checked_roles(roles, held=user.roles)
        if ADMIN_ROLE in user.roles and ADMIN_ROLE not in wanted:
            self._keep_an_admin(user, "take the administrator role from")
        if wanted == sorted(user.roles):
            return user
        before = list(user.roles)
        user.roles = wanted
        audit.write(self.session, self.tenant_id, actor=self.actor.username, action="user.roles",
                    target_type="user", target_id=username, before={"roles": before}, after={"roles": wanted})
        return user

    def set_active(self, username: str, active: bool) -> User:
        """Deactivate (frees a seat; sessions and tokens end) or reactivate (takes a seat)."""
        audit.lock_chain(self.session, self.tenant_id)
        user = self.user(username)
        if not active and user.is_active and ADMIN_ROLE in user.roles:
            self._keep_an_admin(user, "deactivate")
        return tenancy.set_user_active(self.session, self.tenant_id, username, active, actor=self.actor.username)

    def reset_password(self, username: str, days: int = invitations.INVITATION_DAYS) -> invitations.Link:
        """Clear the password (API tokens end) and give a one-time link to set a new one."""
        audit.lock_chain(self.session, self.tenant_id)
        user = self.user(username)
        if not user.is_active:
            raise Conflict(f"user {username!r} is deactivated; activate them before resetting their password",
                           message_code="user_deactivated_reset", params={"username": username})
        invited = user.password_hash == INVITED
        tenancy.set_password(self.session, user, None)
        user.password_hash = INVITED if invited else RESET
        purpose = "invite" if invited else "reset"
        link = invitations.issue(self.session, user, purpose, self.actor.username, days)
        audit.write(self.session, self.tenant_id, actor=self.actor.username,
                    action="user.reinvite" if invited else "user.password_reset", target_type="user",
                    target_id=username, after={"link_expires_at": licenses.as_utc(link.expires_at).isoformat()})
        return link

    # -- project membership (records of base.project) ------------------------------------------------

    def positions(self) -> dict[str, Label]:
        """The positions (project roles) a member may hold."""
        return membership.members_of(self.records).positions()

    def projects(self, username: str) -> list[dict[str, Any]]:
        return membership.projects_of(self.records, self.user(username).username)

    def add_project(self, username: str, project_id: str, position: str | None) -> dict[str, Any]:
        user = self.user(username)
        if not user.is_active:
            raise Conflict(f"user {username!r} is deactivated; activate them before adding them to a project",
                           message_code="user_deactivated_member", params={"username": username})
        licenses.mark_read_only(self.session, self.read_only)
        return membership.add(self.records, user.username, project_id, position)

    def remove_project(self, username: str, project_id: str, position: str | None = None) -> dict[str, Any]:
        licenses.mark_read_only(self.session, self.read_only)
        return membership.remove(self.records, self.user(username).username, project_id, position)

    # -- rules ---------------------------------------------------------------------------------------

    def _checked_roles(self, roles: Iterable[str], held: Iterable[str]) -> list[str]:
        if isinstance(roles, str):
            raise BadRequest("roles must be a list of role keys, not one text", message_code="roles_not_list")
        given = list(roles)
        if not all(isinstance(r, str) for r in given):
            raise BadRequest("roles must be a list of role keys", message_code="roles_not_keys")
        wanted = sorted({r.strip() for r in given if r.strip()})
        kept = set(held)
        unknown = [r for r in wanted if r not in self.roles and r not in kept]
        if unknown:
            raise BadRequest(f"role {unknown[0]!r} is not declared by this tenant's enabled modules"
                             + suggest(unknown[0], self.roles) + f"; choose from {', '.join(self.roles)}",
                             details={"unknown": unknown, "roles": list(self.roles)},
                             message_code="role_unknown",
                             params={"role": unknown[0], "hint": suggest(unknown[0], self.roles),
                                     "roles": ', '.join(self.roles)})
        return wanted

    def _keep_an_admin(self, user: User, what: str) -> None:
        others = [u for u in self.session.scalars(select(User).where(User.is_active.is_(True)))
                  if u.username != user.username and ADMIN_ROLE in u.roles]
        if not others:
            raise LastAdmin(f"cannot {what} {user.username!r}: they are the tenant's last active administrator; "
                            "make another user an administrator first",
                            message_code="last_admin", params={"what": what, "username": user.username})


def _email(email: str | None) -> str | None:
    text = (email or "").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL or "@" not in text.strip("@") or any(c.isspace() for c in text):
        raise BadRequest(f"{text!r} is not an e-mail address (name@example.com)",
                         message_code="bad_email", params={"text": text})
    return text
