"""Formula types: the declared-field mapping, assignability and unification."""

from __future__ import annotations

import pytest

from engine.formula import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    MONEY,
    NULL,
    NUMBER,
    REF,
    ROW,
    ROWS,
    TEXT,
    TEXT_LIST,
    FType,
    Kind,
    ftype_for,
)
from engine.formula.types import unify


@pytest.mark.parametrize(
    ("field_type", "expected"),
    [
        ("text", TEXT),
        ("enum", TEXT),
        ("user", TEXT),
        ("attachment", TEXT),
        ("integer", NUMBER),
        ("decimal", NUMBER),
        ("percent", NUMBER),
        ("money", MONEY),
        ("boolean", BOOL),
        ("date", DATE),
        ("datetime", DATETIME),
        ("multi_enum", FType.list_of(TEXT)),
        ("ref", REF),
        ("table", FType.list_of(ROW)),
    ],
)
def test_declared_field_types_map_to_formula_types(field_type: str, expected: FType) -> None:
    assert ftype_for(field_type) == expected


def test_an_unknown_field_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field type 'float'"):
        ftype_for("float")


@pytest.mark.parametrize(
    ("expected", "given", "fits"),
    [
        (NUMBER, MONEY, True),
        (MONEY, NUMBER, True),
        (NUMBER, NULL, True),
        (BOOL, NULL, True),
        (DATE, ANY, True),
        (ANY, TEXT_LIST, True),
        (TEXT, NUMBER, False),
        (DATE, DATETIME, False),
        (BOOL, TEXT, False),
        (TEXT_LIST, FType.list_of(TEXT), True),
        (TEXT_LIST, FType.list_of(NUMBER), False),
        (FType.list_of(NUMBER), FType.list_of(MONEY), True),
        (FType.ref("base.project"), FType.ref("base.project"), True),
        (FType.ref("base.project"), FType.ref("base.party"), False),
        (REF, FType.ref("base.party"), True),
        (TEXT, REF, False),
    ],
)
def test_accepts(expected: FType, given: FType, fits: bool) -> None:
    assert expected.accepts(given) is fits


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (NUMBER, NUMBER, NUMBER),
        (NUMBER, MONEY, MONEY),
        (MONEY, NUMBER, MONEY),
        (NULL, TEXT, TEXT),
        (DATE, NULL, DATE),
        (ANY, TEXT, ANY),
        (TEXT, NUMBER, None),
        (DATE, DATETIME, None),
        (FType.list_of(NULL), TEXT_LIST, TEXT_LIST),
        (FType.ref("a.b"), FType.ref("a.c"), REF),
    ],
)
def test_unify(a: FType, b: FType, expected: FType | None) -> None:
    assert unify(a, b) == expected


@pytest.mark.parametrize(
    ("ftype", "text"),
    [
        (MONEY, "money"),
        (TEXT_LIST, "list of text"),
        (ROWS, "list of row"),
        (FType.ref("base.project"), "ref to base.project"),
        (REF, "ref"),
    ],
)
def test_types_print_as_users_read_them(ftype: FType, text: str) -> None:
    assert str(ftype) == text


def test_types_are_immutable_and_hashable() -> None:
    with pytest.raises(AttributeError):
        NUMBER.kind = Kind.TEXT  # type: ignore[misc]
    assert len({NUMBER, FType(Kind.NUMBER), MONEY}) == 2


def test_type_properties() -> None:
    assert MONEY.is_numeric and not TEXT.is_numeric
    assert DATE.is_ordered and TEXT.is_ordered and not BOOL.is_ordered
    assert NULL.is_loose and ANY.is_loose and not NUMBER.is_loose
