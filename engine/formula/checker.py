"""Type-check a syntax tree against an `Environment`, producing the checked tree.

Every error points at the offending token: an unknown name at the name, a bad operand at
the operand, mismatched operand types at the operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.core.codes.formula_codes import reason as coded
from engine.errors import FormulaError
from engine.formula import ast
from engine.formula.environment import Environment
from engine.formula.functions import FUNCTIONS, ArgumentError, FunctionRegistry
from engine.formula.ir import (
    Aggregate,
    AggregateName,
    Arith,
    CallExpr,
    Compare,
    CompareOp,
    Const,
    Expr,
    If,
    In,
    IsNull,
    ListExpr,
    Logic,
    LogicOp,
    Negate,
    Not,
)
from engine.formula.library.operators import OperatorTypeError, arithmetic, check_comparison, check_membership
from engine.formula.names import closest, resolve_name
from engine.formula.parser import error_at
from engine.formula.types import BOOL, NULL, NUMBER, TEXT, FType, Kind, unify

AGGREGATES: frozenset[AggregateName] = frozenset({"sum", "count", "avg", "min", "max", "count_distinct"})
_COMPARISONS: dict[str, CompareOp] = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_LOGIC: dict[str, LogicOp] = {"and": "and", "or": "or"}
_TRUTHY_KINDS = (Kind.BOOL, Kind.NULL, Kind.ANY)


@dataclass(frozen=True)
class Checked:
    """The checked tree and what it reads: `reads` holds every name path, hop by hop."""

    tree: Expr
    dependencies: frozenset[str]
    uses_refs: frozenset[str]
    ref_reads: int
    is_aggregate: bool
    reads: frozenset[tuple[str, ...]] = frozenset()
    this_dependencies: frozenset[str] = frozenset()   # fields of `this` (the record running a lookup) read


def check(
    node: ast.Node,
    text: str,
    env: Environment,
    *,
    aggregate: bool = False,
    registry: FunctionRegistry = FUNCTIONS,
) -> Checked:
    """Type-check `node` (parsed from `text`); raise FormulaError at the first problem."""
    checker = _Checker(text, env, registry, aggregate)
    try:
        tree = checker.expr(node)
    except RecursionError:
        raise FormulaError("formula is nested too deeply", text=text, message_code="formula_too_deep") from None
    return Checked(
        tree, frozenset(checker.deps), frozenset(checker.refs), checker.ref_reads, checker.has_aggregate,
        frozenset(checker.reads), frozenset(checker.this_deps),
    )


class _Checker:
    def __init__(self, text: str, env: Environment, registry: FunctionRegistry, aggregate: bool) -> None:
        self.text = text
        self.env = env
        self.registry = registry
        self.aggregate = aggregate
        self.in_aggregate = False
        self.has_aggregate = False
        self.deps: set[str] = set()
        self.refs: set[str] = set()
        self.reads: set[tuple[str, ...]] = set()
        self.this_deps: set[str] = set()
        self.ref_reads = 0

    def error(self, problem: str | Mapping[str, Any], pos: ast.Pos) -> FormulaError:
        return error_at(problem, self.text, pos)

    def expr(self, node: ast.Node) -> Expr:
        if isinstance(node, ast.Literal):
            return self.literal(node)
        if isinstance(node, ast.ListLiteral):
            return self.list_literal(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Unary):
            return self.unary(node)
        return self.binary(node)

    def literal(self, node: ast.Literal) -> Expr:
        value = node.value
        if isinstance(value, bool):
            return Const(value, BOOL, node.pos)
        if isinstance(value, Decimal):
            return Const(value, NUMBER, node.pos)
        if isinstance(value, str):
            return Const(value, TEXT, node.pos)
        return Const(None, NULL, node.pos)

    def list_literal(self, node: ast.ListLiteral) -> Expr:
        items = tuple(self.expr(item) for item in node.items)
        item_type = NULL
        for item in items:
            common = unify(item_type, item.type)
            if common is None:
                raise self.error(coded("formula_list_types", left=str(item_type), right=str(item.type)), item.pos)
            item_type = common
        return ListExpr(items, FType.list_of(item_type), node.pos, any(i.row for i in items))

    # --- names ---------------------------------------------------------------------------------

    def name(self, node: ast.Name) -> Expr:
        resolved = resolve_name(node, self.env, self.error)
        if resolved.field is not None:
            if self.aggregate and not self.in_aggregate:
                field = resolved.field
                raise self.error(coded("formula_field_outside_aggregate", field=field), node.pos)
            self.deps.add(resolved.field)
        if resolved.path is not None:
            self.reads.add(resolved.path)
        if resolved.this_field is not None:
            self.this_deps.add(resolved.this_field)
        if resolved.through_ref:
            assert resolved.field is not None
            self.refs.add(resolved.field)
            self.ref_reads += 1
        return resolved.expr

    # --- calls ---------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> Expr:
        if node.name == "if":
            return self.if_(node)
        if self.aggregate and node.name in AGGREGATES:
            measure = self.aggregate_call(node)
            if measure is not None:
                return measure
        function = None if node.name.startswith("_") else self.registry.get(node.name)
        if function is None:
            suggestion = closest(node.name, [*self.registry.names(), "if"])
            raise self.error(coded("formula_unknown_function", name=node.name, suggestion=suggestion), node.pos)
        if node.name == "count" and not node.args:
            raise self.error(coded("formula_count_records"), node.pos)
        args = tuple(self.expr(arg) for arg in node.args)
        try:
            result = function.result_type([arg.type for arg in args])
        except ArgumentError as error:
            message: str | dict[str, Any] = error.problem
            if node.name in AGGREGATES and len(args) == 1 and args[0].type.kind not in (Kind.LIST, Kind.ANY):
                message = coded("formula_in_measure", reason=error.problem, name=node.name)
            index = error.index
            raise self.error(
                message, args[index].pos if index is not None and index < len(args) else node.pos
            ) from None
        if function.reads_refs:
            self.ref_reads += 1  # counted with the hops: the evaluation then reads each record once
        return CallExpr(function, args, result, node.pos, any(arg.row for arg in args))

    def if_(self, node: ast.Call) -> Expr:
        if len(node.args) != 3:
            raise self.error(coded("formula_if_arguments", count=len(node.args)), node.pos)
        cond, then, otherwise = (self.expr(arg) for arg in node.args)
        if cond.type.kind not in _TRUTHY_KINDS:
            raise self.error(coded("formula_if_condition", type=str(cond.type)), cond.pos)
        result = unify(then.type, otherwise.type)
        if result is None:
            raise self.error(coded("formula_if_branches", left=str(then.type), right=str(otherwise.type)),
                             otherwise.pos)
        return If(cond, then, otherwise, result, node.pos, cond.row or then.row or otherwise.row)

    def aggregate_call(self, node: ast.Call) -> Expr | None:
        """Check `count()`, `sum(x)` ... over records; None when it is the list function instead."""
        name: AggregateName = next(a for a in AGGREGATES if a == node.name)
        if len(node.args) > 1:
            return None
        if self.in_aggregate:
            if not node.args:
                raise self.error(coded("formula_nested_aggregates"), node.pos)
            return None  # the list form, e.g. sum(lines.amount) inside an aggregate
        if not node.args:
            if name != "count":
                return None  # the function's own arity error
            self.has_aggregate = True
            return Aggregate("count", None, NUMBER, node.pos)
        self.in_aggregate = True
        try:
            arg = self.expr(node.args[0])
        finally:
            self.in_aggregate = False
        if arg.type.kind is Kind.LIST:
            return None
        result = self.aggregate_type(name, arg)
        self.has_aggregate = True
        return Aggregate(name, arg, result, node.pos)

    def aggregate_type(self, name: AggregateName, arg: Expr) -> FType:
        kind = arg.type
        if name in ("count", "count_distinct"):
            return NUMBER
        if name in ("sum", "avg") and not (kind.is_numeric or kind.is_loose):
            raise self.error(coded("formula_aggregate_numbers", name=name, type=str(kind)), arg.pos)
        if name in ("min", "max") and not (kind.is_ordered or kind.is_loose):
            raise self.error(coded("formula_aggregate_ordered", name=name, type=str(kind)), arg.pos)
        return NUMBER if kind.is_loose else kind

    # --- operators -----------------------------------------------------------------------------

    def unary(self, node: ast.Unary) -> Expr:
        operand = self.expr(node.operand)
        if node.op == "not":
            if operand.type.kind not in _TRUTHY_KINDS:
                raise self.error(coded("formula_not_bool", type=str(operand.type)), operand.pos)
            return Not(operand, BOOL, node.pos, operand.row)
        if not (operand.type.is_numeric or operand.type.is_loose):
            raise self.error(coded("formula_unary_number", op=node.op, type=str(operand.type)), operand.pos)
        if node.op == "+":
            return operand
        if isinstance(operand, Const) and isinstance(operand.value, Decimal):
            return Const(operand.value.copy_negate(), operand.type, node.pos)
        result = NUMBER if operand.type.kind is Kind.NULL else operand.type
        return Negate(operand, result, node.pos, operand.row)

    def binary(self, node: ast.Binary) -> Expr:
        left, right = self.expr(node.left), self.expr(node.right)
        op, pos, row = node.op, node.pos, left.row or right.row
        try:
            if op in _LOGIC:
                for side in (left, right):
                    if side.type.kind not in _TRUTHY_KINDS:
                        raise self.error(coded("formula_logic_bool", op=op, type=str(side.type)), side.pos)
                return Logic(_LOGIC[op], left, right, BOOL, pos, row)
            if op == "in" or op == "not in":
                check_membership(left.type, right.type)
                return In(left, right, op == "not in", BOOL, pos, row)
            if op in _COMPARISONS:
                return self.comparison(op, left, right, pos)
            mode, result, swap = arithmetic(op, left.type, right.type)
        except OperatorTypeError as error:
            raise self.error(error.problem, pos) from None
        first, second = (right, left) if swap else (left, right)
        return Arith(mode, first, second, result, pos, row)

    def comparison(self, op: str, left: Expr, right: Expr, pos: ast.Pos) -> Expr:
        null_left, null_right = (isinstance(e, Const) and e.type.kind is Kind.NULL for e in (left, right))
        if null_left or null_right:
            if op not in ("==", "!="):
                raise self.error(coded("formula_null_ordering", op=op), pos)
            other = right if null_left else left
            return IsNull(other, op == "!=", BOOL, pos, other.row)
        check_comparison(op, left.type, right.type)
        return Compare(_COMPARISONS[op], left, right, BOOL, pos, left.row or right.row)
