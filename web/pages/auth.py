"""Logging in and out, the language toggle, and the checks every page request passes first."""
from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from engine import tenancy
from engine.errors import AuthenticationFailed
from engine.tenancy import login_throttle
from web.login_guard import TooManyAttempts, guarded
from web.pages.blueprint import pages
from web.redirects import local_path
from web.ui import csrf
from web.ui.i18n import LANGUAGES, t
from web.ui.layout import render
from web.ui.services import formwork
from web.ui.session_check import GENERATION, check_request


def safe_next(target: str | None) -> str:
    """Only a path on this site is followed after a form (web/redirects.py); else the dashboard."""
    return local_path(target) or url_for("pages.dashboard")


pages.before_request(check_request)


@pages.route("/login", methods=["GET", "POST"])
def login() -> Response:
    form = request.form
    if request.method != "POST":   # GET and HEAD show the form
        return render(None, "pages/login.html", next=request.args.get("next", ""),
                      tenant=request.args.get("tenant", ""), username="")
    tenant_id, username, password = (form.get("tenant", "").strip(), form.get("username", "").strip(),
                                     form.get("password", ""))
    error, code, retry_after = None, 400, None
    if not tenant_id or not username or not password:
        error = t("login.required")
    else:
        try:
            with guarded(login_throttle.account_key("user", tenant_id, username)), \
                    formwork().db.tenant(tenant_id) as db:
                user = tenancy.authenticate(db, tenant_id, username, password)
                username, generation = user.username, user.session_generation
        except AuthenticationFailed:
            error, code = t("login.failed"), 401
        except TooManyAttempts as refused:
            error, code, retry_after = t("login.locked", minutes=refused.minutes), 429, refused.retry_after
    if error:
        response = render(None, "pages/login.html", code=code, error=error, next=form.get("next", ""),
                          tenant=tenant_id, username=username)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
    chosen = session.get("lang")
    session.clear()  # a new session: nothing from before logging in carries over
    if chosen in LANGUAGES:
        session["lang"] = chosen
    session["tenant"], session["user"], session[GENERATION] = tenant_id, username, generation
    csrf.renew()
    return redirect(safe_next(form.get("next")))


@pages.post("/logout")
def logout() -> Response:
    """End the session on the server too: a copy of the cookie opens nothing afterwards (every session
    of the user ends, on every device: the session generation moves on)."""
    with formwork().db.tenant(g.signed_in.actor.tenant_id) as db:
        tenancy.log_out(db, g.signed_in.actor.tenant_id, g.signed_in.actor.username)
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
