"""Static checking: result types, positioned type errors, did-you-mean, and the sandbox."""

from __future__ import annotations

import pytest

from engine.errors import FormulaError
from engine.formula import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    MONEY,
    NULL,
    NUMBER,
    TEXT,
    TEXT_LIST,
    Environment,
    FieldInfo,
    FType,
    compile_formula,
)

PROJECT = {"name": FieldInfo(TEXT), "budget": FieldInfo(MONEY), "owner": FieldInfo(FType.ref("base.party"))}
LINE = {"amount": FieldInfo(MONEY), "qty": FieldInfo(NUMBER), "unit_price": FieldInfo(MONEY)}
ENV = Environment(
    fields={
        "qty": FieldInfo(NUMBER),
        "unit_price": FieldInfo(MONEY),
        "total": FieldInfo(MONEY),
        "name": FieldInfo(TEXT),
        "approved": FieldInfo(BOOL),
        "due": FieldInfo(DATE),
        "created_at": FieldInfo(DATETIME),
        "tags": FieldInfo(TEXT_LIST),
        "project": FieldInfo.reference("base.project", PROJECT),
        "lines": FieldInfo.table(LINE),
        "_secret": FieldInfo(TEXT),
    },
    params={"review_amount": MONEY, "rate": NUMBER, "anything": ANY},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qty", NUMBER),
        ("qty * unit_price", MONEY),
        ("unit_price * qty", MONEY),
        ("total + total", MONEY),
        ("total - 100", MONEY),
        ("100 + total", MONEY),
        ("total / qty", MONEY),
        ("total / 2", MONEY),
        ("total / total", NUMBER),
        ("total % 7", MONEY),
        ("qty / 3", NUMBER),
        ("-total", MONEY),
        ("sum(lines.amount)", MONEY),
        ("sum(lines.qty)", NUMBER),
        ("avg(lines.unit_price)", MONEY),
        ("max(lines.amount)", MONEY),
        ("count(lines)", NUMBER),
        ("len(lines)", NUMBER),
        ("lines.amount", FType.list_of(MONEY)),
        ("round(total, 2)", MONEY),
        ("abs(total)", MONEY),
        ("max(qty, unit_price)", MONEY),
        ("min(due, date('2024-01-01'))", DATE),
        ("coalesce(total, 0)", MONEY),
        ("coalesce(null, name)", TEXT),
        ("if(approved, total, 0)", MONEY),
        ("if(approved, null, 'x')", TEXT),
        ("due + 7", DATE),
        ("7 + due", DATE),
        ("due - 7", DATE),
        ("due - due", NUMBER),
        ("created_at + 0.5", DATETIME),
        ("created_at - created_at", NUMBER),
        ("now() - created_at", NUMBER),
        ("today()", DATE),
        ("now()", DATETIME),
        ("year(due)", NUMBER),
        ("days_between(due, today())", NUMBER),
        ("name + '!'", TEXT),
        ("text(total)", TEXT),
        ("project", FType.ref("base.project")),
        ("project.name", TEXT),
        ("project.owner", FType.ref("base.party")),
        ("params.review_amount", MONEY),
        ("params.anything + 1", ANY),
        ("user.name", TEXT),
        ("user.roles", TEXT_LIST),
        ("'pm' in user.roles", BOOL),
        ("null", NULL),
        ("null + 1", NUMBER),
        ("[1, 2]", FType.list_of(NUMBER)),
        ("[total, 1]", FType.list_of(MONEY)),
        ("[]", FType.list_of(NULL)),
        ("qty > 1 and not approved", BOOL),
        ("contains(tags, 'urgent')", BOOL),
    ],
)
def test_result_types(text: str, expected: FType) -> None:
    assert compile_formula(text, ENV).type == expected


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("name > 5", "cannot compare text with a number", 6),
        ("due == 'x'", "cannot compare a date with text", 5),
        ("due < created_at", "cannot compare a date with a datetime", 5),
        ("approved < true", "cannot order bool values", 10),
        ("lines == 1", "cannot compare a list of row", 7),
        ("name + due", "cannot add text and a date", 6),
        ("due + due", "cannot add a date and a date", 5),
        ("qty - due", "cannot subtract a number and a date", 5),
        ("name * 2", "cannot multiply text and a number", 6),
        ("total * total", "cannot multiply money by money", 7),
        ("2 / total", "cannot divide a number by money", 3),
        ("not qty", "'not' needs a bool, not number", 5),
        ("-name", "unary '-' needs a number, not text", 2),
        ("qty and approved", "'and' needs bool operands, not number", 1),
        ("approved or name", "'or' needs bool operands, not text", 13),
        ("if(qty, 1, 2)", "if() condition must be bool, not number", 4),
        ("if(approved, 1, 'x')", "if() branches must have one type, found number and text", 17),
        ("if(approved, 1)", "if() takes 3 arguments", 1),
        ("qty in name", "'in' needs a list on the right, not text; for text use contains", 5),
        ("qty in tags", "cannot look for a number in a list of text", 5),
        ("[1, 'a']", "list items must have one type, found number and text", 5),
        ("qty < null", "a comparison with null using '<' is always false", 5),
        ("round(name)", "argument 1 of round() must be a number, not text", 7),
        ("round(1, 2, 3)", "round() takes 1 to 2 arguments, got 3", 1),
        ("today(1)", "today() takes no arguments, got 1", 1),
        ("abs()", "abs() takes 1 argument, got 0", 1),
        ("coalesce()", "coalesce() takes at least 1 argument, got 0", 1),
        ("coalesce(qty, name)", "coalesce() arguments must have one type: number and text", 15),
        ("sum(qty)", "sum() needs a list of numbers", 5),
        ("sum(qty)", "only allowed in report measures", 5),
        ("sum(lines)", "sum() needs a list of numbers", 5),
        ("count()", "count() without arguments counts records", 1),
        ("max(qty, name)", "max() arguments must have one type: number and text", 10),
        ("max(approved, true)", "max() compares numbers, texts or dates, not bool", 5),
        ("days_between(due, created_at)", "days_between() needs two dates or two datetimes", 19),
        ("year(name)", "argument 1 of year() must be date or datetime, not text", 6),
        ("len(qty)", "argument 1 of len() must be text or list, not number", 5),
        ("contains(name, 1)", "argument 2 of contains() must be text, not number", 16),
        ("contains(tags, 1)", "contains() cannot look for number in a list of text", 16),
        ("upper(qty)", "argument 1 of upper() must be text, not number", 7),
        ("text(lines)", "text() converts a single value", 6),
        ("date(qty)", "argument 1 of date() must be text or date or datetime, not number", 6),
    ],
)
def test_type_errors_point_at_the_offending_token(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(text, ENV)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (1, column)
    assert caught.value.message.endswith(f"at column {column}")


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("unit_prise * qty", "unknown field 'unit_prise' (did you mean 'unit_price'?)", 1),
        ("qty * unit_prise", "unknown field 'unit_prise' (did you mean 'unit_price'?)", 7),
        ("xyz", "unknown field 'xyz'", 1),
        ("project.nam", "unknown field 'nam' of 'project' (base.project) (did you mean 'name'?)", 9),
        ("lines.amout", "unknown field 'amout' in the rows of table 'lines' (did you mean 'amount'?)", 7),
        ("sum(lines.amout)", "(did you mean 'amount'?)", 11),
        ("params.review_amont", "unknown parameter 'review_amont' (did you mean 'review_amount'?)", 8),
        ("params", "write params.<name> to read a module parameter", 1),
        ("params.rate.x", "write params.<name> to read a module parameter", 13),
        ("user.nme", "the user has only 'user.name' and 'user.roles' (did you mean 'name'?)", 6),
        ("user", "the user has only 'user.name' and 'user.roles'", 1),
        ("summ(lines.amount)", "unknown function 'summ' (did you mean 'sum'?)", 1),
        ("iff(approved, 1, 2)", "unknown function 'iff' (did you mean 'if'?)", 1),
        ("frobnicate(1)", "unknown function 'frobnicate'", 1),
        ("project.owner.name", "only one hop is allowed: 'project.owner' cannot be followed by '.name'", 15),
        ("qty.value", "'qty' is number, not a reference or a table, so it has no field 'value'", 5),
        ("paramz.rate", "unknown field 'paramz' (did you mean 'params'?)", 1),
    ],
)
def test_unknown_names_suggest_close_ones(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(text, ENV)
    assert message in caught.value.message
    assert caught.value.column == column


def test_no_suggestion_when_nothing_is_close() -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula("zzzzzz", ENV)
    assert "did you mean" not in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "__class__",
        "_secret",
        "qty.__class__",
        "name.__dict__",
        "project.__dict__",
        "lines.__len__",
        "params.__class__",
        "user.__dict__",
        "__import__('os')",
        "_sum(lines.amount)",
        "().__class__",
        "''.__class__",
        "[].__class__",
        "qty.real",
        "name.upper",
        "name.upper()",
        "eval('1')",
        "exec('1')",
        "getattr(name, 'upper')",
        "type(qty)",
        "lines[0]",
    ],
)
def test_python_objects_are_unreachable(text: str) -> None:
    with pytest.raises(FormulaError):
        compile_formula(text, ENV)


