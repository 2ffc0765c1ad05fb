"""What one evaluation of a formula reads: the record, the parameters, the user and the clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from .values import aware

RefLoader = Callable[[str, str], Mapping[str, Any] | None]
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def no_refs(entity: str, record_id: str) -> Mapping[str, Any] | None:
    """Default ref loader: every referenced record is missing, so `ref.field` is null."""
    return None


@dataclass(frozen=True, slots=True)
class Context:
    """The data a formula runs on.

    `values`: the record's field values (Decimal, str, bool, date, datetime, None; a child
    table is a list of dicts; a ref is the referenced record's id). `load_ref(entity, id)`
    returns the referenced record's values, or None when it is missing (then `ref.field` is
    null). `now` overrides the clock; `today()` is `now`'s date, so pass `now` in the
    tenant's timezone to get the local date. A naive `now` is read as UTC.
    """

    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    user_name: str | None = None
    user_roles: Sequence[str] = ()
    load_ref: RefLoader = no_refs
    now: datetime | None = None

    def clock(self) -> datetime:
        """Return the current time, timezone-aware."""
        return datetime.now(UTC) if self.now is None else aware(self.now)

    def today(self) -> date:
        return self.clock().date()
