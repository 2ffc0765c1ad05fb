"""The SQL compiler agrees with the Python evaluator, on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

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
    FType,
    Kind,
    ListField,
    SqlProbe,
    bind_value,
    compile_formula,
)

D = Decimal
PROJECT = {
    "name": FieldInfo(TEXT),
    "budget": FieldInfo(MONEY),
    "start": FieldInfo(DATE),
    "members": FieldInfo(FType.list_of(TEXT)),  # user, multiple: true
}
ENV = Environment(
    fields={
        "qty": FieldInfo(NUMBER),
        "price": FieldInfo(MONEY),
        "total": FieldInfo(MONEY),
        "name": FieldInfo(TEXT),
        "status": FieldInfo(TEXT),
        "flag": FieldInfo(BOOL),
        "due": FieldInfo(DATE),
        "created": FieldInfo(DATETIME),
        "tags": FieldInfo(TEXT_LIST),
        "watchers": FieldInfo(FType.list_of(TEXT)),  # user, multiple: true
        "created_by": FieldInfo(TEXT),
        "project": FieldInfo.reference("base.project", PROJECT),
        "lines": FieldInfo.table({"amount": FieldInfo(MONEY)}),
    },
    params={"limit": MONEY, "rate": NUMBER, "statuses": TEXT_LIST},
)
PARAMS = {"limit": D("50"), "rate": D("0.5"), "statuses": ["open", "review"]}
USER = "alice"
ROLES = ("pm", "admin")
NOW = datetime(2024, 6, 15, 9, 30, tzinfo=UTC)

PROJECTS = {
    "p1": {"name": "Tower", "budget": D("5000.00"), "start": date(2024, 1, 10), "members": ["alice", "carol"]},
    "p2": {"name": "Bridge", "budget": D("800"), "start": None, "members": ["bob", None]},
    "p3": {"name": "Depot", "budget": D("100"), "start": None},  # no members at all
    "p4": {"name": "Annex", "budget": D("300"), "start": date(2024, 3, 1), "members": []},
}


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


ROWS: list[dict[str, Any]] = [
    {"qty": D(1), "price": D("2.45"), "total": D("2.45"), "name": "Steel", "status": "open", "flag": True,
     "due": date(2024, 5, 1), "created": _dt("2024-05-01T08:00:00+00:00"), "created_by": "alice",
     "project": "p1", "tags": ["urgent", "steel"], "watchers": ["alice", "bob"]},
    {"qty": D(6), "price": D("10.00"), "total": D("60.00"), "name": "Beam steel", "status": "review",
     "flag": False, "due": date(2024, 6, 20), "created": _dt("2024-05-01T12:00:00+00:00"),
     "created_by": "bob", "project": "p2", "tags": ["steel"], "watchers": ["bob"]},
    {"qty": D(0), "price": D("3.5"), "total": D("0"), "name": "beam", "status": "closed", "flag": None,
     "due": date(2024, 7, 31), "created": _dt("2024-06-01T00:00:00+00:00"), "created_by": "alice",
     "project": "missing", "tags": [], "watchers": []},
    {"qty": None, "price": D("4.25"), "total": None, "name": None, "status": None, "flag": True,
     "due": None, "created": None, "created_by": None, "project": None, "tags": None,
     "watchers": None},
    {"qty": D(10), "price": None, "total": D("120.5"), "name": "Cement", "status": "open", "flag": False,
     "due": date(2023, 12, 31), "created": _dt("2023-12-31T23:59:59+00:00"), "created_by": "carol",
     "project": "p1", "tags": ["urgent", None], "watchers": ["carol", None]},
    {"qty": D(5), "price": D("5"), "total": D("25"), "name": "Rebar", "status": "review", "flag": None,
     "due": date(2024, 6, 1), "created": _dt("2024-05-15T06:00:00+00:00"), "created_by": "alice",
     "project": "p4", "tags": ["Urgent", "review"], "watchers": ["alice"]},
    {"qty": D(-7), "price": D("1.25"), "total": D("-8.75"), "name": "Return", "status": "draft",
     "flag": True, "due": date(2024, 5, 16), "created": _dt("2024-05-16T18:30:00+00:00"),
     "created_by": "dave", "project": "p1"},
    {"qty": D(4), "price": D("0.5"), "total": D("2"), "name": "Nails", "status": "open", "flag": False,
     "due": date(2024, 8, 1), "created": _dt("2024-06-15T09:00:00+00:00"), "created_by": "alice",
     "project": "p3", "tags": ["open", "urgent", "steel"], "watchers": ["alice", "carol"]},
    {},  # every field missing
]  # fmt: skip

AGREEMENT_FORMULAS = [
    "qty > 5",
    "not (qty > 5)",
    "qty != 5",
    "not (qty != 5)",
    "qty == null",
    "qty != null and price * qty >= 10",
    "qty > 0 and total / qty > 10",
    "qty == 0 or total / qty < 5",
    "status in ['open', 'review']",
    "status not in ['open', 'review']",
    "not (status in ['open'])",
    "qty in [1, 6, null]",
    "qty not in [1, 6, null]",
    "not (qty not in [1, 6])",
    "qty not in [price, 10]",
    "qty in [price * 2, 5]",
    "flag",
    "not flag",
    "flag == false",
    "(qty > 5) == false",
    "coalesce(flag, true)",
    "coalesce(qty > 3, true)",
    "not coalesce(flag, qty > 3)",
    "if(flag, qty, price) > 3",
    "if(qty > 5, 'big', 'small') == 'big'",
    "not if(flag, qty > 3, price > 3)",
    "coalesce(qty, 0) + 1 > 3",
    "-qty < -5",
    "round(price, 1) == 2.5",
    "round(price * qty) >= 10",
    "abs(qty - 10) < 3",
    "qty % 3 == 1",
    "contains(name, 'eam')",
    "not contains(name, 'Beam')",
    "len(name) > 4",
    "upper(name) == 'STEEL'",
    "lower(name) == 'beam'",
    "name + '-x' == 'Steel-x'",
    "max(qty, price) > 4",
    "min(qty, price) < 2",
    "due < date('2024-06-01')",
    "due + 30 > date('2024-07-01')",
    "due - 10 < date('2024-05-01')",
    "due - date('2024-05-01') > 10",
    "days_between(due, date('2024-06-30')) > 10",
    "year(due) == 2024 and month(due) >= 5 and day(due) < 20",
    "created >= datetime('2024-05-01T12:00:00+00:00')",
    "created - datetime('2024-05-01T00:00:00+00:00') > 0.5",
    "days_between(created, now()) < 30",
    "today() - 30 < due",
    "project.budget > 1000",
    "project.name == 'Bridge' or project == null",
    "not (project.name == 'Tower')",
    "project.start == null",
    "params.limit < total",
    "total > params.limit * params.rate",
    "status in params.statuses",
    "'admin' in user.roles and total > 0",
    "created_by == user.name",
    "contains(user.roles, 'pm') and contains(params.statuses, status)",
    "text(params.limit) == '50' and name != null",
    "if(qty > 0, total / qty, null) > 2",
    # List fields of the record (multi_enum, user with multiple: true) and one ref hop away.
    "'urgent' in tags",
    "'urgent' not in tags",
    "not ('urgent' in tags)",
    "lower('URGENT') in tags",
    "contains(tags, 'urgent')",
    "not contains(tags, 'steel')",
    "status in tags",
    "status not in tags",
    "contains(tags, status)",
    "user.name in watchers",
    "user.name not in watchers",
    "created_by in watchers",
    "created_by not in watchers",
    "contains(watchers, created_by) or flag",
    "(user.name in watchers) == ('urgent' in tags)",
    "len(tags) > 1",
    "len(tags) == 0",
    "len(tags) in [1, 2]",
    "count(tags) >= 1",
    "len(tags) != count(tags)",
    "tags == null",
    "watchers != null and count(watchers) < 2",
    "user.name in project.members",
    "user.name not in project.members",
    "created_by in project.members",
    "contains(project.members, created_by)",
    "not contains(project.members, 'bob')",
    "len(project.members) >= 1",
    "count(project.members) == 1",
    "len(project.members) == count(project.members)",
    "project.members == null",
    "project.members != null and 'carol' not in project.members",
    "if('urgent' in tags, qty, 0) > 0",
    "'urgent' in tags or user.name in project.members",
    "coalesce(len(tags), 0) + count(project.members) > 2",
]


# --- databases ------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # decimals travel as strings, never as floats
    if isinstance(value, date):
        return value.isoformat()
    return value


def _document(values: Mapping[str, Any]) -> str:
    return json.dumps({key: _json_value(value) for key, value in values.items()})


class SqliteTarget:
    """A SqlTarget over `rec(id, data JSON)` on SQLite: json_extract plus casts.

    Lists are read as one JSON array expression (a scalar subquery through a ref) that
    json_each() walks: another spelling than storage's, to show the protocol leaves it open.
    """

    def __init__(self, rec: sa.Table, project: sa.Table) -> None:
        self.rec, self.project = rec, project

    def _extract(self, data: sa.ColumnElement[Any], name: str, type: FType) -> sa.ColumnElement[Any]:
        raw = sa.func.json_extract(data, f"$.{name}")
        if type.is_numeric:
            return sa.cast(raw, sa.Numeric())
        if type.kind is Kind.BOOL:
            return sa.type_coerce(raw, sa.Boolean())
        return sa.type_coerce(raw, sa.String())  # texts, ids, ISO dates and datetimes

    def field(self, name: str, type: FType) -> sa.ColumnElement[Any]:
        return self._extract(self.rec.c.data, name, type)

    def ref_field(self, ref_name: str, target_entity: str, field: str, type: FType) -> sa.ColumnElement[Any]:
        assert target_entity == "base.project"
        key = sa.func.json_extract(self.rec.c.data, f"$.{ref_name}")
        query = sa.select(self._extract(self.project.c.data, field, type)).where(self.project.c.id == key)
        return query.scalar_subquery()

    def literal(self, value: Any, type: FType) -> sa.ColumnElement[Any]:
        if isinstance(value, datetime):
            return sa.literal(value.astimezone(UTC).isoformat(), sa.String())
        if isinstance(value, date):
            return sa.literal(value.isoformat(), sa.String())
        return bind_value(value, type)

    def _array(self, field: ListField) -> sa.ColumnElement[Any]:
        """The list's JSON text, NULL unless it is an array."""
        data = self.rec.c.data if field.ref is None else self.project.c.data
        array = sa.case((sa.func.json_type(data, f"$.{field.name}") == "array",
                         sa.func.json_extract(data, f"$.{field.name}")))  # fmt: skip
        if field.ref is None:
            return array
        key = sa.func.json_extract(self.rec.c.data, f"$.{field.ref}")
        # Explicitly: inside json_each() inside EXISTS, auto-correlation does not reach `rec`.
        return sa.select(array).where(self.project.c.id == key).correlate(self.rec).scalar_subquery()

    def list_contains(self, field: ListField, item: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        items = sa.func.json_each(self._array(field)).table_valued("value")
        return sa.select(1).select_from(items).where(items.c.value == item).exists()

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> sa.ColumnElement[Any]:
        array = self._array(field)
        if not skip_nulls:
            return sa.func.json_array_length(array)
        items = sa.func.json_each(array).table_valued("type")
        present = sa.select(sa.func.count()).select_from(items).where(items.c.type != "null").scalar_subquery()
        return sa.case((array.is_not(None), present))


_PG_TYPES: dict[Kind, sa.types.TypeEngine[Any]] = {
    Kind.NUMBER: sa.Numeric(),
    Kind.MONEY: sa.Numeric(),
    Kind.BOOL: sa.Boolean(),
    Kind.DATE: sa.Date(),
    Kind.DATETIME: sa.DateTime(timezone=True),
}


class PostgresTarget:
    """A SqlTarget over `rec(id, data JSONB)` on PostgreSQL: `data ->> 'x'` plus casts."""

    def __init__(self, rec: sa.Table, project: sa.Table) -> None:
        self.rec, self.project = rec, project

    def _extract(self, data: Any, name: str, type: FType) -> sa.ColumnElement[Any]:
        raw = data[name].astext
        sql_type = _PG_TYPES.get(type.kind)
        return raw if sql_type is None else sa.cast(raw, sql_type)

    def field(self, name: str, type: FType) -> sa.ColumnElement[Any]:
        return self._extract(self.rec.c.data, name, type)

    def ref_field(self, ref_name: str, target_entity: str, field: str, type: FType) -> sa.ColumnElement[Any]:
        key = self.rec.c.data[ref_name].astext
        query = sa.select(self._extract(self.project.c.data, field, type)).where(self.project.c.id == key)
        return query.scalar_subquery()

    def literal(self, value: Any, type: FType) -> sa.ColumnElement[Any]:
        return bind_value(value, type)

    def _array(self, field: ListField) -> sa.ColumnElement[Any]:
        """The list as JSONB, NULL unless it is an array."""
        data = self.rec.c.data if field.ref is None else self.project.c.data
        array = sa.case((sa.func.jsonb_typeof(data[field.name]) == "array", data[field.name]))
        if field.ref is None:
            return array
        key = self.rec.c.data[field.ref].astext
        return sa.select(array).where(self.project.c.id == key).scalar_subquery()

    def list_contains(self, field: ListField, item: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        return self._array(field).op("?", return_type=sa.Boolean())(item)

    def list_length(self, field: ListField, *, skip_nulls: bool = False) -> sa.ColumnElement[Any]:
        array = self._array(field)
        if skip_nulls:
            array = sa.func.jsonb_path_query_array(array, sa.literal_column("'$[*] ? (@ != null)'"))
        return sa.func.jsonb_array_length(array)


class Database:
    def __init__(self, engine: sa.Engine, target: Any, rec: sa.Table) -> None:
        self.engine, self.target, self.rec = engine, target, rec

    def matching(self, where: sa.ColumnElement[Any]) -> set[int]:
        with self.engine.connect() as connection:
            return set(connection.scalars(sa.select(self.rec.c.id).where(where)))

    def scalar(self, expression: sa.ColumnElement[Any]) -> Any:
        with self.engine.connect() as connection:
            return connection.scalar(sa.select(expression).select_from(self.rec))


def _fill(engine: sa.Engine, rec: sa.Table, project: sa.Table, documents: bool) -> None:
    def doc(values: Mapping[str, Any]) -> Any:
        return json.loads(_document(values)) if documents else _document(values)

    with engine.begin() as connection:
        connection.execute(sa.insert(project), [{"id": k, "data": doc(v)} for k, v in PROJECTS.items()])
        connection.execute(sa.insert(rec), [{"id": i, "data": doc(row)} for i, row in enumerate(ROWS)])


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("formula") / "agreement.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata = sa.MetaData()
    rec = sa.Table("rec", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("data", sa.Text))
    project = sa.Table(
        "project", metadata, sa.Column("id", sa.Text, primary_key=True), sa.Column("data", sa.Text)
    )
    metadata.create_all(engine)
    _fill(engine, rec, project, documents=False)
    yield Database(engine, SqliteTarget(rec, project), rec)
    engine.dispose()


# `make test` provides a database; otherwise a throw-away one is made on the local server, if any.
PG_URL = os.environ.get("FORMWORK_TEST_DATABASE_URL")
PG_SERVER = os.environ.get("FORMWORK_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


@contextmanager
def _postgres_database() -> Iterator[str]:
    """Yield the URL of a PostgreSQL database to use, creating (and dropping) one if needed."""
    if PG_URL:
        yield PG_URL
        return
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"formwork_formula_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server at {PG_SERVER.split('@')[-1]}: {error.orig}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def postgres_db() -> Iterator[Database]:
    suffix = uuid.uuid4().hex[:8]  # the shared test database may hold other tables
    with _postgres_database() as url:
        engine = sa.create_engine(url, connect_args={"options": "-c timezone=UTC"})
        metadata = sa.MetaData()
        rec = sa.Table(
            f"formula_rec_{suffix}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("data", postgresql.JSONB),
        )
        project = sa.Table(
            f"formula_project_{suffix}",
            metadata,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("data", postgresql.JSONB),
        )
        metadata.create_all(engine)
        try:
            _fill(engine, rec, project, documents=True)
            yield Database(engine, PostgresTarget(rec, project), rec)
        finally:
            metadata.drop_all(engine)
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    fixture = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    database: Database = request.getfixturevalue(fixture)
    return database


def _python_matches(text: str, result: bool | None = True) -> set[int]:
    """Return the indexes of the rows for which the formula evaluates to `result`."""
    formula = compile_formula(text, ENV, expect=BOOL)
    return {
        index
        for index, row in enumerate(ROWS)
        if formula.evaluate(
            Context(
                values=row,
                params=PARAMS,
                user_name=USER,
                user_roles=ROLES,
                load_ref=lambda entity, key: PROJECTS.get(key),
                now=NOW,
            )
        )
        is result
    }


def _sql(text: str, db: Database, **options: Any) -> sa.ColumnElement[Any]:
    formula = compile_formula(text, ENV, aggregate=options.pop("aggregate", False))
    return formula.to_sql(db.target, params=PARAMS, user_name=USER, user_roles=ROLES, now=NOW, **options)


# --- agreement --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", AGREEMENT_FORMULAS)
def test_sql_filter_selects_the_rows_python_accepts(text: str, db: Database) -> None:
    assert db.matching(_sql(text, db)) == _python_matches(text)


@pytest.mark.parametrize("text", AGREEMENT_FORMULAS)
def test_exact_null_sql_is_null_exactly_where_python_gives_none(text: str, db: Database) -> None:
    expression = _sql(text, db, exact_null=True)
    assert db.matching(expression) == _python_matches(text)
    assert db.matching(expression.is_(None)) == _python_matches(text, None)


def test_agreement_formulas_select_some_but_not_all_rows() -> None:
    trivial = [t for t in AGREEMENT_FORMULAS if _python_matches(t) in (set(), set(range(len(ROWS))))]
    assert trivial == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qty * 2", [D(2), D(12), D(0), None, D(20), D(10), D(-14), D(8), None]),
        (
            "coalesce(name, '-')",
            ["Steel", "Beam steel", "beam", "-", "Cement", "Rebar", "Return", "Nails", "-"],
        ),
        ("if(flag, 'y', if(flag == null, '?', 'n'))", ["y", "n", "?", "y", "n", "?", "y", "n", "?"]),
        ("len(tags)", [D(2), D(1), D(0), None, D(2), D(2), None, D(3), None]),
        ("count(tags)", [D(2), D(1), D(0), D(0), D(1), D(2), D(0), D(3), D(0)]),
        ("len(project.members)", [D(2), D(2), None, None, D(2), D(0), D(2), None, None]),
        ("count(project.members)", [D(2), D(1), D(0), D(0), D(2), D(0), D(2), D(0), D(0)]),
    ],
)
def test_sql_values_equal_python_values(text: str, expected: list[Any], db: Database) -> None:
    formula = compile_formula(text, ENV)
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.select(db.rec.c.id, formula.to_sql(db.target)).order_by(db.rec.c.id)
        ).all()
    got = [value if value is None or isinstance(value, str) else D(str(value)) for _, value in rows]
    python = [formula.evaluate(Context(values=row, load_ref=lambda _, key: PROJECTS.get(key))) for row in ROWS]
    assert python == expected
    assert got == expected