def test_underscore_names_are_unknown_even_when_declared() -> None:
    with pytest.raises(FormulaError, match="unknown field '_secret'") as caught:
        compile_formula("_secret", ENV)
    assert "did you mean '_secret'" not in caught.value.message


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("qty > 1", BOOL),
        ("null", BOOL),
        ("qty * 2", MONEY),
        ("total", NUMBER),
        ("name", TEXT),
        ("due + 1", DATE),
        ("params.anything", DATE),
    ],
)
def test_expected_types_that_fit(text: str, expect: FType) -> None:
    assert compile_formula(text, ENV, expect=expect).text == text


@pytest.mark.parametrize(
    ("text", "expect", "message", "column"),
    [
        ("qty + 1", BOOL, "expected a bool formula, found number", 1),
        ("  name", MONEY, "expected a money formula, found text", 3),
        ("\n due", NUMBER, "expected a number formula, found date", 2),
        ("approved", TEXT, "expected a text formula, found bool", 1),
    ],
)
def test_expected_type_mismatch_is_reported(text: str, expect: FType, message: str, column: int) -> None:
    with pytest.raises(FormulaError, match=message) as caught:
        compile_formula(text, ENV, expect=expect)
    assert caught.value.column == column


@pytest.mark.parametrize(
    ("text", "dependencies", "refs"),
    [
        ("sum(lines.amount) + qty", {"lines", "qty"}, set()),
        ("project.name == 'x' and project.budget > total", {"project", "total"}, {"project"}),
        ("params.rate * 2 + 1", set(), set()),
        ("user.name == name", {"name"}, set()),
        ("if(approved, total, unit_price * qty)", {"approved", "total", "unit_price", "qty"}, set()),
        ("project == null", {"project"}, set()),
    ],
)
def test_dependencies_and_refs(text: str, dependencies: set[str], refs: set[str]) -> None:
    formula = compile_formula(text, ENV)
    assert formula.dependencies == frozenset(dependencies)
    assert formula.uses_refs == frozenset(refs)


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("qty * unit_price", {("qty",), ("unit_price",)}),
        ("project.budget > 1 and project.name == 'x'", {("project", "budget"), ("project", "name")}),
        ("contains(project.name, 'a')", {("project", "name")}),   # a function's argument
        ("sum(lines.amount) > total", {("lines", "amount"), ("total",)}),
        ("if(approved, project.budget, 0) > 0", {("approved",), ("project", "budget")}),
        ("user.name == name and params.rate > 1", {("name",)}),
        ("project == null", {("project",)}),
    ],
)
def test_a_formula_knows_every_name_path_it_reads(text: str, reads: set[tuple[str, ...]]) -> None:
    assert compile_formula(text, ENV).reads == frozenset(reads)


