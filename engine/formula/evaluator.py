"""Compile a checked tree into nested Python closures, once per formula.

Evaluating a formula is then plain function calls: no tree walking, no `eval`, and no
attribute access on anything but the `Context` and the mappings it holds. `and`, `or`
and `if` evaluate only the operand they need.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from engine.formula import values
from engine.formula.context import Context
from engine.formula.functions import Function
from engine.formula.ir import (
    Aggregate,
    Arith,
    ArithMode,
    CallExpr,
    Compare,
    Const,
    Expr,
    Field,
    If,
    In,
    IsNull,
    ListExpr,
    Logic,
    Negate,
    Not,
    Param,
    ParentField,
    RefField,
    TableColumn,
    ThisValue,
    UserAttr,
)
from engine.formula.types import FType, Kind

Evaluator = Callable[[Context], Any]

_ARITH: dict[ArithMode, Callable[[Any, Any], Any]] = {
    "add": values.add,
    "sub": values.sub,
    "mul": values.mul,
    "div": values.div,
    "mod": values.mod,
    "concat": values.concat,
    "date_add": values.date_add,
    "date_sub": values.date_sub,
    "date_diff": values.date_diff,
    "datetime_add": values.datetime_add,
    "datetime_sub": values.datetime_sub,
    "datetime_diff": values.datetime_diff,
    "dynamic_add": lambda a, b: values.dynamic("+", a, b),
    "dynamic_sub": lambda a, b: values.dynamic("-", a, b),
    "dynamic_mul": lambda a, b: values.dynamic("*", a, b),
    "dynamic_div": lambda a, b: values.dynamic("/", a, b),
    "dynamic_mod": lambda a, b: values.dynamic("%", a, b),
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Values of these exact types need no checking when read from a record.
_TRUSTED: dict[Kind, type] = {
    Kind.NUMBER: Decimal,
    Kind.MONEY: Decimal,
    Kind.TEXT: str,
    Kind.BOOL: bool,
    Kind.DATE: date,
    Kind.REF: str,
}


def compile_evaluator(node: Expr) -> Evaluator:
    """Return a function computing `node`'s value from a Context."""
    builder = _BUILDERS.get(type(node))
    assert builder is not None, f"no evaluator for {type(node).__name__}"
    return builder(node)


def _reader(ftype: FType) -> Callable[[Any], Any]:
    """Return a function passing trusted values through and checking the others."""
    coerce = values.coercion(ftype)
    trusted = _TRUSTED.get(ftype.kind)
    if trusted is None:
        return coerce

    def read(value: Any) -> Any:
        return value if value is None or type(value) is trusted else coerce(value)

    return read


def _const(node: Const) -> Evaluator:
    value = node.value
    return lambda ctx: value


def _list(node: ListExpr) -> Evaluator:
    if all(isinstance(item, Const) for item in node.items):
        fixed = [item.value for item in node.items if isinstance(item, Const)]
        return lambda ctx: list(fixed)  # a fresh list: callers may not share one
    items = [compile_evaluator(item) for item in node.items]
    return lambda ctx: [item(ctx) for item in items]


def _field(node: Field) -> Evaluator:
    name, read = node.name, _reader(node.type)
    return lambda ctx: read(ctx.values.get(name))


def _ref_field(node: RefField) -> Evaluator:
    ref, entity, name = node.ref, node.entity, node.field
    read = _reader(node.type) if node.column is None else _column_reader(node.column, node.type)

    def ref_field(ctx: Context) -> Any:
        record_id = values.to_ref(ctx.values.get(ref))
        if record_id is None:
            return None
        record = ctx.load_ref(entity, record_id)
        return None if record is None else read(record.get(name))

    return ref_field


def _column_reader(name: str, type: FType) -> Callable[[Any], list[Any]]:
    """Read one column of a child table's rows as a list."""
    assert type.item is not None
    read = _reader(type.item)

    def column(table: Any) -> list[Any]:
        rows = values.to_list(table) or []
        return [read(row.get(name)) if (row := values.to_row(r)) is not None else None for r in rows]

    return column


def _table_column(node: TableColumn) -> Evaluator:
    table, read = node.table, _column_reader(node.field, node.type)
    return lambda ctx: read(ctx.values.get(table))


def _parent_field(node: ParentField) -> Evaluator:
    name, read = node.field, _reader(node.type)
    return lambda ctx: read(ctx.parent.get(name))


