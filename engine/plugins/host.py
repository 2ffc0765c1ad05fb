"""Run plugins for the engine: hooks from the job queue, service tasks inside approvals, each time-limited.

Plugins never get the database session. They get an `Event` or `ServiceContext` with tenant-scoped
record access acting as the plugin's service user (`plugin:<name>` with the roles it declares) and a
store of their own. A hook runs after its change committed, outside any transaction; a service task
runs inside the approval step that reaches it. Each call runs in a worker thread and is abandoned
(and counted as a failure) when it exceeds its time limit.
"""
from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.approvals.service import SERVICE_JOB, Approvals
from engine.core.plugin_api import Event, Plugin, ServiceContext
from engine.customization.catalog import Catalog
from engine.declarations.model import EntitySpec, ModuleSpec
from engine.errors import FormworkError, NotFound
from engine.fields.values import from_json, to_json
from engine.records.service import Records
from engine.storage import jobs
from engine.storage.database import Database
from engine.storage.models import PluginItem
from engine.tenancy import plugin_registry
from engine.tenancy.plugin_events import HOOK_JOB
from engine.tenancy.tenants import SYSTEM_ACTOR, Actor
from engine.workflow import ServiceCaller

log = logging.getLogger("formwork.plugins")


class PluginFailed(FormworkError):
    """A plugin's hook or service task raised, or ran past its time limit."""

    code = "plugin_failed"


def call_with_timeout(function: Callable[[Any], None], argument: Any, timeout: float, what: str) -> None:
    """Run `function(argument)` in a worker thread; raise PluginFailed on its error or after `timeout`."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            function(argument)
        except BaseException as error:  # reported to the caller's thread
            errors.append(error)

    thread = threading.Thread(target=target, name=f"plugin {what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise PluginFailed(f"{what} did not finish within {timeout:g}s and was abandoned",
                           message_code="plugin_timeout", params={"what": what, "timeout": timeout})
    if errors:
        error = errors[0]
        raise PluginFailed(f"{what} failed: {type(error).__name__}: {error}",
                           message_code="plugin_error",
                           params={"what": what, "error_type": type(error).__name__, "error": error}) from error


class RecordGateway:
    """`RecordAccess` for plugins: each call runs in `open()`'s transaction, as the plugin's service user."""

    def __init__(self, open_records: Callable[[], AbstractContextManager[Records]]) -> None:
        self._open = open_records

    def find(self, module: str, entity: str, *, q: str | None = None, sort: str | None = None,
             limit: int = 50) -> list[dict[str, Any]]:
        with self._open() as records:
            return records.find(module, entity, q=q, sort=sort, limit=limit).items

    def get(self, module: str, entity: str, record_id: str) -> dict[str, Any]:
        with self._open() as records:
            return records.get(module, entity, record_id)

    def create(self, module: str, entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
        with self._open() as records:
            return records.create(module, entity, data)

    def update(self, module: str, entity: str, record_id: str, data: Mapping[str, Any],
               version: int) -> dict[str, Any]:
        with self._open() as records:
            return records.update(module, entity, record_id, data, version)


class PluginItems:
    """`ItemStore` of one plugin in one tenant; each call runs in `open()`'s transaction."""

    def __init__(self, open_session: Callable[[], AbstractContextManager[Session]], plugin: str) -> None:
        self._open = open_session
        self.plugin = plugin

    def add(self, collection: str, data: Mapping[str, Any], *, owner: str | None = None) -> str:
        item_id = str(uuid.uuid4())
        moment = datetime.now(UTC)
        with self._open() as session:
            session.add(PluginItem(plugin=self.plugin, collection=collection, id=item_id, owner=owner,
                                   data=to_json(dict(data)), created_at=moment, updated_at=moment))
            session.flush()
        return item_id

    def get(self, collection: str, item_id: str) -> dict[str, Any] | None:
        with self._open() as session:
            row = session.scalars(select(PluginItem).where(
                PluginItem.plugin == self.plugin, PluginItem.collection == collection,
                PluginItem.id == item_id)).first()
            return _item(row) if row is not None else None

    def update(self, collection: str, item_id: str, data: Mapping[str, Any]) -> None:
        with self._open() as session:
            row = session.scalars(select(PluginItem).where(
                PluginItem.plugin == self.plugin, PluginItem.collection == collection,
                PluginItem.id == item_id)).first()
            if row is None:
                raise NotFound(f"{self.plugin} has no {collection} item {item_id!r}",
                               message_code="plugin_item_not_found",
                               params={"plugin": self.plugin, "collection": collection, "item_id": item_id})
            row.data = {**row.data, **to_json(dict(data))}
            row.updated_at = datetime.now(UTC)

    def list(self, collection: str, *, owner: str | Sequence[str] | None = None,
             limit: int = 50) -> list[dict[str, Any]]:
        with self._open() as session:
            statement = select(PluginItem).where(PluginItem.plugin == self.plugin,
                                                 PluginItem.collection == collection)
            if isinstance(owner, str):
                statement = statement.where(PluginItem.owner == owner)
            elif owner is not None:
                statement = statement.where(PluginItem.owner.in_(list(owner)))
            rows = session.scalars(statement.order_by(PluginItem.created_at.desc()).limit(limit))
            return [_item(row) for row in rows]


