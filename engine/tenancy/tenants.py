"""Tenants, the modules each may use, users and API tokens."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import Session

from engine.core.actor import SYSTEM_ACTOR as SYSTEM_ACTOR
from engine.core.actor import Actor as Actor
from engine.core.passwords import check_password, hash_password, new_token, token_digest
from engine.core.suggestions import suggest
from engine.declarations.model import FieldSpec, ModuleSpec
from engine.errors import AuthenticationFailed, BadRequest, Conflict, NotFound
from engine.fields.values import InvalidValue, coerce, to_json
from engine.security import audit
from engine.storage import stamps
from engine.storage.models import DEFAULT_TOKEN_LIFETIME, ApiToken, Tenant, TenantModule, User
from engine.storage.workflow_models import Delegation
from engine.tenancy import licenses

PLANS = licenses.PLANS
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def now() -> datetime:
    return datetime.now(UTC)


def create_tenant(session: Session, tenant_id: str, *, name: str | None = None, plan: str = "trial",
                  seats: int | None = None, modules: list[str] | None = None) -> Tenant:
    if not TENANT_ID.match(tenant_id):
        raise BadRequest(f"tenant id {tenant_id!r} must be lower case letters, digits, '-' or '_'",
                         message_code="tenant_bad_id", params={"tenant_id": tenant_id})
    if plan not in PLANS:
        raise BadRequest(f"plan {plan!r} is not one of {', '.join(PLANS)}" + suggest(plan, PLANS),
                         message_code="bad_plan_hint",
                         params={"plan": plan, "plans": ', '.join(PLANS), "hint": suggest(plan, PLANS)})
    if session.get(Tenant, tenant_id) is not None:
        raise Conflict(f"tenant {tenant_id!r} already exists",
                       message_code="tenant_exists", params={"tenant_id": tenant_id})
    created = now()
    expires = created + timedelta(days=licenses.TRIAL_DAYS) if plan == "trial" else None
    tenant = Tenant(id=tenant_id, name=name or tenant_id, plan=plan, seats=seats, licensed_modules=modules,
                    expires_at=expires, is_active=True, created_at=created)
    session.add(tenant)
    session.flush()
    audit.write(session, tenant_id, actor=SYSTEM_ACTOR, action="tenant.create", target_type="tenant",
                target_id=tenant_id, after={"plan": plan, "seats": seats, "modules": modules})
    return tenant


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id!r} does not exist",
                       message_code="tenant_not_found", params={"tenant_id": tenant_id})
    return tenant


def is_licensed(tenant: Tenant, module: str) -> bool:
    return licenses.current(tenant).allows(module)


def set_module_enabled(session: Session, tenant_id: str, module: str, enabled: bool,
                       installed: Mapping[str, ModuleSpec], actor: str = SYSTEM_ACTOR) -> list[str]:
    """Enable (with the modules it requires) or disable a module; returns the modules changed."""
    tenant = get_tenant(session, tenant_id)
    if module not in installed:
        raise NotFound(f"module {module!r} is not installed" + suggest(module, installed),
                       message_code="module_not_installed",
                       params={"module": module, "hint": suggest(module, installed)})
    if not enabled:
        dependants = [m for m in enabled_modules(session, tenant_id)
                      if m != module and module in installed[m].requires]
        if dependants:
            raise Conflict(f"module {module!r} is required by {', '.join(dependants)}; disable those first",
                           message_code="module_required_by",
                           params={"module": module, "dependants": ', '.join(dependants)})
        return [module] if _set(session, tenant_id, module, False, actor) else []
    reason = licenses.current(tenant).read_only_reason()
    if reason:  # enabling plants seed records, which a read-only tenant cannot take
        raise licenses.ReadOnly(reason, message_code="tenant_read_only", params={"reason": reason})
    changed = []
    for name in [*_requirements(module, installed), module]:
        licenses.check_allows(tenant, name)
        if _set(session, tenant_id, name, True, actor):
            changed.append(name)
    return changed


def _requirements(module: str, installed: Mapping[str, ModuleSpec]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        for required in installed[name].requires:
            if required in installed and required not in ordered:
                visit(required)
                ordered.append(required)

    visit(module)
    return ordered


def _set(session: Session, tenant_id: str, module: str, enabled: bool, actor: str) -> bool:
    row = session.get(TenantModule, (tenant_id, module))
    if row is not None and row.is_enabled == enabled:
        return False
    if row is None:
        row = TenantModule(tenant_id=tenant_id, module=module, is_enabled=enabled, parameters={}, updated_at=now())
        session.add(row)
    row.is_enabled, row.updated_at = enabled, now()
    audit.write(session, tenant_id, actor=actor, action="module.enable" if enabled else "module.disable",
                target_type="module", target_id=module)
    return True


def enabled_modules(session: Session, tenant_id: str) -> list[str]:
    return list(module_settings(session, tenant_id))


def module_settings(session: Session, tenant_id: str) -> dict[str, dict[str, Any]]:
    """Each enabled module of the tenant with its parameter values, in one query."""
    rows = session.scalars(select(TenantModule).where(TenantModule.tenant_id == tenant_id,
                                                      TenantModule.is_enabled.is_(True)))
    return {row.module: dict(row.parameters or {}) for row in rows}


USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 6
NO_PASSWORD = "!"   # the hash of a user who has not set a password yet: no password matches it


def check_new_password(password: str) -> None:
    """The one rule a new password must meet (CLI, invitations, resets)."""
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"the password needs at least {MIN_PASSWORD} characters",
                         message_code="password_too_short", params={"min_length": MIN_PASSWORD})


def add_user(session: Session, tenant_id: str, username: str, password: str | None, roles: Iterable[str],
             *, display_name: str = "", email: str | None = None, actor: str = SYSTEM_ACTOR,
             action: str = "user.create") -> User:
    """Add an active user (taking a seat); without a password they cannot log in until they set one."""
    tenant = get_tenant(session, tenant_id)
    if not USERNAME.match(username):
        raise BadRequest(f"user name {username!r} may use letters, digits and _ . @ - only",
                         message_code="bad_username", params={"username": username})
    if password is not None:
        check_new_password(password)
    if session.get(User, (tenant_id, username)) is not None:
        raise Conflict(f"user {username!r} already exists in tenant {tenant_id!r}",
                       message_code="user_exists", params={"username": username, "tenant_id": tenant_id})
    licenses.check_seat_free(session, tenant)
    user = User(tenant_id=tenant_id, username=username, display_name=display_name or username, email=email or None,
                password_hash=hash_password(password) if password is not None else NO_PASSWORD,
                roles=sorted(set(roles)), is_active=True, created_at=now())
    session.add(user)
    audit.write(session, tenant_id, actor=actor, action=action, target_type="user", target_id=username,
                after={"roles": user.roles, "display_name": user.display_name, "email": user.email})
    return user


def set_password(session: Session, user: User, password: str | None) -> None:
    """A new password (None: none until the user sets one); the user's sessions and API tokens end."""
    if password is not None:
        check_new_password(password)
    user.password_hash = hash_password(password) if password is not None else NO_PASSWORD
    end_sessions(user)
    revoke_user_tokens(session, user.tenant_id, user.username)


