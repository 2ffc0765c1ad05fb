"""A history with known structure, for the tests and bench/assist.py: who is late, and why, is decided here.

Each crew has a hidden tendency to be late; each task's lateness is a logistic of that tendency, the delay
signals written about it, the bad weather on its project during its span, its predecessor's delay and its
length, plus noise. Its start slips a little with the same causes, so "late so far" (the naive rule) knows
part of the answer, and the progress reports (every three days, linear between the actual dates) show the
pace. A seeded `random.Random`: the same seed gives the same history.
"""
from __future__ import annotations

import math
import random
from datetime import date, timedelta

from formwork_assist.delay.features import History, Task
from formwork_assist.delay.signals import KEYWORDS, Signal

START = date(2025, 1, 6)
WORDS = [(word, category) for category, words in KEYWORDS.items() for word in words[:3]]


def history(tasks: int = 600, *, crews: int = 10, projects: int = 5, seed: int = 7) -> History:
    """`tasks` finished tasks over `projects` projects, in chains of predecessors, done by `crews` crews."""
    rnd = random.Random(seed)
    tendency = {f"crew-{n}": rnd.gauss(0.0, 1.0) for n in range(crews)}
    made = History()
    for p in range(projects):
        project = f"project-{p}"
        made.weather[project] = [(START + timedelta(days=d), "rain") for d in range(900) if rnd.random() < 0.08]
    per_project = math.ceil(tasks / projects)
    for p in range(projects):
        project = f"project-{p}"
        bad_days = {day for day, _kind in made.weather[project]}
        day = START + timedelta(days=rnd.randint(0, 20))
        previous: Task | None = None
        for n in range(per_project):
            if len(made.tasks) >= tasks:
                break
            crew = rnd.choice(sorted(tendency))
            duration = rnd.randint(5, 30)
            ref_start = day
            ref_finish = ref_start + timedelta(days=duration - 1)
            pred_delay = max(0, (previous.actual_finish - previous.ref_finish).days) if previous and \
                previous.actual_finish else 0
            said = [rnd.choice(WORDS) for _ in range(_poisson(rnd, 0.5))]
            weather = sum(1 for d in range(duration) if ref_start + timedelta(days=d) in bad_days)
            z = (-1.6 + 1.1 * tendency[crew] + 0.8 * len(said) + 0.25 * weather + 0.1 * pred_delay
                 + 0.02 * duration + rnd.gauss(0.0, 1.0))
            start_slip = max(0, min(pred_delay, 5) // 2 + _poisson(rnd, 0.4 + 0.3 * max(0.0, tendency[crew])))
            if z > 0:
                finish_delay = start_slip + 1 + _poisson(rnd, 3.0)
            else:
                finish_delay = min(start_slip, 0) - rnd.randint(0, 2) if start_slip == 0 else \
                    rnd.choice([0, -1, start_slip // 2 - start_slip])
            actual_start = ref_start + timedelta(days=start_slip)
            actual_finish = max(actual_start, ref_finish + timedelta(days=finish_delay))
            task = Task(id=f"{project}-t{n}", code=f"{p + 1}.{n + 1}", name=f"任务 {n + 1}", project=project,
                        crew=crew, ref_start=ref_start, ref_finish=ref_finish, actual_start=actual_start,
                        actual_finish=actual_finish, pct=100.0, predecessors=(previous.id,) if previous else ())
            made.tasks[task.id] = task
            span = (actual_finish - actual_start).days + 1
            made.progress[task.id] = [(actual_start + timedelta(days=d), round(min(100.0, (d + 1) * 100 / span), 1))
                                      for d in range(0, span, 3)] + [(actual_finish, 100.0)]
            made.signals[task.id] = [(ref_start + timedelta(days=rnd.randint(0, duration - 1)), Signal(word, category))
                                     for word, category in said]
            previous = task
            day = ref_finish + timedelta(days=1 + rnd.randint(-3, 2))
    return made


def _poisson(rnd: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rnd.random()
    while product > limit:
        count += 1
        product *= rnd.random()
    return count
