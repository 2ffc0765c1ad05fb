"""The plugin API integrators write against: a `Plugin` collects registrations, the engine loads them.

A plugin is a pip package exposing a `Plugin` object in the entry point group `formwork.plugins`
(`acme_tax = "acme_tax:plugin"`). Nothing here touches the database or Flask: a blueprint and a
click command are stored as objects and wired by the app; the rest is run by `engine.plugins.host`.
See docs/plugins.md for the contract and the context objects.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ENTRY_POINT_GROUP = "formwork.plugins"
# The closed set of lifecycle events a hook may listen to.
EVENTS = ("record.created", "record.updated", "record.deleted", "task.created", "task.completed",
          "process.completed", "module.published", "task.reminded", "record.cc")
SQL_CASTS = {"text": "text", "numeric": "decimal", "date": "date", "datetime": "datetime", "boolean": "boolean"}
DEFAULT_TIMEOUT = 10.0  # seconds a hook or service task may run before it is abandoned as failed
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TOPIC = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


class PluginDefinitionError(ValueError):
    """A plugin registers something malformed; raised while the plugin module is imported."""


class RecordAccess(Protocol):
    """Tenant-scoped record operations with the permissions of the plugin's service user."""

    def find(self, module: str, entity: str, *, q: str | None = None, sort: str | None = None,
             limit: int = 50) -> list[dict[str, Any]]: ...

    def get(self, module: str, entity: str, record_id: str) -> dict[str, Any]: ...

    def create(self, module: str, entity: str, data: Mapping[str, Any]) -> dict[str, Any]: ...

    def update(self, module: str, entity: str, record_id: str, data: Mapping[str, Any],
               version: int) -> dict[str, Any]: ...


class ItemStore(Protocol):
    """Storage the plugin owns, per tenant: JSON items in named collections, optionally per owner (a user)."""

    def add(self, collection: str, data: Mapping[str, Any], *, owner: str | None = None) -> str: ...

    def get(self, collection: str, item_id: str) -> dict[str, Any] | None: ...

    def update(self, collection: str, item_id: str, data: Mapping[str, Any]) -> None: ...

    def list(self, collection: str, *, owner: str | Sequence[str] | None = None,
             limit: int = 50) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Event:
    """What a hook receives. `record` holds the record's field values (Decimal, date ...) plus `id`,
    `status`, `version`, `created_by`, `updated_by`; `task` the task (for task events), else None."""

    name: str
    tenant: str
    module: str
    entity: str
    record: Mapping[str, Any]
    task: Mapping[str, Any] | None
    settings: Mapping[str, Any]
    records: RecordAccess
    store: ItemStore
    id: str = ""            # the job id: stable across retries of the same delivery
    attempt: int = 1


@dataclass
class ServiceContext:
    """What a service task handler receives; it changes the process by writing into `variables`."""

    topic: str
    tenant: str
    module: str
    entity: str
    record: Mapping[str, Any]
    variables: MutableMapping[str, Any]
    settings: Mapping[str, Any]
    records: RecordAccess
    store: ItemStore


@dataclass(frozen=True)
class FormulaFunction:
    name: str
    params: tuple[str, ...]
    returns: str
    impl: Callable[..., Any]


@dataclass(frozen=True)
class ServiceTask:
    topic: str
    handler: Callable[[ServiceContext], None]
    blocking: bool
    timeout: float
    outputs: Mapping[str, str]


@dataclass(frozen=True)
class Hook:
    event: str
    handler: Callable[[Event], None]
    timeout: float


@dataclass(frozen=True)
class FieldType:
    """A field type a plugin adds: `schema` is the JSON Schema of its stored value, `coerce` turns
    input into that value (raise ValueError with a message for end users), `sql_cast` how filters
    and sorting read it, `widget` the form input (`text`, `number`, `date`, `textarea`, ...)."""

    name: str
    schema: Mapping[str, Any]
    coerce: Callable[[Any], Any] | None
    sql_cast: str
    widget: str
    label: Mapping[str, str]

    @property
    def base_type(self) -> str:
        """The built-in type it behaves like in formulas and SQL."""
        return SQL_CASTS[self.sql_cast]


