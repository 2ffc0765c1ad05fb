"""One-time links with which a user sets their password: invitations of new users and password resets.

An on-premise deployment often has no mail server, so the engine mails nothing: it gives the
administrator the link once, to pass on by whatever channel the company uses. Only the token's
SHA-256 is stored; a link works once, until it expires, and a newer link for the same user
replaces it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.passwords import new_token, token_digest
from engine.errors import BadRequest, NotFound
from engine.security import audit
from engine.storage.models import User, UserInvitation
from engine.tenancy import tenants as tenancy
from engine.tenancy.licenses import as_utc

INVITATION_DAYS = 7
PURPOSES = ("invite", "reset")


class LinkInvalid(NotFound):
    """The link is unknown, used or expired: the user needs a new one from their administrator."""

    code = "link_invalid"


@dataclass(frozen=True)
class Link:
    """A freshly issued link: `token` is shown once and never stored."""

    username: str
    purpose: str
    token: str
    expires_at: datetime


def issue(session: Session, user: User, purpose: str, actor: str, days: int = INVITATION_DAYS) -> Link:
    """A new link for `user`; the user's earlier unused links stop working."""
    if purpose not in PURPOSES:
        raise BadRequest(f"a link's purpose is one of {', '.join(PURPOSES)}, not {purpose!r}",
                         message_code="link_bad_purpose", params={"purposes": ', '.join(PURPOSES), "purpose": purpose})
    if not 1 <= days <= 90:
        raise BadRequest(f"a link is valid for 1 to 90 days, not {days}",
                         message_code="link_bad_days", params={"days": days})
    moment = tenancy.now()
    _close_pending(session, user)
    token = new_token(user.tenant_id)
    expires = moment + timedelta(days=days)
    session.add(UserInvitation(tenant_id=user.tenant_id, token_hash=token_digest(token), username=user.username,
                               purpose=purpose, created_at=moment, created_by=actor, expires_at=expires))
    return Link(user.username, purpose, token, expires)


def pending(session: Session, username: str) -> UserInvitation | None:
    """The user's live link, if any (for showing 'invited, link valid until ...')."""
    moment = tenancy.now()
    rows = session.scalars(select(UserInvitation).where(UserInvitation.username == username,
                                                        UserInvitation.used_at.is_(None))
                           .order_by(UserInvitation.created_at.desc()))
    return next((row for row in rows if as_utc(row.expires_at) > moment), None)


def tenant_of(token: str) -> str:
    """The tenant a token belongs to (its first part), to open the right tenant's transaction."""
    tenant_id, dot, secret = token.partition(".")
    if not dot or not tenant_id or not secret:
        raise LinkInvalid("this link is incomplete; copy the whole link you were given", message_code="link_incomplete")
    return tenant_id


def find(session: Session, token: str) -> tuple[UserInvitation, User]:
    """The link and its user, or LinkInvalid saying what to do."""
    row = session.get(UserInvitation, (tenant_of(token), token_digest(token)))
    user = session.get(User, (row.tenant_id, row.username)) if row is not None else None
    if row is None or user is None:
        raise LinkInvalid("this link is unknown or was replaced by a newer one; ask your administrator for a new link",
                          message_code="link_unknown")
    if row.used_at is not None:
        raise LinkInvalid("this link was already used; log in with your password, or ask your administrator to "
                          "reset it", message_code="link_used")
    if as_utc(row.expires_at) <= tenancy.now():
        raise LinkInvalid(f"this link expired on {as_utc(row.expires_at).date().isoformat()}; ask your "
                          "administrator for a new one",
                          message_code="link_expired", params={"expired_on": as_utc(row.expires_at).date().isoformat()})
    if not user.is_active:
        raise LinkInvalid(f"user {user.username!r} is deactivated; ask your administrator",
                          message_code="link_user_deactivated", params={"username": user.username})
    return row, user


def accept(session: Session, token: str, password: str) -> User:
    """Set the user's password through their link, which is used up; audited as the user."""
    row, user = find(session, token)
    tenancy.set_password(session, user, password)
    row.used_at = tenancy.now()
    audit.write(session, user.tenant_id, actor=user.username, action="user.password_set", target_type="user",
                target_id=user.username, note=f"through the {row.purpose} link")
    return user


def _close_pending(session: Session, user: User) -> None:
    """Forget the user's unused links (used ones stay, as the record of when a password was set)."""
    for row in session.scalars(select(UserInvitation).where(UserInvitation.username == user.username,
                                                            UserInvitation.used_at.is_(None))):
        session.delete(row)