def end_sessions(user: User) -> None:
    """End every browser session of the user, on every device: a session is only good for the
    generation it was opened in (web/pages/auth.py checks it on each request)."""
    user.session_generation = (user.session_generation or 0) + 1


def log_out(session: Session, tenant_id: str, username: str) -> None:
    """The user logged out: end their browser sessions on the server, not only in the browser."""
    user = session.get(User, (tenant_id, username))
    if user is not None:
        end_sessions(user)


def has_password(user: User) -> bool:
    return not user.password_hash.startswith(NO_PASSWORD)


def set_user_active(session: Session, tenant_id: str, username: str, active: bool,
                    actor: str = SYSTEM_ACTOR) -> User:
    """Deactivate a user (frees a seat, keeps their history) or activate one again (takes a seat)."""
    tenant = get_tenant(session, tenant_id)
    user = session.get(User, (tenant_id, username))
    if user is None:
        raise NotFound(f"user {username!r} does not exist in tenant {tenant_id!r}",
                       message_code="user_not_found_in_tenant", params={"username": username, "tenant_id": tenant_id})
    if user.is_active == active:
        return user
    if active:
        licenses.check_seat_free(session, tenant)
    else:  # their browser sessions and API tokens end here, for good (activating again revives neither)
        end_sessions(user)
        revoke_user_tokens(session, tenant_id, username)
    user.is_active = active
    audit.write(session, tenant_id, actor=actor, action="user.activate" if active else "user.deactivate",
                target_type="user", target_id=username)
    return user


