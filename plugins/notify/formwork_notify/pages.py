"""`/notifications`: the signed-in person's notifications as a page, and the unread badge in every page's header.

The same notices as `GET /api/v1/notifications` (routes.py: the caller's own and their roles', of records they may
still read); opening one marks it read and goes to its record, at the task's panel when it is about a task.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, url_for
from werkzeug.wrappers import Response

from engine.tenancy import plugin_registry
from formwork_notify import routes
from web.ui.display import format_moment
from web.ui.layout import render
from web.ui.services import approvals
from web.ui.session_check import check_request

notify_pages = Blueprint("notify_pages", __name__, template_folder="templates")


@notify_pages.before_request
def signed_in_only() -> Response | None:
    refused = check_request()
    if refused is None:
        g.actor = g.signed_in.actor
    return refused


def _is_enabled() -> bool:
    engine = current_app.extensions["formwork"]
    with engine.db.reading(g.actor.tenant_id) as session:   # read-only: inside the page's own transaction
        return "notify" in plugin_registry.enabled_plugins(session, g.actor.tenant_id)


@notify_pages.app_context_processor
def unread_badge() -> dict[str, Any]:
    """`notify_unread` for the header of every signed-in page of a tenant that enabled the plugin."""
    signed = g.get("signed_in")
    if signed is None or "formwork" not in current_app.extensions:
        return {}
    if "notify_unread" not in g:
        g.actor = g.get("actor") or signed.actor
        g.notify_unread = (sum(not item["read"] for item in routes.listed()) if _is_enabled() else None)
    return {"notify_unread": g.notify_unread}


@notify_pages.get("/notifications")
def page() -> Response:
    with approvals() as service:
        items = [{**item, "when": format_moment(item["created_at"])} for item in routes.listed()]
        return render(service, "notify/notifications.html", items=items)


@notify_pages.post("/notifications/<item_id>/open")
def open_item(item_id: str) -> Response:
    item = routes.mark(item_id)
    if not item.get("record_id"):
        return redirect(url_for("notify_pages.page"))
    anchor = f"task-{item['task_id']}" if item.get("task_id") else None
    return redirect(url_for("pages.record_view", module=item["module"], entity=item["entity"],
                            record_id=item["record_id"], _anchor=anchor))
