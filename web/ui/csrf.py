"""A per-session CSRF token: rendered into every form, checked on every POST of the pages."""
from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "_csrf"
HEADER = "X-CSRF-Token"


def token() -> str:
    """The session's token, created on first use."""
    current = session.get(FIELD)
    if not isinstance(current, str) or not current:
        current = secrets.token_urlsafe(32)
        session[FIELD] = current
    return current


def renew() -> str:
    """A fresh token (after logging in, so a token seen before cannot be replayed)."""
    session[FIELD] = secrets.token_urlsafe(32)
    return str(session[FIELD])


def is_valid() -> bool:
    """Whether this POST carries the session's token, in the form or in the header."""
    expected = session.get(FIELD)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    return isinstance(expected, str) and bool(expected) and hmac.compare_digest(expected, sent)
