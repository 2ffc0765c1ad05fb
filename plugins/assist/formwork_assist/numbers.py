"""Chinese numerals in a sentence as Arabic digits, with a map back to the words people said.

"五个人" reads "5个人", "两个半小时" "2.5小时", "一天半" "1.5天", "半天" "0.5天". The sentence keeps a map from each
character of the normalized text to the span of the original it came from, so a value can name its source words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

_NUMERAL = "零〇一二两三四五六七八九十百千万"
_RUN = re.compile(f"[{_NUMERAL}]+(?:点[{_NUMERAL}]+)?")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，：", "0123456789.,:")
# a numeral run is a number only where a quantity or a date follows; "一起", "统一" stay words
_COUNTED = re.compile(r"\s*(?:个|名|位)?\s*(?:半)?\s*(?:人|工|天|日|号|月|年|小时|钟头|点|元|块|万|千|百|楼|层|栋|单元|"
                      r"米|m|方|吨|次|台|张|周|星期|礼拜|分|%|个)")
_HALF_AFTER = re.compile(r"(\d+(?:\.\d+)?)\s*(个)?半")   # 两个半(小时) -> 2.5
_UNIT_HALF = re.compile(r"(\d+(?:\.\d+)?)\s*(天|小时|个小时|工日)半")   # 一天半 -> 1.5天
_LONE_HALF = re.compile(r"(?<![\d.])半(?=\s*(?:个)?\s*(?:天|小时|工日|钟头))")   # 半天 -> 0.5天


def numeral_value(run: str) -> Decimal | None:
    """The value of one run of Chinese numerals (cn2an), None when it is not a number."""
    try:
        return Decimal(str(cn2an.cn2an(run, "smart")))
    except (ValueError, KeyError, IndexError, InvalidOperation):
        return None


@dataclass
class Sentence:
    """A sentence normalized for reading numbers; `origin[i]` is the original span of normalized character i."""

    original: str
    text: str
    origin: list[tuple[int, int]]

    @classmethod
    def of(cls, original: str, *, keep: list[tuple[int, int]] = ()) -> Sentence:  # type: ignore[assignment]
        """Normalize `original`; spans in `keep` (names already recognised: 木工一班) are left as they are."""
        text = original.translate(_FULL_WIDTH)
        sentence = cls(original, text, [(i, i + 1) for i in range(len(text))])
        sentence._numerals(keep)
        for pattern, replace in ((_UNIT_HALF, _unit_half), (_HALF_AFTER, _half), (_LONE_HALF, lambda m: "0.5")):
            sentence._substitute(pattern, replace, keep)
        return sentence

    def source(self, start: int, end: int) -> str:
        """The original words behind normalized text[start:end]."""
        if start >= end:
            return ""
        return self.original[self.origin[start][0]:self.origin[end - 1][1]]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start][0], self.origin[end - 1][1]

    def _numerals(self, keep: list[tuple[int, int]]) -> None:
        out, origin, last = [], [], 0
        for match in _RUN.finditer(self.text):
            if _kept(self.origin[match.start()], keep) or not _COUNTED.match(self.text, match.end()):
                continue
            value = numeral_value(match.group())
            if value is None:
                continue
            out.append(self.text[last:match.start()])
            origin.extend(self.origin[last:match.start()])
            digits = _plain(value)
            out.append(digits)
            origin.extend([(self.origin[match.start()][0], self.origin[match.end() - 1][1])] * len(digits))
            last = match.end()
        out.append(self.text[last:])
        origin.extend(self.origin[last:])
        self.text, self.origin = "".join(out), origin

    def _substitute(self, pattern: re.Pattern[str], replace: object, keep: list[tuple[int, int]]) -> None:
        out, origin, last = [], [], 0
        for match in pattern.finditer(self.text):
            if _kept(self.origin[match.start()], keep):
                continue
            new = replace(match)  # type: ignore[operator]
            out.append(self.text[last:match.start()])
            origin.extend(self.origin[last:match.start()])
            out.append(new)
            whole = (self.origin[match.start()][0], self.origin[match.end() - 1][1])
            origin.extend([whole] * len(new))
            last = match.end()
        out.append(self.text[last:])
        origin.extend(self.origin[last:])
        self.text, self.origin = "".join(out), origin


def _kept(span: tuple[int, int], keep: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] < end for start, end in keep)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _half(match: re.Match[str]) -> str:
    return _plain(Decimal(match.group(1)) + Decimal("0.5"))


def _unit_half(match: re.Match[str]) -> str:
    return _plain(Decimal(match.group(1)) + Decimal("0.5")) + match.group(2)