def test_division_by_zero_makes_the_row_not_match_in_sql_but_fails_in_python(db: Database) -> None:
    assert db.matching(_sql("total / qty > 1", db)) == {0, 1, 4, 5, 6}  # row 2 has qty 0
    with pytest.raises(FormulaRuntimeError, match=r"division by zero in formula 'total / qty > 1'"):
        _python_matches("total / qty > 1")


# --- aggregates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count()", D(9)),
        ("count(qty)", D(7)),
        ("sum(total)", D("201.2")),
        ("sum(total) / count(total)", D("201.2") / 7),
        ("max(qty)", D(10)),
        ("min(price)", D("0.5")),
        ("avg(qty)", D(19) / 7),
        ("sum(if(flag, total, 0))", D("-6.3")),
        ("sum(qty * price)", D("2.45") + D(60) + D(0) + D(25) + D("-8.75") + D(2)),
        ("sum(count(tags))", D(9)),
        ("max(len(project.members))", D(2)),
    ],
)
def test_aggregate_measures_compile_to_sql_aggregates(text: str, expected: Decimal, db: Database) -> None:
    value = db.scalar(_sql(text, db, aggregate=True))
    assert D(str(value)).quantize(D("0.000001")) == expected.quantize(D("0.000001"))


def test_sum_over_no_rows_is_zero(db: Database) -> None:
    formula = compile_formula("sum(total)", ENV, aggregate=True)
    with db.engine.connect() as connection:
        value = connection.scalar(sa.select(formula.to_sql(db.target)).where(db.rec.c.id < 0))
    assert D(str(value)) == 0


