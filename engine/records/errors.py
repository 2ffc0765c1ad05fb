"""The record service's errors about one record, each named by its message code (engine/core/error_codes.py)."""
from __future__ import annotations

from engine.declarations.model import EntitySpec
from engine.errors import Conflict, NotFound
from engine.storage.models import Record


def record_not_found(entity: EntitySpec, record_id: str) -> NotFound:
    return NotFound(f"{entity.title.en} {record_id!r} does not exist", message_code="record_not_found",
                    params={"entity": entity.title.en, "id": record_id})


def not_editable(entity: EntitySpec, record_id: str, status: str) -> Conflict:
    return Conflict(f"{entity.title.en} {record_id} is {status} and can no longer be edited",
                    message_code="record_not_editable", params={"entity": entity.title.en, "id": record_id,
                                                                "status": status})


def not_deletable(entity: EntitySpec, record_id: str, status: str) -> Conflict:
    return Conflict(f"{entity.title.en} {record_id} is {status} and can no longer be deleted",
                    message_code="record_not_deletable", params={"entity": entity.title.en, "id": record_id,
                                                                 "status": status})


def version_conflict(entity: EntitySpec, row: Record, expected: int) -> Conflict:
    """Someone else saved the record since the caller read it; `details` holds the current version."""
    return Conflict(f"{entity.title.en} {row.id} was changed by {row.updated_by} (version {row.version}, "
                    f"you sent {expected}); reload it and apply your change again",
                    details={"current_version": row.version}, message_code="version_conflict",
                    params={"entity": entity.title.en, "id": row.id, "updated_by": row.updated_by,
                            "version": row.version, "expected": expected})
