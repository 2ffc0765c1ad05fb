"""starts_with, ends_with, count_distinct, overlaps, id_check_ok, period_add, hours_between:
Python values, edge cases, and SQL that agrees with Python on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.errors import FormulaError, FormulaRuntimeError
from engine.formula import (
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    TEXT_LIST,
    Context,
    Environment,
    FieldInfo,
    SqlProbe,
    compile_formula,
)
from tests.formula.test_formula_sql import Database, PostgresTarget, SqliteTarget, _postgres_database

D = Decimal
ENV = Environment(fields={
    "code": FieldInfo(TEXT),
    "id_no": FieldInfo(TEXT),
    "period": FieldInfo(TEXT),
    "shift": FieldInfo(NUMBER),
    "start": FieldInfo(DATETIME),
    "end": FieldInfo(DATETIME),
    "day": FieldInfo(DATE),
    "tags": FieldInfo(TEXT_LIST),
    "workers": FieldInfo.table({"worker": FieldInfo(TEXT), "days": FieldInfo(NUMBER)}),
})
ROWS: list[dict[str, Any]] = [
    {"code": "1.2.3", "id_no": "11010519491231002X", "period": "2025-01", "shift": D(-1),
     "start": "2025-01-01T08:00:00+00:00", "end": "2025-01-01T17:30:00+00:00", "tags": ["a", "b"]},
    {"code": "1.20", "id_no": "110105194912310021", "period": "2025-12", "shift": D(1),
     "start": "2025-01-01T08:00:00+08:00", "end": "2025-01-02T08:00:00+00:00", "tags": ["c"]},
    {"code": "2.1", "id_no": "440524188001010014", "period": "2024-03", "shift": D(-15),
     "start": "2025-01-02T00:00:00+00:00", "end": "2025-01-01T00:00:00+00:00", "tags": []},
    {"code": "", "id_no": "44052418800101001", "period": "2024-13", "shift": D(0), "tags": None},
    {"code": "1.2", "id_no": "4405241880010100x4", "period": "24-03", "shift": D(12)},
    {"code": None, "id_no": None, "period": None, "shift": None},
]  # fmt: skip


def _python(text: str) -> list[Any]:
    formula = compile_formula(text, ENV)
    return [formula.evaluate(Context(values=row)) for row in ROWS]


# --- Python ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("starts_with(code, '1.2')", [True, True, False, False, True, False]),
    ("starts_with(code, '1.2.')", [True, False, False, False, False, False]),
    ("starts_with(code, '')", [True, True, True, True, True, False]),
    ("ends_with(code, '.3')", [True, False, False, False, False, False]),
    ("ends_with(code, '1.2.3.4')", [False] * 6),
    ("ends_with(code, '')", [True, True, True, True, True, False]),
    ("id_check_ok(id_no)", [True, False, True, False, False, None]),
    ("period_add(period, shift)", ["2024-12", "2026-01", "2022-12"]),
    ("hours_between(start, end)", [D("9.5"), D(32), D(-24), None, None, None]),
])  # fmt: skip
def test_python_values(text: str, expected: list[Any]) -> None:
    if text.startswith("period_add"):  # rows 3 and 4 hold bad periods: those fail (see below)
        formula = compile_formula(text, ENV)
        assert [formula.evaluate(Context(values=row)) for row in ROWS[:3]] == expected
        assert formula.evaluate(Context(values=ROWS[5])) is None
        return
    assert _python(text) == expected


def test_period_add_refuses_what_is_not_a_period_or_not_whole_months() -> None:
    for text in ("period_add('2024-13', 1)", "period_add('24-03', 1)", "period_add('2024-03', 1.5)",
                 "period_add('9999-12', 1)"):
        with pytest.raises(FormulaRuntimeError, match="period_add"):
            compile_formula(text, ENV).evaluate(Context())
    assert compile_formula("period_add('2025-03', -3)", ENV).evaluate(Context()) == "2024-12"
    assert compile_formula("period_add('2025-03', 0)", ENV).evaluate(Context()) == "2025-03"


def test_id_check_digit_follows_gb_11643() -> None:
    from engine.formula.library.more_functions import ID_CHECK_CHARS, ID_WEIGHTS, id_check_ok

    body = "51010819900307241"
    check = ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    assert id_check_ok(body + check)
    assert not id_check_ok(body + ("0" if check != "0" else "1"))
    assert not id_check_ok("11010519491231002x")  # the check character is an upper-case X
    assert not id_check_ok("1101051949123100 X")


def test_count_distinct_and_overlaps_over_table_columns() -> None:
    lines = [{"worker": "w1", "days": D(1)}, {"worker": "w2", "days": D(1)}, {"worker": "w1"}, {"worker": None}]
    ctx = Context(values={"workers": lines, "tags": ["w2", "x"]})
    assert compile_formula("count_distinct(workers.worker)", ENV).evaluate(ctx) == 2
    assert compile_formula("count_distinct(workers.worker) == count(workers)", ENV).evaluate(ctx) is False
    assert compile_formula("count_distinct(tags)", ENV).evaluate(Context()) == 0
    assert compile_formula("overlaps(workers.worker, tags)", ENV).evaluate(ctx) is True
    assert compile_formula("overlaps(workers.worker, ['x', null])", ENV).evaluate(ctx) is False
    assert compile_formula("overlaps(tags, [null])", ENV).evaluate(ctx) is False
    assert compile_formula("overlaps(tags, ['a'])", ENV).evaluate(Context()) is False


@pytest.mark.parametrize(("text", "message"), [
    ("starts_with(code, 1)", "argument 2 of starts_with\\(\\) must be text"),
    ("count_distinct(code)", "count_distinct\\(\\) needs a list of values"),
    ("count_distinct(workers)", "count_distinct\\(\\) needs a list of values"),
    ("overlaps(tags, [1, 2])", "overlaps\\(\\) cannot compare a list of text with a list of number"),
    ("period_add(period)", "period_add\\(\\) takes 2 arguments, got 1"),
    ("hours_between(day, end)", "argument 1 of hours_between\\(\\) must be datetime"),
    ("id_check_ok(shift)", "argument 1 of id_check_ok\\(\\) must be text"),
])  # fmt: skip
def test_misuse_is_a_formula_error(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        compile_formula(text, ENV)


# --- SQL ------------------------------------------------------------------------------------------


def _document(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    suffix = uuid.uuid4().hex[:8]
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("more") / "more.sqlite"
        engine = sa.create_engine(f"sqlite:///{path}")
        data_type: Any = sa.Text
    else:
        context = _postgres_database()
        url = context.__enter__()
        engine = sa.create_engine(url, connect_args={"options": "-c timezone=UTC"})
        data_type = postgresql.JSONB
    metadata = sa.MetaData()
    rec = sa.Table(f"more_rec_{suffix}", metadata, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("data", data_type))
    project = sa.Table(f"more_project_{suffix}", metadata, sa.Column("id", sa.Text, primary_key=True),
                       sa.Column("data", data_type))
    metadata.create_all(engine)
    with engine.begin() as connection:
        documents = [_document(row) for row in ROWS]
        connection.execute(sa.insert(rec), [
            {"id": i, "data": json.dumps(d) if request.param == "sqlite" else d} for i, d in enumerate(documents)])
    target = SqliteTarget(rec, project) if request.param == "sqlite" else PostgresTarget(rec, project)
    try:
        yield Database(engine, target, rec)
    finally:
        metadata.drop_all(engine)
        engine.dispose()
        if request.param != "sqlite":
            context.__exit__(None, None, None)


AGREEMENT = [
    "starts_with(code, '1.2')",
    "not starts_with(code, '1.2.')",
    "starts_with(code, '')",
    "ends_with(code, '.3') or ends_with(code, '20')",
    "not ends_with(code, '1.2.3.4')",
    "ends_with(code, '')",
    "id_check_ok(id_no)",
    "not id_check_ok(id_no)",
    "period_add(period, 1) == '2025-02'",
    "period_add(period, shift) in ['2024-12', '2026-01', '2022-12']",
    "hours_between(start, end) > 9",
    "hours_between(start, end) < 0",
    "overlaps(tags, ['b', 'c'])",
    "not overlaps(tags, ['b', 'c'])",
    "overlaps(['x', code], ['2.1', 'y'])",
]


@pytest.mark.parametrize("text", AGREEMENT)
def test_sql_agrees_with_python(text: str, db: Database) -> None:
    formula = compile_formula(text, ENV)
    python = {i for i, row in enumerate(ROWS) if _quiet(formula, row) is True}
    now = datetime(2025, 6, 1, tzinfo=UTC)
    assert db.matching(formula.to_sql(db.target, now=now)) == python


def _quiet(formula: Any, row: dict[str, Any]) -> Any:
    try:
        return formula.evaluate(Context(values=row))
    except FormulaRuntimeError:
        return None  # a bad period: the row does not match in SQL either


def test_sql_values_of_period_add_and_hours(db: Database) -> None:
    for text, expected in (("period_add(period, shift)", ["2024-12", "2026-01", "2022-12", None, None, None]),
                           ("hours_between(start, end)", [D("9.5"), D(32), D(-24), None, None, None])):
        formula = compile_formula(text, ENV)
        with db.engine.connect() as connection:
            rows = connection.execute(sa.select(db.rec.c.id, formula.to_sql(db.target)).order_by(db.rec.c.id)).all()
        got = [v if v is None or isinstance(v, str) else D(str(v)).quantize(D("0.0001")).normalize()
               for _, v in rows]
        assert got == [v if not isinstance(v, Decimal) else v.normalize() for v in expected]


def test_count_distinct_counts_distinct_values_over_records_in_a_report_measure(db: Database) -> None:
    measure = compile_formula("count_distinct(code)", ENV, aggregate=True)
    assert measure.is_aggregate
    assert db.scalar(measure.to_sql(db.target)) == 5  # '1.2.3', '1.20', '2.1', '', '1.2'


@pytest.mark.parametrize(("text", "message"), [
    ("count_distinct(tags) > 1", "count_distinct\\(\\) cannot be used in a filter"),
    ("overlaps(tags, tags)", "overlaps\\(\\) of two list fields read from the record; it cannot be used"),
])  # fmt: skip
def test_what_sql_cannot_do_is_refused(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        compile_formula(text, ENV).to_sql(SqlProbe())
