"""`/api/v1/notifications`: the caller's in-app notifications (bearer token, like the rest of the API)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from engine.errors import BadRequest, NotFound
from engine.plugins.host import PluginItems
from formwork_notify.work_notices import ACCOUNTS
from web.api import current_actor

notifications = Blueprint("notify", __name__, url_prefix="/api/v1/notifications")
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ITEM = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"}, "event": {"type": "string"},
    "module": {"type": ["string", "null"]}, "entity": {"type": ["string", "null"]},
    "record_id": {"type": ["string", "null"]}, "task_id": {"type": ["string", "null"]},
    "created_at": {"type": "string"}, "read": {"type": "boolean"}}}
_ACCOUNT = {"type": "object", "properties": {"dingtalk": {"type": ["string", "null"]},
                                             "wecom": {"type": ["string", "null"]}}}
OPENAPI = {  # these routes in the API's OpenAPI document
    "/notifications": {"get": {"summary": "My in-app notifications (the latest 100) and how many are unread",
                               "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                                   "type": "object", "properties": {"items": {"type": "array", "items": _ITEM},
                                                                    "unread": {"type": "integer"}}}}}},
                                             "400": _ERROR, "401": _ERROR}}},
    "/notifications/{id}/read": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                 "schema": {"type": "string"}}],
                                 "post": {"summary": "Mark one of my notifications read",
                                          "responses": {"200": {"description": "ok", "content": {
                                              "application/json": {"schema": _ITEM}}},
                                                        "400": _ERROR, "401": _ERROR, "404": _ERROR}}},
    "/notifications/account": {
        "get": {"summary": "My DingTalk / WeCom user ids, where my work notices go",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": _ACCOUNT}}},
                              "400": _ERROR, "401": _ERROR}},
        "put": {"summary": "Set my DingTalk / WeCom user ids (an empty text clears one)",
                "requestBody": {"content": {"application/json": {"schema": _ACCOUNT}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": _ACCOUNT}}},
                              "400": _ERROR, "401": _ERROR}}},
}


@notifications.before_request
def authenticate() -> None:
    g.actor = current_actor()


def _store() -> Any:
    """The plugin's store; on a GET a read-only one, which a page's badge may open inside the page's transaction."""
    engine = current_app.extensions["formwork"]
    if request.method == "GET":
        return PluginItems(lambda: engine.db.reading(g.actor.tenant_id), "notify")
    return engine.plugins.store("notify", g.actor.tenant_id)


def _mine() -> list[str]:
    return [g.actor.username, *(f"role:{role}" for role in sorted(g.actor.roles))]


def _readable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notifications whose record the caller may still read (row filters, project membership): a notice
    for a role never tells a holder outside the record's rows that it exists."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        if item.get("record_id"):
            wanted.setdefault(f"{item['module']}.{item['entity']}", set()).add(str(item["record_id"]))
    readable: set[tuple[str, str]] = set()
    if wanted:
        with current_app.extensions["formwork"].records(g.actor, reading=request.method == "GET") as service:
            for key, ids in wanted.items():
                entity = service.entity_of(key)
                if entity is not None:
                    readable |= {(key, record_id) for record_id in service.readable_rows(entity, ids)}
    return [item for item in items if not item.get("record_id")
            or (f"{item['module']}.{item['entity']}", str(item["record_id"])) in readable]


def _view(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "title": item["title"], "body": item["body"], "event": item["event"],
            "module": item["module"], "entity": item["entity"], "record_id": item["record_id"],
            "task_id": item.get("task_id"), "created_at": item["created_at"],
            "read": g.actor.username in item.get("read_by", [])}


def listed() -> list[dict[str, Any]]:
    """The caller's notifications (`g.actor`), newest first: the latest 100 whose record they may still read."""
    return [_view(item) for item in _readable(_store().list("notifications", owner=_mine(), limit=100))]


def mark(item_id: str) -> dict[str, Any]:
    """Mark one of the caller's notifications read; 404 for another's, or one whose record they may not read."""
    store = _store()
    item = store.get("notifications", item_id)
    if item is None or item.get("owner") not in _mine() or not _readable([item]):
        raise NotFound(f"notification {item_id!r} does not exist", message_code="notification_not_found",
                       params={"item_id": item_id})
    if g.actor.username not in item.get("read_by", []):
        store.update("notifications", item_id, {"read_by": [*item.get("read_by", []), g.actor.username]})
    return _view({**item, "read_by": [*item.get("read_by", []), g.actor.username]})


@notifications.get("")
def listing() -> Any:
    items = listed()
    return jsonify({"items": items, "unread": sum(not item["read"] for item in items)})


@notifications.post("/<item_id>/read")
def mark_read(item_id: str) -> Any:
    return jsonify(mark(item_id))


@notifications.get("/account")
def account() -> Any:
    saved = _store().list(ACCOUNTS, owner=g.actor.username, limit=1)
    return jsonify({key: (saved[0].get(key) if saved else None) for key in ("dingtalk", "wecom")})


@notifications.put("/account")
def save_account() -> Any:
    """The caller's own user ids in DingTalk and WeCom (the tenant's `users` setting, when it names them, wins)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not set(body) <= {"dingtalk", "wecom"} or not all(
            value is None or (isinstance(value, str) and len(value) <= 64) for value in body.values()):
        raise BadRequest("send dingtalk and wecom: each a user id of at most 64 characters, or null",
                         message_code="notify_account_invalid")
    store = _store()
    saved = store.list(ACCOUNTS, owner=g.actor.username, limit=1)
    values = {key: (str(body[key]).strip() or None) if body.get(key) is not None else None
              for key in ("dingtalk", "wecom") if key in body}
    if saved:
        store.update(ACCOUNTS, saved[0]["id"], {**{k: saved[0].get(k) for k in ("dingtalk", "wecom")}, **values})
    else:
        store.add(ACCOUNTS, values, owner=g.actor.username)
    return account()

