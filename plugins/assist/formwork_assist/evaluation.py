"""Field accuracy of `parse` on held-out ticket sentences (data/ticket_sentences.json), on the demo's names.

A field counts as right when the parse gives the expected value (a reference by the title of the record it
names); a sentence naming a crew that does not exist must leave the crew out: each time it does not is an
invented crew. bench/assist_parse.py prints the table; the plugin's tests hold the bar (>= 85 %, no invention).
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import tenancy
from engine.runtime import Formwork
from engine.storage.models import User
from formwork_assist.parsing import parse

SENTENCES = Path(__file__).parent / "data" / "ticket_sentences.json"


def expected_date(token: str, today: date) -> str:
    """The date a token of the data file means on `today` (today-1, lastweek-4, week-0, md-3-5, month-10)."""
    kind, _, rest = token.partition("-")
    monday = today - timedelta(days=today.weekday())
    if kind == "today":
        return (today - timedelta(days=int(rest))).isoformat()
    if kind == "lastweek":
        return (monday - timedelta(days=7) + timedelta(days=int(rest))).isoformat()
    if kind == "week":
        value = monday + timedelta(days=int(rest))
        return (value - timedelta(days=7) if value > today else value).isoformat()
    if kind == "md":
        month, day = (int(part) for part in rest.split("-"))
        return date(today.year - (month > today.month), month, day).isoformat()
    return today.replace(day=int(rest)).isoformat()


def _same(field: str, expected: Any, got: Any, title: str | None, today: date) -> bool:
    if field == "work_date":
        return bool(got == expected_date(str(expected), today))
    if title is not None:
        return bool(title == expected)
    if isinstance(expected, int | str) and isinstance(got, int | str) and str(expected).replace(".", "").isdigit():
        return bool(Decimal(str(got)) == Decimal(str(expected)))
    return str(got).replace(" ", "") == str(expected).replace(" ", "")


def evaluate_parsing(formwork: Formwork, tenant: str = "demo", username: str | None = None,
                     path: Path = SENTENCES, today: date | None = None) -> dict[str, Any]:
    """Parse every sentence of `path` as `username` of `tenant` and score the fields; returns the totals, the
    per-field table and the misses."""
    data = json.loads(path.read_text(encoding="utf-8"))
    module, entity = data["entity"].split(".")
    with formwork.db.tenant(tenant) as session:
        user = session.scalar(select(User).where(User.username == (username or data["user"])))
        assert user is not None, f"no user {username or data['user']!r} in tenant {tenant!r}"
        actor = tenancy.actor_of(user)
    from formwork_assist.service import today as local_today

    day = today or local_today()
    right, total, invented = Counter[str](), Counter[str](), 0
    misses: list[dict[str, Any]] = []
    started = datetime.now()
    for item in data["sentences"]:
        with formwork.records(actor, reading=True) as records:
            result = parse(records, module, entity, item["text"], day)
        for field, expected in item["expect"].items():
            got = result["fields"].get(field)
            if expected is None:   # a crew that does not exist: never filled
                invented += got is not None
                total[field] += 1
                right[field] += got is None
                continue
            total[field] += 1
            ok = got is not None and _same(field, expected, got["value"], got.get("title"), day)
            right[field] += ok
            if not ok:
                misses.append({"text": item["text"], "field": field, "expected": expected,
                               "got": None if got is None else got.get("title", got["value"])})
    seconds = (datetime.now() - started).total_seconds()
    table = [{"field": field, "right": right[field], "total": total[field],
              "accuracy": round(right[field] / total[field], 3)} for field in total]
    fields_right, fields_total = sum(right.values()), sum(total.values())
    return {"sentences": len(data["sentences"]), "fields_right": fields_right, "fields_total": fields_total,
            "accuracy": round(fields_right / fields_total, 3), "invented_crews": invented, "table": table,
            "misses": misses, "ms_per_sentence": round(seconds * 1000 / len(data["sentences"]), 1)}
