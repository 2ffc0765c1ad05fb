"""Chinese texts of the formula error codes (engine/core/codes/formula_codes.py), and the formula types in Chinese
words.

Merged into web.ui.error_text.ZH; `make messages` moves the texts into engine/locale/zh_CN.
"""
from __future__ import annotations

from typing import Any

from engine.core.codes.formula_codes import TYPE_PARAMS

FORMULA_ZH: dict[str, str] = {
    "formula_column": "第 {column} 列",
    "formula_line_column": "第 {line} 行第 {column} 列",
    "formula_syntax_char": "语法错误：意外的字符 {char!r}{expected}",
    "formula_syntax_token": "语法错误：意外的 {token!r}{expected}",
    "formula_syntax_chain": "语法错误：意外的 {token!r}（比较不能连写；请写成 a < b and b < c）",
    "formula_syntax_end": "语法错误：公式意外结束{expected}",
    "formula_syntax": "语法错误{expected}",
    "formula_expected_value": "（此处应为一个值）",
    "formula_expected": "（此处应为{words}）",
    "formula_escape": "字符串中有未知的转义序列 '\\{escape}'",
    "formula_unknown_field": "未知字段 {field!r}{hint}",
    "formula_one_hop": "只允许跨一层引用：'{head}.{attr}' 后面不能再接 '.{next}'",
    "formula_one_hop_column": "只允许跨一层引用：'{head}.{attr}' 后面不能再接 '.{next}'（跨引用之后只能接表格的列）",
    "formula_unknown_hop_column": "表格 '{head}.{attr}' 的行中没有字段 {field!r}{hint}",
    "formula_unknown_ref_field": "{owner!r} 没有字段 {field!r}{hint}",
    "formula_unknown_ref_field_entity": "{owner!r}（{entity}）没有字段 {field!r}{hint}",
    "formula_unknown_column": "表格 {table!r} 的行中没有字段 {field!r}{hint}",
    "formula_no_fields": "{name!r} 是{type}，不是引用或表格，没有字段 {field!r}",
    "formula_this_alone": "请写 this.<字段> 来读取发起查找的记录的字段",
    "formula_unknown_this_field": "本记录没有字段 {field!r}{hint}",
    "formula_parent_alone": "请写 parent.<字段> 来读取这一行所属记录的字段",
    "formula_unknown_parent_field": "上级记录没有字段 {field!r}{hint}",
    "formula_parent_table": "'parent.{field}' 是表格；行公式只能读取上级记录的单个值",
    "formula_params_alone": "请写 params.<名称> 来读取模块参数",
    "formula_unknown_param": "未知参数 {name!r}{hint}",
    "formula_user_attr": "当前用户只有 'user.name' 和 'user.roles'{hint}",
    "formula_list_types": "列表各项的类型必须一致，发现了{left}和{right}",
    "formula_field_outside_aggregate": "在报表度量中，字段 {field!r} 必须放在汇总函数里，例如 sum({field})",
    "formula_unknown_function": "未知函数 {name!r}{hint}",
    "formula_count_records": "不带参数的 count() 统计记录数，只能用于报表度量",
    "formula_if_arguments": "if() 需要 3 个参数（条件、条件成立时的值、不成立时的值），实际为 {count} 个",
    "formula_if_condition": "if() 的条件必须是是否值，不能是{type}",
    "formula_if_branches": "if() 两个分支的类型必须一致，发现了{left}和{right}",
    "formula_nested_aggregates": "汇总函数不能嵌套",
    "formula_aggregate_numbers": "{name}() 需要数字，不能是{type}",
    "formula_aggregate_ordered": "{name}() 需要数字、文本或日期，不能是{type}",
    "formula_not_bool": "'not' 需要是否值，不能是{type}",
    "formula_unary_number": "一元 {op!r} 需要数字，不能是{type}",
    "formula_logic_bool": "{op!r} 的两边必须是是否值，不能是{type}",
    "formula_null_ordering": "用 {op!r} 与 null 比较永远为假；请用 '== null' 或 '!= null'",
    "formula_expected_type": "公式的结果应为{expected}，实际为{found}",
    "formula_in_measure": "{reason}（对多条记录的字段使用 {name}() 只能用于报表度量）",
    "formula_cannot_arith": "不能对{left}和{right}做{verb}运算",
    "formula_money_by_money": "金额不能乘以金额（其中一边应是数量或单价）",
    "formula_number_by_money": "数字不能除以金额",
    "formula_remainder_by_money": "数字不能对金额取余",
    "formula_compare_list": "不能用 {op!r} 比较{side}；请用 in 或 contains()",
    "formula_order_kind": "{side}不能用 {op!r} 比较大小",
    "formula_cannot_compare": "不能比较{left}和{right}",
    "formula_in_needs_list": "in 的右边必须是列表，不能是{container}",
    "formula_in_needs_list_text": "in 的右边必须是列表，不能是{container}；在文本中查找请用 contains(text, part)",
    "formula_cannot_look_for": "不能在{container}中查找{item}",
    "formula_arity": "{name}() 需要{arity}，实际为 {count} 个",
    "formula_arity_none": "不带参数",
    "formula_arity_exact": " {low} 个参数{plural}",
    "formula_arity_range": " {low} 到 {high} 个参数",
    "formula_arity_at_least": "至少 {low} 个参数{plural}",
    "formula_argument_type": "{name}() 的第 {number} 个参数必须是{expected}，不能是{found}",
    "formula_argument_calendar": "{name}() 的第 {number} 个参数必须是引用（{entity}）或 null，不能是{found}",
    "formula_list_of": "{name}() 需要{what}列表，例如 {name}(lines.amount)；实际为{found}",
    "formula_count_list": "count() 需要列表，例如 count(lines)；实际为{found}",
    "formula_extreme_kinds": "{name}() 比较的是数字、文本或日期，不能是{found}",
    "formula_one_type": "{name}() 各参数的类型必须一致：{left}和{right}",
    "formula_two_dates": "days_between() 需要两个日期或两个日期时间，不能是{left}和{right}",
    "formula_contains_look": "contains() 不能在{container}中查找{item}",
    "formula_text_single": "text() 只能转换单个值，不能是{found}",
    "formula_scalar_list": "{name}() 需要值的列表，例如 {name}(workers.worker)；实际为{found}",
    "formula_overlaps_types": "overlaps() 不能比较{left}和{right}",
    "formula_age_days": "age_bucket() 的第 1 个参数必须是天数，不能是{found}",
    "formula_age_bounds": "age_bucket() 需要以天为单位的分界列表，例如 [30, 90, 180]；实际为{found}",
    "formula_not_in_filter": "筛选条件中不能使用{what}",
    "formula_what_computed_list": "由记录的值算出的列表",
    "formula_what_parent": "'parent.{field}'（表格行所属的记录）",
    "formula_what_child_table": "子表 '{field}'",
    "formula_what_child_values": "子表的值 '{field}'",
    "formula_what_list_field": "多值字段 '{field}'（{type}，不是文本列表）",
    "formula_what_function": "函数 {name}()",
    "formula_what_datetime_days": "对记录中的日期时间加天数（请用 days_between）",
    "formula_what_unknown_type": "对类型不明的值的运算",
    "formula_list_in_filter": "筛选条件中，列表只能用在 in 的右边或 contains() 中",
    "formula_list_field_in_filter": ("筛选条件中，多值字段 '{field}' 只能用在 in 的右边、contains()、len()、count() "
                                     "中或与 '== null' 比较"),
    "formula_argument_in_filter": "{reason}；因此不能用于筛选条件",
}

