"""Import a sheet's rows as records of one entity in the caller's one transaction: all rows or none.

Rows are validated in batches of BATCH rows. A batch shares its lookups: the records its cells name are found
with one query per referenced entity, options and users are mapped once, and its unique values and keys are
checked with one query per unique field or key (and against the rows before it in the file). Each row then runs
the checks of a single create (`finish`: lookups, formulas, defaults, numbering, rules, references, conflicts)
plus the actor's row filters, which a new record must pass to be imported. A sound batch is written with one
multi-row INSERT, its audit entries and plugin events queued (the audit chain is appended once, at commit), and the
rollups that count the entity refreshed once for the batch. An entity that declares what cannot be batched
(effects that fire on a write, gathering, networks, a process started on create) is written row by row through the
ordinary create instead. Any invalid row: nothing is written and every row's errors are reported.

While the rows are checked and written, Python's cyclic garbage collector is paused: an import keeps thousands of
documents and audit entries alive until its commit, and the collector would walk them again at every collection
(the import slowed down with its size). Reference counting still frees what the rows leave behind.
"""
from __future__ import annotations

import dataclasses
import gc
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from engine.declarations.model import Action, EntitySpec
from engine.errors import FieldError, FormworkError, RecordInvalid
from engine.fields.values import to_document, to_json
from engine.records import numbering
from engine.records.bulk import columns, unique
from engine.records.bulk import rows as row_checks
from engine.records.bulk.sheets import Sheet
from engine.records.bulk.unique import Pending
from engine.records.compute import check_field, rule_errors
from engine.records.flow import gathering
from engine.records.service import Records
from engine.security import audit
from engine.security.permissions import Access
from engine.storage import summaries
from engine.storage.bulk import insert_rows
from engine.storage.models import Base
from engine.tenancy import plugin_events as events

BATCH = 500
PROGRESS_EVERY = 50   # rows checked between two reports of progress
RECORDS = Base.metadata.tables["records"]
Progress = Callable[[int, int, int], None]      # (rows validated, rows written, rows in the file)
Create = Callable[[str, str, dict[str, Any]], Mapping[str, Any]]   # the single create, for what cannot be batched


@dataclass(frozen=True)
class RowError:
    """One problem of one row: `row` its number in the file, `column` the heading of the field's column."""

    row: int
    field: str
    column: str
    code: str
    message: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class ImportRejected(FormworkError):
    """Rows of the file are invalid: nothing was written; `rows` lists every problem of every row."""

    code = "import_rejected"

    def __init__(self, rows: list[RowError]) -> None:
        super().__init__(f"{len({e.row for e in rows})} rows cannot be imported; nothing was imported",
                         message_code="import_rejected", params={"rows": len({e.row for e in rows})})
        self.rows = rows


@dataclass
class Outcome:
    rows: int            # data rows in the file
    imported: int        # records written (0 on a dry run)
    ids: list[str]
    dry_run: bool


def needs_single_creates(entity: EntitySpec) -> bool:
    """What a write sets off that only the single create runs: effects on a write, gathering, networks, a process
    started at create."""
    return (any(effect.on is None for effect in entity.effects) or gathering.gathers(entity)
            or entity.network is not None or (entity.workflow is not None and entity.workflow.start == "on_create"))


def reads_its_own_kind(entity: EntitySpec) -> bool:
    """Whether a row's checks read other records of its entity (an error conflict, a lookup of its own kind):
    then each row is written before the next is checked, as single creates would be."""
    lookups = (spec.lookup for spec in entity.fields.values() if spec.lookup is not None)
    return (any(check.severity == "error" for check in entity.conflicts)
            or any(step.target == entity.key for lookup in lookups for step in lookup.chain))


