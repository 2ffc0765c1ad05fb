"""The declarations through which records reach other records: lookups, rollups, contributions, gathering,
effects and task facts (compiled by cascade.py and flow/; engine.declarations.model re-exports them)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.formula import Formula


@dataclass(frozen=True)
class Lookup:
    """Fill an empty field from the newest record of `target` whose `match` fields equal ours."""

    target: str                                    # "module.entity"
    value: str                                     # the target's field to copy
    match: tuple[tuple[str, Formula], ...]         # target field == formula over this record
    effective_field: str | None = None             # target date field; the newest not after `effective_on`
    effective_on: Formula | None = None
    where: Formula | None = None                   # over the target's fields and `this.<field>` (this record)
    empty: tuple[str, ...] = ()                    # target fields matched by `null`: they must be empty
    otherwise: Lookup | None = None                # tried next when this one finds nothing (a list of lookups)

    @property
    def chain(self) -> tuple[Lookup, ...]:
        """This lookup and the ones tried after it, in order."""
        return (self, *(self.otherwise.chain if self.otherwise is not None else ()))

    @property
    def reads(self) -> frozenset[str]:
        """The fields of this record the lookups read (their order among fills follows them)."""
        found: set[str] = set()
        for lookup in self.chain:
            for formula in (*(f for _name, f in lookup.match), lookup.effective_on):
                if formula is not None:
                    found |= formula.dependencies
            if lookup.where is not None:
                found |= lookup.where.this_dependencies
        return frozenset(found)


@dataclass(frozen=True)
class Rollup:
    """An aggregate over the live records of `source` whose ref `via` points at this record."""

    source: str                                    # "module.entity"
    via: str                                       # a ref field, or with `table` the ref column of its rows
    measure: Formula                               # aggregate formula over the source's fields (or a row's)
    where: Formula | None = None
    table: str | None = None                       # the source's table whose rows point at this record


@dataclass(frozen=True)
class Contribution:
    """What records of `source` add to `field` of the `target` record their ref `via` points at (another
    module's entity): the field holds the sum of the contributions of the modules a tenant enables."""

    source: str                                    # "module.entity" that declares it
    target: str                                    # "module.entity" of a required (or optional) module
    field: str
    via: str
    measure: Formula                               # aggregate formula over the source's fields
    where: Formula | None = None


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


@dataclass(frozen=True)
class Effect:
    """When a record reaches status `on` (or, after a write, condition `when` holds), write to `target`
    records, exactly once per record (`on` and `when` together: on reaching the status, if the condition holds).

    A `create` effect inserts one `target` record; an `update` effect changes the `target`
    records that the `records` formula names (a ref or a list of refs) — their fields from
    `values` and, when given, their `status` — or the records whose fields equal `match` (and pass
    `where`). Values are formulas over the source record (`target.<field>` reads the updated record), or
    lookups matched by formulas over it. With `for_each` (a table field) the effect runs once per row,
    whose columns read as `row.<column>`; with `group_by` once per distinct group of rows, whose
    values aggregate the group's rows (`sum(row.amount)`) and read its keys as `group.<name>`.
    """

    key: str                                       # stable: "module.entity#index"
    on: str | None                                 # the status that triggers it, or
    when: Formula | None                           # the condition that triggers it after any write
    target: str
    values: tuple[tuple[str, Formula], ...]
    lookups: tuple[tuple[str, Lookup], ...] = ()
    records: Formula | None = None                 # update effects: which target records
    status: str | None = None                      # update effects: the status they move to
    match: tuple[tuple[str, Formula], ...] = ()    # update effects: or the target records whose fields equal these
    where: Formula | None = None                   # ... and that pass this condition over the target
    for_each: str | None = None                    # a table field: run once per row (`row.<column>`)
    group_by: tuple[tuple[str, Formula], ...] = ()  # create effects: once per distinct group of rows (`group.<name>`)
    update: bool = False

    @property
    def updates(self) -> bool:
        return self.update or self.records is not None


@dataclass(frozen=True)
class TaskFact:
    """A field the engine writes when one of the user tasks `tasks` of the record's process is approved: its
    actor's user name (`value` actor) or the completion time (`value` completed_at)."""

    tasks: tuple[str, ...]
    value: str
