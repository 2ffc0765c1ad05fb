"""Delay signals in what people write: a keyword dictionary whose categories are the delay risk's sources.

Progress reports (issues, line remarks), delay risks and approval comments are scanned for words that
announce a delay (暴雨, 材料未到, 图纸变更, 劳务纠纷, 停工 ...). A plain dictionary, no model and nothing
downloaded: the word found is the reason, and its category is the `risk_source` of schedule.delay_risk
the suggestion offers to raise. A negation just before the word (未/没有/无 暴雨) does not count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# risk_source of schedule.delay_risk -> words (longest matched first)
KEYWORDS: dict[str, tuple[str, ...]] = {
    "weather": ("暴雨", "大雨", "降雨", "雨天", "下雨", "台风", "暴雪", "大雪", "冰冻", "大风", "高温", "雷电",
                "恶劣天气", "汛期"),
    "material": ("材料未到", "材料没到", "材料未进场", "材料短缺", "缺料", "断料", "到货延迟", "供货延迟",
                 "钢筋未到", "混凝土供应", "商砼供应", "设备未到", "材料不足"),
    "design": ("图纸变更", "设计变更", "图纸未到", "图纸问题", "图纸错误", "缺图", "等图纸", "深化设计",
               "图纸会审"),
    "labor": ("劳务纠纷", "人手不足", "人员不足", "劳动力不足", "工人不足", "缺人", "工人罢工", "讨薪",
              "工人离场", "班组撤场"),
    "funding": ("资金不足", "资金紧张", "欠款", "付款延迟", "未付款", "拖欠"),
    "owner_external": ("业主要求", "甲方要求", "征地", "拆迁", "交通管制", "扰民", "停电", "停水", "环保检查",
                       "重大活动"),
    "safety_quality": ("停工", "安全事故", "质量问题", "返工", "整改", "安全检查", "停工整改", "质量事故"),
}
LABELS: dict[str, dict[str, str]] = {
    "material": {"zh": "材料供应", "en": "Material supply"}, "labor": {"zh": "劳动力不足", "en": "Labor shortage"},
    "design": {"zh": "设计/图纸", "en": "Design / drawings"}, "weather": {"zh": "天气", "en": "Weather"},
    "funding": {"zh": "资金", "en": "Funding"}, "owner_external": {"zh": "业主/外部", "en": "Owner / external"},
    "safety_quality": {"zh": "安全质量停工", "en": "Safety or quality stop"}, "other": {"zh": "其他", "en": "Other"},
}
NEGATIONS = ("未", "没有", "没", "无", "不是", "非")
_WORDS = sorted(((word, category) for category, words in KEYWORDS.items() for word in words),
                key=lambda pair: -len(pair[0]))
_PATTERN = re.compile("|".join(re.escape(word) for word, _category in _WORDS))
_CATEGORY = dict(_WORDS)


@dataclass(frozen=True)
class Signal:
    """One delay signal: the word found, its category (a risk source) and where it was written."""

    word: str
    category: str
    source: str = ""          # e.g. "progress_report TB-…", "comment"
    day: str | None = None    # ISO date it was written, when known

    def as_dict(self) -> dict[str, object]:
        return {"word": self.word, "category": self.category, "category_label": LABELS[self.category],
                "source": self.source, "date": self.day}


def find_signals(text: str | None, *, source: str = "", day: str | None = None) -> list[Signal]:
    """The delay signals of a text, once per word, in the order written; negated words are left out."""
    found: dict[str, Signal] = {}
    for match in _PATTERN.finditer(text or ""):
        word = match.group(0)
        before = (text or "")[max(0, match.start() - 2):match.start()]
        if any(before.endswith(negation) for negation in NEGATIONS) and not word.startswith(NEGATIONS):
            continue
        found.setdefault(word, Signal(word, _CATEGORY[word], source, day))
    return list(found.values())


def main_category(signals: list[Signal]) -> str:
    """The category most signals share (ties: the first written); `other` when there are none."""
    if not signals:
        return "other"
    counts: dict[str, int] = {}
    for signal in signals:
        counts[signal.category] = counts.get(signal.category, 0) + 1
    return max(counts, key=lambda category: counts[category])
