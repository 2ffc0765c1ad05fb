"""The words of the approval progress, the task panel and 'my submissions' (key -> (zh, en)), merged into
web.ui.i18n.MESSAGES."""
from __future__ import annotations

APPROVAL_WORDS: dict[str, tuple[str, str]] = {
    "progress.title": ("审批进度", "Approval progress"),
    "progress.waiting": ("待处理", "Waiting"),
    "progress.waiting_on": ("当前等待：{names}", "Waiting on {names}"),
    "progress.nobody": ("暂无可处理人（请联系管理员）", "nobody who may act (ask an administrator)"),
    "progress.due": ("截止 {at}", "due {at}"),
    "progress.overdue": ("已超期（截止 {at}）", "overdue (due {at})"),
    "progress.task_gone": ("该待办已不存在，或已由他人处理。", "This task is gone, or someone else has decided it."),
    "panel.amounts": ("审批金额", "Amounts decided on"),
    "panel.step_fields": ("本步骤需填写", "Filled in at this step"),
    "panel.errors": ("请修改以下问题后再提交审批意见：", "Please correct the problems below, then decide again:"),
    "list.waiting_on": ("待审批人", "Waiting on"),
    "nav.submissions": ("我的申请", "My submissions"),
    "submissions.title": ("我的申请", "My submissions"),
    "submissions.count": ("共 {count} 项", "{count} submitted"),
    "submissions.empty": ("您还没有提交过审批。", "You have not submitted anything for approval yet."),
    "submissions.record": ("单据", "Record"),
    "submissions.entity": ("类型", "Type"),
    "submissions.submitted_at": ("提交时间", "Submitted"),
    "submissions.status": ("状态", "Status"),
    "submissions.waiting_on": ("当前等待", "Waiting on"),
    # the idioms (加签, 退回到任一步, 催办)
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
