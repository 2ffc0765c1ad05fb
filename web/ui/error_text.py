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

from engine.core import catalogs, declaration_codes
from engine.core.codes import formula_codes
from engine.core.error_codes import MESSAGES
from engine.customization.process_editor import problem_json as process_problem_json
from engine.errors import FieldError, FormworkError, Problem
from web.ui.i18n import MESSAGES as PAGE_WORDS
from web.ui.i18n import language
from web.ui.words import assist_text
from web.ui.words.assist_predict_text import ZH_ASSIST_PREDICT
from web.ui.words.declaration_words import DECLARATION_ZH
from web.ui.words.formula_words import FORMULA_ZH, formula_param
from web.ui.words.notify_text import ZH as H18NOTIFY_ZH
from web.ui.words.offline_words import ZH_TEXT as OFFLINE_ZH

# Chinese texts of codes added beside the catalog (a branch's `web/ui/<branch>_text.py`, merged here with one
# `ZH.update(...)` line): `make messages` moves them into engine/locale/zh_CN, and until then they are used.
ZH: dict[str, str] = {}
ZH.update(DECLARATION_ZH)
ZH.update(OFFLINE_ZH)
ZH.update(H18NOTIFY_ZH)
ZH.update(assist_text.ZH)
ZH.update(ZH_ASSIST_PREDICT)
ZH.update(FORMULA_ZH)

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
    if code in formula_codes.FORMULA_MESSAGES:  # a formula's problem: its parts and type names in Chinese too
        return _zh_formula(template, params, message)
    try:
        names = _chinese_names() if any(name in params for name in (*_TITLED, *_ROLES)) else {}
        return template.format(**{name: _zh_param(name, value, names) for name, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return message  # params that do not fit the words: say what the engine said


def _zh_formula(template: str, params: Mapping[str, Any], message: str) -> str:
    values: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Mapping) and "code" in value:
            value = error_text(str(value["code"]), value.get("params") or {}, "zh",
                               str(value.get("message") or formula_codes.render_part(value)))
        values[name] = formula_param(name, value)
    suggestion = params.get("suggestion")
    values["hint"] = f"（您是否要写 {suggestion!r}？）" if suggestion else ""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return message


def field_message(error: FieldError, language_code: str | None = None) -> str:
    """A field's error in the request's language."""
    return error_text(error.code, error.params, language_code or language(), error.message)


def engine_error_text(error: FormworkError, language_code: str | None = None) -> str:
    """An engine error's message in the request's language."""
    return error_text(error.message_code, error.params, language_code or language(), error.message)


# What a BPMN problem is about (`bpmn_tag`), and the parts of a process a check names (`what`), in Chinese.
_BPMN_ZH = {"userTask": "人工任务", "task": "任务", "manualTask": "手工任务", "scriptTask": "脚本任务",
            "serviceTask": "服务任务", "callActivity": "调用活动", "subProcess": "子流程", "process": "流程",
            "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
            "startEvent": "开始事件", "endEvent": "结束事件", "boundaryEvent": "边界事件", "lane": "泳道",
            "intermediateCatchEvent": "中间事件", "intermediateThrowEvent": "中间事件", "sequenceFlow": "顺序流"}
_WHAT_ZH = {"condition": "条件", "loop cardinality": "循环次数", "due date": "到期时间", "script": "脚本",
            "lane": "泳道", "candidate group": "候选组", "timer timeDuration": "定时器时长",
            "timer timeDate": "定时器时间点", "timer timeCycle": "定时器周期",  # and a network's fields:
            "group": "分组", "start": "开始", "finish": "完成", "duration": "工期", "links table": "搭接表",
            "predecessor column": "前置任务列", "link type column": "搭接类型列", "lag column": "间隔列",
            "actual start": "实际开始", "actual finish": "实际完成", "percent complete": "完成百分比"}


def problem_text(problem: Problem, language_code: str | None = None) -> str:
    """A declaration problem (a module, an overlay, a process) in the language; the engine's English otherwise."""
    if (language_code or language()) != "zh":
        return problem.message
    return _zh_problem(problem.code, problem.params) or problem.message


def problem_json(problem: Problem, bpmn_file: str | None = None, language_code: str | None = None) -> dict[str, Any]:
    """A problem as the designer's pages and API give it: its `message` in the reader's language, `code` and
    `params` the same in every language (engine.customization.process_editor.problem_json gives the rest)."""
    return {**process_problem_json(problem, bpmn_file), "message": problem_text(problem, language_code),
            "code": problem.code, "params": jsonable(problem.params)}


def jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params as JSON holds them: texts, whole numbers, booleans, lists and parts as they are; anything else
    (Decimals, formula types, exceptions) as the text the message shows of it."""
    return {key: _plain(value) for key, value in params.items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return jsonable(value)
    return str(value)


def _zh_problem(code: str, params: Mapping[str, Any]) -> str | None:
    template = zh_template(code)
    if template is None:
        return None
    values = {name: _zh_part(name, value) for name, value in params.items()}
    suggestion = params.get("suggestion")
    values["hint"] = f"（您是否要写 {suggestion!r}？）" if suggestion else ""
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError):
        return None
    tag, ident = params.get("bpmn_tag"), params.get("bpmn_id")
    if not tag:
        return text
    kind = _BPMN_ZH.get(str(tag), str(tag))
    return f"{kind} {ident!r}：{text}" if ident else f"{kind}：{text}"


def _zh_part(name: str, value: Any) -> Any:
    """A param in Chinese: a nested part of the message by its own code, a check's word for what it read."""
    if isinstance(value, Mapping) and "code" in value:
        code, part_params = str(value["code"]), value.get("params") or {}
        if code not in declaration_codes.DECLARATION_MESSAGES:  # a value's error, by a code of the engine's tables
            return error_text(code, part_params, "zh", str(value.get("message", "")))
        return _zh_problem(code, part_params) or declaration_codes.render(code, part_params)
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        words = [_zh_part(name, item) for item in value]
        return words[0] if len(words) == 1 else f"{'、'.join(map(str, words[:-1]))}或{words[-1]}"
    if name == "what" and isinstance(value, str):
        return _WHAT_ZH.get(value, value)
    return value


def update_catalogs() -> None:
    """`make messages`: extract the codes into the template, update the PO files (pending texts of ZH join)."""
    for path in catalogs.update(ZH):
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
