"""Signed licenses: issue (operator key), verify (public key), apply to a tenant, and what they allow.

A license token is `fw1.<payload>.<signature>`: base64url JSON claims signed with Ed25519. The private
key lives in a file outside the database; verifying needs only the public key, so a deployment that
never issues licenses can be given just that (FORMWORK_LICENSE_PUBLIC_KEY).
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from engine.errors import BadRequest, Conflict, FormworkError, PermissionDenied
from engine.security import audit
from engine.storage.models import Tenant, User

PLANS = ("trial", "professional", "enterprise")
TRIAL_DAYS = 15
WARN_DAYS = 7
PREFIX = "fw1"
READ_ONLY_KEY = "read_only"   # session.info: why the tenant's records may not change


class InvalidLicense(FormworkError):
    """A token that does not verify: altered, signed by another key, malformed or for another tenant."""

    code = "invalid_license"


class NotLicensed(PermissionDenied):
    code = "not_licensed"


class ReadOnly(PermissionDenied):
    """The tenant's trial or license expired: everything can be read, nothing changed."""

    code = "read_only"


class SeatsExhausted(PermissionDenied):
    code = "seats_exhausted"


class TooFewSeats(Conflict):
    """A license with fewer seats than the tenant's active users: some must be deactivated first."""

    code = "too_few_seats"


@dataclass(frozen=True)
class License:
    """What a tenant may do: from its verified token, else from the plan it was created with."""

    tenant_id: str
    plan: str
    seats: int | None                 # None: unlimited
    modules: tuple[str, ...] | None   # None: every installed module
    issued_at: datetime
    expires_at: datetime | None       # None: perpetual
    is_signed: bool = False
    problem: str = ""                 # a stored token that no longer verifies

    def allows(self, module: str) -> bool:
        return self.modules is None or module in self.modules

    def is_expired(self, moment: datetime | None = None) -> bool:
        return self.expires_at is not None and (moment or datetime.now(UTC)) >= self.expires_at

    def read_only_reason(self, moment: datetime | None = None) -> str:
        """Empty while the tenant may write; else a message naming the expiry date."""
        if self.problem:
            return f"tenant {self.tenant_id!r} is read-only: its license does not verify ({self.problem})"
        if self.expires_at is not None and self.is_expired(moment):
            what = "trial" if self.plan == "trial" else "license"
            return (f"tenant {self.tenant_id!r} is read-only: its {what} expired on "
                    f"{self.expires_at.date().isoformat()}; apply a new license to make changes")
        return ""

    def days_left(self, moment: datetime | None = None) -> int | None:
        if self.expires_at is None:
            return None
        return max(0, (self.expires_at - (moment or datetime.now(UTC))).days)

    def claims(self) -> dict[str, Any]:
        return {"tenant": self.tenant_id, "plan": self.plan, "seats": self.seats,
                "modules": list(self.modules) if self.modules is not None else None,
                "issued": _iso(self.issued_at), "expires": _iso(self.expires_at) if self.expires_at else None}


# -- keys ----------------------------------------------------------------------------------------------


def private_key_path() -> Path:
    """FORMWORK_LICENSE_KEY, else `license_key.pem` in the instance folder."""
    configured = os.environ.get("FORMWORK_LICENSE_KEY")
    if configured:
        return Path(configured)
    return Path(os.environ.get("FORMWORK_INSTANCE", "instance")) / "license_key.pem"


def public_key_path(private: Path | None = None) -> Path:
    return (private or private_key_path()).with_suffix(".pub")


def signing_key() -> Ed25519PrivateKey:
    """The operator's key; created (mode 0600, public half next to it) the first time it is needed."""
    path = private_key_path()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
                file.write(pem)
        except FileExistsError:  # another process created it first: use theirs
            pass
    key_bytes = path.read_bytes()
    try:
        loaded = serialization.load_pem_private_key(key_bytes, password=None)
    except ValueError as error:
        raise BadRequest(f"license key file {path} is not a PEM private key: {error}",
                         message_code="license_key_not_pem", params={"path": path, "error": error}) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise BadRequest(f"license key file {path} does not hold an Ed25519 key",
                         message_code="license_key_not_ed25519", params={"path": path})
    public = public_key_path(path)
    public_pem = loaded.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    if not public.is_file() or public.read_bytes() != public_pem:
        public.write_bytes(public_pem)
    return loaded


