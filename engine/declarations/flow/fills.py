"""Compile what fills a field at a save: `fill` formulas, and the order of fills and lookups."""
from __future__ import annotations

from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter
from typing import Any

from engine.core.declaration_codes import part
from engine.declarations.model import FieldSpec
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Environment, Formula, FType


def fill(compiler: ModuleScope, path: Path, raw: Mapping[str, Any], env: Environment, name: str,
         kind: str) -> Formula | None:
    """`fill: "crew.main_trade"`: the value an empty field takes at a save, a formula over the record."""
    text = raw.get("fill")
    if text is None:
        return None
    if raw.get("formula") is not None or raw.get("rollup") is not None:
        compiler.problem((*path, "fill"), "decl_fill_on_computed", {"name": name})
        return None
    info = env.fields.get(name)
    if kind == "table" or info is None:
        compiler.problem((*path, "fill"), "decl_fill_on_table", {"name": name})
        return None
    expect = FType.ref(info.target_entity) if kind == "ref" and info.target_entity else info.type
    formula = compiler.formula((*path, "fill"), text, env, what=part("decl_part_fill", {"name": name}), expect=expect)
    if formula is not None and name in formula.dependencies:
        compiler.problem((*path, "fill"), "decl_fill_reads_itself", {"name": name})
        return None
    return formula


def fill_order(compiler: ModuleScope, base: Path, fields: Mapping[str, FieldSpec]) -> tuple[str, ...]:
    """The lookup and `fill` fields, each after the lookups and fills it reads; a cycle is a problem."""
    filled = [name for name, spec in fields.items() if spec.lookup is not None or spec.fill is not None]
    graph: dict[str, set[str]] = {}
    for name in filled:
        spec = fields[name]
        reads = set(spec.fill.dependencies) if spec.fill is not None else set()
        if spec.lookup is not None:
            reads |= spec.lookup.reads
        graph[name] = {read for read in reads if read in filled and read != name}
    try:
        return tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        cycle: tuple[str, ...] = tuple(error.args[1])
        key = "fill" if fields[cycle[0]].fill is not None else "lookup"
        compiler.problem((*base, "fields", cycle[0], key), "decl_fill_cycle", {"cycle": " -> ".join(cycle)})
        return tuple(filled)
