"""Issue 19's evaluation of the assist plugin, rerunnable: one markdown table.

    .venv/bin/python bench/assist.py [--tasks 600] [--seeds 3] [--steps 200]

- Delay model: a synthetic history whose lateness depends on known features plus noise
  (plugins/assist/formwork_assist/delay/synthetic.py: the crew's hidden tendency, delay signals, bad weather,
  the predecessor's delay, the length). The model learns from the first three quarters of the finished tasks
  (by reference finish) and is scored on the last quarter, each task at several days of its span while it was
  still open; the naive rule scores the same rows by "days late so far". AUC of each, per seed.
- Assignee: steps whose candidates have a hidden speed (median hours) and a number of past decisions; each
  candidate's past durations are drawn around their speed (log-normal noise) and their open load at random; the
  rank the ranking gives the truly fastest candidate, averaged over the steps.
- Parsing: `formwork_assist.evaluation.evaluate_parsing()`, the field accuracy of the held-out ticket sentences
  on a demo (built in a temporary SQLite file unless --database names one) and the crews it invented.

Everything is offline: no download, no network, a fixed seed per run.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins" / "assist")]

from formwork_assist.assignee import Record, rank  # noqa: E402
from formwork_assist.delay import features, model, synthetic  # noqa: E402


def delay(tasks: int, seed: int) -> dict[str, Any]:
    history = synthetic.history(tasks, seed=seed)
    finished = sorted(history.finished(), key=lambda task: (task.ref_finish, task.id))
    cut = len(finished) * 3 // 4
    learn = features.training_rows(history, finished[:cut])
    held = features.training_rows(history, finished[cut:])
    fitted = model.fit(learn.features, learn.labels)
    auc, naive = model.compare(fitted, held.features, held.labels, held.naive)
    return {"auc": auc, "naive": naive, "rows": len(held.labels), "tasks": len(finished) - cut,
            "late": sum(1 for task in finished[cut:] if task.is_late)}


def assignee(steps: int, seed: int) -> tuple[float, float]:
    """(mean rank of the truly fastest candidate, share of steps where it ranks first)."""
    rnd = random.Random(seed)
    ranks = []
    for _step in range(steps):
        size = rnd.randint(2, 6)
        speeds = {f"u{n}": rnd.uniform(2.0, 48.0) for n in range(size)}
        fastest = min(speeds, key=lambda name: speeds[name])
        people = [Record(name, [speed * rnd.lognormvariate(0.0, 0.4) for _ in range(rnd.randint(1, 12))],
                         rnd.randint(0, 8)) for name, speed in speeds.items()]
        ranked = rank(people)
        ranks.append(next(item["rank"] for item in ranked if item["username"] == fastest))
    return statistics.mean(ranks), sum(1 for r in ranks if r == 1) / len(ranks)


def parsing(database: str | None) -> list[tuple[str, str]]:
    """Field accuracy of parsing the held-out ticket sentences on the demo's names (`database` holds the demo;
    without it a demo is built in a temporary SQLite file)."""
    import tempfile

    from formwork_assist import plugin
    from formwork_assist.evaluation import evaluate_parsing

    from demo.data import DEMO_TENANT, create_demo
    from engine.runtime import Formwork
    from engine.tenancy import plugin_registry

    if "assist" not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    formwork = Formwork(database or f"sqlite:///{tempfile.mkdtemp(prefix='assist-bench-')}/demo.db")
    if not database:
        create_demo(formwork)
    result = evaluate_parsing(formwork, DEMO_TENANT)
    return [(f"parsing: fields right ({result['sentences']} held-out sentences)",
             f"{result['fields_right']}/{result['fields_total']} = {result['accuracy']:.1%}"),
            ("parsing: invented crews", str(result["invented_crews"]))]


def _shown(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=600, help="finished tasks per synthetic history")
    parser.add_argument("--seeds", type=int, default=3, help="histories (seeds 1..N)")
    parser.add_argument("--steps", type=int, default=200, help="workflow steps for the assignee ranking")
    parser.add_argument("--database", help="a database holding the demo tenant, for parsing (default: build one)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows: list[tuple[str, str]] = []
    aucs, naives = [], []
    for seed in range(1, args.seeds + 1):
        found = delay(args.tasks, seed)
        aucs.append(found["auc"])
        naives.append(found["naive"])
        rows.append((f"delay AUC, seed {seed} ({found['tasks']} held-out tasks, {found['late']} late, "
                     f"{found['rows']} rows)", f"model {found['auc']:.3f} · naive {found['naive']:.3f}"))
    beats = all(a > n for a, n in zip(aucs, naives, strict=True))
    rows.append(("delay AUC, mean", f"model {statistics.mean(aucs):.3f} · naive {statistics.mean(naives):.3f} · "
                                    f"{'beats' if beats else 'does NOT beat'} the naive rule on every seed"))
    mean_rank, first = assignee(args.steps, seed=1)
    rows.append((f"assignee: rank of the fastest candidate ({args.steps} steps, 2–6 candidates)",
                 f"mean {mean_rank:.2f} · first in {first:.0%}"))
    rows.extend(parsing(args.database))
    print(f"# Assist evaluation ({time.perf_counter() - started:.1f} s, offline)\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
