"""Dates people say (今天, 昨天, 上周五, 3月5日, 本月10号) as calendar dates, counted from today in the tenant's
zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0, "2": 1, "3": 2,
            "4": 3, "5": 4, "6": 5, "7": 6}
_DAYS = {"今天": 0, "今日": 0, "当天": 0, "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3, "前日": -2}
_PATTERN = re.compile(
    r"(?P<iso>(?P<y>20\d\d)[-/.年](?P<ym>\d{1,2})[-/.月](?P<yd>\d{1,2})[日号]?)"
    r"|(?P<week>(?P<wp>上上|上|本|这|今)?(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7]))"
    r"|(?P<md>(?P<mp>上个?月|本月|这个?月|今月)?(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})(?:日|号)(?![楼栋院线门桩机库坑位]))"
    r"|(?P<rel>大前天|前天|昨天|今天|今日|昨日|当天|前日)")


@dataclass(frozen=True)
class SaidDate:
    value: date
    start: int
    end: int
    why: str


def dates_in(text: str, today: date) -> list[SaidDate]:
    """Every date said in `text` (normalized: Arabic digits), in order; impossible dates (2月30日) are left out."""
    found = []
    for match in _PATTERN.finditer(text):
        said = _date_of(match, today)
        if said is not None:
            found.append(SaidDate(said[0], match.start(), match.end(), said[1]))
    return found


def _date_of(match: re.Match[str], today: date) -> tuple[date, str] | None:
    words = match.group()
    try:
        if match.group("iso"):
            return date(int(match.group("y")), int(match.group("ym")), int(match.group("yd"))), f"「{words}」是日期"
        if match.group("rel"):
            value = today + timedelta(days=_DAYS[match.group("rel")])
            return value, f"「{words}」按今天 {today.isoformat()} 推算"
        if match.group("week"):
            prefix = match.group("wp") or ""
            monday = today - timedelta(days=today.weekday())
            weeks_back = {"上上": 2, "上": 1}.get(prefix, 0)
            value = monday - timedelta(weeks=weeks_back) + timedelta(days=_WEEKDAY[match.group("wd")])
            if not prefix and value > today:   # a bare 周五 said on a Wednesday is last week's
                value -= timedelta(weeks=1)
            return value, f"「{words}」按今天 {today.isoformat()} 推算"
        month_prefix = match.group("mp") or ""
        year, month = today.year, today.month
        if month_prefix.startswith("上"):
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        if match.group("m"):
            month = int(match.group("m"))
            if month > today.month and not month_prefix:   # 12月5日 said in January: last year's
                year -= 1
        value = date(year, month, int(match.group("d")))
        if not match.group("m") and not month_prefix and value > today:   # a bare 28号 said on the 3rd
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            value = date(year, month, int(match.group("d")))
        return value, f"「{words}」按今天 {today.isoformat()} 推算"
    except ValueError:
        return None


def period_of(words: str, today: date) -> tuple[date, date] | None:
    """The first and last day of a period said in a filter (本周, 上个月, 今年 ...), None when it is not one."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    periods = {
        "今天": (today, today), "昨天": (today - timedelta(days=1),) * 2,
        "本周": (monday, monday + timedelta(days=6)), "这周": (monday, monday + timedelta(days=6)),
        "上周": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "本月": (first_of_month, _month_end(today)), "这个月": (first_of_month, _month_end(today)),
        "上个月": (last_month_end.replace(day=1), last_month_end),
        "上月": (last_month_end.replace(day=1), last_month_end),
        "今年": (date(today.year, 1, 1), date(today.year, 12, 31)),
        "去年": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    return periods.get(words)


PERIOD_WORDS = ("今天", "昨天", "本周", "这周", "上周", "本月", "这个月", "上个月", "上月", "今年", "去年")


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
