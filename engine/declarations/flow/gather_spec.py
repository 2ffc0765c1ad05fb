"""The compiled `gather:` of a table field: its rows are other records matching this one."""
from __future__ import annotations

from dataclasses import dataclass

from engine.formula import Formula


@dataclass(frozen=True)
class Gather:
    """The rows of a table field are the live `source` records whose `match` fields equal formulas over this
    record, where `where` holds, and that no other live record of this entity holds in this field."""

    source: str                                    # "module.entity"
    match: tuple[tuple[str, Formula], ...]         # source field == formula over this record
    row: str                                       # the table's ref column naming the source record
    values: tuple[tuple[str, Formula], ...]        # column = formula over the source record
    where: Formula | None = None                   # over the source's fields and system fields
    order_by: tuple[str, ...] = ()                 # source fields; then the oldest first

    @property
    def columns(self) -> frozenset[str]:
        """The columns the engine writes (the others are the user's, kept row by row)."""
        return frozenset({self.row, *(name for name, _formula in self.values)})
