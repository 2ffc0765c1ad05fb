"""The end users' pages blueprint: templates and static files live beside it in web/."""
from __future__ import annotations

from flask import Blueprint

pages = Blueprint("pages", __name__, template_folder="../templates", static_folder="../static",
                  static_url_path="/assets")


@pages.record_once
def _cookie_defaults(state) -> None:  # type: ignore[no-untyped-def]
    """A session cookie that scripts cannot read and other sites do not send with their posts."""
    if state.app.config.get("SESSION_COOKIE_SAMESITE") is None:
        state.app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
