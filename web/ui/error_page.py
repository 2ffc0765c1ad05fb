"""The error page in the chosen language, inside the layout when it can be built: never a stack trace."""
from __future__ import annotations

import logging

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from web.ui.i18n import t
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
