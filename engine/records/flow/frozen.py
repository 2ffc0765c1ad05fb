"""Snapshots: the computed fields a stored record keeps as they were (`freeze: create` from its creation,
`freeze: submit` from its submission) instead of recomputing them."""
from __future__ import annotations

from typing import Any

from engine.declarations.flow.guards import frozen_columns, frozen_names
from engine.declarations.model import EntitySpec
from engine.fields.values import from_json
from engine.records.unit_of_work import UnitOfWork

EDITABLE_STATUSES = frozenset({"draft", "returned", "withdrawn"})  # statuses its author may still edit


def keep_frozen(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None, *,
                snapshot: bool = False) -> frozenset[str]:
    """Put back the stored value of each field the record keeps frozen, and name them (not to recompute);
    `snapshot` (a submission) recomputes the `freeze: submit` fields whatever the status."""
    if record_id is None:
        return frozenset()
    row = work.find_row(entity, record_id)
    if row is None:
        return frozenset()
    if "created_at" not in values:  # formulas may read the system fields (`created_at`) on every write
        system = {"id": row.id, "status": row.status, "version": row.version, "created_at": row.created_at,
                  "created_by": row.created_by, "updated_at": row.updated_at, "updated_by": row.updated_by}
        values.update({name: value for name, value in system.items() if name not in entity.fields})  # declared win
    if not entity.frozen_fields:
        return frozenset()
    submitted = not snapshot and row.status not in EDITABLE_STATUSES
    kept = frozen_names(entity, submitted)
    for name in kept:
        values[name] = from_json(entity.fields[name], row.data.get(name))
    for table, columns in frozen_columns(entity, submitted).items():  # rows keep theirs by position
        stored = row.data.get(table) or []
        for index, line in enumerate(values.get(table) or []):
            if index < len(stored) and isinstance(line, dict):
                line.update({c: from_json(entity.fields[table].fields[c], stored[index].get(c)) for c in columns})
        kept |= {f"{table}.{column}" for column in columns}
    return kept
