"""The module catalog: installing module folders and compiling the installed set once per change."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from engine.declarations.loader import ModuleFolder, compile_all, load_or_raise, read_folder
from engine.declarations.model import ModuleSpec
from engine.errors import Conflict, NotFound, Problem
from engine.storage.database import Database
from engine.storage.indexes import create_indexes, sync_indexes
from engine.storage.models import CatalogModule

_log = logging.getLogger(__name__)


def version_key(version: str) -> tuple[int, ...]:
    core = version.split("-")[0].split("+")[0]
    return tuple(int(part) if part.isdigit() else 0 for part in core.split("."))


class Catalog:
    """Installed modules, newest version of each, compiled and cached until the catalog changes."""

    def __init__(self, db: Database, *, extra_field_types: Callable[[str], bool] | None = None) -> None:
        self.db = db
        self.extra_field_types = extra_field_types
        self._lock = threading.Lock()
        self._cache_key: frozenset[tuple[str, str]] | None = None
        self._stamp: int | None = None   # the catalog stamp the cache was last found current at
        self._modules: dict[str, ModuleSpec] = {}
        self._versions: dict[tuple[str, str], ModuleSpec] = {}
        self.broken: list[Problem] = []   # why installed modules were left out of the last compilation

    def install(self, path: Path) -> tuple[ModuleSpec, bool]:
        """Install a module folder; returns (spec, changed). A published version never changes."""
        folder = read_folder(path)
        return self.install_folder(folder)

    def install_folder(self, folder: ModuleFolder) -> tuple[ModuleSpec, bool]:
        spec = load_or_raise(folder, self.modules(), extra_field_types=self.extra_field_types)
        with self.db.platform() as session:
            existing = session.get(CatalogModule, (spec.name, spec.version))
            if existing is not None:
                if existing.digest == folder.digest:
                    create_indexes(session.connection(), spec)   # those a newer engine derives (IF NOT EXISTS)
                    return spec, False
                raise Conflict(
                    f"module {spec.name} {spec.version} is already installed with different content; "
                    "a published version is immutable: raise 'version' in module.yaml and install again"
                , message_code="module_version_immutable", params={"name": spec.name, "version": spec.version})
            session.add(CatalogModule(name=spec.name, version=spec.version, files=folder.files,
                                      digest=folder.digest, installed_at=datetime.now(UTC)))
            session.flush()
            sync_indexes(session.connection(), spec)
        return spec, True

    def modules(self, *, stamp: int | None = None) -> dict[str, ModuleSpec]:
        """The newest installed version of every module, compiled. Given the catalog's stamp, just read by the
        caller (engine/storage/stamps.py), an unchanged catalog costs no query."""
        if stamp is not None and stamp == self._stamp:
            return self._modules
        compiled = self._current()
        if stamp is not None:
            self._stamp = stamp
        return compiled

    def _current(self) -> dict[str, ModuleSpec]:
        with self.db.platform() as session:
            rows = session.execute(select(CatalogModule.name, CatalogModule.version, CatalogModule.digest)).all()
            newest: dict[str, tuple[str, str]] = {}
            for name, version, digest in rows:
                if name not in newest or version_key(version) > version_key(newest[name][0]):
                    newest[name] = (version, digest)
            key = frozenset((name, digest) for name, (_v, digest) in newest.items())
            if key == self._cache_key:
                return self._modules
            stored = [session.get(CatalogModule, (name, version)) for name, (version, _d) in newest.items()]
        with self._lock:
            folders = [ModuleFolder(origin=row.name, files=dict(row.files)) for row in stored if row is not None]
            compiled, problems = compile_all(folders, extra_field_types=self.extra_field_types)
            if problems:  # e.g. a plugin it needs was uninstalled: that module is left out, the others go on
                _log.info("installed modules that do not compile are left out (see formwork module list):\n%s",
                           "\n".join(str(p) for p in problems))
            self._modules, self._cache_key, self.broken = compiled, key, problems
            return compiled

    def get(self, name: str) -> ModuleSpec | None:
        return self.modules().get(name)

    def version(self, name: str, version: str) -> ModuleSpec:
        """A specific installed version (in-flight approvals keep the BPMN they started with)."""
        known = self._modules.get(name)
        if known is not None and known.version == version:  # an installed version never changes
            return known
        current = self.modules()
        if name in current and current[name].version == version:
            return current[name]
        key = (name, version)
        if key not in self._versions:
            with self.db.platform() as session:
                row = session.get(CatalogModule, key)
                if row is None:
                    raise NotFound(f"module {name} {version} is not installed",
                                   message_code="module_version_not_installed",
                                   params={"name": name, "version": version})
                folder = ModuleFolder(origin=name, files=dict(row.files))
            self._versions[key] = load_or_raise(folder, current, extra_field_types=self.extra_field_types)
        return self._versions[key]