def test_max_of_dates_and_group_by_month(db: Database) -> None:
    measure = compile_formula("max(due)", ENV, aggregate=True).to_sql(db.target)
    group = compile_formula("month(due)", ENV).to_sql(db.target)
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.select(group, sa.func.count()).select_from(db.rec).group_by(group).order_by(group)
        ).all()
        latest = connection.scalar(sa.select(measure).select_from(db.rec))
    assert str(latest)[:10] == "2024-08-01"
    counts = {None if month is None else int(month): count for month, count in rows}
    assert counts == {None: 2, 5: 2, 6: 2, 7: 1, 8: 1, 12: 1}


# --- what cannot run in the database ------------------------------------------------------------------


REFUSED = [
    ("sum(lines.amount) > 1", r"child table values 'lines.amount' cannot be used in a filter", 5),
    ("count(lines) > 1", r"child table 'lines' cannot be used in a filter", 7),
    ("min(tags) == 'a'", r"the list field 'tags' cannot be used in a filter except on the right of 'in'", 5),
    ("'a' in if(flag, tags, ['b'])", r"the list field 'tags' cannot be used in a filter except", 17),
    ("text(len(project.members)) == '1'", r"text\(\) cannot be used in a filter", 1),
    ("text(qty) == '1'", r"text\(\) cannot be used in a filter", 1),
    ("date(name) > today()", r"date\(\) cannot be used in a filter", 1),
    ("created + 1 > now()", r"adding days to a datetime .* cannot be used in a filter", 9),
    ("qty in if(flag, [qty], [1])", r"a list cannot be used in a filter except on the right of 'in'", 17),
    ("project.budget in lines.amount", r"child table values 'lines.amount' cannot be used", 19),
]