def _item(row: PluginItem) -> dict[str, Any]:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return {**row.data, "id": row.id, "owner": row.owner, "created_at": created.isoformat()}


_CALL = r"\b{}\s*\("


class PluginHost:
    """The engine's side of the plugins: discovery, per-tenant checks, running hooks and service tasks."""

    def __init__(self, db: Database, catalog: Catalog,
                 open_approvals: Callable[[Actor], AbstractContextManager[Approvals]]) -> None:
        self.db = db
        self.catalog = catalog
        self.open_approvals = open_approvals  # Approvals (with its Records) in one tenant transaction
        self._uses: dict[tuple[str, str], frozenset[str]] = {}

    # -- what a tenant may use ---------------------------------------------------------------------

    def blocked_modules(self, modules: Mapping[str, ModuleSpec], enabled: Mapping[str, Any],
                        tenant_id: str) -> dict[str, str]:
        """Modules using a formula function of a plugin the tenant has not enabled, with the reason."""
        owners = plugin_registry.function_owners()
        if not owners:
            return {}
        blocked = {}
        for name, spec in modules.items():
            for function in sorted(self._functions_used(spec, owners)):
                if owners[function] not in enabled:
                    blocked[name] = (f"module {name} uses function {function}() from plugin {owners[function]}, "
                                     f"which is not enabled for tenant {tenant_id}: "
                                     f"run 'formwork plugin enable {tenant_id} {owners[function]}'")
                    break
        return blocked

    def _functions_used(self, spec: ModuleSpec, owners: Mapping[str, str]) -> frozenset[str]:
        key = (spec.name, spec.digest + "|" + ",".join(sorted(owners)))
        if key not in self._uses:
            text = "\n".join(spec.files.values())
            self._uses[key] = frozenset(f for f in owners if re.search(_CALL.format(re.escape(f)), text))
        return self._uses[key]

    def actor_of(self, plugin: Plugin, tenant_id: str) -> Actor:
        return Actor(tenant_id=tenant_id, username=plugin.service_user, roles=plugin.service_roles)

    def store(self, plugin_name: str, tenant_id: str) -> PluginItems:
        """The plugin's own storage in a tenant (for its blueprint or CLI command)."""
        plugin_registry.get(plugin_name)

        def open_session() -> AbstractContextManager[Session]:
            return self.db.tenant(tenant_id)

        return PluginItems(open_session, plugin_name)

    def settings(self, plugin_name: str, tenant_id: str) -> dict[str, Any] | None:
        """The plugin's settings in a tenant, None when the tenant has not enabled it."""
        with self.db.tenant(tenant_id) as session:
            return plugin_registry.enabled_plugins(session, tenant_id).get(plugin_name)

    def gateway(self, plugin: Plugin, tenant_id: str) -> RecordGateway:
        actor = self.actor_of(plugin, tenant_id)

        @contextmanager
        def open_records() -> Iterator[Records]:
            with self.open_approvals(actor) as approvals:
                yield approvals.records

        return RecordGateway(open_records)

    # -- hooks -------------------------------------------------------------------------------------

    def run_hook(self, job: jobs.ClaimedJob, _moment: datetime) -> None:
        """Run one queued hook outside any transaction; an error makes the job retry with backoff."""
        payload = job.payload
        plugin = plugin_registry.loaded().get(str(payload.get("plugin")))
        with self.db.tenant(job.tenant_id) as session:
            settings = plugin_registry.enabled_plugins(session, job.tenant_id).get(str(payload.get("plugin")))
        if plugin is None or settings is None:  # uninstalled or disabled since: nothing to deliver
            self._finish(job)
            return
        hooks = plugin.hooks.get(str(payload["event"]), [])
        index = int(payload.get("hook", 0))
        if index >= len(hooks):
            self._finish(job)
            return
        hook = hooks[index]
        event = Event(name=hook.event, tenant=job.tenant_id, module=str(payload["module"]),
                      entity=str(payload["entity"]),
                      record=self._values(str(payload["module"]), str(payload["entity"]), payload["record"]),
                      task=payload.get("task"), settings=settings, records=self.gateway(plugin, job.tenant_id),
                      store=self.store(plugin.name, job.tenant_id), id=job.id, attempt=job.attempts)
        call_with_timeout(hook.handler, event, hook.timeout, f"hook {hook.event} of plugin {plugin.name}")
        self._finish(job)

    def _finish(self, job: jobs.ClaimedJob) -> None:
        with self.db.tenant(job.tenant_id) as session:
            jobs.finish(session, job)

    def _values(self, module: str, entity: str, document: Mapping[str, Any]) -> dict[str, Any]:
        """The record's JSON as Python values (Decimal, date ...) where its entity is known."""
        spec = self.catalog.modules().get(module)
        fields = spec.entities[entity].fields if spec is not None and entity in spec.entities else {}
        return {name: from_json(fields[name], value) if name in fields else value
                for name, value in document.items()}

    # -- service tasks -----------------------------------------------------------------------------

    def service_caller(self, records: Records, entity: EntitySpec) -> ServiceCaller:
        """What an approval step calls for a service task: variables set, or None to wait for a retry."""

        def call(topic: str, bpmn_id: str, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
            found = plugin_registry.service_task(topic)
            try:
                return self.run_service(records, entity, topic, bpmn_id, dict(data))
            except PluginFailed as error:
                if found is not None and found[1].blocking:
                    raise
                log.warning("service task %s (%s) failed; it waits for a retry: %s", bpmn_id, topic, error)
                return None

        return call

    def run_service(self, records: Records, entity: EntitySpec, topic: str, bpmn_id: str,
                    data: dict[str, Any]) -> Mapping[str, Any]:
        """Run a service task's handler in the step's transaction; the variables it changed."""
        found = plugin_registry.service_task(topic)
        if found is None:
            raise PluginFailed(f"service task {bpmn_id!r}: no loaded plugin handles topic {topic!r}",
                               message_code="service_task_no_plugin", params={"bpmn_id": bpmn_id, "topic": topic})
        plugin, task = found
        tenant_id = records.actor.tenant_id
        settings = plugin_registry.enabled_plugins(records.session, tenant_id).get(plugin.name)
        if settings is None:
            raise PluginFailed(f"service task {bpmn_id!r}: topic {topic!r} comes from plugin {plugin.name}, "
                               f"which is not enabled for tenant {tenant_id}",
                               message_code="service_task_plugin_disabled",
                               params={"bpmn_id": bpmn_id, "topic": topic, "name": plugin.name, "tenant_id": tenant_id})
        service_records = Records(records.session, self.actor_of(plugin, tenant_id), records.modules,
                                  records.parameters, records.language)
        variables = {k: v for k, v in data.items() if k not in entity.fields}
        context = ServiceContext(
            topic=topic, tenant=tenant_id, module=entity.module, entity=entity.name,
            record={k: v for k, v in data.items() if k in entity.fields or k == "id"}, variables=dict(variables),
            settings=settings, records=RecordGateway(lambda: nullcontext(service_records)),
            store=PluginItems(lambda: nullcontext(records.session), plugin.name))
        call_with_timeout(task.handler, context, task.timeout, f"service task {topic} of plugin {plugin.name}")
        return {k: v for k, v in context.variables.items() if k not in variables or variables[k] != v}

    def retry_services(self, job: jobs.ClaimedJob, _moment: datetime) -> None:
        system = Actor(tenant_id=job.tenant_id, username=SYSTEM_ACTOR, roles=frozenset({"admin"}))
        with self.open_approvals(system) as approvals:
            def run(entity: EntitySpec, topic: str, bpmn_id: str, data: dict[str, Any]) -> Mapping[str, Any]:
                return self.run_service(approvals.records, entity, topic, bpmn_id, data)

            approvals.retry_services(job.key, run)
            jobs.finish(approvals.session, job)

    def job_handlers(self) -> dict[str, jobs.Handler]:
        return {HOOK_JOB: self.run_hook, SERVICE_JOB: self.retry_services}
