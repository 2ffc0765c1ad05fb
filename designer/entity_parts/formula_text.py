"""The formula checker's problems as the formula editor shows them: in Chinese for a Chinese page, with fields
named by their label beside their key (the designer is the one place keys are shown)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from designer.words import w
from engine.customization.formula_probe import ProbeProblem
from engine.declarations.model import EntitySpec
from web.ui.i18n import language

Namer = Callable[[str], str]

_MEAN = r"(?: \(did you mean '(?P<mean>[^']+)'\?\))?"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p + r"\Z"), zh) for p, zh in [
    (r"unknown field '(?P<name>[^']+)' of (?P<owner>.+?)" + _MEAN, "{owner} 没有字段 {name}{mean}"),
    (r"unknown field '(?P<name>[^']+)' in the rows of table '?(?P<owner>[^']+)'?" + _MEAN,
     "表格 {owner} 的行没有字段 {name}{mean}"),
    (r"unknown field '(?P<name>[^']+)'" + _MEAN, "没有字段 {name}{mean}"),
    (r"unknown function '(?P<name>[^']+)'" + _MEAN, "没有函数 {name}{mean}"),
    (r"unknown parameter '(?P<name>[^']+)'" + _MEAN, "没有参数 {name}{mean}"),
    (r"only one hop is allowed: .*", "引用只能跟随一层"),
    (r"syntax error: unexpected end of formula.*", "公式不完整：后面还缺少内容"),
    (r"syntax error: unexpected character '(?P<name>.+)'", "语法错误：不能识别的字符 {name}"),
    (r"syntax error: unexpected '(?P<name>.+?)' \(comparisons do not chain.*",
     "语法错误：比较不能连写（如 a < b < c），"
                                                                              "请用 and 连接"),
    (r"syntax error: unexpected '(?P<name>.+?)'.*", "语法错误：此处不应出现 {name}"),
    (r"argument (?P<n>\d+) of (?P<name>\w+)\(\) must be (?P<a>\w+), not (?P<b>\w+)",
     "{name}() 的第 {n} 个参数应为{a}，而不是{b}"),
    (r"(?P<name>\w+)\(\) takes (?P<n>.+), got (?P<got>\d+)", "{name}() 的参数个数不对（给了 {got} 个）"),
    (r"cannot compare (?:an? )?(?P<a>\w+) with (?:an? )?(?P<b>\w+)", "{a}不能与{b}比较"),
    (r"cannot (?:add|subtract|multiply|divide) (?:an? )?(?P<a>\w+) and (?:an? )?(?P<b>\w+)", "{a}与{b}不能这样计算"),
    (r"if\(\) condition must be bool, not (?P<a>\w+)", "if() 的条件应为是/否，而不是{a}"),
    (r"'(?P<name>and|or)' needs bool operands, not (?P<a>\w+)", "{name} 两边应为是/否，而不是{a}"),
    (r"'not' needs a bool, not (?P<a>\w+)", "not 后面应为是/否，而不是{a}"),
]]
_TYPES = ("bool", "number", "money", "text", "date", "datetime", "null", "list", "ref", "row", "any")


def problem_text(problem: ProbeProblem, name: Namer) -> str:
    """The problem in the page's language; `name(key)` gives a field's label for a did-you-mean."""
    if problem.expected is not None:
        return _expected(problem.expected, problem.found or "any")
    if language() != "zh":
        return problem.message
    for pattern, zh in _PATTERNS:
        found = pattern.match(problem.message)
        if found is not None:
            return zh.format_map(_Values(found.groupdict(), name))
    return problem.message


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


class _Values(dict[str, str]):
    def __init__(self, groups: Mapping[str, str | None], name: Namer) -> None:
        super().__init__()
        for key, value in groups.items():
            if key == "mean":
                self[key] = f"（您是不是要写 {name(value)}？）" if value else ""
            elif key in ("a", "b"):
                self[key] = type_label(value or "")
            else:
                self[key] = value or ""
