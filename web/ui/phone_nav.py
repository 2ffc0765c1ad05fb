"""The phone's bottom navigation: which "new" it offers — the entity this user creates most, among those
they may; and the words of the phone shell and the offline page.

The count is one grouped query over the user's records of the last 180 days, kept in the session for ten minutes
so that pages do not pay for it each time; a user who has created nothing yet gets the first entity with an
approval process they may create (a crew leader: 点工单), else the first they may create.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import session, url_for
from sqlalchemy import func, select

from engine.declarations.model import Action
from engine.records.service import Records
from engine.storage.models import Record

SESSION_KEY = "phone_new"
KEEP_SECONDS = 600
LOOK_BACK = timedelta(days=180)
# merged into web.ui.i18n.MESSAGES (key -> (zh, en))
PHONE_WORDS: dict[str, tuple[str, str]] = {
    "phone.nav": ("手机导航", "Phone navigation"),
    "phone.new": ("新建{entity}", "New {entity}"),
    "phone.new_short": ("新建", "New"),
    "phone.mine": ("我的", "Mine"),
    "offline.title": ("暂无网络", "No connection"),
    "offline.text": ("这个页面还没有在这台手机上打开过，没有网络时无法显示。",
                     "This page has not been opened on this phone before, so it cannot be shown without a connection."),
    "offline.hint": ("打开过的待办和单据可以离线查看；有信号后再刷新。",
                     "Tasks and records you opened before can be read offline; reload when you have a signal."),
    "offline.retry": ("重试", "Try again"),
    "offline.inbox": ("我的待办", "My tasks"),
}


@dataclass(frozen=True)
class NewEntry:
    title: str
    url: str


def creatable(records: Records) -> list[tuple[str, str, bool]]:
    """(module, entity, has a workflow) of every entity the user may create, in declaration order."""
    return [(module_name, entity_name, entity.workflow is not None)
            for module_name, module in records.modules.items()
            for entity_name, entity in module.entities.items()
            if records.access(entity).allows(Action.CREATE)]


def _most_created(records: Records, allowed: list[tuple[str, str, bool]]) -> str | None:
    since = datetime.now(UTC) - LOOK_BACK
    rows = records.session.execute(
        select(Record.module, Record.entity, func.count())
        .where(Record.tenant_id == records.actor.tenant_id, Record.created_by == records.actor.username,
               Record.created_at >= since, Record.deleted_at.is_(None))
        .group_by(Record.module, Record.entity)).all()
    keys = {f"{module}.{entity}" for module, entity, _ in allowed}
    counted = sorted(((count, f"{module}.{entity}") for module, entity, count in rows
                      if f"{module}.{entity}" in keys), reverse=True)
    return counted[0][1] if counted else None


def chosen_key(records: Records) -> str | None:
    """module.entity of the "new" this user gets, or None when they may create nothing."""
    kept = session.get(SESSION_KEY)
    if isinstance(kept, list) and len(kept) == 2 and time.time() - float(kept[1]) < KEEP_SECONDS:
        return str(kept[0]) or None
    allowed = creatable(records)
    key = _most_created(records, allowed)
    if key is None and allowed:
        with_workflow = [f"{m}.{e}" for m, e, has_flow in allowed if has_flow]
        key = with_workflow[0] if with_workflow else f"{allowed[0][0]}.{allowed[0][1]}"
    session[SESSION_KEY] = [key or "", time.time()]
    return key


def new_entry(records: Records) -> NewEntry | None:
    """The bottom navigation's "new" item: the entity's title and its new-record form."""
    key = chosen_key(records)
    if not key:
        return None
    module, entity = key.split(".", 1)
    spec = records.modules.get(module)
    if spec is None or entity not in spec.entities:
        return None
    return NewEntry(spec.entities[entity].title.get(records.language),
                    url_for("pages.record_new", module=module, entity=entity))
