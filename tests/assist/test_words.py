"""Assist's readers of Chinese numbers, dates and units, on their own (no database)."""
from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "plugins" / "assist"))  # whether or not it is pip-installed

from formwork_assist.dates import dates_in, period_of
from formwork_assist.numbers import Sentence, numeral_value

WEDNESDAY = date(2026, 12, 9)


@pytest.mark.parametrize(("said", "normalized"), [
    ("五个人", "5个人"), ("两个半小时", "2.5小时"), ("一个半小时", "1.5小时"), ("一天半", "1.5天"), ("半天", "0.5天"),
    ("1.5天", "1.5天"), ("十二个人", "12个人"), ("两千五百元", "2500元"), ("１．５天", "1.5天"),
    ("每人一天", "每人1天"),
])
def test_chinese_numerals_become_digits_before_a_unit(said: str, normalized: str) -> None:
    assert Sentence.of(said).text == normalized


def test_numerals_that_are_words_or_names_stay() -> None:
    assert Sentence.of("大家一起干").text == "大家一起干"
    assert Sentence.of("木工一班五个人", keep=[(0, 4)]).text == "木工一班5个人"


def test_a_value_names_the_words_it_came_from() -> None:
    sentence = Sentence.of("加班两个半小时")
    start = sentence.text.index("2.5")
    assert sentence.source(start, start + len("2.5小时")) == "两个半小时"


def test_numeral_value() -> None:
    assert numeral_value("两") == Decimal(2) and numeral_value("一百二十") == Decimal(120)


@pytest.mark.parametrize(("said", "meant"), [
    ("今天", date(2026, 12, 9)), ("昨天", date(2026, 12, 8)), ("前天", date(2026, 12, 7)),
    ("大前天", date(2026, 12, 6)),
    ("上周五", date(2026, 12, 4)), ("本周一", date(2026, 12, 7)), ("周五", date(2026, 12, 4)),
    ("星期天", date(2026, 12, 6)),
    ("3月5日", date(2026, 3, 5)), ("11月20号", date(2026, 11, 20)), ("本月10号", date(2026, 12, 10)),
    ("上个月3号", date(2026, 11, 3)), ("28号", date(2026, 11, 28)), ("2026-11-02", date(2026, 11, 2)),
])
def test_relative_dates_count_from_today(said: str, meant: date) -> None:
    found = dates_in(said, WEDNESDAY)
    assert [item.value for item in found] == [meant]
    assert said in found[0].why


def test_a_building_number_is_no_date_and_an_impossible_date_is_left_out() -> None:
    assert dates_in("3号楼5层", WEDNESDAY) == []
    assert dates_in("2月30日", WEDNESDAY) == []


def test_periods_of_a_filter() -> None:
    assert period_of("上个月", WEDNESDAY) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period_of("本周", WEDNESDAY) == (date(2026, 12, 7), date(2026, 12, 13))
    assert period_of("随便", WEDNESDAY) is None
