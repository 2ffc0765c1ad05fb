"""Each built-in function's signature and a one-line description in Chinese and English.

The designer's formula editor offers these while an administrator types. A function a plugin registers without
a line here is offered with its name and `(...)` (see `describe`). Keep one line per function registered in this
package (tests/overlays/test_rule_designer_pages.py checks that none is missing).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.formula.functions import FUNCTIONS


@dataclass(frozen=True)
class Description:
    name: str
    signature: str
    zh: str
    en: str

    def doc(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


_LINES: dict[str, tuple[str, str, str]] = {
    "if": ("if(条件, 是则, 否则)", "条件成立取第二个值，否则取第三个值",
           "the second value when the condition holds, else the third"),
    "sum": ("sum(列表)", "合计，如 sum(workers.days)；空值不计",
            "the total of a list, e.g. sum(workers.days); nulls skipped"),
    "count": ("count(列表)", "个数，如 count(workers)", "how many items, e.g. count(workers)"),
    "avg": ("avg(列表)", "平均值；空值不计", "the average of a list; nulls skipped"),
    "min": ("min(a, b, …)", "最小值（一个列表或几个值）", "the smallest of a list or of several values"),
    "max": ("max(a, b, …)", "最大值（一个列表或几个值）", "the largest of a list or of several values"),
    "round": ("round(数, 小数位=0)", "四舍五入到指定小数位", "rounds half up to the given decimal places"),
    "abs": ("abs(数)", "绝对值", "the absolute value"),
    "coalesce": ("coalesce(a, b, …)", "第一个不为空的值", "the first value that is not null"),
    "today": ("today()", "今天的日期", "today's date"),
    "now": ("now()", "当前日期时间", "the current date and time"),
    "year": ("year(日期)", "日期的年份", "the year of a date"),
    "month": ("month(日期)", "日期的月份（1–12）", "the month of a date (1–12)"),
    "day": ("day(日期)", "日期是当月第几天", "the day of the month of a date"),
    "days_between": ("days_between(开始, 结束)", "两个日期相差的天数（结束 − 开始）",
                     "the days from start to end (end − start)"),
    "hours_between": ("hours_between(开始, 结束)", "两个日期时间相差的小时数",
                      "the hours from start to end (two datetimes)"),
    "len": ("len(文本或列表)", "文本的字数或列表的个数", "the length of a text or a list"),
    "contains": ("contains(文本或列表, 部分)", "文本是否包含某段文字，或列表是否包含某项",
                 "whether a text contains a part, or a list an item"),
    "date": ("date(值)", "转为日期，如 date('2024-05-01')", "a date from a text, e.g. date('2024-05-01')"),
    "datetime": ("datetime(值)", "转为日期时间", "a date and time from a text"),
    "text": ("text(值)", "转为文本", "the value as text"),
    "upper": ("upper(文本)", "转为大写", "the text in upper case"),
    "lower": ("lower(文本)", "转为小写", "the text in lower case"),
    "starts_with": ("starts_with(文本, 开头)", "文本是否以某段文字开头", "whether a text starts with a prefix"),
    "ends_with": ("ends_with(文本, 结尾)", "文本是否以某段文字结尾", "whether a text ends with a suffix"),
    "count_distinct": ("count_distinct(列表)", "不重复的个数", "how many distinct items a list holds"),
    "overlaps": ("overlaps(列表a, 列表b)", "两个列表是否有共同项", "whether two lists share an item"),
    "id_check_ok": ("id_check_ok(身份证号)", "18位身份证号的校验位是否正确",
                    "whether an 18-character resident ID's check character is right"),
    "period_add": ("period_add('2025-01', 月数)", "把年月（YYYY-MM）前后移动若干个月",
                   "moves a 'YYYY-MM' period by whole months"),
    "workdays_between": ("workdays_between(开始, 结束, 日历?)", "两个日期之间的工作日数（含首尾）",
                         "the working days from start to end, both included"),
    "add_workdays": ("add_workdays(日期, 天数, 日历?)", "若干个工作日之后的日期", "the day n working days later"),
    "year_month": ("year_month(日期)", "日期所在的年月，如 2024-05", "the month of a date as text, e.g. 2024-05"),
    "age_bucket": ("age_bucket(天数, [30, 90, 180])", "账龄区间，如 0–30天",
                   "the ageing band of a number of days, e.g. 0–30天"),
}


def describe(name: str) -> Description:
    """The function's signature and description; a plugin's function without a line gets `name(...)`."""
    found = _LINES.get(name)
    if found is None:
        return Description(name, f"{name}(…)", "", "")
    return Description(name, *found)


def described() -> list[Description]:
    """Every function a formula may call (`if` included), by name."""
    return [describe(name) for name in sorted({"if", *FUNCTIONS.names()})]


def undescribed() -> list[str]:
    """Registered functions without a description (a plugin's may have none: it is offered as `name(…)`)."""
    return [name for name in FUNCTIONS.names() if name not in _LINES]
