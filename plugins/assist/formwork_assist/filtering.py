"""A phrase ("上个月超过2000元的点工单", "木工一班本周的点工单") into a list filter in the formula language of `?q=`.

Each part of the formula comes with the words it was made of; the whole is compiled and run once against the
caller's list (the engine's own filter compiler, with their row filters and hidden fields) before it is offered.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from engine.declarations.model import EntitySpec
from engine.errors import BadRequest, FormulaError
from engine.records.service import Records
from formwork_assist import lexicon
from formwork_assist.dates import PERIOD_WORDS, period_of
from formwork_assist.numbers import Sentence

_MORE = ("超过", "大于", "高于", "多于", "不少于", "至少", "以上")
_LESS = ("低于", "少于", "小于", "不超过", "不到", "以内", "以下")
_UNITS = "|".join(sorted({w for words in lexicon.UNIT_WORDS.values() for w in words}, key=len, reverse=True))
_COMPARE = re.compile(rf"(?P<pre>{'|'.join(_MORE + _LESS)})?\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>{_UNITS})?"
                      rf"\s*(?P<post>{'|'.join(_MORE + _LESS)})?")


def quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _date_field(entity: EntitySpec, fields: dict[str, Any], phrase: str) -> str | None:
    dates = [n for n, s in fields.items() if s.type == "date"]
    named = [n for n in dates if fields[n].label.zh in phrase]
    ranked = named or [n for n in dates if fields[n].required] or dates
    return ranked[0] if ranked else None


def filter_of(records: Records, entity: EntitySpec, phrase: str, today: date) -> dict[str, Any]:
    """`{"formula", "why"}` for `phrase`; refused (coded) when nothing in it makes a filter or the result does not
    compile against the caller's view of the entity."""
    vocabulary = lexicon.vocabulary(records, entity, filtering=True)
    fields = vocabulary.fields
    parts: list[str] = []
    why: list[str] = []
    rest = phrase
    for word in sorted({entity.title.zh, entity.title.en or ""} - {""}, key=len, reverse=True):
        rest = rest.replace(word, " ")
    # names of records the caller may read
    for target, candidates in vocabulary.candidates.items():
        refs = [n for n, s in fields.items() if s.type == "ref" and s.target == target]
        owner = vocabulary.targets[target]
        for candidate in sorted(candidates, key=lambda c: -len(c.title)):
            said = next((w for w, _sure in lexicon.title_variants(candidate.title) if w in rest), None)
            if said is None or not refs or not owner.title_field:
                continue
            name = refs[0]
            parts.append(f"{name}.{owner.title_field} == {quoted(candidate.title)}")
            why.append(f"「{said}」：{fields[name].label.zh}是「{candidate.title}」")
            rest = rest.replace(said, " ")
    # periods
    for word in sorted(PERIOD_WORDS, key=len, reverse=True):
        if word in rest:
            period = period_of(word, today)
            on = _date_field(entity, fields, phrase)
            if period is None or on is None:
                continue
            first, last = period
            parts.append(f"{on} >= date('{first.isoformat()}') and {on} <= date('{last.isoformat()}')")
            why.append(f"「{word}」：{fields[on].label.zh}在 {first.isoformat()} 至 {last.isoformat()}")
            rest = rest.replace(word, " ")
            break
    # options
    for name, spec in fields.items():
        if spec.type != "enum":
            continue
        for key, words in lexicon.option_words(spec).items():
            said = next((w for w in words if w in rest), None)
            if said is not None:
                parts.append(f"{name} == {quoted(key)}")
                why.append(f"「{said}」：{spec.label.zh}是「{spec.options[key].zh}」")
                rest = rest.replace(said, " ")
                break
    # comparisons of quantities
    sentence = Sentence.of(rest)
    kinds = {n: lexicon.unit_class(s) for n, s in fields.items()}
    for match in _COMPARE.finditer(sentence.text):
        direction = match.group("pre") or match.group("post")
        if direction is None:
            continue
        unit = match.group("unit") or "元"
        kind = next(k for k, words in lexicon.UNIT_WORDS.items() if unit in words)
        candidates_ = [n for n, k in kinds.items() if k == kind]
        if not candidates_:
            continue
        named = [n for n in candidates_ if fields[n].label.zh in phrase]
        main = [n for n in candidates_ if fields[n].label.zh in ("金额", "人数", "工日") or n in ("amount", "total")]
        name = (named or main or candidates_)[0]
        value = Decimal(match.group("n")) * (10000 if unit == "万元" else 1)
        operator = ">" if direction in _MORE else "<"
        if direction in ("不少于", "至少", "以上"):
            operator = ">="
        elif direction in ("不超过", "以内", "以下"):
            operator = "<="
        parts.append(f"{name} {operator} {format(value.normalize(), 'f')}")
        why.append(f"「{sentence.source(match.start(), match.end()).strip()}」：{fields[name].label.zh} {operator} "
                   f"{format(value.normalize(), 'f')}")
    if re.search(r"我(?:的|创建|填)", phrase):
        parts.append("created_by == user.name")
        why.append("「我的」：由您创建")
    if not parts:
        raise BadRequest(f"no filter could be made of {phrase!r}; say it another way or write the formula",
                         message_code="assist_filter_not_understood", params={"text": phrase})
    formula = " and ".join(parts)
    try:
        records.find(entity.module, entity.name, q=formula, limit=1)
    except FormulaError as error:
        raise BadRequest(f"the filter made of {phrase!r} does not compile: {error.message}",
                         message_code="assist_filter_invalid",
                         params={"text": phrase, "error": error.message}) from error
    return {"formula": formula, "why": why}