def verifying_key_pem() -> bytes | None:
    """FORMWORK_LICENSE_PUBLIC_KEY (PEM text or a file), else the `.pub` file next to the private key."""
    configured = os.environ.get("FORMWORK_LICENSE_PUBLIC_KEY", "").strip()
    if configured:
        return configured.encode() if configured.startswith("-----BEGIN") else Path(configured).read_bytes()
    public = public_key_path()
    if public.is_file():
        return public.read_bytes()
    if private_key_path().is_file():
        signing_key()  # writes the public half
        return public.read_bytes()
    return None


# -- tokens --------------------------------------------------------------------------------------------


def issue(tenant_id: str, plan: str, *, seats: int | None = None, modules: list[str] | None = None,
          days: int | None = None, moment: datetime | None = None) -> str:
    """A signed token; `days` None means 15 days for a trial and perpetual for the other plans."""
    if plan not in PLANS:
        raise BadRequest(f"plan {plan!r} is not one of {', '.join(PLANS)}",
                         message_code="bad_plan", params={"plan": plan, "plans": ', '.join(PLANS)})
    if seats is not None and seats < 1:
        raise BadRequest(f"seats must be at least 1, not {seats}", message_code="bad_seats", params={"seats": seats})
    if days is not None and days < 0:
        raise BadRequest(f"days must be 0 or more, not {days}", message_code="bad_days", params={"days": days})
    issued = (moment or datetime.now(UTC)).replace(microsecond=0)
    if days is None and plan == "trial":
        days = TRIAL_DAYS
    expires = issued + timedelta(days=days) if days is not None else None
    grant = License(tenant_id, plan, seats, tuple(modules) if modules is not None else None, issued, expires)
    payload = _b64(json.dumps(grant.claims(), sort_keys=True, separators=(",", ":")).encode())
    signature = signing_key().sign(f"{PREFIX}.{payload}".encode())
    return f"{PREFIX}.{payload}.{_b64(signature)}"


def verify(token: str, tenant_id: str) -> License:
    """The license a token grants to `tenant_id`; InvalidLicense says why it does not verify."""
    public = verifying_key_pem()
    if public is None:
        raise InvalidLicense("no license public key is configured: set FORMWORK_LICENSE_PUBLIC_KEY or "
                             f"put the operator's public key at {public_key_path()}",
                             message_code="license_no_public_key", params={"public_key_path": public_key_path()})
    grant = _verified(token.strip(), public)
    if grant.tenant_id != tenant_id:
        raise InvalidLicense(f"this license is for tenant {grant.tenant_id!r}, not {tenant_id!r}",
                             message_code="license_other_tenant",
                             params={"license_tenant": grant.tenant_id, "tenant_id": tenant_id})
    return grant


