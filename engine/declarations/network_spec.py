"""The compiled `network:` block of an entity: its records form an activity network (critical path method)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from engine.formula import Formula


class LinkType(StrEnum):
    """How a predecessor constrains its successor (the dates are inclusive calendar days)."""

    FS = "finish_to_start"
    SS = "start_to_start"
    FF = "finish_to_finish"
    SF = "start_to_finish"


NETWORK_OUTPUTS = {  # what the engine writes -> the field type it needs
    "early_start": "date", "early_finish": "date", "late_start": "date", "late_finish": "date",
    "total_float": "integer", "is_critical": "boolean", "forecast_start": "date", "forecast_finish": "date",
}


@dataclass(frozen=True)
class Network:
    """The records of one entity sharing a `group` ref form an activity network (critical path method).

    The engine fills the `outputs` fields of every record of the group whenever one of them (or its
    links, or the group record) changes; `dependents` are the computed fields that read an output or
    read through the group ref (a task's status date from its plan), recomputed with them.
    """

    group: str                                     # ref field: one network per referenced record
    start: str                                     # date field
    finish: str | None                             # date field, or
    duration: str | None                           # an integer field (calendar days)
    links: str                                     # table field of predecessor links
    predecessor: str                               # its ref column (to this entity)
    link_type: str | None                          # its enum column; options name LinkType values
    link_types: Mapping[str, LinkType]             # option key -> link type
    lag: str | None                                # its integer column (calendar days)
    outputs: Mapping[str, str]                     # NETWORK_OUTPUTS key -> field name
    where: Formula | None = None                   # which records are activities (others get no outputs)
    actual_start: str | None = None
    actual_finish: str | None = None
    percent_complete: str | None = None            # a percent field
    status_date: Formula | None = None             # the data date; today when it gives null
    dependents: tuple[str, ...] = ()

    @property
    def input_fields(self) -> frozenset[str]:
        """Fields whose change reshapes the network."""
        named = {self.group, self.start, self.finish, self.duration, self.links, self.actual_start,
                 self.actual_finish, self.percent_complete}
        for formula in (self.where, self.status_date):
            if formula is not None:
                named |= formula.dependencies
        return frozenset(n for n in named if n is not None)
