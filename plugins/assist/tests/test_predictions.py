"""The delay model, its rule, the delay signals and the assignee ranking on histories whose answer is known."""
from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from formwork_assist.assignee import Record, rank
from formwork_assist.delay import features, model, synthetic
from formwork_assist.delay.service import Trained, score, suggestion
from formwork_assist.delay.signals import find_signals, main_category


def _split(history: features.History) -> tuple[features.Rows, features.Rows]:
    """The first three quarters of the finished tasks (by reference finish) to learn, the rest to test."""
    finished = sorted(history.finished(), key=lambda task: (task.ref_finish, task.id))
    cut = len(finished) * 3 // 4
    return features.training_rows(history, finished[:cut]), features.training_rows(history, finished[cut:])


def test_the_model_beats_the_late_so_far_rule_on_held_out_tasks() -> None:
    learn, held = _split(synthetic.history(500, seed=11))
    fitted = model.fit(learn.features, learn.labels)
    auc, naive_auc = model.compare(fitted, held.features, held.labels, held.naive)
    assert auc is not None and naive_auc is not None
    assert auc > naive_auc + 0.1 and auc > 0.75, (auc, naive_auc)


def test_the_same_seed_gives_the_same_history_and_model() -> None:
    first, second = synthetic.history(200, seed=3), synthetic.history(200, seed=3)
    assert first.tasks == second.tasks and first.progress == second.progress
    one = model.fit(*_rows(first)).coefs
    assert one == model.fit(*_rows(second)).coefs


def _rows(history: features.History) -> tuple[list[list[float]], list[int]]:
    rows = features.training_rows(history)
    return rows.features, rows.labels


def test_a_trained_model_round_trips_as_plain_numbers_and_measures_itself() -> None:
    history = synthetic.history(300, seed=5)
    trained = model.train(features.training_rows(history), len(history.finished()))
    again = model.DelayModel.from_json(trained.as_json())
    assert again == trained
    assert trained.auc is not None and trained.naive_auc is not None and trained.auc > trained.naive_auc
    assert model.DelayModel.from_json({**trained.as_json(), "features": ["other"]}) is None


def _open_task(**changes: object) -> features.Task:
    today = date(2026, 3, 20)
    values: dict[str, object] = {
        "id": "t1", "code": "1.2", "name": "6层模板", "project": "p", "crew": "c", "ref_start": today - timedelta(10),
        "ref_finish": today + timedelta(5), "actual_start": today - timedelta(6), "pct": 20.0, "status_day": today}
    values.update(changes)
    return features.Task(**values)  # type: ignore[arg-type]


def test_with_little_history_the_rule_scores_and_says_it_is_the_rule() -> None:
    task = _open_task()
    said = find_signals("昨日暴雨，钢筋未到")
    history = features.History(tasks={task.id: task}, signals={task.id: [(date(2026, 3, 18), s) for s in said]})
    item = score(history, task, Trained(None, 3, model.MIN_HISTORY))
    first, *others = item["reasons"]
    assert first["feature"] == "rule" and "不足 30 项（现有 3 项）" in first["zh"] and "fixed rule" in first["en"]
    assert others and all(reason["zh"] and reason["en"] for reason in others)
    assert {reason["feature"] for reason in others} >= {"slip_days", "signals"}
    assert item["level"] in {"high", "medium"} and 0 < item["probability"] < 1
    assert item["suggestion"]["data"]["risk_source"] == "weather"
    calm = _open_task(actual_start=date(2026, 3, 10), pct=80.0)
    quiet = score(features.History(tasks={calm.id: calm}), calm, Trained(None, 0, model.MIN_HISTORY))
    assert quiet["level"] == "low" and len(quiet["reasons"]) >= 2 and quiet["suggestion"] is None


def test_every_scored_task_carries_reasons_in_both_languages() -> None:
    history = synthetic.history(200, seed=9)
    trained = Trained(model.train(features.training_rows(history), 200), 200, model.MIN_HISTORY)
    for task in list(history.tasks.values())[:60]:
        opened = features.Task(**{**task.__dict__, "actual_finish": None, "pct": 40.0})
        item = score(history, opened, trained, day=task.ref_start + timedelta(days=task.duration // 2))
        assert item["reasons"] and all(r["zh"] and r["en"] and r["feature"] in features.FEATURES
                                       for r in item["reasons"])


def test_delay_signals_are_found_with_their_category_and_negations_are_not() -> None:
    said = find_signals("今天暴雨停工半天，商砼供应中断；图纸变更待确认。劳务纠纷已解决")
    assert [(s.word, s.category) for s in said] == [
        ("暴雨", "weather"), ("停工", "safety_quality"), ("商砼供应", "material"), ("图纸变更", "design"),
        ("劳务纠纷", "labor")]
    assert find_signals("今日未停工，无暴雨") == []
    assert [s.word for s in find_signals("材料未到，等图纸")] == ["材料未到", "等图纸"]
    assert main_category(find_signals("材料未到 缺料 暴雨")) == "material"
    assert suggestion(_open_task(), [], "high") is None


def test_candidates_rank_by_speed_count_and_load() -> None:
    ranked = rank([Record("slow", [30.0, 40.0, 50.0], 1), Record("fast", [2.0, 3.0, 4.0], 1),
                   Record("new", [], 0), Record("busy_fast", [3.5, 4.0], 12)])
    assert [item["username"] for item in ranked] == ["fast", "busy_fast", "slow", "new"]
    assert [item["rank"] for item in ranked] == [1, 2, 3, 4]
    fast = ranked[0]
    assert fast["is_fastest"] and fast["median_hours"] == 3.0 and fast["done"] == 3
    assert "中位用时 3 小时（最快）" in fast["reason"]["zh"] and "(fastest)" in fast["reason"]["en"]
    assert ranked[-1]["reason"]["zh"].startswith("尚未办理过此步骤")
