"""The OpenAPI operations of web/api_assignment.py: incidents, reassignment and out-of-office delegation."""
from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_TASK = {"type": "object", "description": "an open approval task: id, record, step, candidates, incident ..."}
_DELEGATION = {"type": ["object", "null"], "properties": {
    "to": {"type": "string"}, "from": {"type": "string", "format": "date"},
    "until": {"type": "string", "format": "date"}, "active": {"type": "boolean"}}}
_TEXT = {400: "bad request", 401: "not authenticated", 403: "not allowed", 404: "not found", 409: "conflict"}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    result = dict(ok)
    for status in sorted({400, 401, *errors}):
        result[str(status)] = {"description": _TEXT[status], "content": {"application/json": {"schema": _ERROR}}}
    return result


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def assignment_paths() -> dict[str, Any]:
    task = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    delegation = _ok({"type": "object", "properties": {"delegation": _DELEGATION}})
    return {
        "/tasks/incidents": {"get": {
            "summary": "Open tasks nobody was offered (no member of the project holds the role): administrators",
            "responses": _responses(_ok({"type": "object", "properties": {
                "items": {"type": "array", "items": _TASK}, "total": {"type": "integer"}}}), 403)}},
        "/tasks/{id}/reassign": {"parameters": task, "post": {
            "summary": "Offer an open task to these users instead of its candidates (administrators)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["users"],
                "properties": {"users": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}}}},
            "responses": _responses(_ok(_TASK), 403, 404, 409)}},
        "/me/delegation": {
            "get": {"summary": "My out-of-office delegation (null: none)", "responses": _responses(delegation)},
            "put": {"summary": "From `from` to `until` (both included) what is offered to me goes to `to` too",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["to", "until"], "properties": {
                            "to": {"type": "string"}, "from": {"type": "string", "format": "date"},
                            "until": {"type": "string", "format": "date"}}}}}},
                    "responses": _responses(delegation)},
            "delete": {"summary": "End my delegation", "responses": _responses({"204": {"description": "ended"}})}},
    }
