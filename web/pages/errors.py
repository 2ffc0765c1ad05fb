"""Error pages in the chosen language: never a stack trace, never raw JSON on a page."""
from __future__ import annotations

import logging

from flask import flash, g, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine.errors import AuthenticationFailed, FormworkError, NotFound, PermissionDenied
from web.errors import error_response, status_of
from web.pages.blueprint import pages
from web.ui.i18n import engine_message, t
from web.ui.layout import render
from web.ui.services import approvals

log = logging.getLogger("formwork.pages")
JSON_ENDPOINTS = frozenset({"pages.record_preview", "pages.record_options", "pages.import_progress"})


def error_page(status: int, detail: str = "") -> Response:
    """The error page, inside the layout when someone is signed in (and the layout can be built)."""
    heading = t(f"error.{status}") if t(f"error.{status}") != f"error.{status}" else t("error.title")
    text = {404: t("error.404_text"), 403: t("error.403_text"), 500: t("error.500_text")}.get(status, "")
    if request.endpoint in JSON_ENDPOINTS:
        response = jsonify({"error": {"code": status, "message": detail or heading}})
        response.status_code = status
        return response
    context = {"status": status, "heading": heading, "text": text, "detail": detail}
    if getattr(g, "signed_in", None) is not None and status != 500:
        try:
            with approvals() as service:
                return render(service, "pages/error.html", code=status, **context)
        except Exception:  # the layout itself failed: show the page without it
            log.exception("the layout of an error page failed")
    return render(None, "pages/error.html", code=status, **context)


@pages.errorhandler(NotFound)
def not_found(error: NotFound) -> Response:
    return error_page(404)


@pages.errorhandler(PermissionDenied)
def forbidden(error: PermissionDenied) -> Response:
    return error_page(403, engine_message(error.message))


@pages.errorhandler(AuthenticationFailed)
def unauthenticated(error: AuthenticationFailed) -> Response:
    flash(t("login.again"), "error")
    return redirect(url_for("pages.login"))


@pages.errorhandler(FormworkError)
def engine_error(error: FormworkError) -> Response:
    return error_page(status_of(error), engine_message(error.message))


@pages.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 401:
        flash(t("login.again"), "error")
        return redirect(url_for("pages.login"))
    detail = error.description if status == 400 and error.description == t("error.csrf") else ""
    return error_page(status, detail)


@pages.errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_page(500)


@pages.app_errorhandler(404)
def unknown_address(error: HTTPException) -> Response | tuple[Response, int]:
    """Addresses no blueprint serves: the API answers JSON as always, everything else a page."""
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", error.description or "")
    return error_page(404)
