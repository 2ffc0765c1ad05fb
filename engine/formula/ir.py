"""The checked tree: every node knows its type, so the evaluator and the SQL compiler never guess.

The checker builds it from the syntax tree once per formula; `row` says whether a node reads
the record (fields, refs, tables) — nodes that do not are computed in Python and bound as
parameters when compiling to SQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from engine.formula.ast import Pos
from engine.formula.functions import Function
from engine.formula.types import FType

ArithMode = Literal[
    "add", "sub", "mul", "div", "mod", "concat",
    "date_add", "date_sub", "date_diff", "datetime_add", "datetime_sub", "datetime_diff",
    "dynamic_add", "dynamic_sub", "dynamic_mul", "dynamic_div", "dynamic_mod",
]  # fmt: skip
AggregateName = Literal["sum", "count", "avg", "min", "max", "count_distinct"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
LogicOp = Literal["and", "or"]


@dataclass(frozen=True, slots=True)
class Const:
    value: Any
    type: FType
    pos: Pos
    row: bool = False


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Field:
    """A field of the record itself (a table gives its rows, a ref its target's id)."""

    name: str
    type: FType
    pos: Pos
    row: bool = True


@dataclass(frozen=True, slots=True)
class RefField:
    """`ref.field`: one hop to the referenced record; with `column`, `ref.table.column` (a list)."""

    ref: str
    entity: str
    field: str
    type: FType
    pos: Pos
    row: bool = True
    column: str | None = None


@dataclass(frozen=True, slots=True)
class TableColumn:
    """`table.field`: one column of a child table, as a list."""

    table: str
    field: str
    type: FType
    pos: Pos
    row: bool = True


@dataclass(frozen=True, slots=True)
class ParentField:
    """`parent.field` in a formula of a child table's row: a field of the record holding the row."""

    field: str
    type: FType
    pos: Pos
    row: bool = True


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: FType
    pos: Pos
    row: bool = False


@dataclass(frozen=True, slots=True)
class ThisValue:
    """`this.field` (or `this.ref.field`): a value of the record that runs a lookup, not of the record read.

    `inner` is the name resolved against that record's fields; `field` the field of it that it reads.
    """

    inner: Expr
    field: str
    type: FType
    pos: Pos
    row: bool = False


@dataclass(frozen=True, slots=True)
class UserAttr:
    attr: Literal["name", "roles"]
    type: FType
    pos: Pos
    row: bool = False


@dataclass(frozen=True, slots=True)
class CallExpr:
    function: Function
    args: tuple[Expr, ...]
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: Expr
    otherwise: Expr
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Logic:
    op: LogicOp
    left: Expr
    right: Expr
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Arith:
    """A binary arithmetic operation; `mode` is chosen by the checker from the operand types."""

    mode: ArithMode
    left: Expr
    right: Expr
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Compare:
    """`== != < <= > >=` between two non-null-literal operands; false when either is null."""

    op: CompareOp
    left: Expr
    right: Expr
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class IsNull:
    """`x == null` (or `x != null` with `negated`)."""

    operand: Expr
    negated: bool
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class In:
    """`item in container` / `not in`; false when the item is null; null items never match."""

    item: Expr
    container: Expr
    negated: bool
    type: FType
    pos: Pos
    row: bool


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A report measure's SQL aggregate: `count()`, `sum(total)` ... (aggregate mode only)."""

    name: AggregateName
    arg: Expr | None
    type: FType
    pos: Pos
    row: bool = True


Expr = (
    Const | ListExpr | Field | RefField | TableColumn | ParentField | Param | ThisValue | UserAttr | CallExpr | If
    | Logic | Not | Negate | Arith | Compare | IsNull | In | Aggregate
)  # fmt: skip


def walk(tree: Expr) -> Iterator[Expr]:
    """Every node of a checked formula tree, the root first."""
    yield tree
    for item in dataclasses.fields(tree):
        value = getattr(tree, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, Expr):  # Expr is a union of the node classes
                yield from walk(child)
