"""`/api/v1/assist/parse` and `/api/v1/assist/filter`: a sentence into field values, a phrase into a filter."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify

from formwork_assist import service
from formwork_assist.access import assist_actor
from web.api import body, language

assist = Blueprint("assist", __name__, url_prefix="/api/v1/assist")
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ASK = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["module", "entity", "text"],
    "properties": {"module": {"type": "string"}, "entity": {"type": "string"},
                   "text": {"type": "string", "maxLength": service.MAX_TEXT}}}}}}
_FIELD = {"type": "object", "properties": {
    "value": {}, "confidence": {"type": "number"}, "source": {"type": "string"}, "why": {"type": "string"},
    "title": {"type": "string"}}}
_FAILS = {"400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR, "422": _ERROR}
OPENAPI: dict[str, Any] = {   # these routes in the API's OpenAPI document
    "/assist/parse": {"post": {
        "summary": "Field values for a new record from one sentence, each with a confidence and a reason",
        "requestBody": _ASK,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "values": {"type": "object"}, "fields": {"type": "object", "additionalProperties": _FIELD},
                "unused": {"type": "array", "items": {"type": "string"}}}}}}}, **_FAILS}}},
    "/assist/filter": {"post": {
        "summary": "A list filter (the formula language of ?q=) from a phrase, with the words each part came from",
        "requestBody": _ASK,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"formula": {"type": "string"},
                                             "why": {"type": "array", "items": {"type": "string"}}}}}}},
                      **_FAILS}}},
}


@assist.before_request
def authenticate() -> None:
    assist_actor()


@assist.post("/parse")
def parse_sentence() -> Response:
    module, entity, text = service.read(body())
    with current_app.extensions["formwork"].records(g.actor, language(), reading=True) as records:
        return jsonify(service.parsed(records, module, entity, text))


@assist.post("/filter")
def filter_phrase() -> Response:
    module, entity, text = service.read(body())
    with current_app.extensions["formwork"].records(g.actor, language(), reading=True) as records:
        return jsonify(service.filtered(records, module, entity, text))
