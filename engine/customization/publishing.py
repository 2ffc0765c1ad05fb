"""A tenant administrator's module adjustments: validate, dry-run, publish and roll back overlays.

A dry run is a publish rolled back: it runs the very same steps in the transaction (migrating
records, counting those the new version refuses) and then undoes them, so its numbers are the
numbers publishing will produce.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.core.suggestions import suggest
from engine.customization import tenant_versions
from engine.customization.catalog import Catalog, version_key
from engine.customization.draft_guard import refuse_dropping
from engine.customization.module_diff import module_diff
from engine.customization.overlays import MAIN, Overlay, compile_overlay, version_name
from engine.customization.tenant_versions import TenantVersions
from engine.declarations.model import ModuleSpec
from engine.errors import Conflict, DeclarationError, NotFound, PermissionDenied, Problem, RecordInvalid
from engine.records.service import EDITABLE_STATUSES, Records
from engine.security import audit
from engine.storage.indexes import sync_tenant_indexes, tenant_index_changes
from engine.storage.models import Record, TenantModuleDraft, TenantModuleVersion
from engine.storage.workflow_models import ProcessInstance
from engine.tenancy import plugin_events as events
from engine.tenancy.tenants import Actor

SAMPLES = 5  # record ids shown per reason a record becomes invalid


@dataclass(frozen=True)
class Plan:
    """What publishing an overlay would change: from the tenant's current version to a new one."""

    module: str
    old: ModuleSpec
    new: ModuleSpec
    seq: int
    overlay: Overlay


