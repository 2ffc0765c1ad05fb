"""Installed plugins: discovered through entry points, registered once per process, enabled per tenant.

Loading never raises: a plugin whose import, registration or version check fails is recorded with
its error (`failures()`), skipped, and the engine goes on. What a loaded plugin registers is known to
every tenant's formulas and processes; `enabled_plugins` says which tenants may use it.
"""
from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import entry_points
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import field_types
from engine.core.plugin_api import ENTRY_POINT_GROUP, FormulaFunction, Hook, Plugin, ServiceTask
from engine.core.suggestions import suggest
from engine.errors import BadRequest, FormulaRuntimeError, NotFound
from engine.formula import ANY, BOOL, NUMBER, FType, ftype_for, register_function, unregister_function
from engine.security import audit
from engine.storage import stamps
from engine.storage.models import TenantPlugin
from engine.workflow import services

log = logging.getLogger("formwork.plugins")
FORMWORK_VERSION = "0.1.0"
# Types a plugin function's parameters and result may have: field types plus the formula's own names.
FUNCTION_TYPES: dict[str, FType] = {
    **{name: ftype_for(name) for name in ("text", "integer", "decimal", "money", "percent", "boolean", "date",
                                           "datetime", "enum", "user", "multi_enum")},
    "number": NUMBER, "bool": BOOL, "any": ANY,
}


@dataclass(frozen=True)
class Failure:
    name: str
    error: str


_lock = threading.Lock()
_loaded: dict[str, Plugin] = {}
_failed: dict[str, Failure] = {}
_function_owner: dict[str, str] = {}
_seen: set[str] = set()  # entry point names already tried
_generation = 0  # moves whenever a plugin is added or removed: what tenants may use was worked out with the old set


def load() -> dict[str, Plugin]:
    """Load every installed plugin not loaded (or failed) yet; cheap enough to call at each startup."""
    with _lock:
        importlib.invalidate_caches()  # see packages pip-installed since the last call
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            if entry.name in _seen or entry.name in _loaded:
                continue
            _seen.add(entry.name)
            try:
                plugin = entry.load()
                if not isinstance(plugin, Plugin):
                    raise TypeError(f"entry point {entry.value!r} is a {type(plugin).__name__}, not a Plugin")
                if plugin.name != entry.name:
                    log.warning("entry point %s loads plugin %s; it is known by the plugin's name", entry.name,
                                plugin.name)
                add(plugin)
            except Exception as error:  # the boundary: a broken plugin is reported, never fatal
                log.exception("plugin %s failed to load", entry.name)
                _failed[entry.name] = Failure(entry.name, f"{type(error).__name__}: {error}")
        return dict(_loaded)


def add(plugin: Plugin) -> None:
    """Register a plugin object's functions, service tasks and field types (all or nothing)."""
    if plugin.name in _loaded:
        raise ValueError(f"a plugin named {plugin.name!r} is already loaded")
    _check_supported(plugin)
    for topic in plugin.service_tasks:
        owner = services.owner_of(topic)
        if owner is not None:
            raise ValueError(f"service task topic {topic!r} is already handled by plugin {owner!r}")
    done: list[str] = []
    try:
        for function in plugin.functions.values():
            _register_function(plugin, function)
            done.append(function.name)
        for task in plugin.service_tasks.values():
            services.register(services.Topic(task.topic, plugin.name, task.blocking,
                                             {k: _output_type(task, k, v) for k, v in task.outputs.items()}))
        for found in plugin.field_types.values():
            field_types.register(found)
    except Exception:
        for name in done:
            unregister_function(name)
            _function_owner.pop(name, None)
        for topic in plugin.service_tasks:
            if services.owner_of(topic) == plugin.name:
                services.unregister(topic)
        raise
    _loaded[plugin.name] = plugin
    _moved()


def _output_type(task: ServiceTask, variable: str, type_name: str) -> FType:
    if type_name not in FUNCTION_TYPES:
        raise ValueError(f"service task {task.topic!r}: output {variable!r} has unknown type {type_name!r}; use one "
                         f"of {', '.join(FUNCTION_TYPES)}")
    return FUNCTION_TYPES[type_name]


def remove(name: str) -> None:
    """Forget a plugin (tests); formulas compiled earlier keep its functions."""
    plugin = _loaded.pop(name, None)
    _failed.pop(name, None)
    if plugin is None:
        return
    for function in plugin.functions:
        unregister_function(function)
        _function_owner.pop(function, None)
    for topic in plugin.service_tasks:
        services.unregister(topic)
    for type_name in plugin.field_types:
        field_types.unregister(type_name)
    _moved()


def _moved() -> None:
    global _generation
    _generation += 1


def generation() -> int:
    """How many times the loaded plugins changed in this process."""
    return _generation


def _check_supported(plugin: Plugin) -> None:
    """`supports=">=0.1"` (comma-separated comparisons) must admit this Formwork version."""
    if not plugin.supports:
        return
    ours = _version_tuple(FORMWORK_VERSION)
    for clause in plugin.supports.split(","):
        clause = clause.strip()
        operator = next((op for op in (">=", "<=", "==", "!=", ">", "<") if clause.startswith(op)), None)
        if operator is None:
            raise ValueError(f"supports={plugin.supports!r}: write comparisons like '>=0.1,<2'")
        wanted = _version_tuple(clause[len(operator):])
        width = max(len(ours), len(wanted))
        a, b = ours + (0,) * (width - len(ours)), wanted + (0,) * (width - len(wanted))
        holds = {">=": a >= b, "<=": a <= b, "==": a == b, "!=": a != b, ">": a > b, "<": a < b}[operator]
        if not holds:
            raise ValueError(f"needs Formwork {plugin.supports}, this is {FORMWORK_VERSION}")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.strip().split("."))