class Plugin:
    """Registrations of one plugin; decorate functions with its methods at import time."""

    def __init__(self, name: str, version: str = "0.0.0", *, supports: str | None = None,
                 settings_schema: Mapping[str, Any] | None = None, title: Mapping[str, str] | None = None,
                 service_roles: Sequence[str] = ()) -> None:
        if not _NAME.match(name):
            raise PluginDefinitionError(f"plugin name {name!r} must be lower_snake_case, e.g. 'acme_tax'")
        self.name = name
        self.version = version
        self.supports = supports
        self.settings_schema: Mapping[str, Any] = settings_schema or {"type": "object"}
        self.title = dict(title or {"zh": name, "en": name})
        self.service_roles = frozenset(service_roles)
        self.functions: dict[str, FormulaFunction] = {}
        self.service_tasks: dict[str, ServiceTask] = {}
        self.hooks: dict[str, list[Hook]] = {}
        self.field_types: dict[str, FieldType] = {}
        self.modules: list[Path] = []
        self.blueprints: list[Any] = []
        self.openapi_paths: dict[str, Any] = {}
        self.commands: list[Any] = []

    @property
    def service_user(self) -> str:
        """The login name its record access acts as (audit entries show it)."""
        return f"plugin:{self.name}"

    def formula_function(self, name: str, *, params: Sequence[str], returns: str) -> Callable[[Callable[..., Any]],
                                                                                           Callable[..., Any]]:
        """Add a formula function; `params`/`returns` are field types (`money`, `text`, `date` ...)."""
        def register(impl: Callable[..., Any]) -> Callable[..., Any]:
            if name in self.functions:
                raise PluginDefinitionError(f"{self.name}: function {name}() is registered twice")
            self.functions[name] = FormulaFunction(name, tuple(params), returns, impl)
            return impl
        return register

    def service_task(self, topic: str, *, blocking: bool = False, timeout: float = DEFAULT_TIMEOUT,
                     outputs: Mapping[str, str] | None = None) -> Callable[[Callable[[ServiceContext], None]],
                                                                           Callable[[ServiceContext], None]]:
        """Handle `<serviceTask camunda:type="external" camunda:topic="...">`.

        `outputs` (variable -> type) lets conditions after the task be type-checked; `blocking` makes
        a failure fail the user's step instead of being retried in the background.
        """
        if not _TOPIC.match(topic):
            raise PluginDefinitionError(f"{self.name}: service task topic {topic!r} is not a valid name")

        def register(handler: Callable[[ServiceContext], None]) -> Callable[[ServiceContext], None]:
            self.service_tasks[topic] = ServiceTask(topic, handler, blocking, float(timeout), dict(outputs or {}))
            return handler
        return register

    def on(self, event: str, *, timeout: float = DEFAULT_TIMEOUT) -> Callable[[Callable[[Event], None]],
                                                                               Callable[[Event], None]]:
        """Run the decorated function after `event` is committed (through the job queue, retried)."""
        if event not in EVENTS:
            raise PluginDefinitionError(f"{self.name}: unknown event {event!r}; events are {', '.join(EVENTS)}")

        def register(handler: Callable[[Event], None]) -> Callable[[Event], None]:
            self.hooks.setdefault(event, []).append(Hook(event, handler, float(timeout)))
            return handler
        return register

    def field_type(self, name: str, *, schema: Mapping[str, Any] | None = None,
                   coerce: Callable[[Any], Any] | None = None, sql_cast: str = "text", widget: str = "text",
                   label: Mapping[str, str] | None = None) -> FieldType:
        """Add a field type modules may declare (`type: <name>`)."""
        if not _NAME.match(name):
            raise PluginDefinitionError(f"{self.name}: field type {name!r} must be lower_snake_case")
        if sql_cast not in SQL_CASTS:
            raise PluginDefinitionError(f"{self.name}: sql_cast of {name!r} must be one of {', '.join(SQL_CASTS)}")
        found = FieldType(name, dict(schema or {"type": "string"}), coerce, sql_cast, widget,
                          dict(label or {"zh": name, "en": name}))
        self.field_types[name] = found
        return found

    def module(self, path: str | Path) -> None:
        """Ship a module folder; it is installed into the catalog at startup and by `formwork init`."""
        self.modules.append(Path(path))

    def blueprint(self, blueprint: Any, *, openapi: Mapping[str, Any] | None = None) -> Any:
        """A Flask blueprint the web app registers (kept as an object: the engine imports no Flask).

        `openapi` describes its routes under /api/v1 for the API's OpenAPI document: OpenAPI path items
        keyed by the path after /api/v1 (`{"/notifications": {"get": {...}}}`).
        """
        self.blueprints.append(blueprint)
        self.openapi_paths.update(openapi or {})
        return blueprint

    def cli(self, command: Any) -> Any:
        """A click command added under `formwork`."""
        self.commands.append(command)
        return command

    def __repr__(self) -> str:
        return f"Plugin({self.name!r}, version={self.version!r})"
