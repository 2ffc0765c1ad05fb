"""Where notifications go besides the inbox: DingTalk and WeCom group robots, e-mail (SMTP)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from formwork_notify.messages import Message

TIMEOUT = 5.0


def dingtalk_url(webhook: str, secret: str | None, now_ms: int | None = None) -> str:
    """The robot URL, signed when the robot has a secret: `&timestamp=..&sign=..` (HMAC-SHA256, base64)."""
    if not secret:
        return webhook
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{webhook}{'&' if '?' in webhook else '?'}timestamp={timestamp}&sign={sign}"


def dingtalk_body(message: Message) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown}}


def wecom_body(message: Message) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": message.markdown}}


def post_json(url: str, body: Mapping[str, Any]) -> None:
    """POST and check the robot's answer (both robots answer `errcode: 0` when they took the message)."""
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # raises on HTTP errors
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"the robot refused the message: {answer.get('errcode')} {answer.get('errmsg', '')}")


def send_email(settings: Mapping[str, Any], message: Message) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = settings["sender"]
    mail["To"] = ", ".join(settings["to"])
    mail.set_content(message.markdown)
    with smtplib.SMTP(settings["host"], int(settings.get("port", 25)), timeout=TIMEOUT) as smtp:
        if settings.get("starttls"):
            smtp.starttls()
        if settings.get("username"):
            smtp.login(settings["username"], settings.get("password", ""))
        smtp.send_message(mail)
