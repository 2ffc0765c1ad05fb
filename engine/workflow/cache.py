"""Keep parsed processes in memory: parse once per module version and process, share across threads."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from typing import Any

from engine.errors import Problem
from engine.formula import Environment, FType
from engine.workflow.loader import load_processes
from engine.workflow.spec import ProcessSpec

Loaded = tuple[ProcessSpec | None, tuple[Problem, ...]]


class ProcessCache:
    """A bounded, thread-safe LRU of loaded processes.

    `load` is `load_processes` memoized on everything that decides its result (the module's BPMN
    files, the process file, the roles and the checking environment). `get(digest)` finds a loaded
    process by `ProcessSpec.digest`, the key a stored run names.
    """

    def __init__(self, max_size: int = 256) -> None:
        self.max_size = max_size
        self._loaded: OrderedDict[str, Loaded] = OrderedDict()
        self._by_digest: OrderedDict[str, ProcessSpec] = OrderedDict()
        self._lock = threading.Lock()

    def load(
        self,
        files: Mapping[str, str],
        process_file: str,
        *,
        origin: str,
        roles: Collection[str],
        environment: Environment,
        params: Mapping[str, FType],
    ) -> tuple[ProcessSpec | None, list[Problem]]:
        """Return `load_processes(...)`, parsing only when these inputs were not loaded before."""
        key = _key(files, process_file, origin, roles, environment, params)
        with self._lock:
            found = self._loaded.get(key)
            if found is not None:
                self._loaded.move_to_end(key)
                if found[0] is not None:
                    self._by_digest.move_to_end(found[0].digest)
                return found[0], list(found[1])
        # Parse outside the lock: two threads may parse the same files once each, never block each other.
        process, problems = load_processes(
            files, process_file, origin=origin, roles=roles, environment=environment, params=params
        )
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = (process, tuple(problems))
            process = self._loaded[key][0]
            if process is not None:
                process = self._by_digest.setdefault(process.digest, process)
                self._by_digest.move_to_end(process.digest)
            _trim(self._loaded, self.max_size)
            _trim(self._by_digest, self.max_size)
        return process, problems

    def get(self, digest: str) -> ProcessSpec | None:
        """Return the loaded process with this digest, if it is still cached."""
        with self._lock:
            found = self._by_digest.get(digest)
            if found is not None:
                self._by_digest.move_to_end(digest)
            return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._loaded)


def _trim(entries: OrderedDict[str, Any], max_size: int) -> None:
    while len(entries) > max_size:
        entries.popitem(last=False)


def _key(
    files: Mapping[str, str], process_file: str, origin: str, roles: Collection[str], environment: Environment,
    params: Mapping[str, FType],
) -> str:
    digest = hashlib.sha256()
    for part in (process_file, origin, repr(sorted(roles)), repr(sorted(environment.fields.items())),
                 repr(sorted({**environment.params, **params}.items()))):
        digest.update(part.encode() + b"\0")
    for path in sorted(p for p in files if p.endswith(".bpmn")):
        digest.update(path.encode() + b"\0" + files[path].encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()
