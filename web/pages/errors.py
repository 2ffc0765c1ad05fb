"""Error pages in the chosen language: never a stack trace, never raw JSON on a page."""
from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine.errors import AuthenticationFailed, FormworkError, NotFound, PermissionDenied
from web.errors import http_error_response, status_of
from web.pages.blueprint import pages
from web.ui.error_page import error_page
from web.ui.error_text import engine_error_text
from web.ui.i18n import t

log = logging.getLogger("formwork.pages")


@pages.errorhandler(NotFound)
def not_found(error: NotFound) -> Response:
    return error_page(404)


@pages.errorhandler(PermissionDenied)
def forbidden(error: PermissionDenied) -> Response:
    return error_page(403, engine_error_text(error))


@pages.errorhandler(AuthenticationFailed)
def unauthenticated(error: AuthenticationFailed) -> Response:
    flash(t("login.again"), "error")
    return redirect(url_for("pages.login"))


@pages.errorhandler(FormworkError)
def engine_error(error: FormworkError) -> Response:
    return error_page(status_of(error), engine_error_text(error))


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
        return http_error_response(error)
    return error_page(404)