class BulkImport:
    """One actor's import of one file into one entity; `run` in the unit of work of `records`."""

    def __init__(self, records: Records, module: str, entity: str, *, create: Create | None = None,
                 progress: Progress | None = None, zone: tzinfo = UTC, batch: int = BATCH) -> None:
        self.records = records
        self.entity = records.entity(module, entity)
        self.access: Access = records.access(self.entity)
        self.access.require(Action.CREATE)
        self.create = create or records.create
        self.progress = progress or (lambda _validated, _written, _total: None)
        self.zone = zone
        self.batch = 1 if reads_its_own_kind(self.entity) else batch
        self.single = needs_single_creates(self.entity)   # written by the single create, which numbers them
        self.headings: dict[str, str] = {}   # field -> the heading of its column

    def run(self, sheet: Sheet, *, dry_run: bool = False, source: str = "") -> Outcome:
        """Validate every row and, when all are sound and not `dry_run`, write them; else raise ImportRejected."""
        mapping, problems = columns.mapping(self.records, self.entity, sheet.header)
        self.headings = {name: heading for name, heading in zip(mapping, sheet.header, strict=False) if name}
        if problems:
            raise ImportRejected([self._error(sheet.header_row, e) for e in problems])
        rows = list(sheet.rows)
        converter = columns.BatchConverter(self.records, self.entity, mapping, self.zone)
        seen: dict[tuple[Any, ...], int] = {}
        rejected: list[RowError] = []
        ids: list[str] = []
        work = self.records.work
        kept: dict[tuple[Any, ...], Any] = {}
        work.kept = kept   # the rows of one file read the same projects, crews and rates: once each
        collecting = gc.isenabled()
        gc.disable()   # see the module's docstring
        try:
            for start in range(0, len(rows), self.batch):
                chunk = rows[start:start + self.batch]
                converter.prime([cells for _number, cells in chunk])
                pending: list[Pending] = []
                for number, cells in chunk:
                    pending.append(self._validate(number, converter, cells))
                    if len(pending) % PROGRESS_EVERY == 0:
                        self.progress(start + len(pending), len(ids), len(rows))
                if not dry_run and not self.single:   # a dry run takes no numbers (a preview does not either)
                    self._number([row for row in pending if row.values is not None and not row.errors])
                for row in pending:
                    if row.values is not None:
                        row.errors += unique.in_file(work, self.entity, row.number, row.values, seen)
                unique.against_database(work, self.entity, pending)
                rejected += [self._error(row.number, e) for row in pending for e in row.errors]
                if not rejected and not dry_run:
                    written, recomputed = self._write(pending)
                    ids += written
                    if recomputed:   # the batch's rollups changed records the next rows may read
                        kept.clear()
                self.progress(start + len(chunk), len(ids), len(rows))
            if ids and not rejected:
                audit.write(work.session, work.actor.tenant_id, actor=work.actor.username, action="records.import",
                            target_type="entity", target_id=self.entity.key,
                            after={"rows": len(ids), "file": source}, note=f"{self.entity.key}: {len(ids)} imported")
                audit.append_pending(work.session)   # the chain's one append, now, while the collector waits
        finally:
            work.kept = None
            if collecting:
                gc.enable()
        if rejected:
            raise ImportRejected(rejected)
        return Outcome(rows=len(rows), imported=len(ids), ids=ids, dry_run=dry_run)

    def _validate(self, number: int, converter: columns.BatchConverter, cells: Sequence[Any]) -> Pending:
        """A row's values and document, or all of its problems at once (records/bulk/rows.py)."""
        data, errors = converter.data(cells)
        values, document, problems = row_checks.check_row(self.records.work, self.entity, self.access, data, errors,
                                                    batched=True)
        return Pending(number, data, values=values, document=document, errors=problems)

    def _number(self, rows: list[Pending]) -> None:
        """Number the sound rows of a batch together (one statement per scope), then check the numbers."""
        work, entity = self.records.work, self.entity
        numbered = [spec for spec in entity.fields.values() if spec.numbering is not None]
        if not numbered or not rows:
            return
        values = [row.values for row in rows if row.values is not None]
        evaluation = self.records.evaluation(entity)
        problems = numbering.assign_batch(work.session, work.actor.tenant_id, entity, values, evaluation)
        names = frozenset(spec.name for spec in numbered)
        for row, errors in zip(rows, problems, strict=True):
            assert row.values is not None and row.document is not None
            row.errors += errors
            for spec in numbered:
                value = row.values.get(spec.name)
                row.errors += check_field(spec, value, spec.name, work.language)
                if value is not None:
                    row.document[spec.name] = to_document(spec, value)
            if not errors:   # the rules that read a number waited for it
                row.errors += rule_errors(entity, row.values, evaluation, work.language, "save", reading=names)

    def _write(self, pending: list[Pending]) -> tuple[list[str], bool]:
        """Write a sound batch: one INSERT of its rows, or the single create row by row (see the module); the
        ids, and whether other records changed with them (rollups)."""
        if self.single:
            ids = []
            for row in pending:
                try:
                    ids.append(str(self.create(self.entity.module, self.entity.name, row.data)["id"]))
                except RecordInvalid as error:   # what a row before it in the batch set off
                    raise ImportRejected([self._error(row.number, e) for e in error.errors]) from None
            return ids, True
        work, entity = self.records.work, self.entity
        actor, tenant = work.actor.username, work.actor.tenant_id
        moment = datetime.now(UTC)
        version = work.modules[entity.module].version
        ids = [str(uuid.uuid4()) for _row in pending]
        documents = [row.document or {} for row in pending]
        insert_rows(work.session, RECORDS, [
            {"tenant_id": tenant, "id": record_id, "module": entity.module, "entity": entity.name,
             "schema_version": version, "status": "draft", "version": 1, "data": document, "created_at": moment,
             "created_by": actor, "updated_at": moment, "updated_by": actor}
            for record_id, document in zip(ids, documents, strict=True)])
        summaries.add_inserted(work.session.connection(), tenant, entity.module, entity.name, documents, "draft")
        for record_id, document in zip(ids, documents, strict=True):
            audit.write(work.session, tenant, actor=actor, action="record.create", target_type="record",
                        target_id=record_id, before=None, after=document, note=f"{entity.key} v1; imported")
            events.emit(work.session, tenant, "record.created", module=entity.module, entity=entity.name,
                        record={**document, "id": record_id, "status": "draft", "version": 1, "created_by": actor,
                                "created_at": moment.isoformat(), "updated_by": actor,
                                "updated_at": moment.isoformat()})
        entries = len(work.session.info.get(audit.PENDING_KEY, ()))
        self.records.cascade.refresh_parents(entity, *documents)
        return ids, len(work.session.info.get(audit.PENDING_KEY, ())) > entries   # recomputes are audited

    def _error(self, number: int, error: FieldError) -> RowError:
        name = error.field.split("[")[0].split(".")[0]
        return RowError(number, error.field, self.headings.get(name, ""), error.code, error.message,
                        {k: to_json(v) if not isinstance(v, Mapping) else v for k, v in error.params.items()})
