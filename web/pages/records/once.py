"""A new-record form sent with an idempotency key (a phone's draft sent again after a lost answer): the key
and a fingerprint of what was posted, and the answer to a send the server has seen before."""
from __future__ import annotations

import hashlib

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.approvals.idempotency import IdempotentRequest, request_of
from web.ui.i18n import t

FIELD = "_idempotency_key"
HEADER = "Idempotency-Key"


def form_request() -> IdempotentRequest | None:
    """The posted form's key (field or header) with a fingerprint of its values and files; None without one.
    Fields starting with '_' (the CSRF token, the key, the button) are not part of what was sent."""
    key = request.form.get(FIELD) or request.headers.get(HEADER)
    values = {name: request.form.getlist(name) for name in request.form if not name.startswith("_")}
    uploads: dict[str, list[str]] = {}
    for name in request.files:
        digests = []
        for upload in request.files.getlist(name):
            if not upload.filename:
                continue
            digests.append(hashlib.sha256(upload.stream.read()).hexdigest())
            upload.stream.seek(0)
        uploads[name] = digests
    return request_of(key, {"values": values, "files": uploads})


def replayed(module: str, entity: str, record_id: str) -> Response:
    """The record an earlier send of this form created: go there, nothing new was written."""
    flash(t("offline.already_sent"), "ok")
    return redirect(url_for("pages.record_view", module=module, entity=entity, record_id=record_id))