def authenticate(session: Session, tenant_id: str, username: str, password: str) -> User:
    """The user whose password this is; an unknown tenant or user takes as long and answers the same."""
    tenant = session.get(Tenant, tenant_id)
    user = session.get(User, (tenant_id, username)) if tenant is not None else None
    matches = check_password(user.password_hash if user is not None else None, password)
    if user is None or not user.is_active or not matches:
        raise AuthenticationFailed("wrong tenant, user name or password", message_code="login_failed")
    if not tenant or not tenant.is_active:
        raise AuthenticationFailed(f"tenant {tenant_id!r} is disabled",
                                   message_code="tenant_disabled", params={"tenant_id": tenant_id})
    return user


TOKEN_LIFETIME = DEFAULT_TOKEN_LIFETIME


class TokenExpired(AuthenticationFailed):
    """The API token outlived its lifetime: refresh it before it expires, or log in again."""

    code = "token_expired"


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: `token` is shown once and never stored."""

    token: str
    username: str
    expires_at: datetime


def issue_token(session: Session, user: User, lifetime: timedelta = TOKEN_LIFETIME) -> IssuedToken:
    token, moment = new_token(user.tenant_id), now()
    session.add(ApiToken(tenant_id=user.tenant_id, token_hash=token_digest(token), username=user.username,
                         created_at=moment, expires_at=moment + lifetime))
    return IssuedToken(token, user.username, moment + lifetime)


def refresh_token(session: Session, tenant_id: str, token: str, lifetime: timedelta = TOKEN_LIFETIME) -> IssuedToken:
    """Swap a live token for a new one with a full lifetime; the old one stops working."""
    actor = actor_for_token(session, tenant_id, token)
    user = session.get(User, (tenant_id, actor.username))
    assert user is not None   # actor_for_token found them
    revoke_token(session, tenant_id, token)
    return issue_token(session, user, lifetime)


def revoke_token(session: Session, tenant_id: str, token: str) -> None:
    row = session.get(ApiToken, (tenant_id, token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()


def revoke_user_tokens(session: Session, tenant_id: str, username: str) -> int:
    """Revoke every live API token of a user; returns how many."""
    rows = session.scalars(select(ApiToken).where(ApiToken.tenant_id == tenant_id, ApiToken.username == username,
                                                  ApiToken.revoked_at.is_(None)))
    moment, count = now(), 0
    for row in rows:
        row.revoked_at, count = moment, count + 1
    return count


_TOKEN_WITH_USER = (  # every request asks it: built once; the tenant's context stamps come along, and whether a
    # colleague's delegation names the user (most users: none, so a decision need not look for one). Columns, not
    # entities: nothing is kept of them but the actor, so no ORM object need be built.
    select(ApiToken.revoked_at, ApiToken.expires_at, User.username, User.roles, User.is_active, *stamps.COLUMNS,
           exists().where(Delegation.tenant_id == ApiToken.tenant_id, Delegation.to_user == ApiToken.username)
           .correlate(ApiToken))
    .join(User, and_(User.tenant_id == ApiToken.tenant_id, User.username == ApiToken.username))
    .join(stamps.TENANTS, stamps.TENANTS.c.id == ApiToken.tenant_id)
    .where(ApiToken.tenant_id == bindparam("tenant"), ApiToken.token_hash == bindparam("digest")))


def actor_for_token(session: Session, tenant_id: str, token: str) -> Actor:
    """Who a live token acts for: the token and its user in one query (a read-only transaction will do). The
    tenant's context stamps are read along (a unit of work that goes on in this session does not read them again),
    and whether a colleague's delegation names the user."""
    found = session.execute(_TOKEN_WITH_USER, {"tenant": tenant_id, "digest": token_digest(token)}).first()
    if found is None:
        raise _token_invalid()
    revoked_at, expires_at, username, roles, is_active, tenant_stamp, catalog_stamp, stands_in = found
    stamps.remember(session, tenant_id, tenant_stamp, catalog_stamp)
    _check_live(revoked_at, expires_at)
    if not is_active:
        raise _token_invalid()
    return Actor(tenant_id=tenant_id, username=username, roles=frozenset(roles), stands_in=bool(stands_in))


