"""The modules as one tenant has them: a ref field into an optional module exists only when the tenant enables it.

The tenant context (engine/customization/tenant_context.py) applies `as_enabled` to the modules a tenant runs;
the record service, the API, forms, lists, reports and imports see the entities without those fields, so a
value sent for one is refused like any unknown field and nothing shows it.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace

from engine.declarations.model import EntitySpec, ModuleSpec

_CACHE: dict[tuple[ModuleSpec, frozenset[str]], ModuleSpec] = {}
_CACHE_LIMIT = 512
_LOCK = threading.Lock()


def as_enabled(modules: Mapping[str, ModuleSpec]) -> dict[str, ModuleSpec]:
    """`modules` with the optional refs whose module is not among them left out (the same spec when none is)."""
    result = {}
    for name, spec in modules.items():
        missing = frozenset(m for m in spec.optional if m not in modules)
        result[name] = _without(spec, missing) if missing else spec
    return result


def _without(spec: ModuleSpec, missing: frozenset[str]) -> ModuleSpec:
    key = (spec, missing)  # one copy per spec and set of missing modules: caches keyed by specs keep working
    found = _CACHE.get(key)
    if found is None:
        entities = {name: _entity_without(entity, missing) for name, entity in spec.entities.items()}
        found = replace(spec, entities=entities)
        with _LOCK:
            if len(_CACHE) >= _CACHE_LIMIT:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = found
    return found


def _entity_without(entity: EntitySpec, missing: frozenset[str]) -> EntitySpec:
    dropped = {name for name, spec in entity.fields.items() if spec.optional_module in missing}
    if not dropped:
        return entity
    environment = entity.environment
    if environment is not None:
        environment = replace(environment, fields={n: f for n, f in environment.fields.items() if n not in dropped})
    return replace(entity, fields={n: f for n, f in entity.fields.items() if n not in dropped},
                   list_columns=tuple(c for c in entity.list_columns if c not in dropped),
                   list_filters=tuple(c for c in entity.list_filters if c not in dropped),
                   computed_order=tuple(c for c in entity.computed_order if c not in dropped),
                   contributions=tuple(c for c in entity.contributions if c.via not in dropped),
                   environment=environment)
