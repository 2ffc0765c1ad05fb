"""Typing rules of the operators: which operand types fit and what type comes out."""

from __future__ import annotations

from typing import Any

from engine.core.codes.formula_codes import reason as coded
from engine.formula.ir import ArithMode
from engine.formula.types import ANY, MONEY, NULL, NUMBER, FType, Kind

_NUMERIC_MODES: dict[str, ArithMode] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}
_DYNAMIC_MODES: dict[str, ArithMode] = {
    "+": "dynamic_add", "-": "dynamic_sub", "*": "dynamic_mul", "/": "dynamic_div", "%": "dynamic_mod",
}  # fmt: skip
_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take the remainder of"}


class OperatorTypeError(Exception):
    """The operand types do not fit the operator; the checker adds the position. `problem` is the message as a
    part by its code (engine.core.codes.formula_codes)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.problem = coded(code, **params)
        super().__init__(self.problem["message"])


def arithmetic(op: str, left: FType, right: FType) -> tuple[ArithMode, FType, bool]:
    """Return (mode, result type, swap) for `left op right`; `swap` puts a date first.

    money ± money = money, money * number = money, money / number = money,
    money / money = number; a plain number mixes with money (`total + 100`). Dates move by
    a number of days; subtracting two dates gives days.
    """
    if left.kind is Kind.ANY or right.kind is Kind.ANY:
        return _DYNAMIC_MODES[op], ANY, False
    left, right = _fill_null(op, left, right)
    if left.kind is Kind.NULL:  # null op null
        return _NUMERIC_MODES[op], NULL, False
    if left.is_numeric and right.is_numeric:
        return _NUMERIC_MODES[op], _numeric_result(op, left, right), False
    if op == "+" and left.kind is Kind.TEXT and right.kind is Kind.TEXT:
        return "concat", left, False
    for day_kind, name in ((Kind.DATE, "date"), (Kind.DATETIME, "datetime")):
        if op == "+" and left.kind is day_kind and right.is_numeric:
            return _mode(f"{name}_add"), left, False
        if op == "+" and left.is_numeric and right.kind is day_kind:
            return _mode(f"{name}_add"), right, True
        if op == "-" and left.kind is day_kind and right.is_numeric:
            return _mode(f"{name}_sub"), left, False
        if op == "-" and left.kind is day_kind and right.kind is day_kind:
            return _mode(f"{name}_diff"), NUMBER, False
    raise OperatorTypeError("formula_cannot_arith", verb=_VERBS[op], left=_article(left), right=_article(right))


def _mode(name: str) -> ArithMode:
    modes: dict[str, ArithMode] = {
        "date_add": "date_add", "date_sub": "date_sub", "date_diff": "date_diff",
        "datetime_add": "datetime_add", "datetime_sub": "datetime_sub", "datetime_diff": "datetime_diff",
    }  # fmt: skip
    return modes[name]


def _fill_null(op: str, left: FType, right: FType) -> tuple[FType, FType]:
    """Give a `null` operand the type that makes the operation valid (the result is null anyway)."""
    if left.kind is not Kind.NULL and right.kind is not Kind.NULL:
        return left, right
    if left.kind is Kind.NULL and right.kind is Kind.NULL:
        return NULL, NULL
    known = right if left.kind is Kind.NULL else left
    filler = known if known.is_numeric or known.kind is Kind.TEXT else NUMBER
    if op == "-" and left.kind is Kind.NULL and known.kind in (Kind.DATE, Kind.DATETIME):
        filler = known  # null - date is a day count
    return (filler, right) if left.kind is Kind.NULL else (left, filler)


def _numeric_result(op: str, left: FType, right: FType) -> FType:
    money_left, money_right = left.kind is Kind.MONEY, right.kind is Kind.MONEY
    if op in "+-":
        return MONEY if money_left or money_right else NUMBER
    if op == "*":
        if money_left and money_right:
            raise OperatorTypeError("formula_money_by_money")
        return MONEY if money_left or money_right else NUMBER
    if op == "/":
        if money_right and not money_left:
            raise OperatorTypeError("formula_number_by_money")
        return MONEY if money_left and not money_right else NUMBER
    if money_right and not money_left:  # %
        raise OperatorTypeError("formula_remainder_by_money")
    return left


def check_comparison(op: str, left: FType, right: FType) -> None:
    """Raise OperatorTypeError unless `left op right` is meaningful."""
    if left.kind is Kind.ANY or right.kind is Kind.ANY:
        return
    ordering = op not in ("==", "!=")
    for side in (left, right):
        if side.kind in (Kind.LIST, Kind.ROW):
            raise OperatorTypeError("formula_compare_list", side=str(side), op=op)
        if ordering and side.kind in (Kind.BOOL, Kind.REF):
            raise OperatorTypeError("formula_order_kind", side=str(side), op=op)
    if left.is_numeric and right.is_numeric:
        return
    ids = {Kind.REF, Kind.TEXT}
    if left.kind is right.kind or (left.kind in ids and right.kind in ids):
        return
    raise OperatorTypeError("formula_cannot_compare", left=_article(left), right=_article(right))


def check_membership(item: FType, container: FType) -> None:
    """Raise OperatorTypeError unless `item in container` is meaningful."""
    if container.kind is Kind.ANY or container.kind is Kind.NULL:
        return
    if container.kind is not Kind.LIST:
        code = "formula_in_needs_list_text" if container.kind is Kind.TEXT else "formula_in_needs_list"
        raise OperatorTypeError(code, container=_article(container))
    assert container.item is not None
    if not (container.item.accepts(item) or item.accepts(container.item)):
        raise OperatorTypeError("formula_cannot_look_for", item=_article(item), container=str(container))


def _article(ftype: FType) -> str:
    if ftype.kind in (Kind.MONEY, Kind.TEXT, Kind.NULL, Kind.ANY):
        return str(ftype)
    return f"a {ftype}"
