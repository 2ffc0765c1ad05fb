"""Formulas against hand-written Python lambdas: the 点工单's computed fields and a few typical formulas.

Usage: .venv/bin/python bench/formulas.py [--repeats N]

Compiles the built-in modules (no database), takes the 点工单 (labor.day_labor_ticket) and one ticket's
values (two worker rows, a crew one ref hop away), and times (a) each computed field of the ticket and a
handful of typical formulas through the engine (one evaluation context for the record, as
records/compute.py builds it) against the same expression written as a Python lambda over the same values,
and (b) all of the ticket's computed fields together (`records.compute.compute`, rounding included) against
one hand-written function. It prints the ratio formula time / lambda time (best of N runs); `measure()`
returns the same numbers for the bench table.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.declarations.loader import builtin_folders, compile_all  # noqa: E402
from engine.declarations.model import EntitySpec  # noqa: E402
from engine.formula import Formula, compile_formula  # noqa: E402
from engine.records.compute import Evaluation, compute  # noqa: E402

NOW = datetime(2024, 5, 3, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
CREW = {"id": "crew-1", "crew_leader_name": "王建国", "project": "project-1", "leader_user": "wang",
        "labor_company": "party-2", "main_trade": "trade-1", "headcount_registered": Decimal(12)}
PARAMS = {"late_entry_days": Decimal(3), "production_review_amount": Decimal("2000.00")}
CENT, TENTH = Decimal("0.01"), Decimal("0.1")


def _load_ref(entity: str, record_id: str) -> Mapping[str, Any] | None:
    return CREW if record_id == CREW["id"] else None


def ticket() -> dict[str, Any]:
    """One 点工单's values as the record service holds them (typed; refs are ids)."""
    return {
        "id": "ticket-1", "status": "draft", "created_at": datetime(2024, 5, 2, 8, 0, tzinfo=UTC),
        "created_by": "cost", "project": "project-1", "work_date": date(2024, 5, 2), "crew": "crew-1",
        "trade": "trade-1", "location": "3#楼 5层 东侧", "reason_type": "extra_work",
        "reason": "清理楼层垃圾以便下道工序", "work_content": "清理", "headcount": Decimal(2),
        "days_per_person": Decimal(1), "overtime_hours": Decimal(3), "agreed_price": Decimal("350.00"),
        "unit_price": Decimal("380.00"), "signed_at": datetime(2024, 5, 2, 18, 0, tzinfo=UTC),
        "workers": [{"worker": "worker-1", "trade": "trade-1", "days": Decimal(1), "ot_hours": Decimal(2)},
                    {"worker": "worker-2", "trade": "trade-1", "days": Decimal("0.5"), "ot_hours": None}],
    }


def _days(a: date, b: date) -> Decimal:
    return Decimal((b - a).days)


def _crew(v: Mapping[str, Any], name: str) -> Any:
    crew = v.get("crew")
    record = None if crew is None else _load_ref("base.crew", crew)
    return None if record is None else record.get(name)


def _period(v: Mapping[str, Any]) -> Any:
    d = v.get("work_date")
    return None if d is None else str(d.year) + "-" + ("0" if d.month < 10 else "") + str(d.month)


def _man_days(v: Mapping[str, Any]) -> Any:
    workers = v.get("workers") or []
    if len(workers) > 0:
        return sum((m for r in workers if (m := r.get("man_days")) is not None), Decimal(0))
    h, d, o = v.get("headcount"), v.get("days_per_person"), v.get("overtime_hours")
    return None if h is None or d is None else h * d + (o if o is not None else Decimal(0)) / 8


def _row_man_days(r: Mapping[str, Any]) -> Any:
    d, o = r.get("days"), r.get("ot_hours")
    return None if d is None else d + (o if o is not None else Decimal(0)) / 8


def _amount(v: Mapping[str, Any]) -> Any:
    m, p = v.get("man_days"), v.get("unit_price")
    return None if m is None or p is None else (m * p).quantize(CENT, ROUND_HALF_UP)


def _sign_delay(v: Mapping[str, Any]) -> Any:
    signed, created = v.get("signed_at"), v.get("created_at")
    if signed is None or created is None:
        return None
    return (Decimal((signed - created).total_seconds()) / 86400 * 24).quantize(TENTH, ROUND_HALF_UP)


def _price_source(v: Mapping[str, Any]) -> str:
    agreed, price = v.get("agreed_price"), v.get("unit_price")
    return "manual" if agreed is not None and price is not None and price != agreed else "agreement"


