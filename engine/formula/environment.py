"""What a formula may read: the fields of its entity and the module's parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.formula.types import ROW, ROWS, FType


@dataclass(frozen=True)
class FieldInfo:
    """One readable field: its formula type, and for tables/refs what lies one hop further.

    - scalar field: `FieldInfo(NUMBER)`;
    - child table: `FieldInfo(ROWS, row={...})` — `lines.amount` reads `row["amount"]`;
    - ref: `FieldInfo(FType.ref("base.project"), target={...}, target_entity="base.project")`.
      Only one hop is allowed, so nested `target`s are never consulted.
    """

    type: FType
    row: Mapping[str, FieldInfo] | None = None
    target: Mapping[str, FieldInfo] | None = None
    target_entity: str | None = None

    @staticmethod
    def table(row: Mapping[str, FieldInfo]) -> FieldInfo:
        """Return the info of a child table whose rows have the fields `row`."""
        return FieldInfo(ROWS, row=row)

    @staticmethod
    def parent(fields: Mapping[str, FieldInfo]) -> FieldInfo:
        """Return the info of `parent` in a table row's formulas: the fields of the record holding the row."""
        return FieldInfo(ROW, target=fields)

    @staticmethod
    def reference(target_entity: str, target: Mapping[str, FieldInfo]) -> FieldInfo:
        """Return the info of a ref field pointing at `target_entity` with fields `target`."""
        return FieldInfo(FType.ref(target_entity), target=target, target_entity=target_entity)


_EMPTY: Mapping[str, FType] = MappingProxyType({})


@dataclass(frozen=True)
class Environment:
    """The names a formula is checked against.

    `fields` are the entity's fields (for a formula inside a child-table row, the row's
    fields); `params` the module parameters readable as `params.<name>`. `user.name` and
    `user.roles` are always available. `params` and `user` are namespaces, so they shadow
    fields of the same name.
    `this`, when given, are the fields of the record that runs a lookup over another entity: `this.<field>`
    (and one ref hop further, `this.crew.labor_company`) reads that record; a namespace too.
    """

    fields: Mapping[str, FieldInfo]
    params: Mapping[str, FType] = field(default_factory=lambda: _EMPTY)
    this: Mapping[str, FieldInfo] | None = None