def _token_invalid() -> AuthenticationFailed:
    return AuthenticationFailed("the token is unknown, revoked or its user is deactivated; log in again",
                                message_code="token_invalid")


def _check_live(revoked_at: datetime | None, expires_at: datetime) -> None:
    if revoked_at is not None:
        raise _token_invalid()
    if licenses.as_utc(expires_at) <= now():
        raise TokenExpired(f"the token expired at {licenses.as_utc(expires_at).isoformat(timespec='seconds')}; "
                           "get a new one from POST /api/v1/auth/token (refresh tokens before they expire with "
                           "POST /api/v1/auth/refresh)",
                           message_code="token_expired",
                           params={"expired_at": licenses.as_utc(expires_at).isoformat(timespec='seconds')})


def actor_of(user: User) -> Actor:
    return Actor(tenant_id=user.tenant_id, username=user.username, roles=frozenset(user.roles))


def tenant_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Tenant.id).order_by(Tenant.id)))


def set_parameter(session: Session, tenant_id: str, module: str, name: str, raw: Any,
                  installed: Mapping[str, ModuleSpec], actor: str = SYSTEM_ACTOR) -> Any:
    """Store a tenant's value for a module parameter, checked against the parameter's type."""
    spec = installed.get(module)
    if spec is None:
        raise NotFound(f"module {module!r} is not installed" + suggest(module, installed),
                       message_code="module_not_installed",
                       params={"module": module, "hint": suggest(module, installed)})
    parameter = spec.parameters.get(name)
    if parameter is None:
        raise NotFound(f"module {module!r} has no parameter {name!r}" + suggest(name, spec.parameters),
                       message_code="parameter_unknown",
                       params={"module": module, "name": name, "hint": suggest(name, spec.parameters)})
    try:
        value = to_json(coerce(FieldSpec(name, parameter.type, parameter.label), raw))
    except InvalidValue as error:
        raise BadRequest(f"parameter {name!r} {error}",
                         message_code="parameter_invalid", params={"name": name, "error": error}) from None
    row = session.get(TenantModule, (tenant_id, module))
    if row is None or not row.is_enabled:
        raise Conflict(f"enable module {module!r} for tenant {tenant_id!r} before setting its parameters",
                       message_code="module_not_enabled_for_parameters",
                       params={"module": module, "tenant_id": tenant_id})
    before = dict(row.parameters)
    row.parameters = {**before, name: value}
    audit.write(session, tenant_id, actor=actor, action="module.parameter", target_type="module", target_id=module,
                before=before, after=row.parameters)
    return value
