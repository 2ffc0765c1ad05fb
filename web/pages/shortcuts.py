"""The installed app's "new" shortcut: straight to the form of the record this user usually creates."""
from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response

from web.pages.blueprint import pages
from web.ui.phone_nav import new_entry
from web.ui.services import approvals


@pages.get("/new")
def new_shortcut() -> Response:
    """The user's usual new-record form; the dashboard when they may create nothing."""
    with approvals() as service:
        entry = new_entry(service.records)
    return redirect(entry.url if entry else url_for("pages.dashboard"))
