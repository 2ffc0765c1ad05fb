"""Masked display of sensitive text (bank accounts, ID numbers, phones) for roles that may not see it whole."""
from __future__ import annotations

from typing import Any

from engine.declarations.model import Mask

SEPARATORS = frozenset(" -")   # kept in place, so `6222 0200 0000 1234` reads `6222 **** **** 1234`


def masked(mask: Mask, value: Any) -> Any:
    """The value with all but its first `keep_start` and last `keep_end` characters replaced."""
    if not isinstance(value, str) or not value:
        return value
    positions = [i for i, char in enumerate(value) if char not in SEPARATORS]
    kept = set(positions[:mask.keep_start]) | set(positions[len(positions) - mask.keep_end:] if mask.keep_end else [])
    if len(kept) >= len(positions):   # too short to hide anything: hide it all
        kept = set()
    return "".join(char if i in kept or char in SEPARATORS else mask.char for i, char in enumerate(value))


def is_masked_echo(mask: Mask, sent: Any, stored: Any) -> bool:
    """Whether `sent` is the masked form of `stored`: a form or client returning what it read, unchanged."""
    return stored is not None and isinstance(sent, str) and sent == masked(mask, stored) and sent != stored