@pytest.mark.parametrize(("text", "message", "column"), REFUSED)
def test_python_only_constructs_are_refused_with_a_position(
    text: str, message: str, column: int, sqlite_db: Database
) -> None:
    formula = compile_formula(text, ENV)
    with pytest.raises(FormulaError, match=message) as caught:
        formula.to_sql(sqlite_db.target)
    assert caught.value.column == column


@pytest.mark.parametrize(("text", "message", "column"), REFUSED)
def test_the_sql_probe_refuses_what_a_table_refuses(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError, match=message) as caught:
        compile_formula(text, ENV).to_sql(SqlProbe())
    assert caught.value.column == column


@pytest.mark.parametrize("text", AGREEMENT_FORMULAS)
def test_the_sql_probe_accepts_what_runs_in_the_database(text: str) -> None:
    compile_formula(text, ENV).to_sql(SqlProbe(), params=PARAMS, user_name=USER, user_roles=ROLES, now=NOW)


def test_values_not_read_from_the_record_become_bound_parameters(sqlite_db: Database) -> None:
    formula = compile_formula("total > params.limit * 2 and created_by == user.name", ENV)
    expression = formula.to_sql(sqlite_db.target, params={"limit": D(10)}, user_name="alice")
    compiled = expression.compile(sqlite_db.engine)
    values = [str(v) for v in compiled.params.values() if not str(v).startswith("$.")]
    assert sorted(values) == ["20", "alice"]
    assert "alice" not in str(compiled)