class Adjustments:
    """One tenant administrator's overlay work inside one tenant transaction."""

    def __init__(self, session: Session, actor: Actor, catalog: Catalog, versions: TenantVersions,
                 modules: Mapping[str, ModuleSpec], parameters: Mapping[str, Mapping[str, Any]]) -> None:
        if not actor.is_admin:
            raise PermissionDenied("only tenant administrators (role 'admin') adjust modules",
                                   message_code="modules_admin_only")
        self.session = session
        self.actor = actor
        self.catalog = catalog
        self.versions = versions
        self.modules = dict(modules)
        self.parameters = parameters

    # -- reading -------------------------------------------------------------------------------------

    def module(self, name: str) -> ModuleSpec:
        if name not in self.modules:
            raise NotFound(f"module {name!r} is not enabled for this tenant" + suggest(name, self.modules),
                           message_code="module_not_enabled",
                           params={"module": name, "hint": suggest(name, self.modules)})
        return self.modules[name]

    def describe(self, name: str) -> dict[str, Any]:
        """The current version, its overlay (None on the catalog version) and the version history."""
        spec = self.module(name)
        row = tenant_versions.current(self.session, name)
        draft = self.draft(name)
        return {"module": name, "version": spec.version, "base_version": self.catalog_base(name).version,
                "overlay": dict(row.files)[MAIN] if row else None,
                "files": {k: v for k, v in dict(row.files).items() if k != MAIN} if row else {},
                "draft": None if draft is None else {
                    "overlay": dict(draft.files).get(MAIN), "files": sorted(k for k in draft.files if k != MAIN),
                    "updated_at": _iso(draft.updated_at), "updated_by": draft.updated_by},
                "versions": self.history(name)}

    def draft(self, name: str) -> TenantModuleDraft | None:
        """The administrator's unpublished overlay (the approval editor saves processes into it)."""
        return self.session.get(TenantModuleDraft, (self.actor.tenant_id, name))

    def history(self, name: str) -> list[dict[str, Any]]:
        self.module(name)
        rows = tenant_versions.history(self.session, name)
        current = tenant_versions.current(self.session, name)
        result: list[dict[str, Any]] = [{"version": self.catalog_base(name).version,
                                         "state": "catalog" if current else "current"}]
        for row in rows:
            state = "rolled_back" if row.rolled_back_at else "current" if row is current else "superseded"
            result.append({"version": row.version, "state": state, "base_version": row.base_version,
                           "published_at": _iso(row.published_at), "published_by": row.published_by,
                           "rolled_back_at": _iso(row.rolled_back_at), "rolled_back_by": row.rolled_back_by})
        return result

    def version_diff(self, name: str, version: str) -> dict[str, Any]:
        """What `version` changed against the version published before it (or the catalog's)."""
        self.module(name)
        rows = tenant_versions.history(self.session, name)
        found = next((i for i, row in enumerate(rows) if row.version == version), None)
        if found is None:
            known = [row.version for row in rows]
            raise NotFound(f"{name} has no tenant version {version!r}" + suggest(version, known)
                           + (f"; published: {', '.join(known)}" if known else "; nothing was published yet"),
                           message_code="tenant_version_not_found",
                           params={"name": name, "version": version, "hint": suggest(version, known),
                                   "published": (f"; published: {', '.join(known)}" if known
                                                 else "; nothing was published yet")})
        old = self.spec(rows[found - 1]) if found > 0 else self.catalog.version(name, rows[found].base_version)
        return module_diff(old, self.spec(rows[found]))

    def catalog_base(self, name: str) -> ModuleSpec:
        spec = self.catalog.get(name)
        if spec is None:
            raise NotFound(f"module {name!r} is not installed",
                           message_code="module_not_installed_plain", params={"module": name})
        return spec

    def spec(self, row: TenantModuleVersion) -> ModuleSpec:
        return self.versions.spec_of(row, self.modules)

    # -- checking ------------------------------------------------------------------------------------

    def validate(self, name: str, overlay: Overlay) -> list[Problem]:
        return self._compile(name, overlay)[1]

    def plan(self, name: str, overlay: Overlay) -> Plan:
        spec, problems = self._compile(name, overlay)
        if spec is None:
            raise DeclarationError(problems)
        return Plan(name, self.module(name), spec, self._next_seq(name), overlay)

    def _compile(self, name: str, overlay: Overlay) -> tuple[ModuleSpec | None, list[Problem]]:
        self.module(name)
        base = self.catalog_base(name)
        overlay = self._with_stored_files(name, overlay)
        return compile_overlay(overlay, base, self.modules, version=version_name(base.version, self._next_seq(name)))

    def _with_stored_files(self, name: str, overlay: Overlay) -> Overlay:
        """The designer may send only the YAML: BPMN files it names come from the draft, else the current version."""
        row = tenant_versions.current(self.session, name)
        stored = {k: v for k, v in dict(row.files).items() if k != MAIN} if row else {}
        draft = self.draft(name)
        drafted = {k: v for k, v in dict(draft.files).items() if k != MAIN} if draft else {}
        return Overlay(overlay.origin, {**stored, **drafted, **overlay.files})

    def _next_seq(self, name: str) -> int:
        rows = tenant_versions.history(self.session, name)
        return rows[-1].seq + 1 if rows else 1

    # -- changing ------------------------------------------------------------------------------------

    def dry_run(self, name: str, overlay: Overlay) -> dict[str, Any]:
        """Everything publishing would do, then undone."""
        audit.lock_chain(self.session, self.actor.tenant_id)  # first, as publishing does: one publisher at a time
        plan = self.plan(name, overlay)
        report = self._apply(plan, publish=False)
        self.session.rollback()
        self.modules[name] = plan.old
        return report

    def publish(self, name: str, overlay: Overlay, *, confirm_drop_process: bool = False) -> dict[str, Any]:
        """Publish `overlay`; a process the draft holds that it no longer names is dropped only when confirmed."""
        audit.lock_chain(self.session, self.actor.tenant_id)  # before numbering: one publisher at a time
        if not confirm_drop_process:
            stored = self.draft(name)
            refuse_dropping(dict(stored.files) if stored is not None else None, overlay.files)
        plan = self.plan(name, overlay)
        files = self._with_stored_files(name, overlay).files
        report = self._apply(plan, publish=True)
        row = TenantModuleVersion(
            module=name, version=plan.new.version, seq=plan.seq, base_version=self.catalog_base(name).version,
            origin=overlay.origin, files=dict(files),
            digest=hashlib.sha256(json.dumps(dict(files), sort_keys=True).encode()).hexdigest(),
            published_at=datetime.now(UTC), published_by=self.actor.username)
        self.session.add(row)
        draft = self.draft(name)
        if draft is not None:
            self.session.delete(draft)  # published: the version holds it now
        self.session.flush()
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action="module.published",
                    target_type="module", target_id=name, before={"version": plan.old.version},
                    after={"version": plan.new.version, "records": _counts(report["records"])})
        events.emit(self.session, self.actor.tenant_id, "module.published", module=name, entity="",
                    record={"module": name, "version": plan.new.version, "previous_version": plan.old.version,
                            "published_by": self.actor.username})
        return report

    def upgrade(self, name: str, *, publish: bool) -> dict[str, Any]:
        """Move the tenant's records of a module to the catalog's newest version, as publishing moves them to
        an overlay's: every live record revalidated, the editable ones rewritten, the others kept and counted.

        A tenant with an overlay republishes it on the new base. Without `publish` it is a dry run.
        """
        self.module(name)
        own = tenant_versions.current(self.session, name)
        if own is not None:
            overlay = Overlay(own.origin, dict(own.files))
            return self.publish(name, overlay) if publish else self.dry_run(name, overlay)
        audit.lock_chain(self.session, self.actor.tenant_id)
        new = self.catalog_base(name)
        old = self.catalog.version(name, self._oldest_record_version(name) or new.version)
        report = self._apply(Plan(name, old, new, 0, Overlay("", {})), publish=publish)
        if not publish:
            self.session.rollback()
            return report
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action="module.upgraded",
                    target_type="module", target_id=name, before={"version": old.version},
                    after={"version": new.version, "records": _counts(report["records"])})
        return report

    def _oldest_record_version(self, name: str) -> str | None:
        """The oldest catalog version the tenant's live records of the module were written with."""
        versions = self.session.scalars(select(Record.schema_version).distinct().where(
            Record.module == name, Record.deleted_at.is_(None))).all()
        catalog = [v for v in versions if not tenant_versions.is_tenant_version(v)]
        return min(catalog, key=version_key) if catalog else None

    def rollback(self, name: str) -> dict[str, Any]:
        """Make the version published before the current one current again (or the catalog's)."""
        old = self.module(name)
        row = tenant_versions.current(self.session, name)
        if row is None:
            raise Conflict(f"{name} runs the catalog version {old.version}; there is no tenant version to roll back",
                           message_code="no_tenant_version", params={"name": name, "version": old.version})
        audit.lock_chain(self.session, self.actor.tenant_id)
        row.rolled_back_at = datetime.now(UTC)
        row.rolled_back_by = self.actor.username
        self.session.flush()
        previous = tenant_versions.current(self.session, name)
        restored = self.spec(previous) if previous else self.catalog.version(name, row.base_version)
        self.modules[name] = restored
        self._sync_indexes(restored)
        audit.write(self.session, self.actor.tenant_id, actor=self.actor.username, action="module.rolled_back",
                    target_type="module", target_id=name, before={"version": old.version},
                    after={"version": restored.version})
        return {"module": name, "from_version": old.version, "to_version": restored.version,
                "diff": module_diff(old, restored)}

    def _apply(self, plan: Plan, *, publish: bool) -> dict[str, Any]:
        self.modules[plan.module] = plan.new
        base = self.catalog_base(plan.module)
        create, drop = tenant_index_changes(self.session.connection(), self.actor.tenant_id, plan.new, base)
        report = {
            "module": plan.module, "from_version": plan.old.version, "to_version": plan.new.version,
            "published": publish, "diff": module_diff(plan.old, plan.new),
            "records": self._migrate(plan), "approvals": self._in_flight(plan),
            "indexes": {"create": sorted(what for what, _statement in create.values()), "drop": sorted(drop)},
            "warnings": self._warnings(plan),
        }
        if publish:
            self._sync_indexes(plan.new)
        return report

    def _migrate(self, plan: Plan) -> dict[str, Any]:
        """Revalidate every live record; move editable valid ones to the new version."""
        records = Records(self.session, self.actor, self.modules, self.parameters)
        rows = self.session.scalars(select(Record).where(Record.module == plan.module, Record.deleted_at.is_(None))
                                    .order_by(Record.created_at, Record.id)).all()
        counts = {"checked": 0, "migrated": 0, "kept": 0, "invalid": 0}
        reasons: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        with records.batch(settle=False):  # networks (critical paths) are rescheduled once, after every record moved
            self._migrate_rows(plan, records, rows, counts, reasons)
        for found in records.settle_networks():
            reasons[("network", found.field, found.message)].append("")
        invalid = [{"entity": entity, "field": field, "reason": message, "count": len(ids), "sample_ids": ids[:SAMPLES]}
                   for (entity, field, message), ids in sorted(reasons.items(), key=lambda item: -len(item[1]))]
        return {**counts, "invalid_reasons": invalid}

    @staticmethod
    def _migrate_rows(plan: Plan, records: Records, rows: Sequence[Record], counts: dict[str, int],
                      reasons: dict[tuple[str, str, str], list[str]]) -> None:
        for row in rows:
            entity = plan.new.entities.get(row.entity)
            if entity is None:
                continue
            counts["checked"] += 1
            before = plan.old.entities.get(row.entity)
            added = [f for f in entity.fields if before is None or f not in before.fields]
            try:
                document = records.revalidate(entity, row, added)
            except RecordInvalid as error:
                counts["invalid"] += 1
                for found in error.errors:
                    reasons[(row.entity, found.field, found.message)].append(row.id)
                continue
            if row.status in EDITABLE_STATUSES:
                records.migrate(entity, row, document)
                counts["migrated"] += 1
            else:
                counts["kept"] += 1  # in review or decided: it stays as it was approved

    def _in_flight(self, plan: Plan) -> dict[str, Any]:
        """Running approvals: each keeps the process it started with, even when the new version replaces it."""
        instances = self.session.scalars(select(ProcessInstance).where(
            ProcessInstance.module == plan.module, ProcessInstance.status == "running")
            .order_by(ProcessInstance.started_at)).all()
        items = []
        for instance in instances:
            entity = plan.new.entities.get(instance.entity)
            spec = entity.workflow.spec if entity is not None and entity.workflow is not None else None
            items.append({"id": instance.id, "record_id": instance.record_id, "entity": instance.entity,
                          "module_version": instance.module_version, "process_file": instance.process_file,
                          "process_changes": spec is None or spec.digest != instance.spec_digest})
        return {"running": len(items), "on_replaced_process": sum(1 for i in items if i["process_changes"]),
                "instances": items}

    def _warnings(self, plan: Plan) -> list[str]:
        """Parameter values the tenant set with `tenant param` win over an overlay's new defaults."""
        own = self.parameters.get(plan.module, {})
        old = plan.old.parameters
        return [f"parameter {name!r} is set to {own[name]!r} for this tenant ('formwork tenant param'), "
                f"which takes precedence over the overlay's {plan.new.parameters[name].default!r}"
                for name in plan.new.parameters if name in own
                and (name not in old or plan.new.parameters[name].default != old[name].default)]

    def _sync_indexes(self, spec: ModuleSpec) -> None:
        try:
            sync_tenant_indexes(self.session.connection(), self.actor.tenant_id, spec, self.catalog_base(spec.name))
        except IntegrityError as error:
            raise Conflict(f"a unique index of {spec.name} {spec.version} cannot be created: existing records "
                           "share a value; fix them (the dry run lists them) and publish again",
                           details=str(error.orig),
                           message_code="unique_index_blocked",
                           params={"name": spec.name, "version": spec.version}) from None


def _counts(records: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(records[key]) for key in ("checked", "migrated", "kept", "invalid")}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
