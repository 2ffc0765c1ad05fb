"""Assist: local, explainable suggestions from the tenant's own records — nothing leaves the tenant.

Delay risk of open WBS tasks with their reasons (`GET /api/v1/assist/delay-risk`), delay signals in what people
write (`POST /api/v1/assist/delay-signals`), and who should take a workflow task (`GET /api/v1/assist/assignee`).
Every suggestion carries its reasons; a person confirms it through the ordinary records and tasks API.
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


def _register_predict() -> None:
    """Delay risk and assignee routes and the `formwork assist train` command; Flask is imported only here."""
    from formwork_assist.routes_predict import register

    register(plugin)


_register_predict()
