"""What one evaluation of a formula reads: the record, the parameters, the user and the clock."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.formula.values import aware

RefLoader = Callable[[str, str], Mapping[str, Any] | None]
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@cache
def local_zone() -> tzinfo:
    """The zone whose calendar `today()` follows: FORMWORK_TIMEZONE (e.g. Asia/Shanghai), else the server's.

    A site in Beijing at 07:00 is already on the new day while UTC is not; dates people type are local.
    """
    name = os.environ.get("FORMWORK_TIMEZONE", "").strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"FORMWORK_TIMEZONE={name!r} is not a time zone name such as Asia/Shanghai") from error
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def no_refs(entity: str, record_id: str) -> Mapping[str, Any] | None:
    """Default ref loader: every referenced record is missing, so `ref.field` is null."""
    return None


@dataclass(slots=True)
class Context:
    """The data a formula runs on; never changed once built (not frozen: a record's context is built at every
    save, and a frozen one takes microseconds more to build).

    `values`: the record's field values (Decimal, str, bool, date, datetime, None; a child
    table is a list of dicts; a ref is the referenced record's id). `load_ref(entity, id)`
    returns the referenced record's values, or None when it is missing (then `ref.field` is
    null). `this` holds the values of the record that runs a lookup (`this.<field>`).
    `refs_read_once` says `load_ref` reads each record once already, as in the one context of a record
    that all its formulas share (records/compute.py). `now` overrides the clock; `today()` is then `now`'s
    date in `now`'s own zone (a naive `now` is read as UTC); without it, `today()` is the date in
    `local_zone()`.
    """

    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    user_name: str | None = None
    user_roles: Sequence[str] = ()
    load_ref: RefLoader = no_refs
    now: datetime | None = None
    this: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)  # `this.<field>`: the record running a lookup
    parent: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)  # a table row's record: `parent.x`
    refs_read_once: bool = False  # `load_ref` already reads each record once (`reading_once`): not wrapped again

    def clock(self) -> datetime:
        """Return the current time, timezone-aware."""
        return datetime.now(UTC) if self.now is None else aware(self.now)

    def today(self) -> date:
        return self.clock().date() if self.now is not None else datetime.now(local_zone()).date()


def reading_refs_once(ctx: Context) -> Context:
    """The same context, its `load_ref` reading each record once (for one evaluation)."""
    return replace(ctx, load_ref=reading_once(ctx.load_ref), refs_read_once=True)


def reading_once(load: RefLoader) -> RefLoader:
    """Load each referenced record once, however many fields and formulas read it."""
    cache: dict[tuple[str, str], Mapping[str, Any] | None] = {}

    def load_once(entity: str, record_id: str) -> Mapping[str, Any] | None:
        key = (entity, record_id)
        if key not in cache:
            cache[key] = load(entity, record_id)
        return cache[key]

    return load_once
