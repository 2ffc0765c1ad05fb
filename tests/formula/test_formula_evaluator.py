"""Evaluation: null semantics, short-circuiting, dates, refs, tables, params and the user."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.errors import FormulaError, FormulaRuntimeError
from engine.formula import (
    BOOL,
    DATE,
    DATETIME,
    MONEY,
    NUMBER,
    TEXT,
    TEXT_LIST,
    Context,
    Environment,
    FieldInfo,
    compile_formula,
)
from engine.formula.context import local_zone

D = Decimal
PROJECT = {"name": FieldInfo(TEXT), "budget": FieldInfo(MONEY)}
ENV = Environment(
    fields={
        "qty": FieldInfo(NUMBER),
        "count": FieldInfo(NUMBER),
        "price": FieldInfo(MONEY),
        "total": FieldInfo(MONEY),
        "name": FieldInfo(TEXT),
        "flag": FieldInfo(BOOL),
        "start": FieldInfo(DATE),
        "end": FieldInfo(DATE),
        "opened": FieldInfo(DATETIME),
        "closed": FieldInfo(DATETIME),
        "tags": FieldInfo(TEXT_LIST),
        "project": FieldInfo.reference("base.project", PROJECT),
        "lines": FieldInfo.table({"amount": FieldInfo(MONEY), "note": FieldInfo(TEXT)}),
    },
    params={"threshold": MONEY, "labels": TEXT_LIST},
)


def run(text: str, **values: Any) -> Any:
    return compile_formula(text, ENV).evaluate(Context(values=values))


# --- null ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qty + 1", None),
        ("1 - qty", None),
        ("qty * 2", None),
        ("qty / 2", None),
        ("2 / qty", None),
        ("qty % 2", None),
        ("-qty", None),
        ("name + 'x'", None),
        ("start + 1", None),
        ("start - start", None),
        ("qty > 1", False),
        ("qty < 1", False),
        ("qty == 1", False),
        ("qty != 1", False),
        ("qty == qty", False),
        ("qty == null", True),
        ("qty != null", False),
        ("null == null", True),
        ("null != null", False),
        ("not (qty > 1)", True),
        ("not flag", True),
        ("not null", True),
        ("flag == false", False),
        ("flag or true", True),
        ("flag and true", False),
        ("if(null, 1, 2)", D(2)),
        ("if(flag, 1, 2)", D(2)),
        ("qty in [1, 2]", False),
        ("qty not in [1, 2]", False),
        ("3 in [1, null]", False),
        ("3 not in [1, null]", True),
        ("coalesce(qty, 5)", D(5)),
        ("abs(qty)", None),
        ("round(qty, 2)", None),
        ("year(start)", None),
        ("len(name)", None),
        ("upper(name)", None),
        ("text(qty)", None),
        ("contains(name, 'a')", False),
        ("contains(tags, 'a')", False),
        ("sum(lines.amount)", D(0)),
        ("count(lines)", D(0)),
        ("avg(lines.amount)", None),
        ("max(lines.amount)", None),
        ("max(qty, 3)", D(3)),
        ("min(qty, null)", None),
        ("project.name", None),
        ("project == null", True),
    ],
)
def test_null_semantics(text: str, expected: Any) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("rows", "sum_", "avg", "count", "max_"),
    [
        ([], D(0), None, D(0), None),
        ([{"amount": None}], D(0), None, D(0), None),
        ([{"amount": D("1.5")}, {"amount": None}, {"amount": D("2.5")}], D(4), D(2), D(2), D("2.5")),
        ([{"amount": D(-1)}, {}], D(-1), D(-1), D(1), D(-1)),
    ],
)
def test_list_functions_skip_nulls(
    rows: list[dict[str, Any]], sum_: Decimal, avg: Decimal | None, count: Decimal, max_: Decimal | None
) -> None:
    assert run("sum(lines.amount)", lines=rows) == sum_
    assert run("avg(lines.amount)", lines=rows) == avg
    assert run("count(lines.amount)", lines=rows) == count
    assert run("max(lines.amount)", lines=rows) == max_
    assert run("len(lines)", lines=rows) == len(rows)


# --- short-circuit --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("count > 0 and total / count > 1", {"count": D(0), "total": D(5)}, False),
        ("count > 0 and total / count > 1", {"count": D(2), "total": D(5)}, True),
        ("count == 0 or total / count > 1", {"count": D(0), "total": D(5)}, True),
        ("if(count == 0, 0, total / count)", {"count": D(0), "total": D(5)}, D(0)),
        ("if(count != 0, total / count, null)", {"count": D(0), "total": D(5)}, None),
        ("if(count > 0, total / count, 0)", {"count": D(4), "total": D(5)}, D("1.25")),
        ("false and 1 / 0 > 1", {}, False),
        ("true or 1 / 0 > 1", {}, True),
        ("qty != null and qty / 0 > 1", {}, False),
    ],
)
def test_and_or_if_short_circuit(text: str, values: dict[str, Any], expected: Any) -> None:
    assert run(text, **values) == expected


def test_division_by_zero_names_the_formula() -> None:
    with pytest.raises(FormulaRuntimeError, match=r"division by zero in formula 'total / count'"):
        run("total / count", total=D(1), count=D(0))
    with pytest.raises(FormulaRuntimeError, match="division by zero"):
        run("qty % 0", qty=D(1))
    with pytest.raises(FormulaRuntimeError, match="division by zero"):
        run("0 / 0")


def test_division_has_28_significant_digits_and_no_float() -> None:
    result = run("total / 3", total=D(10))
    assert result == D("3.333333333333333333333333333")
    assert isinstance(result, Decimal)


def test_float_values_are_refused() -> None:
    with pytest.raises(FormulaRuntimeError, match=r"expected a Decimal number, got 1\.5"):
        run("qty + 1", qty=1.5)


def test_integer_values_become_decimals() -> None:
    result = run("qty + 1", qty=2)
    assert result == 3
    assert isinstance(result, Decimal)


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("qty + 1", {"qty": "abc"}, "expected a number, got 'abc'"),
        ("name + 'x'", {"name": 5}, "expected text, got 5"),
        ("flag", {"flag": "yes"}, "expected true or false, got 'yes'"),
        ("start + 1", {"start": "2024-13-01"}, "expected a date, got '2024-13-01'"),
        ("sum(lines.amount)", {"lines": "rows"}, "expected a list, got 'rows'"),
        ("sum(lines.amount)", {"lines": [1]}, "expected a table row, got 1"),
    ],
)
def test_values_of_the_wrong_type_fail_clearly(text: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(FormulaRuntimeError, match=message):
        run(text, **values)


def test_iso_strings_are_read_as_dates() -> None:
    assert run("start + 1", start="2024-05-01") == date(2024, 5, 2)
    assert run("opened + 1", opened="2024-05-01T08:00:00+08:00") == datetime(
        2024, 5, 2, 8, tzinfo=timezone(timedelta(hours=8))
    )


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("start + 30", {"start": date(2024, 1, 31)}, date(2024, 3, 1)),
        ("30 + start", {"start": date(2024, 1, 31)}, date(2024, 3, 1)),
        ("start - 1", {"start": date(2024, 3, 1)}, date(2024, 2, 29)),
        ("start + 1.5", {"start": date(2024, 3, 1)}, date(2024, 3, 3)),
        ("start - 1.5", {"start": date(2024, 3, 3)}, date(2024, 3, 1)),
        ("start + 1.4", {"start": date(2024, 3, 1)}, date(2024, 3, 2)),
        ("end - start", {"start": date(2024, 1, 1), "end": date(2024, 12, 31)}, D(365)),
        ("start - end", {"start": date(2024, 1, 1), "end": date(2024, 1, 11)}, D(-10)),
        ("days_between(start, end)", {"start": date(2024, 1, 1), "end": date(2024, 1, 11)}, D(10)),
        ("end > start", {"start": date(2024, 1, 1), "end": date(2024, 1, 11)}, True),
        ("start == date('2024-01-01')", {"start": date(2024, 1, 1)}, True),
        (
            "closed - opened",
            {"opened": datetime(2024, 1, 1, 0, tzinfo=UTC), "closed": datetime(2024, 1, 2, 12, tzinfo=UTC)},
            D("1.5"),
        ),
        (
            "days_between(opened, closed)",
            {"opened": datetime(2024, 1, 1, 0, tzinfo=UTC), "closed": datetime(2024, 1, 1, 6, tzinfo=UTC)},
            D("0.25"),
        ),
        ("opened + 0.5", {"opened": datetime(2024, 1, 1, tzinfo=UTC)}, datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("opened - 1", {"opened": datetime(2024, 1, 1, tzinfo=UTC)}, datetime(2023, 12, 31, tzinfo=UTC)),
        (
            "opened < closed",
            {"opened": datetime(2024, 1, 1, 9), "closed": datetime(2024, 1, 1, 9, 30, tzinfo=UTC)},
            True,
        ),
        (
            "opened == closed",
            {
                "opened": datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
                "closed": datetime(2024, 1, 1, 0, tzinfo=UTC),
            },
            True,
        ),
    ],
)
def test_date_arithmetic(text: str, values: dict[str, Any], expected: Any) -> None:
    assert run(text, **values) == expected


def test_date_overflow_is_a_runtime_error() -> None:
    with pytest.raises(FormulaRuntimeError, match="date out of range"):
        run("start + 10000000", start=date(2024, 1, 1))


def test_today_and_now_follow_the_context_clock() -> None:
    now = datetime(2024, 5, 1, 23, 30, tzinfo=timezone(timedelta(hours=8)))
    ctx = Context(now=now)
    assert compile_formula("today()", ENV).evaluate(ctx) == date(2024, 5, 1)
    assert compile_formula("now()", ENV).evaluate(ctx) == now
    assert compile_formula("today() - 1", ENV).evaluate(ctx) == date(2024, 4, 30)
    naive = Context(now=datetime(2024, 5, 1, 8))
    assert compile_formula("now()", ENV).evaluate(naive) == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_the_real_clock_is_timezone_aware_utc() -> None:
    before = datetime.now(UTC)
    value = compile_formula("now()", ENV).evaluate(Context())
    assert value.tzinfo is not None
    assert before <= value <= datetime.now(UTC)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles", "UTC"])
def test_today_is_the_date_in_the_configured_zone(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMWORK_TIMEZONE", zone)
    local_zone.cache_clear()
    try:
        before = datetime.now(ZoneInfo(zone)).date()
        value = compile_formula("today()", ENV).evaluate(Context())
        assert value in (before, datetime.now(ZoneInfo(zone)).date())
    finally:
        local_zone.cache_clear()


def test_a_misspelt_zone_is_refused_with_an_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMWORK_TIMEZONE", "Asia/Shangai")
    local_zone.cache_clear()
    try:
        with pytest.raises(ValueError, match="Asia/Shanghai"):
            local_zone()
    finally:
        local_zone.cache_clear()


# --- refs, tables, params, user -----------------------------------------------------------------


class Loader:
    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.records = records
        self.calls: list[tuple[str, str]] = []

    def __call__(self, entity: str, record_id: str) -> Mapping[str, Any] | None:
        self.calls.append((entity, record_id))
        return self.records.get(record_id)


def test_ref_fields_load_the_referenced_record_once_per_evaluation() -> None:
    loader = Loader({"p1": {"name": "Tower", "budget": D(1000)}})
    formula = compile_formula("project.name + ': ' + text(project.budget)", ENV)
    ctx = Context(values={"project": "p1"}, load_ref=loader)
    assert formula.evaluate(ctx) == "Tower: 1000"
    assert loader.calls == [("base.project", "p1")]
    formula.evaluate(ctx)
    assert len(loader.calls) == 2  # no cache across evaluations: records change


@pytest.mark.parametrize(("project", "expected"), [("missing", None), (None, None), ("p1", "Tower")])
def test_a_missing_ref_reads_as_null(project: str | None, expected: str | None) -> None:
    loader = Loader({"p1": {"name": "Tower"}})
    ctx = Context(values={"project": project}, load_ref=loader)
    assert compile_formula("project.name", ENV).evaluate(ctx) == expected


def test_without_a_loader_refs_are_null() -> None:
    assert run("project.name", project="p1") is None


def test_table_columns_are_lists() -> None:
    lines = [{"amount": D(1), "note": "a"}, {"amount": D(2)}, {"note": "c"}]
    assert run("lines.amount", lines=lines) == [D(1), D(2), None]
    assert run("lines.note", lines=lines) == ["a", None, "c"]
    assert run("'c' in lines.note", lines=lines) is True
    assert run("sum(lines.amount) * 2", lines=lines) == D(6)


def test_params_and_user() -> None:
    formula = compile_formula(
        "total > params.threshold and 'pm' in user.roles and user.name == 'alice' and 'x' in params.labels",
        ENV,
    )
    ctx = Context(
        values={"total": D(10)},
        params={"threshold": D(5), "labels": ["x"]},
        user_name="alice",
        user_roles=("pm",),
    )
    assert formula.evaluate(ctx) is True
    assert formula.evaluate(Context(values={"total": D(10)}, params={"threshold": D(5)})) is False


def test_user_roles_are_a_fresh_list() -> None:
    formula = compile_formula("user.roles", ENV)
    roles = ("a", "b")
    value = formula.evaluate(Context(user_roles=roles))
    assert value == ["a", "b"]
    value.append("c")
    assert formula.evaluate(Context(user_roles=roles)) == ["a", "b"]


def test_list_literals_are_fresh_lists() -> None:
    formula = compile_formula("[1, 2]", ENV)
    first = formula.evaluate(Context())
    first.append(3)
    assert formula.evaluate(Context()) == [1, 2]


def test_aggregates_are_not_evaluated_per_record() -> None:
    formula = compile_formula("sum(total)", ENV, aggregate=True)
    with pytest.raises(FormulaRuntimeError, match="computed by the database"):
        formula.evaluate(Context(values={"total": D(1)}))


def test_a_formula_is_immutable_and_reusable() -> None:
    formula = compile_formula("qty * 2", ENV)
    with pytest.raises(AttributeError):
        formula.text = "x"  # type: ignore[misc]
    assert [formula.evaluate(Context(values={"qty": D(n)})) for n in range(3)] == [0, 2, 4]


def test_compile_errors_never_surface_at_runtime() -> None:
    with pytest.raises(FormulaError):
        compile_formula("qty +", ENV)
