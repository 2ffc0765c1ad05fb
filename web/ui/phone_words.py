"""The words of the phone's bottom navigation and the offline page (key -> (zh, en)), merged into
web.ui.i18n.MESSAGES."""
from __future__ import annotations

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
