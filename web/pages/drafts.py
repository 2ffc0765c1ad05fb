"""Drafts kept on the phone while offline (web/static/pages/offline.js): the page that lists them, and the
check a phone makes before sending one again — did an earlier send with its key already create the record?"""
from __future__ import annotations

from flask import jsonify, url_for
from werkzeug.wrappers import Response

from engine.approvals import idempotency
from web.pages.blueprint import pages
from web.ui.i18n import t
from web.ui.layout import render
from web.ui.services import approvals


@pages.get("/drafts")
def offline_drafts() -> Response:
    """The list is drawn by the browser from its own storage; the server knows nothing of unsent drafts."""
    with approvals() as service:
        return render(service, "pages/drafts.html", title=t("offline.drafts_title"))


@pages.get("/drafts/sent/<key>")
def draft_sent(key: str) -> Response:
    """Where the record an earlier send with `key` created is (200), or 404 when none was: a phone asks this
    before uploading a draft's photos again."""
    with approvals() as service:
        found = idempotency.sent(service.session, service.actor, key)
    if found is None:
        response = jsonify({"sent": False})
        response.status_code = 404
        return response
    module, entity, record_id = found
    return jsonify({"sent": True, "url": url_for("pages.record_view", module=module, entity=entity,
                                                 record_id=record_id)})