def test_a_constant_formula_compiles_to_a_constant(sqlite_db: Database) -> None:
    formula = compile_formula("params.limit > 10", ENV)
    expression = formula.to_sql(sqlite_db.target, params={"limit": D(20)})
    assert sqlite_db.matching(expression) == set(range(len(ROWS)))
    assert sqlite_db.matching(formula.to_sql(sqlite_db.target, params={"limit": D(5)})) == set()


def test_folding_failure_names_the_formula(sqlite_db: Database) -> None:
    formula = compile_formula("qty > params.limit / params.rate", ENV)
    with pytest.raises(FormulaRuntimeError, match="division by zero in formula"):
        formula.to_sql(sqlite_db.target, params={"limit": D(1), "rate": D(0)})


def test_a_list_literal_is_never_null(sqlite_db: Database) -> None:
    assert sqlite_db.matching(_sql("[qty] != null", sqlite_db)) == set(range(len(ROWS)))


def test_sql_text_contains_is_case_sensitive_and_literal(sqlite_db: Database) -> None:
    assert sqlite_db.matching(_sql("contains(name, 'Beam')", sqlite_db)) == {1}
    assert sqlite_db.matching(_sql("contains(name, '%')", sqlite_db)) == set()


# --- list fields ----------------------------------------------------------------------------------


