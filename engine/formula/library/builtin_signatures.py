"""Typing rules of the generic built-in functions (min/max over lists or values, sum of money ...).

Each rule receives the argument types and returns the result type, or raises ArgumentError
pointing at the argument that does not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.core.codes.formula_codes import reason as coded
from engine.formula.functions import ArgumentError
from engine.formula.types import ANY, BOOL, NUMBER, TEXT, FType, Kind, unify

Rule = Callable[[Sequence[FType]], FType]


def _list_item(name: str, arg: FType, what: str, fits: Callable[[FType], bool]) -> FType:
    if arg.kind is Kind.ANY:
        return ANY
    if arg.kind is not Kind.LIST or arg.item is None or not (arg.item.is_loose or fits(arg.item)):
        raise ArgumentError(coded("formula_list_of", name=name, what=what, found=str(arg)), 0)
    return NUMBER if arg.item.kind is Kind.NULL else arg.item


def numeric_list(name: str) -> Rule:
    return lambda types: _list_item(name, types[0], "numbers", lambda t: t.is_numeric)


def count_type(types: Sequence[FType]) -> FType:
    if types[0].kind not in (Kind.LIST, Kind.ANY, Kind.NULL):
        raise ArgumentError(coded("formula_count_list", found=str(types[0])), 0)
    return NUMBER


def extreme(name: str) -> Rule:
    def infer(types: Sequence[FType]) -> FType:
        if len(types) == 1:
            return _list_item(name, types[0], "numbers, texts or dates", lambda t: t.is_ordered)
        result = types[0]
        for index, arg in enumerate(types):
            if not (arg.is_loose or arg.is_ordered):
                raise ArgumentError(coded("formula_extreme_kinds", name=name, found=str(arg)), index)
            common = unify(result, arg)
            if common is None:
                raise ArgumentError(coded("formula_one_type", name=name, left=str(result), right=str(arg)), index)
            result = common
        return NUMBER if result.kind is Kind.NULL else result

    return infer


def numeric_same(name: str) -> Rule:
    def infer(types: Sequence[FType]) -> FType:
        for index, arg in enumerate(types):
            if not (arg.is_loose or arg.is_numeric):
                raise ArgumentError(coded("formula_argument_type", number=index + 1, name=name, expected="a number",
                                          found=str(arg)), index)
        return NUMBER if types[0].is_loose else types[0]

    return infer


def coalesce_type(types: Sequence[FType]) -> FType:
    result = types[0]
    for index, arg in enumerate(types[1:], start=1):
        common = unify(result, arg)
        if common is None:
            raise ArgumentError(coded("formula_one_type", name="coalesce", left=str(result), right=str(arg)), index)
        result = common
    return result


def of_kinds(name: str, kinds: tuple[Kind, ...], returns: FType) -> Rule:
    wanted = " or ".join(kind.value for kind in kinds)

    def infer(types: Sequence[FType]) -> FType:
        for index, arg in enumerate(types):
            if not (arg.is_loose or arg.kind in kinds):
                raise ArgumentError(coded("formula_argument_type", number=index + 1, name=name, expected=wanted,
                                          found=str(arg)), index)
        return returns

    return infer


def days_between_type(types: Sequence[FType]) -> FType:
    of_kinds("days_between", (Kind.DATE, Kind.DATETIME), NUMBER)(types)
    start, end = types
    if not (start.is_loose or end.is_loose or start.kind is end.kind):
        raise ArgumentError(coded("formula_two_dates", left=str(start), right=str(end)), 1)
    return NUMBER


def contains_type(types: Sequence[FType]) -> FType:
    container, item = types
    if container.kind is Kind.LIST:
        assert container.item is not None
        if not (container.item.accepts(item) or item.accepts(container.item)):
            raise ArgumentError(coded("formula_contains_look", item=str(item), container=str(container)), 1)
        return BOOL
    return of_kinds("contains", (Kind.TEXT,), BOOL)(types)


def text_type(types: Sequence[FType]) -> FType:
    if types[0].kind in (Kind.LIST, Kind.ROW):
        raise ArgumentError(coded("formula_text_single", found=str(types[0])), 0)
    return TEXT
