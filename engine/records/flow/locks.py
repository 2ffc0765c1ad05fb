"""Locks of a record: `append_only` and `readonly_when` refuse users' writes (administrators included); and
the task facts a completed task writes into its record."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from engine.declarations.model import EntitySpec
from engine.errors import Conflict, FormulaRuntimeError
from engine.records.flow import lookups
from engine.records.unit_of_work import UnitOfWork, values_of
from engine.storage.models import Record


def refuse_locked(work: UnitOfWork, entity: EntitySpec, row: Record | None, values: Mapping[str, Any] | None = None,
                  *, deleting: bool = False, changing: Collection[str] | None = None) -> None:
    """A user may not change or delete a record of an append-only entity, nor one its `readonly_when` holds
    for (nor create one it would hold for: `row` None, `values` the new record's); tenant administrators
    included. Status moves and declared effects are the system's and do not come here. An update `changing` only
    fields of the entity's `readonly_except` passes."""
    title = entity.title.en
    record_id = row.id if row is not None else ""
    if entity.append_only and row is not None:
        verb = "deleted" if deleting else "changed"
        raise Conflict(f"{title} {record_id} cannot be {verb}: {title} records are append-only (record a new, "
                       "reversing entry to correct one)", message_code="record_append_only",
                       params={"entity": title, "id": record_id, "verb": verb})
    condition = entity.readonly_when
    if condition is None:
        return
    current = dict(values) if values is not None else values_of(entity, row) if row is not None else None
    if current is None:
        return
    lookups.fill_fields(work, entity, current, None)  # an empty lookup may find its record now (a month closed)
    try:
        locked = work.evaluation(entity).run(condition, current) is True
    except FormulaRuntimeError:
        locked = False  # a condition that cannot be evaluated on these values does not lock
    if not locked or (changing is not None and not deleting and set(changing) <= set(entity.readonly_except)):
        return
    if row is None:
        raise Conflict(f"{title} cannot be created: it would be read-only ({condition.text})",
                       message_code="record_read_only_when_create",
                       params={"entity": title, "condition": condition.text})
    raise Conflict(f"{title} {record_id} is read-only ({condition.text}): it can no longer be changed or deleted",
                   message_code="record_read_only_when",
                   params={"entity": title, "id": record_id, "condition": condition.text})


def task_facts(entity: EntitySpec, bpmn_id: str, actor: str, moment: datetime) -> dict[str, Any]:
    """The values the completion of task `bpmn_id` by `actor` at `moment` writes into the record."""
    facts: dict[str, Any] = {}
    for spec in entity.task_facts:
        assert spec.task_fact is not None
        if bpmn_id not in spec.task_fact.tasks:
            continue
        if spec.task_fact.value == "actor":
            facts[spec.name] = [actor] if spec.multiple else actor
        elif spec.type == "date":
            facts[spec.name] = moment.date().isoformat()
        else:
            facts[spec.name] = moment.isoformat()
    return facts
