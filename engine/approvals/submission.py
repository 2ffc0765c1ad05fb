"""Submission of a record: the snapshot of its `freeze: submit` fields and its submit-time rules."""
from __future__ import annotations

from engine.declarations.model import EntitySpec
from engine.errors import RecordInvalid
from engine.records.cascade import Cascade
from engine.records.checks import finish
from engine.records.compute import rule_errors
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.storage.models import Record


def submit(work: UnitOfWork, cascade: Cascade, entity: EntitySpec, row: Record) -> None:
    """Before a record is submitted: take the snapshot of its `freeze: submit` fields (stored if they
    moved since the last save) and check its `on: submit` rules; a broken one refuses the submission (422)."""
    has_rules = any(rule.on == "submit" for rule in entity.rules)
    has_snapshot = any(spec.freeze == "submit" for spec in entity.frozen_fields)
    if not has_rules and not has_snapshot:
        return
    values = {name: value for name, value in values_of(entity, row).items() if name in entity.fields}
    document = finish(work, entity, values, record_id=row.id, snapshot=True) if has_snapshot else None
    if has_rules:
        system = values_of(entity, row)
        current = {**system, **values}
        errors = rule_errors(entity, current, work.evaluation(entity), work.language, "submit")
        if errors:
            raise RecordInvalid(errors)
    if document is not None:
        cascade.store(entity, row, document, "record.update", because="submitted: snapshot of its frozen fields")
