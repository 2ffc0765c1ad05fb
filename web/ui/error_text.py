"""Engine messages in the reader's language, by their code: a thin renderer over the message catalogs.

The engine names each message by a code with params (engine/core/error_codes.py); engine/core/catalogs.py
holds each code's template in zh_CN and en (engine/locale, `make messages`). A few params are English words
the engine chose (an action, a status, a did-you-mean hint); they are put in the reader's words here.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

from engine.core import catalogs
from engine.core.error_codes import MESSAGES
from engine.errors import FieldError, FormworkError
from web.ui.assist_predict_text import ZH_ASSIST_PREDICT
from web.ui.i18n import MESSAGES as PAGE_WORDS
from web.ui.i18n import language

# Chinese texts of codes added beside the catalog (a branch's `web/ui/<branch>_text.py`, merged here with one
# `ZH.update(...)` line): `make messages` moves them into engine/locale/zh_CN, and until then they are used.
ZH: dict[str, str] = {}
ZH.update(ZH_ASSIST_PREDICT)

# English words the engine puts into params, and their Chinese.
_ZH_WORDS: dict[str, dict[str, str]] = {
    "action": {"create": "新建", "read": "查看", "update": "修改", "delete": "删除", "submit": "提交",
               "approve": "审批", "export": "导出", "import": "导入"},
    "state": {"open": "待办理", "completed": "已办理", "cancelled": "已取消", "waiting": "等待加签"},
    "what": {"deactivate": "停用", "take the administrator role from": "撤销管理员角色："},
    "plural": {"s": ""},
    "pronoun": {"it": "", "them": ""},
    "verb": {"changed": "修改", "deleted": "删除"},
}
_DECISIONS = {"approve": "同意", "reject": "驳回", "return": "退回"}  # a task's decisions ("decisions": joined)
_TITLED = ("entity", "target")  # params that hold an entity's English title
_ROLES = ("roles", "role", "assignee")  # params that hold role keys (one, or a list joined by ", ")


def _chinese_names() -> dict[str, dict[str, str]]:
    """Entity titles (English -> Chinese) and role labels (key -> Chinese) of the installed modules: the engine's
    params name entities by their English title and roles by their key."""
    if not has_app_context() or "formwork" not in current_app.extensions:
        return {}
    try:
        modules = current_app.extensions["formwork"].catalog.modules()
    except Exception:  # an error page must render even when the catalog cannot be read
        return {}
    entities = [spec for module in modules.values() for spec in module.entities.values()]
    entities.sort(key=lambda spec: spec.title.zh.isascii(), reverse=True)  # a Chinese title wins a shared English one
    return {"titles": {spec.title.en: spec.title.zh for spec in entities},
            "roles": {key: label.zh for module in modules.values() for key, label in module.roles.items()}}


def _zh_param(name: str, value: Any, names: Mapping[str, Mapping[str, str]]) -> Any:
    """One param in Chinese words, where it is one of the engine's English words."""
    if not isinstance(value, str):
        return value
    if name in _TITLED:
        return names.get("titles", {}).get(value, value)
    if name in _ROLES:
        roles = names.get("roles", {})
        return "、".join(roles.get(key, key) for key in value.split(", "))
    if name == "what" and value.startswith(("process '", "a timer of process '")):   # a process that stopped
        process = value[value.index("'"):value.rindex("'") + 1]
        return f"审批流程 {process} 的定时器出错" if value.startswith("a timer") else f"审批流程 {process} 已中止"
    if name == "what" and value.startswith(("hook ", "service task ")) and " of plugin " in value:  # a plugin's
        kind, _, plugin = value.partition(" of plugin ")
        return f"插件 {plugin} 的{'服务任务 ' + kind[13:] if kind.startswith('service task ') else '钩子 ' + kind[5:]}"
    if name in _ZH_WORDS:
        return _ZH_WORDS[name].get(value, value)
    if name == "decisions":
        return "、".join(f"“{_DECISIONS.get(key, key)}”({key})" for key in value.split(", "))
    if name == "status":
        return PAGE_WORDS.get(f"status.{value}", (value, value))[0]
    if name == "hint" and value.startswith(" (did you mean ") and value.endswith("?)"):
        return f"（您是否要找 {value[len(' (did you mean '):-2]}？）"
    if name == "where" and value.startswith(" at "):
        return f"（步骤 {value[4:]}）"
    if name == "who" and value.startswith(" by "):
        return f"，办理人 {value[4:]}"
    if name == "as_position" and value.startswith(" as "):
        return f"（岗位 {value[4:]}）"
    return value


def zh_template(code: str) -> str | None:
    return catalogs.template(code, "zh") or ZH.get(code)


def error_text(code: str, params: Mapping[str, Any], language_code: str, message: str) -> str:
    """Message `code` with `params` in the language; the engine's `message` for English or an unknown code."""
    if language_code != "zh" or (code == "invalid" and message != MESSAGES["invalid"]):
        return message  # English, or a FieldError not named yet (its code is the default, not its words)
    template = zh_template(code)
    cause = params.get("cause")
    if isinstance(cause, Mapping) and "message" in params:  # the wrapped problem in the reader's words too
        params = {**params, "message": error_text(str(cause.get("code")), cause.get("params") or {}, language_code,
                                                  str(params["message"]))}
    if template is None:
        return message
    try:
        names = _chinese_names() if any(name in params for name in (*_TITLED, *_ROLES)) else {}
        return template.format(**{name: _zh_param(name, value, names) for name, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return message  # params that do not fit the words: say what the engine said


def field_message(error: FieldError, language_code: str | None = None) -> str:
    """A field's error in the request's language."""
    return error_text(error.code, error.params, language_code or language(), error.message)


def engine_error_text(error: FormworkError, language_code: str | None = None) -> str:
    """An engine error's message in the request's language."""
    return error_text(error.message_code, error.params, language_code or language(), error.message)


def update_catalogs() -> None:
    """`make messages`: extract the codes into the template, update the PO files (pending texts of ZH join)."""
    for path in catalogs.update(ZH):
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
