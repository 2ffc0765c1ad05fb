"""Amounts in Chinese capitals (大写金额), as cheques, invoices and approval forms write them."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")            # within a group of four digits
GROUPS = ("", "万", "亿", "万亿")           # each group of four digits
LIMIT = Decimal(10) ** 16                  # 万亿 is the largest group
CENT = Decimal("0.01")


def rmb_upper(amount: Decimal) -> str:
    """`amount` in yuan as 大写: 1234.50 -> 壹仟贰佰叁拾肆元伍角整, rounded half up to the fen.

    The rules of the People's Bank's settlement measures: one 零 stands for a run of zeros inside the
    number (1004 壹仟零肆元整, 100100 壹拾万零壹佰元整), none for zeros ending a group; 整 follows 元 or 角,
    never 分; 零 before the 角 (or the 分) when the yuan end in zero (1680.32 壹仟陆佰捌拾元零叁角贰分);
    a negative amount starts with 负. Raises ValueError past 9999万亿.
    """
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if cents.copy_abs() >= LIMIT:
        raise ValueError(f"{amount} is too large to write in Chinese capitals (the limit is 万亿)")
    sign = "负" if cents < 0 else ""
    yuan, rest = divmod(int(cents.copy_abs() * 100), 100)
    jiao, fen = divmod(rest, 10)
    text = _integer(yuan)
    if yuan:
        text += "元"
    if not jiao and not fen:
        return sign + (text or "零元") + "整"
    if yuan and (yuan % 10 == 0 or not jiao):
        text += "零"
    if jiao:
        text += DIGITS[jiao] + "角"
    return sign + text + (DIGITS[fen] + "分" if fen else "整")


def _integer(number: int) -> str:
    """The whole yuan without the 元: 零 for each run of zeros before a non-zero digit, none at a group's end."""
    digits = str(number) if number else ""
    parts: list[str] = []
    pending_zero = False
    group_has_digit = False
    for index, char in enumerate(digits):
        position = len(digits) - 1 - index
        if char == "0":
            pending_zero = bool(parts)
        else:
            if pending_zero:
                parts.append("零")
            pending_zero = False
            group_has_digit = True
            parts.append(DIGITS[int(char)] + PLACES[position % 4])
        if position % 4 == 0:
            if group_has_digit and position:
                parts.append(GROUPS[position // 4])
                pending_zero = False   # a group's trailing zeros need no 零 (20,3000: 贰拾万叁仟)
            group_has_digit = False
    return "".join(parts)
