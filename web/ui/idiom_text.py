"""Chinese words for the messages of the approval idioms (加签, 退回, 抄送, 催办), merged into error_text.ZH."""
from __future__ import annotations

IDIOM_ZH: dict[str, str] = {
    "task_not_completed": "步骤 {bpmn_id!r} 尚未办理完成",
    "task_waiting_signers": "此步骤正在等待加签人（{users}）审批，加签完成后回到您这里",
    "add_signer_no_users": "请选择 1 到 {most} 位加签人",
    "add_signer_bad_position": "加签方式须为“前加签”(before) 或“后加签”(after)，不能是 {position!r}",
    "add_signer_unknown_user": "{username!r} 不是本租户的在用用户",
    "add_signer_self": "不能给自己加签",
    "add_signer_already": "{username!r} 已在本步骤的加签人中",
    "add_signer_cannot_read": "{username!r} 无权查看此单据，不能作为加签人，请另选他人",
    "add_signer_on_added": "加签人不能再加签；请同意、驳回或退回",
    "return_target_unknown": "退回目标须为“上一步”(previous) 或本流程中的步骤编号，不能是 {to!r}",
    "return_target_not_done": "步骤 {to!r} 在本次审批中尚未办理，不能退回到该步骤；已办理的步骤：{done}",
    "return_target_multi_instance": "步骤 {to!r} 为多人会签，不能退回到该步骤；请退回到它之前的步骤",
    "return_no_previous": "此前没有已办理的步骤，无法退回上一步",
    "return_to_from_added": "加签人只能退回整个步骤，请不要指定退回目标",
    "remind_not_submitter": "只有 {entity} {record_id} 的提交人或租户管理员可以催办",
    "remind_too_soon": "{minutes_ago} 分钟前已催办过，请 {minutes} 分钟后再催办",
}
