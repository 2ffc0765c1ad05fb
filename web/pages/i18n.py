"""The pages' words in Chinese and English: a message catalog, the chosen language, engine messages."""
from __future__ import annotations

import re

from flask import request, session

LANGUAGES = {"zh": "中文", "en": "English"}
HTML_LANG = {"zh": "zh-CN", "en": "en"}

# key -> (zh, en). Placeholders are str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    # chrome
    "app.name": ("Formwork 工程管理", "Formwork"),
    "nav.dashboard": ("工作台", "Dashboard"),
    "nav.tasks": ("待办", "Tasks"),
    "nav.menu": ("菜单", "Menu"),
    "nav.modules": ("模块", "Modules"),
    "nav.breadcrumb": ("位置", "Breadcrumb"),
    "nav.skip": ("跳到主要内容", "Skip to main content"),
    "nav.open_tasks": ("{count} 项待办", "{count} open tasks"),
    "user.logout": ("退出", "Log out"),
    "user.signed_in_as": ("当前用户", "Signed in as"),
    "lang.switch": ("切换语言", "Language"),
    # license (the dashboard line and the banner)
    "license.line": ("授权：{plan}，已用席位 {used} / {seats}，到期 {expires}",
                     "License: {plan}, seats {used} of {seats} in use, expires {expires}"),
    "license.unlimited": ("不限", "unlimited"),
    "license.never": ("永久", "never"),
    "license.plan.trial": ("试用版", "Trial"),
    "license.plan.professional": ("专业版", "Professional"),
    "license.plan.enterprise": ("企业版", "Enterprise"),
    "license.read_only": ("授权已于 {date} 到期，本租户为只读：可以查看、导出，不能修改。请联系平台运营方续期。",
                          "The license expired on {date}: this tenant is read-only — you can view and export, "
                          "but not change anything. Ask the platform operator to renew it."),
    "license.invalid": ("授权校验失败，本租户为只读。请联系平台运营方。",
                        "The license does not verify: this tenant is read-only. Contact the platform operator."),
    "license.expiring": ("授权将于 {date} 到期（剩余 {days} 天）。",
                         "The license expires on {date} ({days} days left)."),
    # login
    "login.title": ("登录", "Log in"),
    "login.intro": ("使用租户、用户名和密码登录。", "Log in with your tenant, user name and password."),
    "login.tenant": ("租户", "Tenant"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("租户、用户名或密码不正确。", "Wrong tenant, user name or password."),
    "login.required": ("请填写租户、用户名和密码。", "Fill in the tenant, user name and password."),
    "login.again": ("请先登录。", "Please log in first."),
    "logout.done": ("您已退出。", "You have logged out."),
    # dashboard
    "dash.title": ("工作台", "Dashboard"),
    "dash.welcome": ("{name}，您好", "Hello, {name}"),
    "dash.modules": ("我的模块", "My modules"),
    "dash.tasks": ("我的待办", "My open tasks"),
    "dash.kpis": ("数据概览", "Key figures"),
    "dash.kpis_note": ("按状态统计您可查看的记录数。", "Records you may see, counted by status."),
    "dash.no_tasks": ("没有待办事项。", "Nothing waiting for you."),
    "dash.no_modules": ("您的角色还不能查看任何模块，请联系租户管理员。",
                        "Your roles cannot see any module yet; ask a tenant administrator."),
    "dash.all_tasks": ("全部待办 ({count})", "All tasks ({count})"),
    "dash.total": ("合计", "Total"),
    # list
    "list.new": ("新建", "New"),
    "list.filter": ("筛选", "Filter"),
    "list.add_condition": ("添加条件", "Add condition"),
    "list.remove_condition": ("删除条件", "Remove condition"),
    "list.field": ("字段", "Field"),
    "list.operator": ("条件", "Operator"),
    "list.value": ("值", "Value"),
    "list.formula": ("公式筛选", "Formula"),
    "list.formula_help": ("例如 total >= 1000 and category == 'travel'",
                          "For example total >= 1000 and category == 'travel'"),
    "list.apply": ("应用", "Apply"),
    "list.clear": ("清除", "Clear"),
    "list.active_filter": ("当前筛选：", "Filter in use:"),
    "list.empty": ("没有符合条件的记录。", "No records match."),
    "list.showing": ("第 {first}–{last} 条，共 {total} 条", "{first}–{last} of {total}"),
    "list.none": ("共 0 条", "0 records"),
    "list.pagination": ("分页", "Pages"),
    "list.previous": ("上一页", "Previous"),
    "list.next": ("下一页", "Next"),
    "list.page_total": ("本页合计", "Page total"),
    "list.page_total_note": ("合计仅含本页记录", "Totals cover this page only"),
    "list.sort_by": ("按 {label} 排序", "Sort by {label}"),
    "list.rows": ("{count} 行", "{count} rows"),
    "list.bad_filter": ("筛选条件有误：{message}", "The filter has a problem: {message}"),
    "list.bad_value": ("“{label}”的值“{value}”无效", "{value!r} is not a valid value for {label}"),
    "op.contains": ("包含", "contains"),
    "op.eq": ("等于", "equals"),
    "op.ne": ("不等于", "is not"),
    "op.gt": ("大于", "greater than"),
    "op.ge": ("大于等于", "at least"),
    "op.lt": ("小于", "less than"),
    "op.le": ("小于等于", "at most"),
    "op.empty": ("为空", "is empty"),
    "op.not_empty": ("不为空", "is not empty"),
    "op.true": ("是", "is yes"),
    "op.false": ("否", "is no"),
    # system fields
    "field.status": ("状态", "Status"),
    "field.id": ("编号", "ID"),
    "field.version": ("版本", "Version"),
    "field.created_at": ("创建时间", "Created"),
    "field.created_by": ("创建人", "Created by"),
    "field.updated_at": ("更新时间", "Updated"),
    "field.updated_by": ("更新人", "Updated by"),
    # statuses
    "status.draft": ("草稿", "Draft"),
    "status.in_review": ("审批中", "In review"),
    "status.returned": ("已退回", "Returned"),
    "status.withdrawn": ("已撤回", "Withdrawn"),
    "status.approved": ("已通过", "Approved"),
    "status.rejected": ("已驳回", "Rejected"),
    "status.completed": ("已完成", "Completed"),
    # values
    "value.yes": ("是", "Yes"),
    "value.no": ("否", "No"),
    "value.empty": ("—", "—"),
    # forms
    "form.new_title": ("新建{entity}", "New {entity}"),
    "form.edit_title": ("编辑{entity} {title}", "Edit {entity} {title}"),
    "form.save": ("保存", "Save"),
    "form.cancel": ("取消", "Cancel"),
    "form.required": ("必填", "required"),
    "form.computed": ("自动计算", "calculated"),
    "form.readonly": ("只读", "read-only"),
    "form.add_row": ("添加一行", "Add row"),
    "form.remove_row": ("删除此行", "Remove row"),
    "form.row": ("第 {number} 行", "Row {number}"),
    "form.recalculate": ("重新计算", "Recalculate"),
    "form.errors": ("请修改以下问题后再保存：", "Please correct the problems below and save again:"),
    "form.choose": ("请选择", "Choose"),
    "form.search": ("搜索", "Search"),
    "form.ref_unreadable": ("您没有查看{entity}的权限，请填写其编号。",
                            "You may not read {entity} records; enter the record's ID."),
    "form.ref_id": ("请填写所引用记录的编号。", "Enter the ID of the record this refers to."),
    "form.attachment_note": ("附件上传尚未开通，请稍后在此处上传。", "File uploads are not available yet."),
    "form.conflict": ("保存失败：{message}", "Not saved: {message}"),
    "form.saved": ("已保存。", "Saved."),
    "form.created": ("已创建。", "Created."),
    "form.timezone": ("时间按 {zone} 显示", "Times are in {zone}"),
    # record page
    "record.fields": ("详细信息", "Details"),
    "record.trail": ("审批记录", "Approval trail"),
    "record.history": ("修改记录", "Change history"),
    "record.no_trail": ("尚未提交审批。", "Not submitted for approval yet."),
    "record.no_history": ("没有修改记录。", "No changes recorded."),
    "record.actions": ("操作", "Actions"),
    "record.edit": ("编辑", "Edit"),
    "record.delete": ("删除", "Delete"),
    "record.delete_confirm": ("确定删除这条记录吗？", "Delete this record?"),
    "record.deleted": ("已删除。", "Deleted."),
    "record.submit": ("提交审批", "Submit for approval"),
    "record.submitted": ("已提交审批。", "Submitted for approval."),
    "record.withdraw": ("撤回", "Withdraw"),
    "record.withdrawn": ("已撤回。", "Withdrawn."),
    "record.created_by": ("{user} 创建于 {at}", "Created by {user} on {at}"),
    "record.updated_by": ("{user} 更新于 {at}", "Updated by {user} on {at}"),
    "record.your_task": ("您的待办：{task}", "Your task: {task}"),
    "record.not_editable": ("此记录状态为“{status}”，不能再编辑。",
                            "This record is {status} and can no longer be edited."),
    "record.field_change": ("{field}：{before} → {after}", "{field}: {before} → {after}"),
    "record.table_changed": ("{field}：已修改", "{field}: changed"),
    "history.record.create": ("创建", "Created"),
    "history.record.update": ("修改", "Edited"),
    "history.record.recompute": ("重新计算", "Recalculated"),
    "history.record.delete": ("删除", "Deleted"),
    "history.record.status": ("状态变为 {status}", "Status became {status}"),
    "trail.process.start": ("提交审批", "Submitted"),
    "trail.process.end": ("审批结束：{status}", "Approval ended: {status}"),
    "trail.process.withdraw": ("撤回", "Withdrew"),
    "trail.process.timer": ("定时器触发", "A timer fired"),
    "trail.task.complete": ("{task}：{decision}", "{task}: {decision}"),
    "trail.task.claim": ("认领 {task}", "Claimed {task}"),
    "trail.task.delegate": ("将 {task} 转交给 {user}", "Delegated {task} to {user}"),
    # tasks
    "tasks.title": ("我的待办", "My tasks"),
    "tasks.empty": ("没有待办事项。", "Nothing waiting for you."),
    "tasks.count": ("{count} 项待办", "{count} open tasks"),
    "tasks.comment": ("审批意见", "Comment"),
    "tasks.comment_placeholder": ("可选", "optional"),
    "tasks.approve": ("同意", "Approve"),
    "tasks.reject": ("驳回", "Reject"),
    "tasks.return": ("退回修改", "Return for changes"),
    "tasks.delegate": ("转交", "Delegate"),
    "tasks.delegate_to": ("转交给", "Delegate to"),
    "tasks.claim": ("认领", "Claim"),
    "tasks.claimed": ("已认领。", "Claimed."),
    "tasks.delegated": ("已转交给 {user}。", "Delegated to {user}."),
    "tasks.done.approve": ("已同意。", "Approved."),
    "tasks.done.reject": ("已驳回。", "Rejected."),
    "tasks.done.return": ("已退回。", "Returned for changes."),
    "tasks.bulk_approve": ("批量同意所选", "Approve selected"),
    "tasks.select": ("选择 {title}", "Select {title}"),
    "tasks.select_all": ("全选", "Select all"),
    "tasks.bulk_done": ("已同意 {done} 项。", "Approved {done}."),
    "tasks.bulk_failed": ("{failed} 项未能处理：{reasons}", "{failed} could not be approved: {reasons}"),
    "tasks.bulk_none": ("请先勾选要同意的待办。", "Tick the tasks to approve first."),
    "tasks.since": ("发起于 {at}", "since {at}"),
    "tasks.due": ("截止 {at}", "due {at}"),
    "decision.approve": ("同意", "approved"),
    "decision.reject": ("驳回", "rejected"),
    "decision.return": ("退回", "returned"),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.404": ("找不到页面", "Page not found"),
    "error.404_text": ("您要找的页面或记录不存在，或者您没有查看它的权限。",
                       "The page or record does not exist, or you may not see it."),
    "error.403": ("没有权限", "Not allowed"),
    "error.403_text": ("您的角色不能执行此操作。如需权限，请联系租户管理员。",
                       "Your roles do not allow this. Ask a tenant administrator for a role that does."),
    "error.400": ("请求有误", "Bad request"),
    "error.409": ("操作冲突", "Conflict"),
    "error.422": ("无法处理", "Cannot be processed"),
    "error.405": ("不支持的操作", "Not supported"),
    "error.500": ("服务器出错", "Server error"),
    "error.500_text": ("服务器出了问题，已记录日志。请稍后再试。",
                       "Something went wrong on the server; it was logged. Please try again later."),
    "error.csrf": ("表单已过期，请刷新页面后重试。", "This form has expired; reload the page and try again."),
    "error.home": ("返回工作台", "Back to the dashboard"),
    "error.details": ("详情：", "Details:"),
}

