"""Compile an entity's `network:` block (critical path method) and check it against the entity's fields."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from engine.core.declaration_codes import part
from engine.core.suggestions import closest
from engine.declarations.model import FieldSpec
from engine.declarations.module_scope import ModuleScope, Path
from engine.declarations.network_spec import NETWORK_OUTPUTS, LinkType, Network
from engine.formula import Environment, ftype_for

# Option keys an enum column of link types may use, read case-insensitively.
LINK_TYPE_NAMES = {
    "finish_to_start": LinkType.FS, "fs": LinkType.FS,
    "start_to_start": LinkType.SS, "ss": LinkType.SS,
    "finish_to_finish": LinkType.FF, "ff": LinkType.FF,
    "start_to_finish": LinkType.SF, "sf": LinkType.SF,
}


def compile_network(compiler: ModuleScope, base: Path, raw: Any, entity: str,
                    fields: dict[str, FieldSpec], env: Environment,
                    computed: tuple[str, ...]) -> Network | None:
    """Check the block and return it compiled; output fields become read-only in `fields` (in place)."""
    if not isinstance(raw, Mapping):
        return None
    path: Path = (*base, "network")
    key = f"{compiler.name}.{entity}"

    def field(where: Path, name: Any, types: tuple[str, ...], what: str,
              pool: Mapping[str, FieldSpec] = fields, of: str = entity) -> str | None:
        if name is None:
            return None
        text = str(name)
        spec = pool.get(text)
        if spec is None:
            compiler.problem(where, "decl_network_not_a_field",
                             {"what": what, "field": text, "entity": of, "suggestion": closest(text, pool)})
            return None
        if spec.type not in types:
            compiler.problem(where, "decl_network_field_type",
                             {"what": what, "field": text, "type": spec.type, "types": " or ".join(types)})
            return None
        return text

    group = field((*path, "group"), raw.get("group"), ("ref",), "group")
    start = field((*path, "start"), raw.get("start"), ("date",), "start")
    finish = field((*path, "finish"), raw.get("finish"), ("date",), "finish")
    duration = field((*path, "duration"), raw.get("duration"), ("integer",), "duration")
    if ("finish" in raw) == ("duration" in raw):
        compiler.problem(path, "decl_network_finish_or_duration")
    links_raw: Mapping[str, Any] = raw["links"] if isinstance(raw.get("links"), Mapping) else {}
    links_path: Path = (*path, "links")
    links = field((*links_path, "table"), links_raw.get("table"), ("table",), "links table")
    columns: Mapping[str, FieldSpec] = fields[links].fields if links else {}
    predecessor = link_type = lag = None
    link_types: dict[str, LinkType] = {}
    if links:
        predecessor = field((*links_path, "predecessor"), links_raw.get("predecessor"), ("ref",),
                            "predecessor column", columns, links)
        if predecessor and columns[predecessor].target != key:
            compiler.problem((*links_path, "predecessor"), "decl_network_predecessor_not_ref",
                             {"column": predecessor, "entity": key, "target": columns[predecessor].target})
        link_type = field((*links_path, "type"), links_raw.get("type"), ("enum",), "link type column", columns, links)
        if link_type:
            for option in columns[link_type].options:
                found = LINK_TYPE_NAMES.get(option.lower())
                if found is None:
                    compiler.problem((*links_path, "type"), "decl_network_link_type_unknown",
                                     {"option": option, "table": links, "column": link_type})
                else:
                    link_types[option] = found
        lag = field((*links_path, "lag"), links_raw.get("lag"), ("integer",), "lag column", columns, links)
    progress: Mapping[str, Any] = raw["progress"] if isinstance(raw.get("progress"), Mapping) else {}
    progress_path: Path = (*path, "progress")
    actual_start = field((*progress_path, "actual_start"), progress.get("actual_start"), ("date",), "actual start")
    actual_finish = field((*progress_path, "actual_finish"), progress.get("actual_finish"), ("date",),
                          "actual finish")
    percent = field((*progress_path, "percent_complete"), progress.get("percent_complete"),
                    ("percent", "decimal", "integer"), "percent complete")
    status_date = compiler.formula((*progress_path, "status_date"), progress.get("status_date"), env,
                                   what=part("decl_part_network_status_date"), expect=ftype_for("date"))
    where = compiler.formula((*path, "where"), raw.get("where"), env, what=part("decl_part_network_where"),
                             expect=ftype_for("boolean"))
    outputs: dict[str, str] = {}
    for role, name in (raw.get("outputs") or {}).items():
        if role not in NETWORK_OUTPUTS:
            compiler.problem((*path, "outputs", role), "decl_network_output_unknown",
                             {"output": role, "suggestion": closest(str(role), NETWORK_OUTPUTS),
                              "outputs": ", ".join(NETWORK_OUTPUTS)}, key=True)
            continue
        where_path: Path = (*path, "outputs", role)
        output = field(where_path, name, (NETWORK_OUTPUTS[role],), f"output {role!r}")
        if output is None:
            continue
        spec = fields[output]
        if spec.is_computed or spec.lookup is not None or spec.required:
            compiler.problem(where_path, "decl_network_output_computed", {"output": output})
            continue
        outputs[str(role)] = output
        fields[output] = replace(spec, readonly=True)
    if not outputs:
        compiler.problem(path, "decl_network_needs_outputs", {"outputs": ", ".join(NETWORK_OUTPUTS)})
    if not (group and start and (finish or duration) and links and predecessor and outputs):
        return None
    dependents: list[str] = []
    written = set(outputs.values())
    for name in computed:  # in dependency order: what reads an output, or the group, or one of those
        formula = fields[name].formula
        if formula is not None and (formula.dependencies & (written | set(dependents)) or group in formula.uses_refs):
            dependents.append(name)
    network = Network(group=group, start=start, finish=finish, duration=duration, links=links,
                      predecessor=predecessor, link_type=link_type, link_types=link_types, lag=lag,
                      outputs=outputs, where=where, actual_start=actual_start, actual_finish=actual_finish,
                      percent_complete=percent, status_date=status_date, dependents=tuple(dependents))
    for name in sorted(network.input_fields & (written | set(dependents))):
        compiler.problem(path, "decl_network_input_reads_outputs", {"name": name})
    return network
