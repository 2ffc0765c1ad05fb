"""Engine errors in the page's language, by their code; the English message where no words are known.

The engine names each message by a code with params (engine/core/error_codes.py). Chinese words for the
field-level codes live here; any other code falls back to the pattern table of i18n.in_chinese, then
to the English message.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import FieldError, FormworkError
from web.ui.i18n import in_chinese, language
from web.ui.idiom_text import IDIOM_ZH
from web.ui.texts.process_text import PROCESS_ZH

ZH: dict[str, str] = {
    "required": "必填",
    "min": "不能小于 {min}",
    "max": "不能大于 {max}",
    "percent_range": "须在 0 到 100 之间",
    "min_length": "至少 {min_length} 个字符",
    "max_length": "最多 {max_length} 个字符（当前 {length} 个）",
    "pattern": "格式不正确",
    "pattern_message": "{message}",   # declared by the module, already in the reader's language
    "rule": "{message}",
    "read_only": "只读",
    "read_only_for_roles": "只读",
    "numbered": "只读：保存时自动编号（{template}），请留空",
    "hidden": "对您的角色隐藏，不能填写",
    "unknown_field": "不是此单据的字段",
    "not_a_column": "不是此表格的列",
    "unique": "{value!r} 已被其他记录使用",
    "missing_ref": "引用的记录不存在",
    "missing_any_ref": "引用的记录不存在",
    "not_a_choice": "{value!r} 不是可选值（{options}）",
    "not_text": "须为文本（收到 {kind}）",
    "not_a_number": "须为数字（收到 {value!r}）",
    "not_a_number_boolean": "须为数字，不能是“是/否”",
    "not_finite": "须为有限的数字（收到 {value!r}）",
    "whole_number": "须为整数",
    "decimal_places": "最多保留 {places} 位小数",
    "too_large": "数值过大：整数部分最多 {room} 位",
    "too_many_digits": "位数过多：最多 {max_digits} 位数字",
    "not_boolean": "须为是或否（收到 {value!r}）",
    "not_a_date": "须为日期，如 2024-05-31（收到 {value!r}）",
    "not_a_datetime": "须为日期时间（收到 {value!r}）",
    "nul_character": "不能包含空字符（NUL）",
    "not_a_list_of_texts": "须为文本列表",
    "not_a_list_of_rows": "须为行的列表",
    "not_a_list_of_options": "须为选项列表",
    "file_missing": "文件 {file_id!r} 不存在，请先上传",
    "file_type_not_accepted": "{name!r} 的文件类型不允许",
    "ref_name_unknown": "找不到名为 {text!r} 的记录",
    "ref_name_ambiguous": "有多条记录名为 {text!r}，请填写编号",
    "ref_name_unreadable": "您无权查看该类记录，请填写记录编号",
    "duplicate_in_file": "{value!r} 与本文件第 {row} 行重复",
    "import_unreadable": "无法读取文件：{why}",
    "import_too_many_rows": "文件超过 {limit} 行，请拆分后导入",
    "import_no_file": "请以 multipart/form-data 的 file 字段上传文件（.xlsx 或 .csv）",
    "import_column_unknown": "列 {column!r} 不是{entity}的字段",
    "import_column_not_importable": "列 {column!r} 不能导入：您无权填写该字段",
    "import_column_twice": "列 {column!r} 与另一列对应同一字段",
    "import_outside_rows": "该行将成为您无权查看的记录（超出您的数据范围），不能导入",
    "import_rejected": "{rows} 行有错误，未导入任何记录",
    "import_job_not_found": "导入任务 {job!r} 不存在",
    "numbering_source_empty": "编号取自 {names}：请先填写",
    "unique_key": "这组值已被其他记录使用{held_by}",
    "unique_key_message": "{message}{held_by}",   # declared by the module, already in the reader's language
    # a problem of another record a write recomputes: `cause` is that problem's code and params
    "in_parent_record": "{entity} {id}：{message}",
    "in_network_group": "{entity} 分组 {group}：{message}",
    "effect_create_failed": "新建 {entity}：{message}",
    "effect_update_failed": "更新 {entity}：{message}",
    # records locked by their entity's declaration (append_only, readonly_when): for everyone, administrators too
    "record_append_only": "{entity} {id} 只能新增，不能修改或删除（更正请另录一笔冲销分录）",
    "record_read_only_when": "{entity} {id} 已锁定（{condition}），不能再修改或删除",
    "record_read_only_when_create": "不能新建 {entity}：新记录将处于锁定状态（{condition}）",
    # printing a list's selection
    "print_no_records": "请先勾选要打印的记录",
    "print_too_many": "一次最多打印 {limit} 条记录（已选 {count} 条）",
    "print_nothing_readable": "所选的 {count} 条{entity}记录您都无权查看",
    # the dashboard's project switcher and period selector
    "dash_bad_period": "期间 {period!r} 不是月份（例如 2025-06）",
    "dash_project_not_found": "项目不存在或您无权查看",
    # who decides a task: project roles, incidents, separation of duties, out-of-office delegation
    "task_project_members_only": "此待办只交给本项目中担任 {roles} 的成员办理：您不是该项目的成员",
    "incidents_admin_only": "只有租户管理员可以查看和指派无人可办的待办",
    "reassign_no_users": "请指定一个或多个本租户用户的登录名",
    "reassign_unknown_user": "{username!r} 不是本租户的有效用户",
    "reassign_cannot_read": "{username!r} 无权查看此单据，不能把待办指派给他",
    "sod_own_submission": "职责分离：此单据由您提交，您不能审批",
    "sod_other_step": "职责分离：您已审批本流程的“{step}”，此环节须由他人审批",
    "sod_principal": "职责分离：{principal} 不能审批此单据，也不能由他人代为审批",
    "admin_not_approver": "租户管理员不参与审批：此待办应由 {assignee} 办理；如无人可办，请改为指派",
    "delegation_bad_user": "委托对象须是本租户的其他有效用户，不能是 {to_user!r}",
    "delegation_self": "不能委托给自己，请选择一位同事",
    "delegation_bad_date": "“{key}” 须为日期（例如 2024-05-31），不能是 {value!r}",
    "delegation_dates_order": "结束日期 {until} 早于开始日期 {start}，委托不会生效",
    "delegation_in_past": "结束日期 {until} 已过，请选择今天或以后的日期",
}


ZH.update(IDIOM_ZH)
ZH.update(PROCESS_ZH)


def error_text(code: str, params: Mapping[str, Any], language_code: str, message: str) -> str:
    """Message `code` with `params` in the language; the English `message` when there are no words for it."""
    if language_code != "zh":
        return message
    template = ZH.get(code)
    cause = params.get("cause")
    if isinstance(cause, Mapping) and "message" in params:  # the wrapped problem in the reader's words too
        params = {**params, "message": error_text(str(cause.get("code")), cause.get("params") or {}, language_code,
                                                  str(params["message"]))}
    if template is not None:
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            pass  # params that do not fit the words: say what the engine said
    return in_chinese(message) or message


def field_message(error: FieldError) -> str:
    """A field's error in the current request's language."""
    return error_text(error.code, error.params, language(), error.message)


def engine_error_text(error: FormworkError) -> str:
    """An engine error's message in the current request's language."""
    return error_text(error.message_code, error.params, language(), error.message)
