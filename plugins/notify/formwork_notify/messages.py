"""What a notification says (zh and en) for each event, and who it is for."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.plugins import Event

DECISIONS = {"approve": ("同意", "approved"), "reject": ("驳回", "rejected"), "return": ("退回", "returned")}


@dataclass(frozen=True)
class Message:
    title: str               # one line, zh / en
    markdown: str            # the body as markdown, zh and en
    owners: tuple[str, ...]  # in-app recipients: user names, or "role:<role>"
    people: tuple[str, ...] = ()   # the persons a new task is offered to who may read its record (work notices)

    @property
    def plain(self) -> str:
        """The body without its markdown marks (a WeCom text card shows plain text)."""
        return re.sub(r"[#*>]+ ?", "", self.markdown).strip()


def _record_name(record: Mapping[str, Any]) -> str:
    for key in ("code", "title", "name"):
        if record.get(key):
            return str(record[key])
    return str(record.get("id", ""))[:8]


def _owners(task: Mapping[str, Any]) -> tuple[str, ...]:
    """Whom a new task is offered to: its candidate rows (a project role's are its members, `user:<name>`), so a
    holder of the role outside the record's project is not told; the roles where an older engine sent no rows."""
    keys = task.get("candidates")
    if keys is None:
        return tuple(f"role:{role}" for role in task.get("candidate_roles", []))
    return tuple(key[5:] if key.startswith("user:") else f"role:{key}" for key in keys)


def message_for(event: Event) -> Message | None:
    task = event.task or {}
    what = f"{event.module}.{event.entity} {_record_name(event.record)}"
    if event.name == "task.created":
        owners = (f"{task['assignee']}",) if task.get("assignee") else _owners(task)
        title = f"新待办 / New task: {task.get('title', '')}"
        body = f"### 新待办 / New task\n\n**{task.get('title', '')}**\n\n{what}"
        return Message(title, body, owners, tuple(str(name) for name in task.get("recipients", [])))
    if event.name == "task.completed":
        zh, en = DECISIONS.get(str(task.get("decision")), (str(task.get("decision")),) * 2)
        comment = f"\n\n> {task['comment']}" if task.get("comment") else ""
        title = f"审批意见 / Decision: {task.get('title', '')} {zh} / {en}"
        body = (f"### 审批意见 / Decision\n\n**{task.get('title', '')}**: {zh} / {en} "
                f"({task.get('completed_by', '')})\n\n{what}{comment}")
        return Message(title, body, (str(event.record.get("created_by", "")),))
    if event.name == "task.reminded":  # 催办: for whom the reminded task waits on
        by = task.get("reminded_by", "")
        title = f"催办 / Reminder: {task.get('title', '')}"
        body = f"### 催办 / Reminder\n\n**{task.get('title', '')}** ({by})\n\n{what}"
        return Message(title, body, tuple(str(owner) for owner in task.get("remind_to", [])))
    if event.name == "record.cc":  # 抄送: users (`user:<name>`) and roles a step copied the record to
        owners = tuple(str(c).removeprefix("user:") if str(c).startswith("user:") else f"role:{c}"
                       for c in task.get("cc", []))
        title = f"抄送 / Copied to you: {task.get('title', '')}"
        body = f"### 抄送 / Copied to you\n\n**{task.get('title', '')}**\n\n{what}"
        return Message(title, body, owners)
    if event.name == "process.completed":
        end = str(task.get("end_event", ""))
        title = f"审批结束 / Approval finished: {what} → {end}"
        body = f"### 审批结束 / Approval finished\n\n{what}: **{end}**"
        return Message(title, body, (str(event.record.get("created_by", "")),))
    return None
