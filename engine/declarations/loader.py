"""Read module folders and compile them, resolving `requires` in dependency order."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.core.declaration_codes import problem_at
from engine.declarations.compiler import ModuleCompiler
from engine.declarations.model import ModuleSpec
from engine.declarations.schema_check import check_against_schema
from engine.declarations.seed_check import check_seeds
from engine.declarations.source import load_source_text
from engine.errors import DeclarationError, Problem

MAIN_FILES = ("module.yaml", "module.yml", "module.json")
DECLARATION_SUFFIXES = (".yaml", ".yml", ".json", ".bpmn", ".dmn")
BUILTIN_MODULES = Path(__file__).resolve().parents[2] / "modules"


@dataclass
class ModuleFolder:
    """A module's files as text, keyed by path relative to the folder; `origin` prefixes messages."""

    origin: str
    files: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def main_file(self) -> str | None:
        return next((name for name in MAIN_FILES if name in self.files), None)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.files, sort_keys=True).encode()).hexdigest()

    def display(self, relative: str) -> str:
        return f"{self.origin}/{relative}" if self.origin else relative


def read_folder(path: Path) -> ModuleFolder:
    """Read a module folder (or the folder of a given module.yaml) into memory."""
    folder = path.parent if path.is_file() else path
    origin = str(folder).rstrip("/")
    result = ModuleFolder(origin=origin, files={})
    if not folder.is_dir():
        result.problems.append(problem_at(str(path), 1, 1, "decl_module_path_missing"))
        return result
    for file in sorted(folder.rglob("*")):
        if not file.is_file() or file.suffix.lower() not in DECLARATION_SUFFIXES:
            continue
        relative = file.relative_to(folder).as_posix()
        try:
            result.files[relative] = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            result.problems.append(problem_at(result.display(relative), 1, 1,
                                           "decl_file_not_utf8_at", {"reason": error.reason, "byte": error.start}))
    if result.main_file is None:
        result.problems.append(problem_at(origin, 1, 1, "decl_module_file_missing", {"names": ' or '.join(MAIN_FILES)}))
    return result


def module_name_of(folder: ModuleFolder) -> str | None:
    main = folder.main_file
    if main is None:
        return None
    data = load_source_text(folder.files[main], folder.display(main)).data
    name = data.get("module") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def requires_of(folder: ModuleFolder, key: str = "requires") -> list[str]:
    main = folder.main_file
    data = load_source_text(folder.files[main], folder.display(main)).data if main else None
    requires = data.get(key) if isinstance(data, dict) else None
    return [str(r) for r in requires] if isinstance(requires, list) else []


def dependencies_of(folder: ModuleFolder) -> list[str]:
    """The modules it requires and those it may point at (`optional`): compiled before it when installed."""
    return requires_of(folder) + requires_of(folder, "optional")


def effect_only_optional(folder: ModuleFolder) -> set[str]:
    """The `optional` modules the folder names only as the targets of effects (`create:`/`update:`), not in refs,
    lookups, rollups, gathers, contributions or reports: it may compile before them (to break a cycle of optional
    modules) and is compiled again once they are there."""
    optional = requires_of(folder, "optional")
    main = folder.main_file
    data = load_source_text(folder.files[main], folder.display(main)).data if main and optional else None
    named: set[str] = set()

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, str(name))
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, str) and key not in ("create", "update"):
            module, dot, rest = node.partition(".")
            if dot and rest and module in optional:
                named.add(module)

    walk(data, "")
    return {name for name in optional if name not in named}


# Compiled specs are immutable, so one compilation serves every caller with the same inputs:
# the folder's content and the versions of the modules it requires (all it may reference).
_COMPILED: dict[tuple[str, frozenset[tuple[str, str]]], ModuleSpec] = {}
_COMPILED_LIMIT = 256


def compile_folder(
    folder: ModuleFolder, available: Mapping[str, ModuleSpec], *,
    extra_field_types: Callable[[str], bool] | None = None,
) -> tuple[ModuleSpec | None, list[Problem]]:
    """Compile one module folder; the spec is None when any problem was found."""
    required = dependencies_of(folder)
    key = (folder.digest, frozenset((name, available[name].digest) for name in required if name in available))
    if extra_field_types is None and key in _COMPILED and not folder.problems:
        return _COMPILED[key], []
    spec, problems = _compile(folder, available, extra_field_types or (lambda _n: False))
    if spec is not None and extra_field_types is None:
        if len(_COMPILED) >= _COMPILED_LIMIT:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = spec
    return spec, problems


def _compile(folder: ModuleFolder, available: Mapping[str, ModuleSpec],
             extra_field_types: Callable[[str], bool]) -> tuple[ModuleSpec | None, list[Problem]]:
    problems = list(folder.problems)
    main = folder.main_file
    if main is None:
        return None, problems
    source = load_source_text(folder.files[main], folder.display(main))
    problems += source.problems
    if source.problems:
        return None, problems
    problems += check_against_schema(source, "module")
    compiler = ModuleCompiler(source, available, files=folder.files, extra_field_types=extra_field_types)
    spec = compiler.compile()
    problems += compiler.problems + check_seeds(spec, folder.origin)
    problems = sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.column))
    if problems:
        return None, problems
    return replace(spec, digest=folder.digest), []


def compile_all(folders: Iterable[ModuleFolder], available: Mapping[str, ModuleSpec] | None = None,
                **options: Any) -> tuple[dict[str, ModuleSpec], list[Problem]]:
    """Compile several folders, each after the modules it requires."""
    pending = {module_name_of(f) or f.origin: f for f in folders}
    compiled: dict[str, ModuleSpec] = dict(available or {})
    problems: list[Problem] = []
    again: dict[str, ModuleFolder] = {}  # compiled before an optional module its effects write into
    while pending:
        ready = [n for n, f in pending.items() if all(r in compiled or r not in pending for r in dependencies_of(f))]
        if not ready:  # a cycle: first a module that waits only for its effects' optional modules, else all of them
            ready = [n for n, f in pending.items() if all(r in compiled or r not in pending or r in soft
                                                           for soft in [effect_only_optional(f)]
                                                           for r in dependencies_of(f))][:1]
            again.update((n, pending[n]) for n in ready)
            ready = ready or list(pending)  # a requires-cycle: each reports its missing modules
        for name in ready:
            spec, found = compile_folder(pending.pop(name), compiled, **options)
            problems += found
            if spec is not None:
                compiled[spec.name] = spec
    for name, folder in again.items():  # now that the modules its effects write into are compiled
        if name in compiled:
            spec, found = compile_folder(folder, compiled, **options)
            problems += found
            if spec is not None:
                compiled[spec.name] = spec
    return compiled, problems


def builtin_folders() -> list[ModuleFolder]:
    return [read_folder(p) for p in sorted(BUILTIN_MODULES.iterdir()) if p.is_dir()] if BUILTIN_MODULES.is_dir() else []


def validate_paths(paths: Iterable[Path]) -> list[Problem]:
    """Check the given module folders; their `requires` may name each other or built-in modules."""
    given = [read_folder(p) for p in paths]
    names = {module_name_of(f) for f in given}
    helpers = [f for f in builtin_folders() if module_name_of(f) not in names]
    available, _ = compile_all(helpers)
    _, problems = compile_all(given, available)
    return problems


def load_or_raise(folder: ModuleFolder, available: Mapping[str, ModuleSpec], **options: Any) -> ModuleSpec:
    spec, problems = compile_folder(folder, available, **options)
    if spec is None:
        raise DeclarationError(problems)
    return spec
