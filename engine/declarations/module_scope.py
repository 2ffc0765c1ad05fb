"""What the parts of one module's compilation share: its source, the problems found, the names it may use.

`ModuleCompiler` (compiler.py) builds on `ModuleScope`; the compilers of constraints, networks and
reports take a `ModuleScope`, so they need not import the compiler that calls them.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.core import field_types
from engine.core.declaration_codes import Part, problem_at
from engine.core.suggestions import closest
from engine.declarations.model import FIELD_TYPES, Label, ModuleSpec
from engine.declarations.source_map import Source
from engine.errors import FormulaError, Problem
from engine.formula import Environment, FieldInfo, Formula, FType, compile_formula, ftype_for

Path = tuple[str | int, ...]
MULTIPLE_TYPES = frozenset({"user", "attachment"})  # `multiple: true` makes these hold a list
ANY_ENTITY = "any"   # `{type: ref, entity: any}`: a record of any enabled entity, by id; no hops through it
SYSTEM_FIELD_TYPES = {
    "id": "text", "status": "text", "version": "integer", "created_at": "datetime",
    "created_by": "user", "updated_at": "datetime", "updated_by": "user",
}


def label_of(raw: Any, fallback: str) -> Label:
    if isinstance(raw, Mapping):
        zh = str(raw.get("zh") or raw.get("en") or fallback)
        return Label(zh=zh, en=str(raw.get("en") or raw.get("zh") or fallback))
    if isinstance(raw, str) and raw:
        return Label(zh=raw, en=raw)
    return Label(zh=fallback, en=fallback.replace("_", " ").capitalize())


class ModuleScope:
    """One module's compilation state; `available` holds the already compiled modules it may require."""

    # Set by ModuleCompiler.compile() before the entities compile.
    roles: dict[str, Label]
    param_types: dict[str, FType]
    raw_entities: dict[str, Any]
    field_infos: dict[str, dict[str, FieldInfo]]

    def __init__(
        self,
        source: Source,
        available: Mapping[str, ModuleSpec],
        *,
        files: Mapping[str, str] | None = None,
        extra_field_types: Callable[[str], bool] = lambda _name: False,
    ) -> None:
        self.source = source
        self.data: dict[str, Any] = source.data if isinstance(source.data, dict) else {}
        self.available = available
        self.files = files or {}
        self.is_extra_type = extra_field_types
        self.problems: list[Problem] = []
        self.name = str(self.data.get("module", ""))
        self.requires: tuple[str, ...] = ()
        self.optional: tuple[str, ...] = ()  # modules its optional refs point into (see flow/contributions.py)

    # -- reporting -------------------------------------------------------------------------------

    def problem(self, path: Path, code: str, params: Mapping[str, Any] | None = None, *, key: bool = False) -> None:
        line, column = self.source.position(path, key=key)
        self.problems.append(problem_at(self.source.file, line, column, code, params))

    def formula(self, path: Path, text: Any, env: Environment, *, what: Part,
                expect: FType | None = None, aggregate: bool = False) -> Formula | None:
        if not isinstance(text, str):
            return None
        try:
            return compile_formula(text, env, expect=expect, aggregate=aggregate)
        except FormulaError as error:
            offset = _offset(text, error.line, error.column)
            line, column = self.source.position_in_scalar(path, offset)
            self.problems.append(problem_at(self.source.file, line, column, "decl_formula",
                                            {"what": what, "reason": error.reason_part}))
            return None

    # -- entities --------------------------------------------------------------------------------

    def resolve_target(self, path: Path, target: Any) -> tuple[str, Mapping[str, Any]] | None:
        """Find a ref's entity as ('module.entity', raw fields) in this module or one it requires."""
        text = str(target or "")
        module, _, entity = text.rpartition(".")
        module = module or self.name
        if module == self.name:
            if entity in self.raw_entities:
                fields = self.raw_entities[entity].get("fields") or {}
                return f"{module}.{entity}", fields
            choices = list(self.raw_entities) + [f"{r}.{e}" for r in self.available for e in
                                                 self.available[r].entities]
            self.problem(path, "decl_ref_target_unknown", {"text": text, "suggestion": closest(text, choices)})
            return None
        if module not in self.available:
            if module not in self.optional:
                self.problem(path, "decl_ref_target_module_missing", {"text": text, "module": module})
            return None
        if module not in (self.data.get("requires") or ()) and module not in self.optional:
            self.problem(path, "decl_ref_target_not_required", {"text": text, "module": module})
        spec = self.available[module].entities.get(entity)
        if spec is None:
            self.problem(path, "decl_ref_target_no_entity",
                         {"text": text, "module": module, "entity": entity,
                          "suggestion": closest(entity, self.available[module].entities)})
            return None
        return spec.key, {name: {"type": f.type} for name, f in spec.fields.items()}

    def field_infos_of(self, entity: str) -> dict[str, FieldInfo]:
        raw_fields = (self.raw_entities.get(entity) or {}).get("fields") or {}
        infos = {name: FieldInfo(type=ftype_for(kind)) for name, kind in SYSTEM_FIELD_TYPES.items()}
        for name, raw in raw_fields.items():
            if isinstance(raw, dict) and not self.leaves_out(raw):
                infos[str(name)] = self.field_info(("entities", entity, "fields", name), raw, hop=True)
        return infos

    def leaves_out(self, raw: Mapping[str, Any]) -> bool:
        """A ref field into an optional module that is not installed: compiled as if it were not declared."""
        if raw.get("type") != "ref":
            return False
        module = str(raw.get("entity") or "").rpartition(".")[0]
        return module in self.optional and module not in self.available

    def field_info(self, path: Path, raw: Mapping[str, Any], *, hop: bool) -> FieldInfo:
        kind = str(raw.get("type", "text"))
        if kind == "table":
            row = {str(n): self.field_info((*path, "fields", n), r, hop=hop)
                   for n, r in (raw.get("fields") or {}).items() if isinstance(r, dict)}
            return FieldInfo(type=ftype_for(kind), row=row)
        if kind == "ref" and hop and raw.get("entity") != ANY_ENTITY:
            resolved = self.resolve_target((*path, "entity"), raw.get("entity"))
            if resolved is not None:
                key, target_fields = resolved
                module, _, entity = key.partition(".")
                compiled = self.available[module].entities[entity].environment if module != self.name else None
                if compiled is not None:  # another module's entity: its compiled field infos (tables, lists)
                    target = dict(compiled.fields)
                else:
                    target = {str(n): self.field_info((*path, "entity"), r, hop=False)
                              for n, r in target_fields.items() if isinstance(r, dict)}
                target.update({n: FieldInfo(type=ftype_for(k)) for n, k in SYSTEM_FIELD_TYPES.items()})
                return FieldInfo(type=ftype_for(kind), target=target, target_entity=key)
        if kind in MULTIPLE_TYPES and raw.get("multiple"):
            return FieldInfo(type=FType.list_of(ftype_for(kind)))
        base = field_types.base_type(kind)
        return FieldInfo(type=ftype_for(base) if (base in FIELD_TYPES) else ftype_for("text"))

    # -- links to other entities ------------------------------------------------------------------

    def linked_env(self, path: Path, target: Any) -> tuple[str, Environment] | None:
        """The environment of another entity (this module's or a required one's), or a problem."""
        resolved = self.resolve_target(path, target)
        if resolved is None:
            return None
        key, _fields = resolved
        module, _, name = key.partition(".")
        if module == self.name:
            return key, Environment(fields=self.field_infos[name], params=self.param_types)
        environment = self.available[module].entities[name].environment
        return (key, environment) if environment is not None else None


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(part) + 1 for part in lines[: max(line - 1, 0)]) + max(column - 1, 0)
