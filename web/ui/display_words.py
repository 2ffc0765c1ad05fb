"""The words of values shown in place of what a reader may not see (key -> (zh, en)), merged into
web.ui.i18n.MESSAGES."""
from __future__ import annotations

DISPLAY_WORDS: dict[str, tuple[str, str]] = {
    "value.no_access": ("无权查看", "(no access)"),
    "value.file": ("附件 {name}", "file {name}"),
    "history.record.effect": ("由关联单据更新", "Updated by a linked record"),
    "history.record.network": ("进度网络重算", "Schedule network recalculated"),
    "history.record.scan": ("每日重算", "Recalculated by the daily scan"),
    "history.record.migrate": ("随模块升级更新", "Updated with the module"),
    "history.record.cc": ("抄送", "Copied to"),
}