_TYPES = {"number": "数字", "money": "金额", "text": "文本", "bool": "是否值", "date": "日期", "datetime": "日期时间",
          "null": "空值", "list": "列表", "ref": "引用", "row": "表格行", "any": "任意值", "decimal": "数字",
          "integer": "整数"}
_VERBS = {"add": "加法", "subtract": "减法", "multiply": "乘法", "divide": "除法", "take the remainder of": "取余"}
_WHAT = {"numbers": "数字", "numbers, texts or dates": "数字、文本或日期"}
_WORDS = {"an operator": "运算符", "the end of the formula": "公式结尾"}


def type_words(value: str) -> str:
    """A formula type's English name ("a number", "list of text", "ref to m.e", "date or datetime") in Chinese."""
    if " or " in value:
        return "或".join(type_words(part) for part in value.split(" or "))
    for article in ("a ", "an "):
        if value.startswith(article):
            value = value[len(article):]
    if value.startswith("list of "):
        return f"{type_words(value[len('list of '):])}列表"
    if value.startswith("ref to "):
        return f"引用（{value[len('ref to '):]}）"
    return _TYPES.get(value, value)


def formula_param(name: str, value: Any) -> Any:
    """One param of a formula message in Chinese words, where it is an English word the engine chose."""
    if not isinstance(value, str):
        return value
    if name in TYPE_PARAMS:
        return type_words(value)
    if name == "plural":
        return ""
    if name == "what":
        return _WHAT.get(value, value)
    if name == "verb":
        return _VERBS.get(value, value)
    if name == "words":
        return "或".join(_WORDS.get(word, word) for word in value.replace(", ", " or ").split(" or "))
    return value
