"""The engine's entry point for web, CLI and tests: database, catalog and per-tenant services."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.approvals.service import TIMER_JOB, Approvals
from engine.customization.catalog import Catalog
from engine.customization.publishing import Adjustments
from engine.customization.tenant_context import TenantContexts
from engine.customization.tenant_versions import TenantVersions
from engine.declarations.loader import ModuleFolder, builtin_folders, dependencies_of, module_name_of
from engine.declarations.model import ModuleSpec
from engine.errors import DeclarationError, FormworkError, NotFound
from engine.formula.context import local_zone
from engine.people.service import People
from engine.plugins.host import PluginHost
from engine.records import seeds
from engine.records.service import Records
from engine.reports import scan
from engine.storage import jobs
from engine.storage.database import Database
from engine.storage.migrate import not_ready, upgrade
from engine.storage.workflow_models import ProcessInstance
from engine.tenancy import licenses, plugin_registry
from engine.tenancy import tenants as tenancy
from engine.tenancy.tenants import Actor
from engine.workflow import ProcessSpec

READING = "this is a read-only request: it changes nothing"


def default_database_url(instance: Path) -> str:
    return f"sqlite:///{(instance / 'formwork.db').resolve()}"


class Formwork:
    """One per process: owns the database and the compiled module catalog."""

    def __init__(self, database_url: str) -> None:
        try:
            local_zone()  # a misspelt FORMWORK_TIMEZONE stops the start, not the first today()
        except ValueError as error:
            raise FormworkError(str(error), message_code="bad_timezone", params={"message": str(error)}) from error
        plugin_registry.load()  # before the catalog compiles: modules may use what plugins add
        self.db = Database(database_url)
        self.catalog = Catalog(self.db)
        self.versions = TenantVersions(self.catalog)
        self.plugins = PluginHost(self.db, self.catalog, self.approvals)
        self.contexts = TenantContexts(self.catalog, self.versions, self.plugins.blocked_modules)

    def initialise(self) -> list[str]:
        """Create or upgrade the schema and install the built-in modules; returns what was installed."""
        upgrade(self.db.url)
        plugin_registry.load()
        installed = []
        for folder in _dependency_order(builtin_folders()):
            spec, changed = self.catalog.install_folder(folder)
            if changed:
                installed.append(f"{spec.name} {spec.version}")
        for plugin in plugin_registry.loaded().values():
            for path in plugin.modules:
                try:
                    spec, changed = self.catalog.install(path)
                except DeclarationError as error:  # a plugin's broken module must not stop the others
                    installed.append(f"module of plugin {plugin.name} at {path.name} NOT installed:\n{error}")
                    continue
                if changed:
                    installed.append(f"{spec.name} {spec.version} (plugin {plugin.name})")
        return installed

    def tenant_modules(self, session: Session, tenant_id: str) -> tuple[dict[str, ModuleSpec], dict[str, Any]]:
        """Modules a tenant may use now (installed, enabled for it, licensed) and their parameter values."""
        context = self.contexts.get(session, tenant_id)
        return dict(context.modules), context.parameter_values()

    def tenant_ids(self) -> list[str]:
        with self.db.platform() as session:
            return tenancy.tenant_ids(session)

    def enable_module(self, tenant_id: str, module: str, *, enabled: bool = True) -> list[str]:
        """Enable (with its requirements) or disable a module; enabling plants its seed records once."""
        installed = self.catalog.modules()
        with self.db.tenant(tenant_id) as session:
            changed = tenancy.set_module_enabled(session, tenant_id, module, enabled, installed)
        if enabled and changed:
            system = Actor(tenant_id=tenant_id, username=tenancy.SYSTEM_ACTOR, roles=frozenset({"admin"}))
            with self.records(system) as records:
                for name in changed:
                    seeds.plant(records, installed[name])
        return changed

    @contextmanager
    def approvals(self, actor: Actor, language: str = "en", *, reading: bool = False,
                  begun: Session | None = None) -> Iterator[Approvals]:
        with self.records(actor, language, reading=reading, begun=begun) as records:
            yield Approvals(records, lambda instance: self.process_for(instance, records.session),
                            self.plugins.service_caller)

    def job_handlers(self) -> dict[str, jobs.Handler]:
        """What `formwork worker` runs, by job kind; each runs in its job's tenant transaction."""

        def fire_timer(job: jobs.ClaimedJob, moment: datetime) -> None:
            system = Actor(tenant_id=job.tenant_id, username=tenancy.SYSTEM_ACTOR, roles=frozenset({"admin"}))
            with self.approvals(system) as service:
                service.fire_timers(job.key, moment)
                jobs.finish(service.session, job)

        def daily_scan(job: jobs.ClaimedJob, moment: datetime) -> None:
            done = scan.scan_tenant(job.tenant_id, lambda at: self.scan_records(job.tenant_id, at), moment)
            if done.error is not None:
                raise RuntimeError(f"the daily scan of {job.tenant_id} failed: {done.error}")
            with self.db.tenant(job.tenant_id) as session:
                jobs.finish(session, job)
                jobs.schedule(session, job.tenant_id, scan.SCAN_JOB, "daily", scan.next_run(moment))

        return {TIMER_JOB: fire_timer, scan.SCAN_JOB: daily_scan, **self.plugins.job_handlers()}

    def run_jobs(self, moment: datetime | None = None, observe: jobs.Observer | None = None) -> tuple[int, int]:
        return jobs.run_due(self.db, self.job_handlers(), moment, observe=observe)

    def not_ready(self) -> str | None:
        """Why this process cannot serve yet (database unreachable, schema behind); None when it can."""
        return not_ready(self.db.engine)

    def queue_depth(self) -> dict[str, int]:
        """Jobs queued, running and failed across tenants (read at each metrics scrape)."""
        return jobs.depth(self.db)

    def scan(self, tenant_ids: Iterable[str] | None = None, day: date | None = None,
             progress: scan.Progress = lambda _line: None) -> scan.ScanSummary:
        """Recompute the clock-dependent fields of every tenant's (or the given tenants') live records."""
        chosen = list(tenant_ids) if tenant_ids is not None else self.tenant_ids()
        return scan.scan(chosen, self.scan_records, scan.clock_of(day), progress)

    @contextmanager
    def scan_records(self, tenant_id: str, moment: datetime) -> Iterator[Records]:
        """One scan transaction of a tenant: the system actor, formulas on the scan's clock."""
        system = Actor(tenant_id=tenant_id, username=tenancy.SYSTEM_ACTOR, roles=frozenset({"admin"}))
        with self.records(system) as records:
            records.now = moment
            yield records

    def schedule_daily_scans(self, moment: datetime | None = None) -> int:
        """Give every tenant without one a queued daily scan, due now; returns how many were added."""
        added = 0
        for tenant_id in self.tenant_ids():
            with self.db.tenant(tenant_id) as session:
                added += jobs.schedule_unless_pending(session, tenant_id, scan.SCAN_JOB, "daily", moment or jobs.now())
        return added

    def process_for(self, instance: ProcessInstance, session: Session) -> ProcessSpec:
        """The process an instance started with, from the (catalog or tenant) module version it started on."""
        entity = self.versions.version(session, instance.module, instance.module_version).entities[instance.entity]
        if entity.workflow is None or entity.workflow.spec is None:
            raise NotFound(f"{instance.module} {instance.module_version} has no process for {instance.entity}",
                           message_code="process_missing_for_entity",
                           params={"module": instance.module, "module_version": instance.module_version,
                                   "entity": instance.entity})
        return entity.workflow.spec

    @contextmanager
    def adjustments(self, actor: Actor) -> Iterator[Adjustments]:
        """A tenant administrator's overlay work (validate, dry run, publish, roll back) in one transaction."""
        with self.db.tenant(actor.tenant_id) as session:
            modules, parameters = self.tenant_modules(session, actor.tenant_id)
            yield Adjustments(session, actor, self.catalog, self.versions, modules, parameters)

    @contextmanager
    def records(self, actor: Actor, language: str = "en", *, reading: bool = False,
                begun: Session | None = None) -> Iterator[Records]:
        """The actor's records in one tenant transaction; `reading`: a read-only one (no write lock on SQLite)
        in which any write fails; `begun`: the session the request checked its token in (`Database.begin`)."""
        tenant_id = actor.tenant_id
        with self.db.reading(tenant_id, begun) if reading else self.db.tenant(tenant_id, begun) as session:
            records, grant = self._records_in(session, actor, language)
            licenses.mark_read_only(session, READING if reading else grant.read_only_reason())
            yield records

    @contextmanager
    def people(self, actor: Actor, language: str = "en") -> Iterator[People]:
        """A tenant administrator's user work in one transaction; it goes on while the tenant is read-only
        (deactivating users frees seats), but project membership, being records, does not."""
        with self.db.tenant(actor.tenant_id) as session:
            records, grant = self._records_in(session, actor, language)
            yield People(session, actor, records.modules, records=records, read_only=grant.read_only_reason())

    def _records_in(self, session: Session, actor: Actor, language: str) -> tuple[Records, licenses.License]:
        context = self.contexts.get(session, actor.tenant_id)
        return Records(session, actor, context.usable_modules(), context.parameter_values(), language,
                       unlicensed=context.unlicensed, blocked=dict(context.blocked)), context.grant

def _dependency_order(folders: list[ModuleFolder]) -> list[ModuleFolder]:
    by_name = {module_name_of(f): f for f in folders}
    ordered: list[ModuleFolder] = []

    visiting: set[str | None] = set()

    def visit(name: str | None) -> None:
        folder = by_name.get(name)
        if folder is None or folder in ordered or name in visiting:
            return  # a module in a cycle of optional modules is installed once, after those it reaches first
        visiting.add(name)
        for required in dependencies_of(folder):
            visit(required)
        ordered.append(folder)

    for name in by_name:
        visit(name)
    return ordered
