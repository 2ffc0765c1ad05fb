"""The syntax tree the parser builds: plain immutable nodes carrying their source position."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column within the formula text."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Literal:
    """A number (Decimal), string, boolean or null written in the formula."""

    value: Decimal | str | bool | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Node, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Name:
    """A dotted name such as `qty`, `project.name`, `params.limit`; one position per part."""

    parts: tuple[str, ...]
    positions: tuple[Pos, ...]

    @property
    def pos(self) -> Pos:
        return self.positions[0]


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Unary:
    """`-x`, `+x` or `not x`; `pos` is the operator's."""

    op: str
    operand: Node
    pos: Pos


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic, comparison, `in`, `not in`, `and`, `or`; `pos` is the operator's."""

    op: str
    left: Node
    right: Node
    pos: Pos


Node = Literal | ListLiteral | Name | Call | Unary | Binary
