"""The page behind a one-time link: an invited user (or one whose password was reset) sets a password."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.errors import BadRequest, FormworkError
from engine.tenancy import invitations
from web.login_guard import TooManyAttempts, guarded
from web.pages.blueprint import pages
from web.ui.error_text import engine_error_text
from web.ui.i18n import t
from web.ui.layout import render
from web.ui.services import formwork


@pages.route("/welcome/<token>", methods=["GET", "POST"])
def accept_link(token: str) -> Response:
    """Show who the link is for and take the new password twice; then on to the login page."""
    error, user = "", None
    try:
        with guarded(None):   # guessing links: every unknown link counts against the client's address
            tenant_id = invitations.tenant_of(token)
            with formwork().db.tenant(tenant_id) as session:
                invitations.find(session, token)
        with formwork().db.tenant(tenant_id) as session:
            _row, found = invitations.find(session, token)
            user = (found.username, found.display_name or found.username)
            if request.method == "POST":
                password, again = request.form.get("password", ""), request.form.get("password_again", "")
                if password != again:
                    raise BadRequest(t("welcome.mismatch"))
                invitations.accept(session, token, password)
                flash(t("welcome.done"), "ok")
                return redirect(url_for("pages.login", tenant=tenant_id))
    except invitations.LinkInvalid as invalid:
        return _page(token, None, engine_error_text(invalid), 404)
    except TooManyAttempts as refused:
        response = _page(token, None, t("login.locked", minutes=refused.minutes), 429)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    except FormworkError as refused:
        error = engine_error_text(refused)
    return _page(token, user, error, 422 if error else 200)


def _page(token: str, user: tuple[str, str] | None, error: str, code: int) -> Response:
    response = render(None, "pages/welcome.html", code=code, token=token, user=user, error=error)
    response.headers["Referrer-Policy"] = "no-referrer"   # the link is a secret: never send it to another site
    return response
