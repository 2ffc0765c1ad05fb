"""A report's groupings read through a reference (`crew.crew_name` beside `crew`), read once per group.

Grouped by `crew`, every row of a group has the same crew, so its name is the same too: reading it per row (a
lookup of the crew for each of 15,000 tickets) and carrying it through the sort gives the groups the lookup per
group gives, at a fraction of the work. The report groups by the reference in an inner query and reads the
referenced fields in the outer one.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Subquery

from engine.declarations.model import EntitySpec
from engine.formula import Formula
from engine.storage.queries import RecordColumns

Columns = tuple[tuple[str, Formula], ...]


def read_after_grouping(entity: EntitySpec, group_by: Columns) -> set[str]:
    """The grouping columns that read only fields of records that other groupings, plain references, point at."""
    refs = {column for column, formula in group_by
            if formula.text.strip() == column and column in entity.fields and entity.fields[column].type == "ref"}
    return {column for column, formula in group_by
            if column not in refs and formula.reads and not formula.is_aggregate
            and all(len(path) == 2 and path[0] in refs for path in formula.reads)}


class GroupedColumns(RecordColumns):
    """The SQL target of those groupings over the inner query's rows: a reference is its grouped column; the
    inner query carries `tenant_id` so a referenced record is looked up in the same tenant."""

    def __init__(self, dialect: str, grouped: Subquery) -> None:
        super().__init__(dialect, cast(Any, grouped.c))
        self.grouped = grouped

    def json_text(self, name: str) -> ColumnElement[Any]:
        return self.grouped.c[name]