# Engine validation messages (English) and their Chinese form, for field errors shown in zh.
_ENGINE_ZH: list[tuple[re.Pattern[str], str]] = [(re.compile(p), r) for p, r in [
    (r"^is required$", "必填"),
    (r"^must be at least (\S+) characters$", r"至少 \1 个字符"),
    (r"^must be at most (\S+) characters \(has (\d+)\)$", r"最多 \1 个字符（当前 \2 个）"),
    (r"^must be at least (\S+)$", r"不能小于 \1"),
    (r"^must be at most (\S+)$", r"不能大于 \1"),
    (r"^allows at most (\d+) decimal places$", r"最多保留 \1 位小数"),
    (r"^must be a whole number$", "须为整数"),
    (r"^must be a number, not (.*)$", r"须为数字（收到 \1）"),
    (r"^must be a finite number, not (.*)$", r"须为有限的数字（收到 \1）"),
    (r"^must be a date like 2024-05-31, not (.*)$", r"须为日期，如 2024-05-31（收到 \1）"),
    (r"^must be a date and time like .*, not (.*)$", r"须为日期时间（收到 \1）"),
    (r"^must be a percentage between 0 and 100$", "须在 0 到 100 之间"),
    (r"^does not match the pattern (.*)$", r"格式不正确（应匹配 \1）"),
    (r"^(.*) is already used by another .*$", r"\1 已被其他记录使用"),
    (r"^refers to .*, which does not exist$", "引用的记录不存在"),
    (r"^is read-only( for your roles)?$", "只读"),
    (r"^(.*) is not one of (.*)$", r"\1 不是可选值（\2）"),
    (r"^must be true or false, not (.*)$", r"须为是或否（收到 \1）"),
]]


def language() -> str:
    """The chosen language: the header toggle's choice, else the browser's Accept-Language."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"]) or "en"
    return "zh" if best.startswith("zh") else "en"


def translate(key: str, language_code: str, **values: object) -> str:
    zh, en = MESSAGES.get(key, (key, key))
    text = zh if language_code == "zh" else en
    return text.format(**values) if values else text


def t(key: str, **values: object) -> str:
    """The message `key` in the current request's language."""
    return translate(key, language(), **values)


def engine_message(message: str) -> str:
    """An engine validation message in the current language (the engine writes English)."""
    if language() != "zh":
        return message
    for pattern, replacement in _ENGINE_ZH:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message
