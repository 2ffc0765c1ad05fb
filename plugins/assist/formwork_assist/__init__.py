"""Assist: local, explainable help from the tenant's own records — nothing is downloaded, nothing leaves the tenant.

A sentence fills a new record's fields (`POST /api/v1/assist/parse`), a phrase becomes a list filter
(`POST /api/v1/assist/filter`), open WBS tasks get a delay risk with its reasons (`GET /api/v1/assist/delay-risk`),
what people write is read for delay signals (`POST /api/v1/assist/delay-signals`), and a workflow task's candidates
are ranked (`GET /api/v1/assist/assignee`). Every suggestion carries its reasons; a person confirms it through the
ordinary records and tasks API. Tenants switch it on like any plugin (`formwork plugin enable T assist`); its
routes answer `plugin_not_enabled` for a tenant that has not.
"""
from __future__ import annotations

from engine.plugins import Plugin

plugin = Plugin(
    "assist", version="1.0.0", supports=">=0.1",
    title={"zh": "智能助手", "en": "Assist"},
    settings_schema={
        "type": "object",
        "properties": {
            # fewer finished tasks than this: the transparent rule instead of the trained model
            "min_history": {"type": "integer", "minimum": 10},
        },
        "additionalProperties": False,
    },
)


def _register_routes() -> None:
    """The API routes, one blueprint per feature, and the `formwork assist train` command; Flask is imported only
    here, by the web app's process."""
    from formwork_assist import pages, routes
    from formwork_assist.routes_predict import register

    plugin.blueprint(routes.assist, openapi=routes.OPENAPI)
    pages.register(plugin)
    register(plugin)


_register_routes()
