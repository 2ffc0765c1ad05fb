"""Order computed fields by their dependencies; report a cycle by name."""
from __future__ import annotations

from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter

from engine.declarations.model import FieldSpec


def computed_order(fields: Mapping[str, FieldSpec]) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """Return (computed fields, each after those it reads; the cycle found, or None)."""
    graph = {
        name: {dep for dep in spec.formula.dependencies if dep in fields and fields[dep].formula is not None}
        for name, spec in fields.items()
        if spec.formula is not None
    }
    try:
        return tuple(TopologicalSorter(graph).static_order()), None
    except CycleError as error:
        return (), tuple(error.args[1])