def test_a_column_of_a_table_behind_a_reference_is_read_as_its_whole_path() -> None:
    members = FieldInfo.table({"user": FieldInfo(TEXT)})
    env = Environment(fields={"project": FieldInfo.reference("base.project", {"members": members})})
    assert compile_formula("'ann' in project.members.user", env).reads == {("project", "members", "user")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count()", NUMBER),
        ("sum(total)", MONEY),
        ("sum(qty * unit_price)", MONEY),
        ("avg(qty)", NUMBER),
        ("max(due)", DATE),
        ("min(name)", TEXT),
        ("count(total)", NUMBER),
        ("sum(total) / count()", MONEY),
        ("sum(total) / sum(qty)", MONEY),
        ("sum(total) > params.review_amount", BOOL),
        ("sum(sum(lines.amount))", MONEY),
    ],
)
def test_aggregate_measures_type_check(text: str, expected: FType) -> None:
    formula = compile_formula(text, ENV, aggregate=True)
    assert formula.type == expected
    assert formula.is_aggregate


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("total", "field 'total' must be inside an aggregate in a report measure, e.g. sum(total)", 1),
        ("sum(total) + qty", "field 'qty' must be inside an aggregate", 14),
        ("sum(count())", "aggregates cannot be nested", 5),
        ("sum(sum(total))", "sum() needs a list of numbers", 9),
        ("sum(name)", "sum() needs numbers, not text", 5),
        ("max(approved)", "max() needs numbers, texts or dates, not bool", 5),
        ("sum(lines.amount)", "field 'lines' must be inside an aggregate", 5),
    ],
)
def test_aggregate_measure_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(text, ENV, aggregate=True)
    assert message in caught.value.message
    assert caught.value.column == column