# The ticket's computed fields as a person would write them in Python: same values (read with .get, as
# a field may be missing), same nulls, the same steps as the formula.
FIELD_LAMBDAS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "workers.man_days": _row_man_days,
    "period": _period,
    "late_entry": lambda v: (d := v.get("work_date")) is not None and _days(d, TODAY) > PARAMS["late_entry_days"],
    "crew_leader": lambda v: _crew(v, "crew_leader_name"),
    "man_days": _man_days,
    "lists_workers": lambda v: len(v.get("workers") or []) > 0,
    "price_source": _price_source,
    "amount": _amount,
    "is_billable_to_owner": lambda v: v.get("reason_type") == "owner_visa_work",
    "sign_delay_hours": _sign_delay,
}
# Typical formulas: (formula text, the lambda).
TYPICAL: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
    "arithmetic": ("unit_price * headcount - 10",
                   lambda v: None if (p := v.get("unit_price")) is None or (h := v.get("headcount")) is None
                   else p * h - 10),
    "if/else": ("if(headcount > 10, 'large', 'small')",
                lambda v: "large" if (h := v.get("headcount")) is not None and h > 10 else "small"),
    "date diff": ("days_between(work_date, today())",
                  lambda v: None if (d := v.get("work_date")) is None else _days(d, TODAY)),
    "function call": ("round(unit_price / 3, 2)",
                      lambda v: None if (p := v.get("unit_price")) is None else (p / 3).quantize(CENT, ROUND_HALF_UP)),
    "field lookup": ("crew.crew_leader_name", lambda v: _crew(v, "crew_leader_name")),
    "rule": ("headcount == count(workers)", lambda v: v.get("headcount") == len(v.get("workers") or [])),
}


def _ticket_entity() -> EntitySpec:
    modules, problems = compile_all(builtin_folders())
    if "labor" not in modules:
        raise SystemExit(f"the labor module does not compile: {problems[:3]}")
    return modules["labor"].entities["day_labor_ticket"]


def _best(run: Callable[[Any], Any], argument: Any, number: int, repeats: int) -> float:
    """Best time of one call `run(argument)`, in microseconds, over `repeats` runs of `number` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            run(argument)
        best = min(best, time.process_time() - start)
    return best / number * 1e6


def _row(formula_us: float, lambda_us: float) -> dict[str, float]:
    """µs per call of the formula and of its lambda; `value` and `baseline` name them for bench/table.py."""
    return {"formula_us": round(formula_us, 3), "lambda_us": round(lambda_us, 3),
            "ratio": round(formula_us / lambda_us, 2), "value": round(formula_us, 3), "baseline": round(lambda_us, 3)}


def _engine(evaluation: Evaluation, formula: Formula, values: dict[str, Any],
            parent: dict[str, Any] | None = None) -> tuple[Callable[[Any], Any], Any]:
    """The call records/compute.py makes for a formula on a record, and its argument."""
    record = getattr(evaluation, "record", None)
    if record is None:  # the engine before issue 15: a context per call
        return (lambda given: evaluation.run(formula, given, parent)), values
    return formula.evaluate, record(values, parent)


def measure(repeats: int = 5, number: int = 2000) -> dict[str, dict[str, float]]:
    """Formula time against lambda time (µs per call, and their ratio) per formula, and for all fields."""
    entity = _ticket_entity()
    evaluation = Evaluation(params=PARAMS, user_name="cost", user_roles=("project_cost_engineer",),
                            load_ref=_load_ref, now=NOW)
    values = ticket()
    assert not compute(entity, values, evaluation)  # the computed values the formulas below read
    results: dict[str, dict[str, float]] = {}
    workers = entity.fields["workers"]
    for name, by_hand in FIELD_LAMBDAS.items():
        table, _, column = name.rpartition(".")
        spec = workers.fields[column] if table else entity.fields[name]
        assert spec.formula is not None
        row = values["workers"][0] if table else values
        run, argument = _engine(evaluation, spec.formula, row, values if table else None)
        assert _same(run(argument), by_hand(row), spec.decimal_places), name
        results[name] = _row(_best(run, argument, number, repeats), _best(by_hand, row, number, repeats))
    assert entity.environment is not None
    for name, (text, by_hand) in TYPICAL.items():
        run, argument = _engine(evaluation, compile_formula(text, entity.environment), values)
        assert _same(run(argument), by_hand(values), None), name
        results[name] = _row(_best(run, argument, number, repeats), _best(by_hand, values, number, repeats))

    def engine_all(ticket_values: dict[str, Any]) -> None:
        compute(entity, ticket_values, evaluation)

    def lambdas_all(ticket_values: dict[str, Any]) -> None:
        for row in ticket_values["workers"]:
            row["man_days"] = _rounded(FIELD_LAMBDAS["workers.man_days"](row), CENT)
        for field_name in ("period", "late_entry", "crew_leader", "man_days", "lists_workers", "price_source",
                           "amount", "is_billable_to_owner", "sign_delay_hours"):
            value = FIELD_LAMBDAS[field_name](ticket_values)
            places = entity.fields[field_name].decimal_places
            ticket_values[field_name] = _rounded(value, Decimal(1).scaleb(-places)) if places is not None else value

    results["all computed fields"] = _row(_best(engine_all, ticket(), number // 10, repeats),
                                          _best(lambdas_all, ticket(), number // 10, repeats))
    return results


def _rounded(value: Any, step: Decimal) -> Any:
    """A computed field's rounding, as records/compute.py does it (half up, to the field's places)."""
    return value.quantize(step, ROUND_HALF_UP) if isinstance(value, Decimal) else value


def _same(a: Any, b: Any, places: int | None) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal) and places is not None:
        return a == b.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return bool(a == b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = measure(repeats=args.repeats)
    print(f"{'formula':<24} {'engine µs':>10} {'lambda µs':>10} {'ratio':>7}")
    for name, row in results.items():
        print(f"{name:<24} {row['formula_us']:>10.2f} {row['lambda_us']:>10.2f} {row['ratio']:>6.1f}x")


if __name__ == "__main__":
    main()
