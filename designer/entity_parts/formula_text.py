"""The formula checker's problems as the formula editor shows them: in Chinese for a Chinese page, by the
problem's code (engine/core/codes/formula_codes.py), with fields named by their label beside their key (the designer is
the one place keys are shown)."""
from __future__ import annotations

from collections.abc import Callable

from designer.words import w
from engine.customization.formula_probe import ProbeProblem
from engine.declarations.model import EntitySpec
from web.ui.error_text import error_text
from web.ui.i18n import language

Namer = Callable[[str], str]

# The editor's own words for the problems met most while typing (a did-you-mean names the field by its label);
# every other problem is said by its code's Chinese text.
_EDITOR_ZH = {
    "formula_unknown_field": "没有字段 {field}{mean}",
    "formula_unknown_ref_field": "{owner!r} 没有字段 {field}{mean}",
    "formula_unknown_ref_field_entity": "{owner!r}（{entity}）没有字段 {field}{mean}",
    "formula_unknown_column": "表格 {table} 的行没有字段 {field}{mean}",
    "formula_unknown_hop_column": "表格 {head}.{attr} 的行没有字段 {field}{mean}",
    "formula_unknown_function": "没有函数 {name}{mean}",
    "formula_unknown_param": "没有参数 {name}{mean}",
    "formula_syntax_end": "公式不完整：后面还缺少内容",
}
_TYPES = ("bool", "number", "money", "text", "date", "datetime", "null", "list", "ref", "row", "any")


def problem_text(problem: ProbeProblem, name: Namer) -> str:
    """The problem in the page's language; `name(key)` gives a field's label for a did-you-mean."""
    if problem.expected is not None:
        return _expected(problem.expected, problem.found or "any")
    if language() != "zh" or problem.reason is None:
        return problem.message
    code, params = str(problem.reason.get("code")), problem.reason.get("params") or {}
    if code in _EDITOR_ZH:
        suggestion = params.get("suggestion")
        mean = f"（您是不是要写 {name(str(suggestion))}？）" if suggestion else ""
        try:
            return _EDITOR_ZH[code].format(**params, mean=mean)
        except (KeyError, IndexError, ValueError):
            pass
    return error_text(code, params, "zh", problem.message)


def namer(spec: EntitySpec, row_table: str | None) -> Namer:
    """Names a field for a did-you-mean: its label and key (`人数（headcount）`)."""
    fields = spec.fields if row_table is None else spec.fields[row_table].fields

    def name(key: str) -> str:
        found = fields.get(key)
        return f"{found.label.get(language())}（{key}）" if found is not None else key
    return name


def _expected(expected: str, found: str) -> str:
    want, got = type_label(expected), type_label(found)
    if language() == "zh":
        return f"公式的结果应为{want}，而它是{got}"
    return f"The formula must give {want}, but it gives {got}"


def type_label(kind: str) -> str:
    """A formula type in the page's language."""
    return w(f"type.{kind}") if kind in _TYPES else kind

