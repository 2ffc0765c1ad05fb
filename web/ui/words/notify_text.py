"""Chinese texts of the message codes added with work notices (issue 18), until `make messages` moves them."""
from __future__ import annotations

ZH = {
    "notify_account_invalid": "请发送 dingtalk 与 wecom：各为不超过 64 个字符的用户 ID，或 null",
}
