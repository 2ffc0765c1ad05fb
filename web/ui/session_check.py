"""The check every page request passes first (the end users' pages and the designer's): CSRF, then sign-in."""
from __future__ import annotations

from flask import abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from web.ui import csrf
from web.ui.i18n import t
from web.ui.services import signed_in

PUBLIC_ENDPOINTS = frozenset({"pages.login", "pages.static", "pages.choose_language", "pages.accept_link"})
GENERATION = "generation"   # the user's session generation at login: logout and a new password move it on
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})   # read only: every other method needs the CSRF token


def check_request() -> Response | None:
    """Every page request: the CSRF token on a change, then a live session (else to the login page)."""
    if request.method not in SAFE_METHODS and not csrf.is_valid():
        abort(400, description=t("error.csrf"))
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    tenant_id, username = session.get("tenant"), session.get("user")
    generation = session.get(GENERATION)
    found = (signed_in(tenant_id, username, generation) if isinstance(tenant_id, str) and isinstance(username, str)
             and isinstance(generation, int) else None)
    if found is None:
        session.pop("tenant", None)
        session.pop("user", None)
        session.pop(GENERATION, None)
        if request.method in SAFE_METHODS:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        abort(401)
    g.signed_in = found
    return None
