"""Assist: local, explainable help — a sentence fills a form, a phrase becomes a list filter.

Everything runs in this process on the tenant's own records and on the dictionaries the Python packages ship;
nothing is downloaded and nothing leaves the server. Tenants switch it on like any plugin
(`formwork plugin enable T assist`); its routes answer `plugin_not_enabled` for a tenant that has not.
"""
from __future__ import annotations

from engine.plugins import Plugin

plugin = Plugin(
    "assist", version="0.1.0", supports=">=0.1",
    title={"zh": "智能助手", "en": "Assist"},
    settings_schema={"type": "object", "additionalProperties": False},
)


def _register_routes() -> None:
    """The API routes, one blueprint per feature; Flask is imported only here, by the web app's process."""
    from formwork_assist import pages, routes

    plugin.blueprint(routes.assist, openapi=routes.OPENAPI)
    pages.register(plugin)


_register_routes()