def test_null_is_never_in_a_list_field(db: Database) -> None:
    assert db.matching(_sql("null in tags", db)) == set()
    assert db.matching(_sql("null not in project.members", db)) == set()
    assert db.matching(_sql("contains(watchers, null)", db)) == set()


def test_a_stored_value_that_is_not_a_list_is_a_null_list_in_sql(db: Database) -> None:
    odd_record = {"tags": "urgent", "watchers": {"alice": ["alice"]}, "project": "odd"}
    odd_project = {"members": "alice"}
    as_document = (lambda d: json.dumps(d)) if db.engine.dialect.name == "sqlite" else (lambda d: d)
    project: sa.Table = db.target.project
    with db.engine.connect() as connection, connection.begin() as transaction:
        connection.execute(sa.insert(project).values(id="odd", data=as_document(odd_project)))
        connection.execute(sa.insert(db.rec).values(id=100, data=as_document(odd_record)))

        def matches(text: str) -> bool:
            return 100 in set(connection.scalars(sa.select(db.rec.c.id).where(_sql(text, db))))

        for text in ["'urgent' in tags", "contains(tags, 'urgent')", "user.name in watchers",
                     "user.name in project.members", "len(tags) >= 0", "count(project.members) > 0"]:  # fmt: skip
            assert not matches(text), text
        for text in ["tags == null", "watchers == null", "project.members == null", "'urgent' not in tags",
                     "user.name not in project.members", "count(watchers) == 0"]:  # fmt: skip
            assert matches(text), text
        transaction.rollback()
    with pytest.raises(FormulaRuntimeError, match=r"expected a list, got 'urgent' in formula"):
        compile_formula("'urgent' in tags", ENV).evaluate(Context(values=odd_record))


def test_only_lists_of_texts_are_read_in_sql(sqlite_db: Database) -> None:
    env = Environment(fields={"scores": FieldInfo(FType.list_of(NUMBER))})
    with pytest.raises(FormulaError, match=r"the list field 'scores' \(list of number, not a list of text\)"):
        compile_formula("1 in scores", env).to_sql(sqlite_db.target)
