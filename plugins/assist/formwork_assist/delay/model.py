"""The delay model: a logistic regression per tenant, or a fixed rule while history is short — both explainable.

The probability is a logistic of a sum of per-feature terms, so each term is that feature's contribution and
the largest positive ones are the reasons. A trained model is kept as plain numbers (means, scales,
coefficients, intercept) in the tenant's plugin store: it is read back without scikit-learn and without
unpickling anything. Fewer finished tasks than `MIN_HISTORY` (or only one outcome among them): the rule
below, whose weights are written here for anyone to read, and whose first reason says so.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from formwork_assist.delay.features import FEATURES, Rows, Snapshot
from formwork_assist.delay.signals import Signal

MIN_HISTORY = 30     # finished tasks needed before a model is trained
# The rule: logistic(RULE_BIAS + Σ weight × value); progress_gap counts only when behind plan.
RULE_BIAS = -2.0
RULE_WEIGHTS = {"slip_days": 0.3, "progress_gap": 0.04, "pred_delay": 0.2, "crew_late_rate": 2.0, "signals": 0.5,
                "duration": 0.0}
RULE_CENTRES = {"crew_late_rate": 0.5}   # a crew without a record (rate ½) adds nothing
HIGH, MEDIUM = 0.6, 0.3


@dataclass(frozen=True)
class DelayModel:
    """A trained logistic regression as numbers: p = logistic(intercept + Σ coef × (x − mean) / scale)."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefs: tuple[float, ...]
    intercept: float
    trained_at: str
    samples: int
    finished_tasks: int
    auc: float | None = None        # on the held-out part of the history at training time
    naive_auc: float | None = None  # the "late so far" rule on the same part

    def contributions(self, values: Mapping[str, float]) -> dict[str, float]:
        return {name: coef * (values[name] - mean) / scale
                for name, mean, scale, coef in zip(FEATURES, self.means, self.scales, self.coefs, strict=True)}

    def probability(self, values: Mapping[str, float]) -> float:
        return logistic(self.intercept + sum(self.contributions(values).values()))

    def as_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "means": list(self.means), "scales": list(self.scales),
                "coefs": list(self.coefs), "intercept": self.intercept, "trained_at": self.trained_at,
                "samples": self.samples, "finished_tasks": self.finished_tasks, "auc": self.auc,
                "naive_auc": self.naive_auc}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DelayModel | None:
        """The stored model, or None when it was trained on other features (a newer plugin retrains)."""
        if list(data.get("features", [])) != list(FEATURES):
            return None
        return cls(tuple(map(float, data["means"])), tuple(map(float, data["scales"])),
                   tuple(map(float, data["coefs"])), float(data["intercept"]), str(data["trained_at"]),
                   int(data["samples"]), int(data["finished_tasks"]), data.get("auc"), data.get("naive_auc"))


def logistic(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, score))))


def rule_contributions(values: Mapping[str, float]) -> dict[str, float]:
    terms = {}
    for name in FEATURES:
        value = values[name] - RULE_CENTRES.get(name, 0.0)
        if name == "progress_gap":
            value = max(0.0, value)
        terms[name] = RULE_WEIGHTS[name] * value
    return terms


def rule_probability(values: Mapping[str, float]) -> float:
    return logistic(RULE_BIAS + sum(rule_contributions(values).values()))


def can_train(rows: Rows) -> bool:
    return len(set(rows.groups)) >= 2 and 0 < sum(rows.labels) < len(rows.labels)


def train(rows: Rows, finished_tasks: int, *, seed: int = 0) -> DelayModel:
    """Fit the regression on every row; with enough tasks of both outcomes, first measure it (and the naive
    rule) on a quarter of the tasks held out — whole tasks, so no task is on both sides."""
    from sklearn.model_selection import GroupShuffleSplit

    auc = naive_auc = None
    if len(set(rows.groups)) >= 40:
        split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
        fit_part, test_part = next(split.split(rows.features, rows.labels, rows.groups))
        fitted = [rows.labels[i] for i in fit_part]
        if 0 < sum(fitted) < len(fitted):
            probe = fit([rows.features[i] for i in fit_part], fitted)
            auc, naive_auc = compare(probe, [rows.features[i] for i in test_part],
                                     [rows.labels[i] for i in test_part], [rows.naive[i] for i in test_part])
    model = fit(rows.features, rows.labels)
    return DelayModel(model.means, model.scales, model.coefs, model.intercept, model.trained_at, len(rows.labels),
                      finished_tasks, auc, naive_auc)


