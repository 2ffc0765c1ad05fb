"""Create a record at most once per idempotency key: the first send creates (and starts its approval when the
entity starts on create), a retry gets that same record back and writes nothing."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.approvals import idempotency
from engine.approvals.idempotency import IdempotentRequest
from engine.approvals.service import Approvals


@dataclass(frozen=True)
class Created:
    record: dict[str, Any]
    is_replay: bool   # the key was sent before: `record` is what that send created, nothing was written now


def create_once(service: Approvals, module: str, entity: str, data: Mapping[str, Any],
                request: IdempotentRequest | None) -> Created:
    """`service.create`, guarded by the key in `request` (None: an ordinary create) in the same transaction."""
    if request is None:
        return Created(service.create(module, entity, data), is_replay=False)
    service.records.entity(module, entity)  # 404 for an unknown entity before the key is looked at
    earlier = idempotency.claim(service.session, service.actor, request, module, entity)
    if earlier is not None:
        return Created(service.records.get(module, entity, earlier), is_replay=True)
    created = service.create(module, entity, data)
    idempotency.settle(service.session, service.actor, request, created["id"])
    return Created(created, is_replay=False)


def earlier_record(service: Approvals, module: str, entity: str, request: IdempotentRequest | None) -> str | None:
    """The id of the record an earlier send of the key created (a form checks this before storing its files)."""
    if request is None:
        return None
    return idempotency.replayed(service.session, service.actor, request, module, entity)
