"""Chinese capital amounts (大写金额) as the settlement rules write them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.printing.amounts import rmb_upper


@pytest.mark.parametrize(("amount", "words"), [
    # the examples of the People's Bank's rules for writing amounts
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    # 整 after 元 or 角, never after 分
    ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("1234", "壹仟贰佰叁拾肆元整"),
    ("2000.00", "贰仟元整"),
    # one 零 for a run of zeros inside the number, none where a group ends in zeros
    ("1004", "壹仟零肆元整"),
    ("1010", "壹仟零壹拾元整"),
    ("100100", "壹拾万零壹佰元整"),
    ("203000", "贰拾万叁仟元整"),
    ("10000", "壹万元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("1000000000000", "壹万亿元整"),
    ("99999999999999.99", "玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("10", "壹拾元整"),
    # less than a yuan, and zero
    ("0", "零元整"),
    ("0.50", "伍角整"),
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    ("10.05", "壹拾元零伍分"),
    ("10.50", "壹拾元零伍角整"),
    # negative amounts (a credit note), and more places than fen: half up
    ("-12.30", "负壹拾贰元叁角整"),
    ("1234.565", "壹仟贰佰叁拾肆元伍角柒分"),
    ("0.004", "零元整"),
    ("-0.004", "零元整"),
])
def test_amounts_in_chinese_capitals(amount: str, words: str) -> None:
    assert rmb_upper(Decimal(amount)) == words


def test_an_amount_too_large_for_the_capitals_is_refused() -> None:
    with pytest.raises(ValueError, match="too large to write in Chinese capitals"):
        rmb_upper(Decimal("10000000000000000"))
