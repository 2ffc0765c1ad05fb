"""`/api/v1/assist/parse` and `/api/v1/assist/filter`: a sentence into field values, a phrase into a filter."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from formwork_assist.access import assist_actor

assist = Blueprint("assist", __name__, url_prefix="/api/v1/assist")
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
OPENAPI: dict[str, Any] = {}  # these routes in the API's OpenAPI document


@assist.before_request
def authenticate() -> None:
    assist_actor()
