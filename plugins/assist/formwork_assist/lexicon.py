"""What an entity's form can be told, read from its declaration and the caller's records.

For each field the caller may type into: the words of its labels, the kind of quantity it holds (people, hours,
days, money), its options' labels and synonyms, and — for a reference — the titles of the records the caller may
read (row filters applied by the engine's own `find`: a record outside them is never a candidate).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.declarations.model import Action, EntitySpec, FieldSpec
from engine.records.service import Records

MAX_CANDIDATES = 500   # records read per referenced entity; a tenant's crews, workers and projects fit
_SPLIT = re.compile(r"[/／()（）、,，;；\s]+")
_CN_DIGITS = "零一二三四五六七八九"
# words a site says for an option whose label does not say them (matched against the option's label)
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "返工": ("返工", "返修", "修补", "整改", "重做", "拆除重做"),
    "清理": ("清理", "打扫", "清扫", "清运", "垃圾", "杂活", "搬运"),
    "抢险": ("抢险", "应急", "抽水", "排水", "抢修", "暴雨"),
    "配合": ("配合", "协助", "帮忙", "帮", "配合其他"),
    "签证": ("签证", "甲方", "业主要求", "建设单位"),
    "零星": ("零星", "合同外", "额外", "临时", "支模", "加固", "修路"),
    "在场": ("在场", "在岗"),
}


@dataclass(frozen=True)
class Candidate:
    """A record a reference may point at: its id, its title and its values (for what it implies)."""

    id: str
    title: str
    data: Mapping[str, Any]


@dataclass
class Vocabulary:
    """The fillable fields of one entity for one caller, and the records its references may name."""

    entity: EntitySpec
    fields: dict[str, FieldSpec]
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)   # target "module.entity" -> records
    targets: dict[str, EntitySpec] = field(default_factory=dict)

    def label_words(self, name: str) -> list[str]:
        spec = self.fields[name]
        words = [part for part in _SPLIT.split(spec.label.zh) if part]
        return sorted({*words, *(w for w in _label_parts(spec.label.zh))}, key=len, reverse=True)


def vocabulary(records: Records, entity: EntitySpec, *, filtering: bool = False) -> Vocabulary:
    """The entity's fields the caller may type into (`filtering`: those they may read) and the records each
    reference may name."""
    access = records.access(entity)
    hidden, readonly = access.hidden_fields, access.readonly_fields
    if filtering:
        fillable = {name: spec for name, spec in entity.fields.items()
                    if not (spec.hidden or name in hidden or spec.type in ("table", "attachment"))}
    else:
        fillable = {name: spec for name, spec in entity.fields.items()
                    if not (spec.is_computed or spec.hidden or spec.readonly or spec.numbering is not None
                            or spec.task_fact is not None or name in hidden or name in readonly
                            or spec.type in ("table", "attachment"))}
    found = Vocabulary(entity, fillable)
    for spec in fillable.values():
        if spec.type == "ref" and spec.target and spec.target not in found.candidates:
            target = records.entity_of(spec.target)
            if target is None or not records.access(target).allows(Action.READ):
                continue
            found.targets[spec.target] = target
            found.candidates[spec.target] = _readable(records, target)
    return found


def _readable(records: Records, target: EntitySpec) -> list[Candidate]:
    """The target's records the caller may read, through the engine's find (their row filters apply)."""
    page = records.find(target.module, target.name, limit=MAX_CANDIDATES)
    title_field = target.title_field
    out = []
    for item in page.items:
        data = item.get("data") or {}
        title = data.get(title_field) if title_field else None
        if isinstance(title, str) and title.strip():
            out.append(Candidate(str(item["id"]), title.strip(), data))
    return out


def title_variants(title: str) -> list[tuple[str, float]]:
    """Ways people say a record's title, with how sure a match is: 木工一班 / 木工1班, 3#楼 / 3号楼, a long name's
    first words (城南安置房 for 城南安置房一期)."""
    variants = {title: 1.0}
    arabic = "".join(str(_CN_DIGITS.index(c)) if c in _CN_DIGITS[1:] else c for c in title)
    chinese = "".join(_CN_DIGITS[int(c)] if c.isdigit() and c != "0" else c for c in title)
    for other in (arabic, chinese, title.replace("#", "号"), title.replace("号", "#")):
        variants.setdefault(other, 0.95)
    stem = re.sub(r"(一期|二期|三期|工程|项目|有限公司|公司)$", "", title)
    if len(stem) >= 4 and stem != title:
        variants.setdefault(stem, 0.8)
    return sorted(variants.items(), key=lambda pair: len(pair[0]), reverse=True)


def option_words(spec: FieldSpec) -> dict[str, list[str]]:
    """Each option's words: its labels, their parts, and the synonyms of those parts."""
    words: dict[str, list[str]] = {}
    for key, label in spec.options.items():
        said = {label.zh, *(_SPLIT.split(label.zh))}
        if label.en:
            said.add(label.en.lower())
        for part in list(said):
            for stem, more in SYNONYMS.items():
                if stem in part:
                    said.update(more)
        words[key] = sorted((w for w in said if len(w) >= 2), key=len, reverse=True)
    return words


UNIT_WORDS: Mapping[str, tuple[str, ...]] = {
    "people": ("个人", "人", "名", "位", "个工人", "工人"),
    "hours": ("个小时", "小时", "钟头", "h"),
    "days": ("工日", "工天", "天"),
    "money": ("万元", "块钱", "元", "块"),
    "percent": ("%",),
}


def unit_class(spec: FieldSpec) -> str | None:
    """The kind of quantity a numeric field holds, from its type, labels, name and unit."""
    if spec.type == "money":
        return "money"
    if spec.type == "percent":
        return "percent"
    if spec.type not in ("integer", "decimal"):
        return None
    said = f"{spec.label.zh} {(spec.label.en or '').lower()} {spec.name} {spec.presentation.get('unit', '')}"
    for kind, cues in (("people", ("人数", "headcount", "people", "persons", "worker_count")),
                       ("hours", ("小时", "hour")), ("days", ("天", "工日", "day")), ("money", ("元", "amount"))):
        if any(cue in said for cue in cues):
            return kind
    return None


def is_location(spec: FieldSpec) -> bool:
    said = f"{spec.label.zh} {(spec.label.en or '').lower()} {spec.name}"
    return spec.type == "text" and any(cue in said for cue in ("部位", "位置", "地点", "区域", "location", "area"))


def _label_parts(label: str) -> list[str]:
    """Two-character pieces of a Chinese label (加班小时 -> 加班, 班小, 小时): cues a sentence may share."""
    core = re.sub(r"[(（].*?[)）]", "", label)
    return [core[i:i + 2] for i in range(len(core) - 1)]