@lru_cache(maxsize=1024)
def _verified(token: str, public_pem: bytes) -> License:
    """Verified claims by token (and key): checking a signature once per token is enough."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise InvalidLicense(f"a license token looks like '{PREFIX}.<claims>.<signature>'; this one does not",
                             message_code="license_malformed", params={"prefix": PREFIX})
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidLicense("the configured license public key is not an Ed25519 key",
                             message_code="license_public_key_not_ed25519")
    try:
        key.verify(_unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode())
        claims = json.loads(_unb64(parts[1]))
        modules = claims["modules"]
        return License(
            tenant_id=str(claims["tenant"]), plan=str(claims["plan"]), seats=claims["seats"],
            modules=tuple(modules) if modules is not None else None,
            issued_at=datetime.fromisoformat(claims["issued"]),
            expires_at=datetime.fromisoformat(claims["expires"]) if claims["expires"] else None, is_signed=True)
    except (InvalidSignature, binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidLicense("the license signature does not match: the token was altered or signed "
                             "by another key", message_code="license_signature_mismatch") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- tenants -------------------------------------------------------------------------------------------


def current(tenant: Tenant) -> License:
    """The license in force: the verified stored token, else the plan fields the tenant was created with."""
    if tenant.license_token:
        try:
            return verify(tenant.license_token, tenant.id)
        except InvalidLicense as error:
            return License(tenant.id, tenant.plan, tenant.seats, _modules(tenant), as_utc(tenant.created_at),
                           as_utc(tenant.expires_at) if tenant.expires_at else None, problem=error.message)
    return License(tenant.id, tenant.plan, tenant.seats, _modules(tenant), as_utc(tenant.created_at),
                   as_utc(tenant.expires_at) if tenant.expires_at else None)


def _modules(tenant: Tenant) -> tuple[str, ...] | None:
    return tuple(tenant.licensed_modules) if tenant.licensed_modules is not None else None


def apply(session: Session, tenant: Tenant, token: str, actor: str) -> License:
    """Verify a token and make it the tenant's license, with its audit entry, in the caller's transaction."""
    grant = verify(token, tenant.id)
    check_seats_cover_active_users(session, tenant.id, grant.seats)
    before = current(tenant).claims()
    tenant.license_token = token.strip()
    tenant.plan, tenant.seats = grant.plan, grant.seats
    tenant.licensed_modules = list(grant.modules) if grant.modules is not None else None
    tenant.expires_at = grant.expires_at
    audit.write(session, tenant.id, actor=actor, action="license.apply", target_type="tenant",
                target_id=tenant.id, before=before, after=grant.claims(), note="license applied")
    return grant


def active_users(session: Session, tenant_id: str) -> int:
    statement = select(func.count()).select_from(User).where(User.tenant_id == tenant_id, User.is_active.is_(True))
    return session.scalar(statement) or 0


def active_usernames(session: Session, tenant_id: str) -> list[str]:
    statement = select(User.username).where(User.tenant_id == tenant_id, User.is_active.is_(True))
    return list(session.scalars(statement.order_by(User.username)))


def check_seats_cover_active_users(session: Session, tenant_id: str, seats: int | None) -> None:
    """Refuse a license that would leave more active users than seats, saying how many to deactivate and who."""
    if seats is None:
        return
    active = active_usernames(session, tenant_id)
    if len(active) <= seats:
        return
    excess = len(active) - seats
    raise TooFewSeats(f"this license has {seats} seats but tenant {tenant_id!r} has {len(active)} active users: "
                      f"deactivate {excess} of them first (active users: {', '.join(active)}), or apply a license "
                      f"with at least {len(active)} seats",
                      details={"seats": seats, "active": len(active), "deactivate": excess, "active_users": active},
                      message_code="too_few_seats",
                      params={"seats": seats, "tenant_id": tenant_id, "count": len(active), "excess": excess,
                              "active": ', '.join(active)})


def check_seat_free(session: Session, tenant: Tenant) -> None:
    """Refuse one more active user when every seat is taken; deactivated users do not count."""
    seats = current(tenant).seats
    if seats is None:
        return
    used = active_users(session, tenant.id)
    if used >= seats:
        raise SeatsExhausted(f"seats {used} of {seats} in use in tenant {tenant.id!r}: deactivate a user "
                             "or apply a license with more seats", details={"used": used, "seats": seats},
                             message_code="seats_exhausted",
                             params={"used": used, "seats": seats, "tenant_id": tenant.id})


def check_allows(tenant: Tenant, module: str) -> None:
    grant = current(tenant)
    if not grant.allows(module):
        raise NotLicensed(f"module {module!r} is not in tenant {tenant.id!r}'s license "
                          f"(licensed: {', '.join(grant.modules or [])})",
                          message_code="module_not_licensed",
                          params={"module": module, "tenant_id": tenant.id, "licensed": ', '.join(grant.modules or [])})


def summary(session: Session, tenant: Tenant, moment: datetime | None = None) -> dict[str, Any]:
    """What a tenant sees of its license (GET /api/v1/license, the dashboard line)."""
    grant = current(tenant)
    reason = grant.read_only_reason(moment)
    days = grant.days_left(moment)
    return {"tenant": tenant.id, "plan": grant.plan, "seats": grant.seats,
            "seats_used": active_users(session, tenant.id),
            "modules": list(grant.modules) if grant.modules is not None else None,
            "issued_at": _iso(grant.issued_at), "expires_at": _iso(grant.expires_at) if grant.expires_at else None,
            "days_left": days, "is_signed": grant.is_signed, "is_valid": not grant.problem,
            "read_only": bool(reason), "read_only_reason": reason,
            "expiring_soon": not reason and days is not None and days < WARN_DAYS}


# -- read-only enforcement -----------------------------------------------------------------------------


def mark_read_only(session: Session, reason: str) -> None:
    """Make every later write of this unit of work fail with ReadOnly (see `_refuse_writes`)."""
    if reason:
        session.info[READ_ONLY_KEY] = reason


@event.listens_for(Session, "before_flush")
def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    """The one place an expired tenant's writes stop, whichever service (or plugin) attempts them."""
    reason = session.info.get(READ_ONLY_KEY)
    if reason and (session.new or session.dirty or session.deleted):
        raise ReadOnly(reason, message_code="tenant_read_only", params={"reason": reason})
