"""Page words of the approval idioms (加签, 退回到任一步, 催办), merged into i18n.MESSAGES: key -> (zh, en)."""
from __future__ import annotations

IDIOM_WORDS: dict[str, tuple[str, str]] = {
    "idioms.add_signer": ("加签", "Add signers"),
    "idioms.add_signer_users": ("加签人", "Signers"),
    "idioms.before": ("前加签（先于我审批）", "Before me"),
    "idioms.after": ("后加签（我同意后再审批）", "After my approval"),
    "idioms.added": ("已加签：{users}", "Signers added: {users}"),
    "idioms.return_to": ("退回到", "Return to"),
    "idioms.previous": ("上一步", "The previous step"),
    "idioms.return": ("退回", "Return"),
    "idioms.returned": ("已退回", "Returned"),
    "idioms.remind": ("催办", "Remind"),
    "idioms.reminded": ("已催办", "Reminder sent"),
}