def compare(model: DelayModel, features: Sequence[Sequence[float]], labels: Sequence[int],
            naive: Sequence[float]) -> tuple[float | None, float | None]:
    """AUC of the model and of the naive "late so far" score on the same rows (None: one outcome only)."""
    from sklearn.metrics import roc_auc_score

    if not 0 < sum(labels) < len(labels):
        return None, None
    scores = [model.probability(dict(zip(FEATURES, row, strict=True))) for row in features]
    return float(roc_auc_score(list(labels), scores)), float(roc_auc_score(list(labels), list(naive)))


def fit(features: Sequence[Sequence[float]], labels: Sequence[int]) -> DelayModel:
    """A standardised logistic regression, as numbers."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(features)
    regression = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(features), list(labels))
    scales = [float(s) if s > 0 else 1.0 for s in scaler.scale_]
    return DelayModel(tuple(float(m) for m in scaler.mean_), tuple(scales),
                      tuple(float(c) for c in regression.coef_[0]), float(regression.intercept_[0]),
                      datetime.now(UTC).isoformat(timespec="seconds"), len(features), 0)


def level_of(probability: float) -> str:
    return "high" if probability >= HIGH else "medium" if probability >= MEDIUM else "low"


LEVELS = {"high": {"zh": "高", "en": "High"}, "medium": {"zh": "中", "en": "Medium"}, "low": {"zh": "低", "en": "Low"}}


def reasons(shot: Snapshot, contributions: Mapping[str, float], *, top: int = 3) -> list[dict[str, Any]]:
    """The features that raise the risk most, in words; the largest one even when none raises it."""
    ranked = sorted(contributions, key=lambda name: -contributions[name])
    chosen = [name for name in ranked if contributions[name] > 0.05][:top] or ranked[:1]
    return [{"feature": name, "contribution": round(contributions[name], 3), **words(name, shot)} for name in chosen]


def words(name: str, shot: Snapshot) -> dict[str, str]:
    """What a feature says about the task, in Chinese and English."""
    value, facts = shot.values[name], shot.facts
    if name == "slip_days":
        days = int(value)
        return ({"zh": f"已滞后 {days} 天", "en": f"{days} days late so far"} if days
                else {"zh": "目前未滞后", "en": "not late so far"})
    if name == "progress_gap":
        pct, planned = _number(facts["pct"]), _number(facts["planned_pct"])
        if value > 0:
            return {"zh": f"进度落后计划 {_number(value)} 个百分点（实际 {pct}%，计划 {planned}%）",
                    "en": f"{_number(value)} points behind plan ({pct}% done, {planned}% planned)"}
        return {"zh": f"进度不落后于计划（实际 {pct}%，计划 {planned}%）",
                "en": f"not behind plan ({pct}% done, {planned}% planned)"}
    if name == "pred_delay":
        days, code = int(value), facts["pred_code"]
        return ({"zh": f"紧前任务 {code} 延误 {days} 天", "en": f"predecessor {code} is {days} days late"} if days
                else {"zh": "紧前任务未延误", "en": "no predecessor is late"})
    if name == "crew_late_rate":
        late, done = int(facts["crew_late"]), int(facts["crew_done"])  # type: ignore[call-overload]
        if not done:
            return {"zh": "责任班组尚无完工记录", "en": "the crew has no finished task yet"}
        return {"zh": f"责任班组以往 {done} 项任务中 {late} 项延误（{round(100 * late / done)}%）",
                "en": f"the crew finished {late} of its {done} earlier tasks late"}
    if name == "signals":
        said: list[Signal] = list(facts["signals"])  # type: ignore[call-overload]
        bad = facts["bad_weather_days"]
        parts_zh, parts_en = [], []
        if said:
            listed = "、".join(signal.word for signal in said[:4])
            parts_zh.append(f"填报/风险/审批意见提到：{listed}")
            parts_en.append(f"reports mention {listed}")
        if bad:
            parts_zh.append(f"恶劣天气 {bad} 天")
            parts_en.append(f"{bad} bad-weather days")
        return ({"zh": "；".join(parts_zh), "en": "; ".join(parts_en)} if parts_zh
                else {"zh": "未见延误信号", "en": "no delay signal reported"})
    return {"zh": f"计划工期 {facts['duration_days']} 天", "en": f"planned duration {facts['duration_days']} days"}


def rule_reason(finished: int, minimum: int) -> dict[str, Any]:
    return {"feature": "rule", "contribution": 0.0,
            "zh": f"已完工任务不足 {minimum} 项（现有 {finished} 项），按透明规则估计："
                  f"滞后每天 +0.3、落后每百分点 +0.04、紧前延误每天 +0.2、班组延误率、每个延误信号 +0.5",
            "en": f"fewer than {minimum} finished tasks ({finished}): estimated by the fixed rule "
                  f"(0.3 per day late, 0.04 per point behind, 0.2 per day of a late predecessor, the crew's "
                  f"late rate, 0.5 per delay signal)"}


def _number(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number == int(number) else f"{number:.1f}"
