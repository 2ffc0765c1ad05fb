"""Work notices: a new task sent to each person it is offered to — DingTalk 工作通知 and WeCom 应用消息.

Unlike the group robots (channels.py), these reach one person in the company's app, sent by the tenant's own
DingTalk micro-app (`agent_id`, access token from `app_key`/`app_secret`) or WeCom app (`agent_id`, access token
from `corp_id`/`corp_secret`). A person's DingTalk/WeCom user id comes from the settings' `users` map, else from
what they saved themselves (`PUT /api/v1/notifications/account`); someone without one is skipped. The message
opens the task: `<base_url>/m/<module>/<entity>/<record id>#task-<task id>`.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from engine.plugins import ItemStore
from formwork_notify.channels import TIMEOUT
from formwork_notify.messages import Message

DINGTALK_API = "https://oapi.dingtalk.com"
WECOM_API = "https://qyapi.weixin.qq.com"
ACCOUNTS = "accounts"   # the plugin store's collection of the ids people saved themselves, one item per owner
KINDS = ("dingtalk_work", "wecom_work")


class WorkNoticeRefused(RuntimeError):
    """DingTalk or WeCom answered with an error code: the hook fails and the job queue retries it."""


def task_link(base_url: str, task: Mapping[str, Any]) -> str:
    """The absolute address of the record page, scrolled to the task's panel."""
    return (f"{base_url.rstrip('/')}/m/{task.get('module')}/{task.get('entity')}/{task.get('record_id')}"
            f"#task-{task.get('id')}")


def user_ids(settings: Mapping[str, Any], kind: str, store: ItemStore, names: Sequence[str]) -> list[str]:
    """The DingTalk/WeCom user ids of these people (`kind`: dingtalk_work or wecom_work), in order, once each."""
    mapped: Mapping[str, Any] = settings.get("users") or {}
    found: list[str] = []
    for name in names:
        value = mapped.get(name)
        if not value:
            saved = store.list(ACCOUNTS, owner=name, limit=1)
            value = saved[0].get(kind.removesuffix("_work")) if saved else None
        if value and str(value) not in found:
            found.append(str(value))
    return found


def send(kind: str, settings: Mapping[str, Any], ids: Sequence[str], message: Message, link: str) -> None:
    """One work notice to all of `ids` (DingTalk: up to 100 user ids a call; WeCom: 1000)."""
    if kind == "dingtalk_work":
        api = str(settings.get("api_base") or DINGTALK_API).rstrip("/")
        token = _token(f"{api}/gettoken?" + urllib.parse.urlencode(
            {"appkey": settings["app_key"], "appsecret": settings["app_secret"]}))
        for start in range(0, len(ids), 100):
            _post(f"{api}/topapi/message/corpconversation/asyncsend_v2?access_token={urllib.parse.quote(token)}", {
                "agent_id": int(settings["agent_id"]), "userid_list": ",".join(ids[start:start + 100]),
                "msg": {"msgtype": "action_card", "action_card": {
                    "title": message.title, "markdown": message.markdown,
                    "single_title": "查看待办 / Open the task", "single_url": link}}})
    else:
        api = str(settings.get("api_base") or WECOM_API).rstrip("/")
        token = _token(f"{api}/cgi-bin/gettoken?" + urllib.parse.urlencode(
            {"corpid": settings["corp_id"], "corpsecret": settings["corp_secret"]}))
        for start in range(0, len(ids), 1000):
            _post(f"{api}/cgi-bin/message/send?access_token={urllib.parse.quote(token)}", {
                "touser": "|".join(ids[start:start + 1000]), "msgtype": "textcard",
                "agentid": int(settings["agent_id"]),
                "textcard": {"title": message.title, "description": message.plain, "url": link,
                             "btntxt": "查看待办"}})


def _token(url: str) -> str:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # raises on HTTP errors
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
        raise WorkNoticeRefused(f"no access token: {answer.get('errcode')} {answer.get('errmsg', '')}")
    return str(answer["access_token"])


def _post(url: str, body: Mapping[str, Any]) -> None:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise WorkNoticeRefused(f"the work notice was refused: {answer.get('errcode')} {answer.get('errmsg', '')}")
