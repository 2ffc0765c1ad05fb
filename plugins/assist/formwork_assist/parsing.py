"""A sentence into the field values of a new record, each with a confidence, the words used and a reason.

Generic over declared entities: references by the titles of the records the caller may read, dates by the
words people use, quantities by their unit near a field's label, options by their labels and synonyms, and what
a named record implies (a crew's trade and project) through the entity's own `fill` or the record's refs.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from engine.declarations.model import Action, EntitySpec
from engine.records.service import Records
from formwork_assist import lexicon
from formwork_assist.dates import dates_in
from formwork_assist.lexicon import Candidate, Vocabulary
from formwork_assist.numbers import Sentence

_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)\s*(" + "|".join(sorted(
    {w for words in lexicon.UNIT_WORDS.values() for w in words}, key=len, reverse=True)) + ")")
_LOCATION = re.compile(
    r"(?:(?:[A-Za-z]?\d+\s*[#＃号]\s*(?:楼|栋|厂房|库|塔楼)?|\d+\s*栋|[A-Z]\d*区|\d+\s*单元|(?:地下|负)?\d+\s*层|地下室|屋面|"
    r"基坑|[东西南北]侧|[东西南北]区|\d+\s*[-~至]\s*\d+\s*轴|[A-Z]\s*轴|楼梯间|电梯井|走廊|卫生间)\s*)+")
_STOP = set("在的了和与及、,，。.;；!！?？ 、给把被到从去来共约大概左右一共总共") | {"个", "每人", "每个人"}


@dataclass
class Found:
    value: Any
    confidence: float
    source: str
    why: str


class Parse:
    """One sentence read against one entity for one caller."""

    def __init__(self, records: Records, entity: EntitySpec, text: str, today: date) -> None:
        self.records, self.entity, self.original, self.today = records, entity, text, today
        self.vocabulary: Vocabulary = lexicon.vocabulary(records, entity)
        self.found: dict[str, Found] = {}
        self.used: list[tuple[int, int]] = []
        self.records_of: dict[str, Candidate] = {}   # field -> the record a reference names

    def run(self) -> dict[str, Any]:
        self._references()
        self._implied()
        sentence = Sentence.of(self.original, keep=list(self.used))
        self._dates(sentence)
        self._locations(sentence)
        self._quantities(sentence)
        self._options()
        self._implied()
        self._usual_options()
        return self.answer()

    # -- references -------------------------------------------------------------------------------------------
    def _references(self) -> None:
        matches: list[tuple[int, int, str, Candidate, float]] = []
        for target, candidates in self.vocabulary.candidates.items():
            for candidate in candidates:
                for words, sure in lexicon.title_variants(candidate.title):
                    for hit in re.finditer(re.escape(words), self.original):
                        matches.append((hit.start(), hit.end(), target, candidate, sure))
        matches.sort(key=lambda m: (-(m[1] - m[0]), -m[4], m[0]))
        accepted: list[tuple[int, int, str, Candidate, float]] = []
        for match in matches:   # the longest name wins where names overlap (市政杂工班 over 杂工班)
            if not any(match[0] < other[1] and other[0] < match[1] for other in accepted):
                accepted.append(match)
        taken: set[tuple[str, str]] = set()
        for start, end, target, candidate, sure in sorted(accepted):   # then in the order they were said
            if (target, candidate.id) in taken:
                continue
            name = self._ref_field(target, start)
            if name is None:
                continue
            taken.add((target, candidate.id))
            spec = self.vocabulary.targets[target]
            self.found[name] = Found(candidate.id, sure, self.original[start:end],
                                     f"「{self.original[start:end]}」是您可查看的{spec.title.zh}「{candidate.title}」")
            self.records_of[name] = candidate
            self.used.append((start, end))

    def _ref_field(self, target: str, start: int) -> str | None:
        """Which open reference field to the target a name fills: the one whose label is said just before it,
        else the first required one; an optional one only when its label is said (扣款班组钢筋班)."""
        open_fields = [n for n, s in self.vocabulary.fields.items() if s.target == target and n not in self.found]
        if not open_fields:
            return None
        before = self.original[max(0, start - 6):start]
        for name in open_fields:
            if any(word in before for word in self.vocabulary.label_words(name) if len(word) >= 2):
                return name
        required = [n for n in open_fields if self.vocabulary.fields[n].required]
        if required:
            return required[0]
        every = [n for n, s in self.vocabulary.fields.items() if s.target == target]
        return open_fields[0] if len(every) == 1 else None

    def _implied(self) -> None:
        """A reference left open takes the record a named record points at: the entity's own `fill` (`crew.main_trade`)
        first, else the one reference of the named record to that entity (the crew's project)."""
        for name, spec in self.vocabulary.fields.items():
            if name in self.found or spec.type != "ref" or spec.target not in self.vocabulary.candidates:
                continue
            if spec.fill is None and not spec.required:   # an optional reference is left to the person
                continue
            readable = {c.id: c for c in self.vocabulary.candidates[spec.target]}
            for source, record in list(self.records_of.items()):
                via = self._via(spec.fill.text if spec.fill is not None else "", source, spec.target)
                if via is None or str(record.data.get(via)) not in readable:
                    continue
                target = readable[str(record.data.get(via))]
                source_spec = self.vocabulary.fields[source]
                owner = self.vocabulary.targets[source_spec.target or ""]
                self.found[name] = Found(target.id, 0.9, self.found[source].source,
                                         f"由{source_spec.label.zh}「{record.title}」的"
                                         f"{owner.fields[via].label.zh}得出：{target.title}")
                self.records_of[name] = target
                break

    def _via(self, fill: str, source: str, target: str | None) -> str | None:
        """The field of the source's record that names the target."""
        owner = self.vocabulary.targets.get(self.vocabulary.fields[source].target or "")
        if owner is None:
            return None
        declared = re.fullmatch(rf"\s*{re.escape(source)}\.(\w+)\s*", fill)
        if declared and declared.group(1) in owner.fields:
            return declared.group(1)
        pointing = [n for n, s in owner.fields.items() if s.type == "ref" and s.target == target]
        return pointing[0] if len(pointing) == 1 else None

    # -- dates, places, quantities, options ---------------------------------------------------------------
    def _dates(self, sentence: Sentence) -> None:
        date_fields = [n for n, s in self.vocabulary.fields.items() if s.type == "date"]
        for said in dates_in(sentence.text, self.today):
            start, end = sentence.span(said.start, said.end)
            if self._overlaps(start, end):
                continue
            open_fields = [n for n in date_fields if n not in self.found]
            if not open_fields:
                break
            before = self.original[max(0, start - 6):start]
            named = [n for n in open_fields if any(w in before for w in self.vocabulary.label_words(n) if len(w) >= 2)]
            required = [n for n in open_fields if self.vocabulary.fields[n].required]
            name = (named or required or open_fields)[0]
            self.found[name] = Found(said.value.isoformat(), 0.95, sentence.source(said.start, said.end), said.why)
            self.used.append((start, end))

    def _locations(self, sentence: Sentence) -> None:
        places = [n for n, s in self.vocabulary.fields.items() if lexicon.is_location(s) and n not in self.found]
        if not places:
            return
        for match in _LOCATION.finditer(sentence.text):
            start, end = sentence.span(match.start(), match.end())
            if not match.group().strip() or self._overlaps(start, end):
                continue
            words = self.original[start:end].strip()
            self.found[places[0]] = Found(words, 0.8, words, f"「{words}」是楼栋、楼层或部位")
            self.used.append((start, end))
            return

    def _quantities(self, sentence: Sentence) -> None:
        kinds = {n: lexicon.unit_class(s) for n, s in self.vocabulary.fields.items()}
        for match in _QUANTITY.finditer(sentence.text):
            start, end = sentence.span(match.start(), match.end())
            if self._overlaps(start, end):
                continue
            unit = match.group(2)
            kind = next(k for k, words in lexicon.UNIT_WORDS.items() if unit in words)
            open_fields = [n for n, k in kinds.items() if k == kind and n not in self.found]
            if not open_fields:
                continue
            cue = re.split(r"[,，。;；]", sentence.text[max(0, match.start() - 6):match.start()])[-1]
            scored = sorted(open_fields, key=lambda n: -sum(len(w) for w in self.vocabulary.label_words(n)
                                                              if len(w) >= 2 and w in cue))
            name = scored[0]
            spec = self.vocabulary.fields[name]
            value = Decimal(match.group(1)) * (10000 if unit == "万元" else 1)
            if spec.type == "integer" and value != value.to_integral_value():
                continue
            said = sentence.source(match.start(), match.end())
            cue_words = [w for w in self.vocabulary.label_words(name) if len(w) >= 2 and w in cue]
            why = (f"「{said}」的单位“{unit}”对应{spec.label.zh}" +
                   (f"，前面说了“{cue_words[0]}”" if cue_words else ""))
            number: Any = int(value) if spec.type == "integer" else format(value.normalize(), "f")
            self.found[name] = Found(number, 0.9 if cue_words or len(open_fields) == 1 else 0.7,
                                     self.original[start:end], why)
            self.used.append((start, end))
            if cue_words:   # the label's words said before the number were used too (加班2小时)
                at = match.start() - len(cue) + cue.rfind(cue_words[0])
                self.used.append(sentence.span(at, at + len(cue_words[0])))

    def _options(self) -> None:
        for name, spec in self.vocabulary.fields.items():
            if spec.type != "enum" or name in self.found:
                continue
            best: tuple[int, int, str, str] | None = None
            for key, words in lexicon.option_words(spec).items():
                for word in words:
                    at = self.original.find(word)
                    longer = best is None or len(word) > best[1] - best[0]
                    if at >= 0 and longer and not self._overlaps(at, at + len(word)):
                        best = (at, at + len(word), key, word)
            if best is not None:
                start, end, key, word = best
                label = spec.options[key].zh
                self.found[name] = Found(key, 0.85 if word in label else 0.7, word, f"「{word}」对应选项「{label}」")
                self.used.append((start, end))

    def _usual_options(self) -> None:
        """A required option nobody said: the value most of the caller's records with the same named records carry."""
        open_enums = [n for n, s in self.vocabulary.fields.items() if s.type == "enum" and s.required
                      and n not in self.found and s.default is None]
        keys = [(n, f.value) for n, f in self.found.items() if n in self.records_of][:1]
        if not open_enums or not keys or not self.records.access(self.entity).allows(Action.READ):
            return
        field, value = keys[0]
        page = self.records.find(self.entity.module, self.entity.name, q=f"{field} == '{value}'", limit=200)
        for name in open_enums:
            counts = Counter(item["data"].get(name) for item in page.items if item["data"].get(name))
            if not counts:
                continue
            key, times = counts.most_common(1)[0]
            label = self.vocabulary.fields[name].options.get(key)
            share = times / sum(counts.values())
            self.found[name] = Found(key, round(min(0.6, share * 0.6), 2), "",
                                     f"句中没有说；{self.vocabulary.fields[field].label.zh}"
                                     f"「{self.records_of[field].title}」以往{times}张单据多为"
                                     f"「{label.zh if label else key}」")

    # -- the answer -----------------------------------------------------------------------------------------
    def _overlaps(self, start: int, end: int) -> bool:
        return any(start < b and a < end for a, b in self.used)

    def answer(self) -> dict[str, Any]:
        fields = {name: {"value": found.value, "confidence": found.confidence, "source": found.source,
                         "why": found.why} for name, found in self.found.items()}
        for name, record in self.records_of.items():
            fields[name]["title"] = record.title
        ordered = {name: fields[name] for name in self.entity.fields if name in fields}
        return {"values": {name: item["value"] for name, item in ordered.items()}, "fields": ordered,
                "unused": unused_words(self.original, self.used)}


def unused_words(text: str, used: list[tuple[int, int]]) -> list[str]:
    """The words of the sentence no field took (jieba's own dictionary; punctuation and particles left out)."""
    import jieba  # a second to load its dictionary: only when a sentence is read

    jieba.setLogLevel(logging.WARNING)
    chars = list(text)
    for start, end in used:
        for i in range(start, end):
            chars[i] = " "
    return [word for piece in "".join(chars).split() for word in jieba.lcut(piece)
            if word.strip() and word not in _STOP and not all(c in _STOP for c in word)]


def parse(records: Records, module: str, entity: str, text: str, today: date) -> dict[str, Any]:
    """The field values `text` gives a new record of module.entity, for the caller of `records` (who must be
    allowed to create one)."""
    spec = records.entity(module, entity)
    records.access(spec).require(Action.CREATE)
    return Parse(records, spec, text, today).run()
