"""Tenant overlays: merge a partial module onto the module it names and compile the result.

An overlay is validated like a module: its own JSON Schema first, then the merged declaration
goes through the module schema and the same semantic compiler. Every problem is reported at a
position in the OVERLAY file: the merged declaration is given a `Source` whose positions are the
overlay's, moved to the paths where the merge put each overlay value (a rule appended after the
module's three rules is rule 3 of the merged entity; a parameter value is the parameter's
default). A problem in a part the overlay did not write lands on the nearest part it did.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.core.declaration_codes import part, problem_at
from engine.core.suggestions import closest
from engine.declarations.compiler import ModuleCompiler
from engine.declarations.loader import MAIN_FILES
from engine.declarations.model import FieldSpec, ModuleSpec
from engine.declarations.schema_check import check_against_schema
from engine.declarations.source import JsonPath, Source, load_source_text
from engine.errors import DeclarationError, Problem
from engine.fields.values import InvalidValue, coerce

MAIN = "overlay.yaml"  # the overlay's own text in `Overlay.files`; BPMN files sit beside it
APPENDED = ("rules", "effects", "unique", "conflicts")  # entity lists an overlay adds to instead of replacing


@dataclass(frozen=True)
class Overlay:
    """An overlay's files as text (`overlay.yaml` and the BPMN it names); `origin` names it in messages."""

    origin: str
    files: Mapping[str, str]

    @property
    def text(self) -> str:
        return self.files.get(MAIN, "")

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(dict(self.files), sort_keys=True).encode()).hexdigest()

    def data(self) -> dict[str, Any]:
        return load_source_text(self.text, self.origin).data


def read_overlay(path: Path) -> Overlay:
    """Read an overlay file and the BPMN files its `workflows` name (relative to the overlay file)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise DeclarationError([problem_at(str(path), 1, 1, "decl_overlay_unreadable",
                                           {"reason": error.strerror or error})]) \
            from None
    except UnicodeDecodeError:
        raise DeclarationError([problem_at(str(path), 1, 1, "decl_overlay_not_utf8")]) \
            from None
    files = {MAIN: text}
    workflows = load_source_text(text, str(path)).data.get("workflows")
    for bpmn in (workflows.values() if isinstance(workflows, dict) else ()):
        file = path.parent / str(bpmn)
        if isinstance(bpmn, str) and ".." not in bpmn and file.is_file():
            files[bpmn] = file.read_text(encoding="utf-8")
    return Overlay(origin=str(path), files=files)


def version_name(base_version: str, seq: int) -> str:
    """The tenant's n-th published version of a module: `1.0.0+t3` (semver build metadata)."""
    return f"{base_version}+t{seq}"


# Effective specs are immutable: one compilation serves every request with the same inputs.
_COMPILED: dict[tuple[str, ...], ModuleSpec] = {}
_COMPILED_LIMIT = 256


def compile_overlay(overlay: Overlay, base: ModuleSpec, available: Mapping[str, ModuleSpec], *,
                    version: str) -> tuple[ModuleSpec | None, list[Problem]]:
    """Merge `overlay` onto `base` and compile it as module `version`; None and the problems when invalid."""
    required = sorted(f"{name}:{available[name].digest}" for name in base.requires if name in available)
    key = (base.digest, overlay.digest, version, *required)
    if key in _COMPILED:
        return _COMPILED[key], []
    spec, problems = _Merger(overlay, base).compile(available)
    if spec is None:
        return None, problems
    spec = replace(spec, version=version, digest=hashlib.sha256("|".join(key).encode()).hexdigest())
    if len(_COMPILED) >= _COMPILED_LIMIT:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = spec
    return spec, []


def compile_or_raise(overlay: Overlay, base: ModuleSpec, available: Mapping[str, ModuleSpec], *,
                     version: str) -> ModuleSpec:
    spec, problems = compile_overlay(overlay, base, available, version=version)
    if spec is None:
        raise DeclarationError(problems)
    return spec


