"""The pages' words of offline drafts and of a form sent twice, merged into web.ui.i18n.MESSAGES; the Chinese
of the engine's idempotency message codes, merged into web.ui.error_text.ZH."""
from __future__ import annotations

OFFLINE_WORDS: dict[str, tuple[str, str]] = {
    "offline.already_sent": ("此单已提交过，未重复创建。", "This form was sent before; nothing was created twice."),
    "offline.drafts_title": ("待发送", "Waiting to send"),
    "offline.drafts_intro": ("没有信号时保存在本机的单据，联网后自动提交。",
                             "Forms kept on this phone while there was no signal; they are sent when it returns."),
}

ZH_TEXT: dict[str, str] = {
    "idempotency_key_invalid": "幂等键须为 1 至 {most} 个可见 ASCII 字符（可用 UUID），不能是 {key!r}",
    "idempotency_key_reused": "幂等键 {key!r} 已用于另一次提交（{module}.{entity}，内容不同）；新建单据请换一个新键",
}
