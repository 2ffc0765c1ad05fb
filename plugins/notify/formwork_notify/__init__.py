"""Notify: tell people about new tasks and decisions — in the app, in DingTalk/WeCom groups, by e-mail, and
each person a new task is offered to by a DingTalk 工作通知 or a WeCom 应用消息 (work_notices.py).

In-app notifications are kept in the plugin's store and listed at `GET /api/v1/notifications` (the
caller's own, and those for their roles); `POST /api/v1/notifications/<id>/read` marks one read.
Channels are per-tenant settings; a channel that fails fails the hook, which the job queue retries, and a
channel that went out is not sent again on the retry (the `sent` items of the delivery).
"""
from __future__ import annotations

from engine.plugins import Event, Plugin
from formwork_notify import channels, work_notices
from formwork_notify.messages import message_for

COLLECTION = "notifications"
TASK_EVENTS = ("task.created", "task.reminded")   # notices about a task someone is to decide: they open it
# login name -> the person's DingTalk / WeCom user id
_USER_IDS = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}

plugin = Plugin(
    "notify", version="1.1.0", supports=">=0.1",
    title={"zh": "消息通知", "en": "Notifications"},
    settings_schema={
        "type": "object",
        "properties": {
            "in_app": {"type": "boolean"},
            "dingtalk": {"type": "object", "properties": {"webhook": {"type": "string", "pattern": "^https?://"},
                                                         "secret": {"type": "string"}},
                         "required": ["webhook"], "additionalProperties": False},
            "wecom": {"type": "object", "properties": {"webhook": {"type": "string", "pattern": "^https?://"}},
                      "required": ["webhook"], "additionalProperties": False},
            # where a work notice's link points: the address people open Formwork at
            "base_url": {"type": "string", "pattern": "^https?://"},
            "dingtalk_work": {"type": "object", "properties": {
                "agent_id": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
                "app_key": {"type": "string", "minLength": 1}, "app_secret": {"type": "string", "minLength": 1},
                "api_base": {"type": "string", "pattern": "^https?://"}, "users": _USER_IDS},
                "required": ["agent_id", "app_key", "app_secret"], "additionalProperties": False},
            "wecom_work": {"type": "object", "properties": {
                "agent_id": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
                "corp_id": {"type": "string", "minLength": 1}, "corp_secret": {"type": "string", "minLength": 1},
                "api_base": {"type": "string", "pattern": "^https?://"}, "users": _USER_IDS},
                "required": ["agent_id", "corp_id", "corp_secret"], "additionalProperties": False},
            "email": {"type": "object", "properties": {
                "host": {"type": "string"}, "port": {"type": "integer"}, "sender": {"type": "string"},
                "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "username": {"type": "string"}, "password": {"type": "string"}, "starttls": {"type": "boolean"}},
                "required": ["host", "sender", "to"], "additionalProperties": False},
        },
        "additionalProperties": False,
        # a work notice needs the address its link opens
        "dependentRequired": {"dingtalk_work": ["base_url"], "wecom_work": ["base_url"]},
    },
)


def notify(event: Event) -> None:
    message = message_for(event)
    if message is None:
        return
    settings = event.settings
    already = {item.get("channel") for item in event.store.list("sent", owner=event.id, limit=20)}
    task_id = (event.task or {}).get("id") if event.name in TASK_EVENTS else None
    if settings.get("in_app", True) and "in_app" not in already:
        for owner in message.owners:
            event.store.add(COLLECTION, {"title": message.title, "body": message.markdown, "event": event.name,
                                         "module": event.module, "entity": event.entity,
                                         "record_id": event.record.get("id"), "read_by": [],
                                         "task_id": task_id}, owner=owner)
        event.store.add("sent", {"channel": "in_app"}, owner=event.id)
    if "dingtalk" in settings and "dingtalk" not in already:
        robot = settings["dingtalk"]
        channels.post_json(channels.dingtalk_url(robot["webhook"], robot.get("secret")),
                           channels.dingtalk_body(message))
        event.store.add("sent", {"channel": "dingtalk"}, owner=event.id)
    if "wecom" in settings and "wecom" not in already:
        channels.post_json(settings["wecom"]["webhook"], channels.wecom_body(message))
        event.store.add("sent", {"channel": "wecom"}, owner=event.id)
    for kind in work_notices.KINDS:
        if kind in settings and kind not in already and message.people:
            ids = work_notices.user_ids(settings[kind], kind, event.store, message.people)
            if ids:
                work_notices.send(kind, settings[kind], ids, message,
                                  work_notices.task_link(settings["base_url"], event.task or {}))
            event.store.add("sent", {"channel": kind, "to": ids}, owner=event.id)
    if "email" in settings and "email" not in already:
        channels.send_email(settings["email"], message)
        event.store.add("sent", {"channel": "email"}, owner=event.id)


for _name in ("task.created", "task.completed", "process.completed", "task.reminded", "record.cc"):
    plugin.on(_name)(notify)


def _register_routes() -> None:
    """The inbox API and page; Flask is imported only here, by the web app's process."""
    from formwork_notify.pages import notify_pages
    from formwork_notify.routes import OPENAPI, notifications

    plugin.blueprint(notifications, openapi=OPENAPI)
    plugin.blueprint(notify_pages)


_register_routes()
