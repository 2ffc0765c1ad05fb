"""Compile a checked formula to a SQLAlchemy expression for list filters, report `where`s,
row permissions and report measures.

Storage stays in charge of how values are stored: a `SqlTarget` turns a field (or a field one
ref away) into a column expression of the right SQL type, a list field into membership and
length tests, and a Python value into a bound parameter in the same representation.
Everything that does not read the record — literals, `params.*`, `user.*`, `today()`,
`now()`, arithmetic on those — is computed here in Python and bound as one parameter, so any
function works on such values.

Null semantics match the Python evaluator: SQL's three-valued logic yields NULL where Python
yields false (`qty > 5` when qty is null); that is harmless where a boolean only filters
(`WHERE`, `and`, `or`, an `if` condition) and is turned into false (`coalesce(x, false)`)
wherever the value is used (under `not`, compared, passed to a function, returned by `if`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, false, func, not_, null, or_, true
from sqlalchemy.sql.elements import Grouping

from engine.core.codes.formula_codes import reason as coded
from engine.errors import FormulaError, FormulaRuntimeError
from engine.formula.context import Context
from engine.formula.evaluator import compile_evaluator
from engine.formula.functions import ArgumentError
from engine.formula.ir import (
    Aggregate,
    Arith,
    CallExpr,
    Compare,
    Expr,
    Field,
    If,
    In,
    IsNull,
    ListExpr,
    Logic,
    Negate,
    Not,
    ParentField,
    RefField,
    TableColumn,
)
from engine.formula.parser import error_at
from engine.formula.sql.compiled import Col, Compiled, Folded, RecordList, Sql, SqlList
from engine.formula.sql.constructs import DateAddDays, DaysBetweenDates, DaysBetweenDatetimes, DecimalDiv
from engine.formula.sql.target import ListField, SqlTarget, type_of_value
from engine.formula.types import BOOL, NUMBER, FType, Kind
from engine.formula.values import ValueFailure

_COMPARE: dict[str, Callable[[Any, Any], Col]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_AGGREGATES: dict[str, Callable[[Col], Col]] = {
    "count": func.count,
    "count_distinct": lambda arg: func.count(arg.distinct()),
    "avg": func.avg,
    "min": func.min,
    "max": func.max,
}


def compile_sql(tree: Expr, text: str, target: SqlTarget, ctx: Context, *, exact_null: bool) -> Col:
    """Compile `tree` to SQL; raise FormulaError for parts that cannot run in the database."""
    compiler = _SqlCompiler(text, target, ctx)
    compiled = compiler.visit(tree)
    return compiler.value(compiled) if exact_null else compiler.condition(compiled)


class _SqlCompiler:
    def __init__(self, text: str, target: SqlTarget, ctx: Context) -> None:
        self.text = text
        self.target = target
        self.ctx = ctx

    def refuse(self, what: str, node: Expr, **params: Any) -> FormulaError:
        """`what` (a code of engine.core.codes.formula_codes, filled with `params`) cannot become SQL."""
        return error_at(coded("formula_not_in_filter", what=coded(what, **params)), self.text, node.pos)

    # --- conversions ----------------------------------------------------------------------------

    def bind(self, value: Any, ftype: FType) -> Col:
        if value is None:
            return null()
        if isinstance(value, bool):
            return true() if value else false()
        return self.target.literal(value, ftype if not ftype.is_loose else type_of_value(value))

    def value(self, compiled: Compiled) -> Col:
        """The expression where NULL means exactly Python's None."""
        if isinstance(compiled, Sql):
            return func.coalesce(compiled.expr, false()) if compiled.falsy_null else compiled.expr
        if isinstance(compiled, RecordList):
            raise self.misused(compiled)
        if isinstance(compiled, SqlList) or isinstance(compiled.value, list):
            raise error_at(coded("formula_list_in_filter"), self.text, compiled.pos)
        return self.bind(compiled.value, compiled.type)

    def misused(self, compiled: RecordList) -> FormulaError:
        return error_at(coded("formula_list_field_in_filter", field=compiled.field), self.text, compiled.pos)

    def condition(self, compiled: Compiled) -> Col:
        """The expression for a place where NULL and false both mean "no"."""
        return compiled.expr if isinstance(compiled, Sql) else self.value(compiled)

    def items(self, compiled: Compiled, node: Expr) -> list[Col]:
        """The items of a list (a literal, or a list known before the query) as SQL values."""
        if isinstance(compiled, SqlList):
            return compiled.items
        if isinstance(compiled, RecordList):
            raise self.misused(compiled)
        if isinstance(compiled, Sql) or node.type.item is None:
            raise self.refuse("formula_what_computed_list", node)
        return [self.bind(v, node.type.item) for v in compiled.value or () if v is not None]

    def fold(self, node: Expr) -> Folded:
        try:
            return Folded(compile_evaluator(node)(self.ctx), node.type, node.pos)
        except (ValueFailure, ArithmeticError) as error:
            raise FormulaRuntimeError(f"{error} in formula {self.text!r}",
                                      message_code="formula_evaluation_failed",
                                      params={"error": error, "text": self.text}) from None

    # --- nodes ----------------------------------------------------------------------------------

    def visit(self, node: Expr) -> Compiled:
        if not node.row:
            return self.fold(node)
        if isinstance(node, Field):
            if node.type.kind is Kind.LIST:
                return self.record_list(ListField(node.name), node)
            return Sql(self.target.field(node.name, node.type))
        if isinstance(node, RefField):
            if node.type.kind is Kind.LIST:
                return self.record_list(ListField(node.field, node.ref, node.entity, node.column), node)
            return Sql(self.target.ref_field(node.ref, node.entity, node.field, node.type))
        if isinstance(node, ParentField):
            raise self.refuse("formula_what_parent", node, field=node.field)
        if isinstance(node, TableColumn):
            return self.record_list(ListField(node.table, column=node.field), node)
        if isinstance(node, ListExpr):
            return SqlList([self.value(self.visit(item)) for item in node.items], node.pos)
        if isinstance(node, CallExpr):
            return self.call(node)
        if isinstance(node, If):
            return self.if_(node)
        if isinstance(node, Logic):
            return self.logic(node)
        if isinstance(node, Not):
            # Grouped: SQLAlchemy would render `NOT x IS NULL` for `not_(x).is_(None)`.
            return Sql(Grouping(not_(func.coalesce(self.condition(self.visit(node.operand)), false()))))
        if isinstance(node, Negate):
            return Sql(-self.value(self.visit(node.operand)))
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, IsNull):
            compiled = self.visit(node.operand)
            if isinstance(compiled, SqlList):  # a list literal is never null
                return Folded(node.negated, BOOL, node.pos)
            operand = compiled.length() if isinstance(compiled, RecordList) else self.value(compiled)
            return Sql(operand.is_not(None) if node.negated else operand.is_(None))
        if isinstance(node, In):
            return self.member(node)
        assert isinstance(node, Aggregate), node
        return self.aggregate(node)

    def record_list(self, field: ListField, node: Field | RefField | TableColumn) -> RecordList:
        item = node.type.item
        if item is not None and item.kind is Kind.ROW:
            raise self.refuse("formula_what_child_table", node, field=field)
        if field.column is not None:  # a table's column: membership over texts (users, codes) and refs only
            if item is None or item.kind not in (Kind.TEXT, Kind.REF):
                raise self.refuse("formula_what_child_values", node, field=field)
        elif item is None or item.kind is not Kind.TEXT:  # record lists are stored as texts
            raise self.refuse("formula_what_list_field", node, field=field, type=str(node.type))
        return RecordList(field, self.target, node.pos)

    def call(self, node: CallExpr) -> Compiled:
        args: list[Any] = []
        for arg in node.args:  # first, so that a child-table argument is what gets reported
            compiled = self.visit(arg)
            if isinstance(compiled, RecordList) and (node.function.sql_takes_lists or node.function.sql is None):
                args.append(compiled)  # without SQL, the function itself is what gets refused below
                continue
            is_list = arg.type.kind is Kind.LIST
            args.append(self.items(compiled, arg) if is_list else self.value(compiled))
        sql = node.function.sql
        if sql is None:
            raise self.refuse("formula_what_function", node, name=node.function.name)
        try:
            return Sql(sql(args, [arg.type for arg in node.args]))
        except ArgumentError as error:
            raise error_at(coded("formula_argument_in_filter", reason=error.problem), self.text, node.pos) from None

    def if_(self, node: If) -> Compiled:
        cond = self.visit(node.cond)
        if isinstance(cond, Folded):
            return self.visit(node.then if cond.value is True else node.otherwise)
        then, otherwise = self.value(self.visit(node.then)), self.value(self.visit(node.otherwise))
        return Sql(case((self.condition(cond), then), else_=otherwise))

    def logic(self, node: Logic) -> Compiled:
        left, right = self.visit(node.left), self.visit(node.right)
        decisive = node.op == "or"  # the operand value that decides the result alone
        for side, other in ((left, right), (right, left)):
            if isinstance(side, Folded):
                return Folded(decisive, BOOL, node.pos) if (side.value is True) is decisive else other
        combine = or_ if decisive else and_
        return Sql(combine(self.condition(left), self.condition(right)), falsy_null=True)

    def arith(self, node: Arith) -> Compiled:
        left, right = self.value(self.visit(node.left)), self.value(self.visit(node.right))
        mode = node.mode
        if mode == "add":
            return Sql(left + right)
        if mode == "sub":
            return Sql(left - right)
        if mode == "mul":
            return Sql(left * right)
        if mode == "div":
            return Sql(DecimalDiv(left, right))
        if mode == "mod":
            return Sql(func.mod(left, func.nullif(right, 0)))
        if mode == "concat":
            return Sql(left.concat(right))
        if mode == "date_add":
            return Sql(DateAddDays(left, right))
        if mode == "date_sub":
            return Sql(DateAddDays(left, -right))
        if mode == "date_diff":
            return Sql(DaysBetweenDates(right, left))
        if mode == "datetime_diff":
            return Sql(DaysBetweenDatetimes(right, left))
        if mode in ("datetime_add", "datetime_sub"):
            raise self.refuse("formula_what_datetime_days", node)
        raise self.refuse("formula_what_unknown_type", node)

    def compare(self, node: Compare) -> Compiled:
        left, right = self.visit(node.left), self.visit(node.right)
        if any(isinstance(side, Folded) and side.value is None for side in (left, right)):
            return Folded(False, BOOL, node.pos)  # a comparison with null is false
        return Sql(_COMPARE[node.op](self.value(left), self.value(right)), falsy_null=True)

    def member(self, node: In) -> Compiled:
        item, container = self.visit(node.item), self.visit(node.container)
        if isinstance(item, Folded) and item.value is None:
            return Folded(False, BOOL, node.pos)
        if isinstance(container, RecordList):
            if isinstance(item, Folded) and not isinstance(item.value, str):  # record lists hold texts only
                return Folded(node.negated, BOOL, node.pos)
            value = self.value(item)
            found = container.contains(value)
            if not node.negated:
                return Sql(found, falsy_null=True)
            return Sql(and_(value.is_not(None), not_(func.coalesce(found, false()))))
        value, items = self.value(item), self.items(container, node.container)
        if not items:
            return Sql(value.is_not(None)) if node.negated else Folded(False, BOOL, node.pos)
        if not node.negated:
            return Sql(value.in_(items), falsy_null=True)
        if isinstance(container, Folded):  # no null items: NOT IN is null only for a null item
            return Sql(value.not_in(items), falsy_null=True)
        return Sql(and_(value.is_not(None), not_(func.coalesce(value.in_(items), false()))))

    def aggregate(self, node: Aggregate) -> Compiled:
        if node.arg is None:
            return Sql(func.count())
        arg = self.value(self.visit(node.arg))
        if node.name == "sum":  # Python's sum of nothing is 0, SQL's is NULL
            return Sql(func.coalesce(func.sum(arg), self.bind(Decimal(0), NUMBER)))
        return Sql(_AGGREGATES[node.name](arg))