def _param(node: Param) -> Evaluator:
    name, read = node.name, _reader(node.type)
    return lambda ctx: read(ctx.params.get(name))


def _this(node: ThisValue) -> Evaluator:
    inner = compile_evaluator(node.inner)
    return lambda ctx: inner(replace(ctx, values=ctx.this))


def _user(node: UserAttr) -> Evaluator:
    if node.attr == "name":
        return lambda ctx: ctx.user_name
    return lambda ctx: list(ctx.user_roles)


def _call(node: CallExpr) -> Evaluator:
    function, args = node.function, [compile_evaluator(arg) for arg in node.args]
    impl, propagates, with_context = function.impl, function.propagates_null, function.takes_context
    read = _reader(node.type)

    def call(ctx: Context) -> Any:
        arguments = [arg(ctx) for arg in args]
        if propagates and None in arguments:
            return None
        try:
            result = impl(ctx, *arguments) if with_context else impl(*arguments)
        except values.ValueFailure:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError) as error:
            raise values.ValueFailure(_failure(function, error)) from error
        return read(result)

    return call


def _failure(function: Function, error: Exception) -> str:
    return f"{function.name}() failed: {error}"


def _if(node: If) -> Evaluator:
    cond, then, otherwise = (compile_evaluator(n) for n in (node.cond, node.then, node.otherwise))
    return lambda ctx: then(ctx) if cond(ctx) is True else otherwise(ctx)


def _logic(node: Logic) -> Evaluator:
    left, right = compile_evaluator(node.left), compile_evaluator(node.right)
    if node.op == "and":
        return lambda ctx: left(ctx) is True and right(ctx) is True
    return lambda ctx: left(ctx) is True or right(ctx) is True


def _not(node: Not) -> Evaluator:
    operand = compile_evaluator(node.operand)
    return lambda ctx: operand(ctx) is not True


def _negate(node: Negate) -> Evaluator:
    operand = compile_evaluator(node.operand)

    def negate(ctx: Context) -> Any:
        value = values.to_number(operand(ctx))
        return None if value is None else value.copy_negate()

    return negate


def _arith(node: Arith) -> Evaluator:
    left, right, apply = compile_evaluator(node.left), compile_evaluator(node.right), _ARITH[node.mode]

    def arith(ctx: Context) -> Any:
        a = left(ctx)
        if a is None:
            return None
        b = right(ctx)
        if b is None:
            return None
        return apply(a, b)

    return arith


def _compare(node: Compare) -> Evaluator:
    left, right, test = compile_evaluator(node.left), compile_evaluator(node.right), _COMPARE[node.op]
    dynamic = Kind.ANY in (node.left.type.kind, node.right.type.kind)
    ordering = node.op not in ("==", "!=")

    def compare(ctx: Context) -> bool:
        a = left(ctx)
        if a is None:
            return False
        b = right(ctx)
        if b is None:
            return False
        if dynamic:
            a, b = values.comparable(a), values.comparable(b)
            if ordering:
                values.order_check(a, b)
        return test(a, b)

    return compare


def _is_null(node: IsNull) -> Evaluator:
    operand = compile_evaluator(node.operand)
    if node.negated:
        return lambda ctx: operand(ctx) is not None
    return lambda ctx: operand(ctx) is None


def _in(node: In) -> Evaluator:
    item, container, negated = compile_evaluator(node.item), compile_evaluator(node.container), node.negated

    def member(ctx: Context) -> bool:
        value = item(ctx)
        if value is None:
            return False
        # None never equals a present value, so null items never match.
        return (values.comparable(value) in (container(ctx) or ())) is not negated

    return member


def _aggregate(node: Aggregate) -> Evaluator:
    def aggregate(ctx: Context) -> Any:
        raise values.ValueFailure(f"{node.name}() over records is computed by the database, not per record")

    return aggregate


_BUILDERS: Mapping[type, Callable[[Any], Evaluator]] = {
    Const: _const,
    ListExpr: _list,
    Field: _field,
    RefField: _ref_field,
    TableColumn: _table_column,
    ParentField: _parent_field,
    Param: _param,
    ThisValue: _this,
    UserAttr: _user,
    CallExpr: _call,
    If: _if,
    Logic: _logic,
    Not: _not,
    Negate: _negate,
    Arith: _arith,
    Compare: _compare,
    IsNull: _is_null,
    In: _in,
    Aggregate: _aggregate,
}
