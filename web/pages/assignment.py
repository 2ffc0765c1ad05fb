"""The inbox's panel of who decides: my out-of-office delegation, and the administrator's tasks nobody was offered."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.approvals import assignment, delegation
from engine.approvals.service import Approvals
from engine.errors import BadRequest, Conflict, NotFound, PermissionDenied
from web.pages.blueprint import pages
from web.ui.error_text import engine_error_text
from web.ui.i18n import t
from web.ui.page_extensions import hints_of
from web.ui.services import approvals, users

FAILURES = (BadRequest, Conflict, NotFound, PermissionDenied)


def assignment_panel(service: Approvals) -> dict[str, Any]:
    """What the inbox shows besides the tasks: my delegation, colleagues to choose, incidents (administrators)."""
    records = service.records
    me = records.actor.username
    everyone = users(records.session)
    people = [(name, title) for name, title, active in everyone if active and name != me]
    incidents = assignment.incidents(records) if records.actor.is_admin else []
    return {"delegation": delegation.current(records), "people": people,
            "names": {name: title for name, title, _active in everyone}, "incidents": incidents,
            "hints": hints_of(service, [task["id"] for task in incidents])}


def _done(step: Any, message: str) -> Response:
    try:
        with approvals() as service:
            step(service)
    except FAILURES as error:
        flash(t("form.conflict", message=engine_error_text(error)), "error")
        return redirect(url_for("pages.task_inbox"))
    flash(message, "ok")
    return redirect(url_for("pages.task_inbox"))


@pages.post("/tasks/delegation")
def delegation_set() -> Response:
    body = {key: request.form.get(key, "").strip() for key in ("to", "from", "until")}
    return _done(lambda s: delegation.put(s.records, body), t("delegation.saved", user=body["to"]))


@pages.post("/tasks/delegation/end")
def delegation_end() -> Response:
    return _done(lambda s: delegation.end(s.records), t("delegation.ended"))


@pages.post("/tasks/<task_id>/reassign")
def task_reassign(task_id: str) -> Response:
    names = [name.strip() for name in request.form.get("users", "").replace("，", ",").split(",") if name.strip()]
    return _done(lambda s: s.reassign(task_id, names), t("incidents.reassigned", users=", ".join(names)))