class _Merger:
    """Merges one overlay onto one module's declaration data, remembering where each value came from."""

    def __init__(self, overlay: Overlay, base: ModuleSpec) -> None:
        self.overlay = overlay
        self.base = base
        self.source = load_source_text(overlay.text, overlay.origin)
        self.problems: list[Problem] = list(self.source.problems)
        self.offsets: dict[tuple[str, str], int] = {}  # (entity, 'rules') -> how many the module had

    def problem(self, path: JsonPath, code: str, params: Mapping[str, Any] | None = None, *, key: bool = True) -> None:
        line, column = self.source.position(path, key=key)
        self.problems.append(problem_at(self.source.file, line, column, code, params))

    def compile(self, available: Mapping[str, ModuleSpec]) -> tuple[ModuleSpec | None, list[Problem]]:
        if self.problems:
            return None, self.problems
        self.problems += check_against_schema(self.source, "overlay")
        if self.problems:
            return None, self.problems
        merged, files = self.merge()
        if self.problems:
            return None, _sorted(self.problems)
        source = Source(self.source.file, self.source.text, merged, [],
                        {self.translate(p): s for p, s in self.source.values.items()},
                        {self.translate(p): s for p, s in self.source.keys.items()})
        problems = check_against_schema(source, "module")
        compiler = ModuleCompiler(source, available, files=files)
        spec = compiler.compile()
        problems = _sorted([*problems, *compiler.problems])
        return (None, problems) if problems else (spec, [])

    # -- the merge -------------------------------------------------------------------------------

    def merge(self) -> tuple[dict[str, Any], dict[str, str]]:
        data = self.source.data
        base_data = self.base_data()
        if data.get("overlay") != self.base.name:
            self.problem(("overlay",), "decl_overlay_wrong_module",
                         {"overlay": data.get('overlay'), "module": self.base.name}, key=False)
        if str(data.get("base_version")) != self.base.version:
            self.problem(("base_version",), "decl_overlay_base_version",
                         {"module": self.base.name, "base_version": data.get('base_version'),
                          "version": self.base.version}, key=False)
        merged = dict(base_data)
        for key in ("title", "description", "roles", "reports"):
            if key in data:
                merged[key] = _deep(base_data.get(key), data[key])
        merged["entities"] = self.entities(dict(base_data.get("entities") or {}), data.get("entities") or {})
        merged["parameters"] = self.parameters(dict(base_data.get("parameters") or {}), data.get("parameters") or {})
        files = dict(self.base.files)
        self.workflows(merged["entities"], files, data.get("workflows") or {})
        return merged, files

    def base_data(self) -> dict[str, Any]:
        main = next((name for name in MAIN_FILES if name in self.base.files), None)
        if main is None:
            return {}
        return load_source_text(self.base.files[main], f"{self.base.name}/{main}").data

    def entities(self, base: dict[str, Any], patches: Mapping[str, Any]) -> dict[str, Any]:
        for name, patch in patches.items():
            if name not in base:
                self.problem(("entities", name), "decl_overlay_unknown_entity",
                             {"module": self.base.name, "entity": name, "suggestion": closest(name, base)})
                continue
            entity = dict(base[name])
            for key, value in patch.items():
                if key == "fields":
                    entity["fields"] = self.fields(dict(entity.get("fields") or {}), value,
                                                   ("entities", name, "fields"), name)
                elif key in APPENDED:
                    self.offsets[(name, key)] = len(entity.get(key) or [])
                    entity[key] = [*(entity.get(key) or []), *value]
                else:
                    entity[key] = _deep(entity.get(key), value)
            base[name] = entity
        return base

    def fields(self, base: dict[str, Any], patches: Mapping[str, Any], path: JsonPath, owner: str) -> dict[str, Any]:
        for name, patch in patches.items():
            if name not in base:
                if "type" not in patch:
                    self.problem((*path, name), "decl_overlay_unknown_field",
                                 {"owner": owner, "name": name, "suggestion": closest(name, base)})
                base[name] = patch
                continue
            field = dict(base[name])
            for key, value in patch.items():
                if key == "fields":
                    field["fields"] = self.fields(dict(field.get("fields") or {}), value, (*path, name, "fields"), name)
                else:
                    field[key] = _deep(field.get(key), value)
            if patch.get("hidden") is True and "required" not in patch:
                field["required"] = False  # nobody could fill it in a form; say `required: true` with a default
            base[name] = field
        return base

    def parameters(self, base: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        for name, value in values.items():
            declared = base.get(name)
            if not isinstance(declared, dict):
                self.problem(("parameters", name), "decl_overlay_unknown_parameter",
                             {"module": self.base.name, "parameter": name, "suggestion": closest(name, base)})
                continue
            spec = self.base.parameters.get(name)
            if spec is not None:
                try:
                    coerce(FieldSpec(name, spec.type, spec.label), value)
                except InvalidValue as error:
                    self.problem(("parameters", name), "decl_overlay_parameter_invalid",
                                 {"name": name, "type": spec.type, "error": part(error.code, error.params, str(error))},
                                 key=False)
            base[name] = {**declared, "default": value}
        return base

    def workflows(self, entities: dict[str, Any], files: dict[str, str], workflows: Mapping[str, Any]) -> None:
        replaced_files: set[str] = set()
        for name, process in workflows.items():
            if name not in entities:
                self.problem(("workflows", name), "decl_overlay_workflow_unknown_entity",
                             {"module": self.base.name, "entity": name, "suggestion": closest(name, entities)})
                continue
            if process not in self.overlay.files:
                self.problem(("workflows", name), "decl_overlay_bpmn_missing", {"file": process}, key=False)
                continue
            if process in files and files[process] != self.overlay.files[process]:
                self.problem(("workflows", name), "decl_overlay_bpmn_clash",
                             {"module": self.base.name, "process": process}, key=False)
                continue
            files[process] = self.overlay.files[process]
            entity = dict(entities[name])
            replaced = (entity.get("workflow") or {}).get("process")
            entity["workflow"] = {**(entity.get("workflow") or {"start": "on_submit"}), "process": process}
            entities[name] = entity
            if isinstance(replaced, str) and replaced != process:
                replaced_files.add(replaced)
        # A replaced file no entity runs any more leaves the module, so the replacement may keep its process id
        # (the approval editor edits the process in place); a call activity still naming it is then reported.
        still_used = {(e.get("workflow") or {}).get("process") for e in entities.values() if isinstance(e, dict)}
        for replaced in replaced_files - still_used:
            files.pop(replaced, None)

    def translate(self, path: JsonPath) -> JsonPath:
        """Where the merge put the overlay value at `path`."""
        if not path:
            return path
        head, rest = path[0], path[1:]
        if head == "overlay":
            return ("module", *rest)
        if head == "base_version":
            return ("version", *rest)
        if head == "parameters" and rest:
            return ("parameters", rest[0], "default", *rest[1:])
        if head == "workflows" and rest:
            return ("entities", rest[0], "workflow", "process", *rest[1:])
        if head == "entities" and len(path) >= 4 and path[2] in APPENDED and isinstance(path[3], int):
            return (*path[:3], self.offsets.get((str(path[1]), str(path[2])), 0) + path[3], *path[4:])
        return path


def _deep(base: Any, patch: Any) -> Any:
    """Merge mappings key by key; anything else in the patch replaces what was there."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _deep(base.get(key), value)
        return merged
    return patch


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.column, p.message))