def _register_function(plugin: Plugin, function: FormulaFunction) -> None:
    for type_name in (*function.params, function.returns):
        if type_name not in FUNCTION_TYPES:
            raise ValueError(f"function {function.name}(): unknown type {type_name!r}; use one of "
                             f"{', '.join(FUNCTION_TYPES)}")
    impl = function.impl

    def guarded(*args: Any) -> Any:  # a plugin's bug is a clear formula failure, never a 500
        try:
            result = impl(*args)
        except Exception as error:
            raise FormulaRuntimeError(f"function {function.name}() of plugin {plugin.name} failed: "
                                      f"{type(error).__name__}: {error}",
                                      message_code="plugin_function_failed",
                                      params={"function": function.name, "plugin": plugin.name,
                                              "error_type": type(error).__name__, "error": error}) from error
        return Decimal(str(result)) if isinstance(result, int | float) and not isinstance(result, bool) else result

    register_function(function.name, [FUNCTION_TYPES[t] for t in function.params], FUNCTION_TYPES[function.returns],
                      guarded)
    _function_owner[function.name] = plugin.name


def loaded() -> dict[str, Plugin]:
    return dict(_loaded)


def failures() -> list[Failure]:
    return sorted(_failed.values(), key=lambda f: f.name)


def get(name: str) -> Plugin:
    if name not in _loaded and name not in _failed:
        load()  # installed since the engine started?
    plugin = _loaded.get(name)
    if plugin is None:
        failed = _failed.get(name)
        if failed is not None:
            raise NotFound(f"plugin {name!r} failed to load: {failed.error}",
                           message_code="plugin_load_failed", params={"name": name, "error": failed.error})
        raise NotFound(f"plugin {name!r} is not installed" + suggest(name, _loaded),
                       message_code="plugin_not_installed", params={"name": name, "hint": suggest(name, _loaded)})
    return plugin


def function_owners() -> Mapping[str, str]:
    """Formula function name -> the plugin that adds it."""
    return dict(_function_owner)


def listeners(event: str) -> dict[str, list[Hook]]:
    """Plugin name -> its hooks for `event`."""
    return {name: plugin.hooks[event] for name, plugin in _loaded.items() if plugin.hooks.get(event)}


def service_task(topic: str) -> tuple[Plugin, ServiceTask] | None:
    owner = services.owner_of(topic)
    plugin = _loaded.get(owner) if owner else None
    return (plugin, plugin.service_tasks[topic]) if plugin is not None else None


# -- per tenant ------------------------------------------------------------------------------------


def enabled_plugins(session: Session, tenant_id: str) -> dict[str, dict[str, Any]]:
    """The tenant's enabled plugins with their settings: the unit of work's tenant context's, else one query."""
    known = session.info.get(stamps.PLUGINS_KEY)
    if known is not None and known[0] == tenant_id:
        return {name: dict(settings) for name, settings in known[1].items()}
    rows = session.scalars(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant_id,
                                                      TenantPlugin.is_enabled.is_(True)))
    return {row.plugin: dict(row.settings or {}) for row in rows}


def settings_errors(plugin: Plugin, settings: Any) -> list[str]:
    validator = Draft202012Validator(dict(plugin.settings_schema))
    return [f"{'/'.join(str(p) for p in error.absolute_path) or 'settings'}: {error.message}"
            for error in sorted(validator.iter_errors(settings), key=lambda e: list(e.absolute_path))]


def set_enabled(session: Session, tenant_id: str, name: str, enabled: bool, *,
                settings: Mapping[str, Any] | None = None, actor: str = "system") -> bool:
    """Enable (validating the settings against the plugin's schema) or disable a plugin for a tenant."""
    plugin = get(name)
    row = session.get(TenantPlugin, (tenant_id, name))
    if enabled:
        chosen = dict(settings) if settings is not None else dict(row.settings if row is not None else {})
        problems = settings_errors(plugin, chosen)
        if problems:
            raise BadRequest(f"settings of plugin {name} are invalid: {'; '.join(problems)}", details=problems,
                             message_code="plugin_settings_invalid",
                             params={"name": name, "problems": '; '.join(problems)})
    else:
        chosen = dict(row.settings) if row is not None else {}
    if row is not None and row.is_enabled == enabled and row.settings == chosen:
        return False
    if row is None:
        row = TenantPlugin(tenant_id=tenant_id, plugin=name, is_enabled=enabled, settings=chosen,
                           updated_at=datetime.now(UTC))
        session.add(row)
    row.is_enabled, row.settings, row.updated_at = enabled, chosen, datetime.now(UTC)
    audit.write(session, tenant_id, actor=actor, action="plugin.enable" if enabled else "plugin.disable",
                target_type="plugin", target_id=name, after={"settings": _redacted(chosen)} if enabled else None)
    return True


def _redacted(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings for the audit log, without secrets."""
    def clean(value: Any, key: str = "") -> Any:
        if any(word in key.lower() for word in ("secret", "password", "token")):
            return "***"
        if isinstance(value, Mapping):
            return {k: clean(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    result: dict[str, Any] = clean(settings)
    return result
