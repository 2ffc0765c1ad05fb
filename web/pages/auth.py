"""Logging in and out, the language toggle, and the checks every page request passes first."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from engine import tenancy
from engine.errors import AuthenticationFailed
from web.pages import csrf
from web.pages.blueprint import pages
from web.pages.i18n import LANGUAGES, t
from web.pages.layout import render
from web.pages.services import formwork, signed_in

PUBLIC_ENDPOINTS = frozenset({"pages.login", "pages.static", "pages.choose_language", "pages.accept_link"})
# Polled while an import holds SQLite's only write lock: they check the signed session, not the database.
SESSION_ONLY_ENDPOINTS = frozenset({"pages.import_progress"})
STAMP = "credential"   # the password the session was opened with, as tenancy.credential_stamp


def safe_next(target: str | None) -> str:
    """Only a path on this site (never `//elsewhere` or `https://elsewhere`) is followed after a form."""
    if not target:
        return url_for("pages.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.dashboard")
    return target


@pages.before_request
def check_request() -> Response | None:
    if request.method == "POST" and not csrf.is_valid():
        abort(400, description=t("error.csrf"))
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    tenant_id, username = session.get("tenant"), session.get("user")
    if request.endpoint in SESSION_ONLY_ENDPOINTS and isinstance(tenant_id, str) and isinstance(username, str):
        return None
    stamp = session.get(STAMP)
    found = (signed_in(tenant_id, username, stamp if isinstance(stamp, str) else None)
             if isinstance(tenant_id, str) and isinstance(username, str) else None)
    if found is None:
        session.pop("tenant", None)
        session.pop("user", None)
        session.pop(STAMP, None)
        if request.method == "GET":
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        abort(401)
    g.signed_in = found
    return None


@pages.route("/login", methods=["GET", "POST"])
def login() -> Response:
    form = request.form
    if request.method == "GET":
        return render(None, "pages/login.html", next=request.args.get("next", ""),
                      tenant=request.args.get("tenant", ""), username="")
    tenant_id, username, password = (form.get("tenant", "").strip(), form.get("username", "").strip(),
                                     form.get("password", ""))
    error = None
    if not tenant_id or not username or not password:
        error = t("login.required")
    else:
        try:
            with formwork().db.tenant(tenant_id) as db:
                user = tenancy.authenticate(db, tenant_id, username, password)
                username, stamp = user.username, tenancy.credential_stamp(user)
        except AuthenticationFailed:
            error = t("login.failed")
    if error:
        return render(None, "pages/login.html", code=401 if tenant_id and username and password else 400,
                      error=error, next=form.get("next", ""), tenant=tenant_id, username=username)
    chosen = session.get("lang")
    session.clear()  # a new session: nothing from before logging in carries over
    if chosen in LANGUAGES:
        session["lang"] = chosen
    session["tenant"], session["user"], session[STAMP] = tenant_id, username, stamp
    csrf.renew()
    return redirect(safe_next(form.get("next")))


@pages.post("/logout")
def logout() -> Response:
    chosen = session.get("lang")
    session.clear()
    if chosen in LANGUAGES:
        session["lang"] = chosen
    flash(t("logout.done"), "ok")
    return redirect(url_for("pages.login"))


@pages.post("/language")
def choose_language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")))
