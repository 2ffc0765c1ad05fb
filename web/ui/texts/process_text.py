"""Chinese words of the process designer's engine messages (merged into web.ui.error_text.ZH)."""
from __future__ import annotations

PROCESS_ZH: dict[str, str] = {
    "draft_process_dropped": (
        "发布此调整会丢弃草稿中保存的审批流程（{files}）：它的 workflows: 已不再引用该流程。"
        "确认丢弃请勾选“确认”后再发布（REST：confirm_drop_process），或在 workflows: 中重新引用它"
    ),
}
