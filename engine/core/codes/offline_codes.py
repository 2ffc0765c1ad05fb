"""Message codes of idempotent record creation (a retried send), merged into engine.core.error_codes."""
from __future__ import annotations

OFFLINE_MESSAGES: dict[str, str] = {
    "idempotency_key_invalid": (
        "the idempotency key must be 1 to {most} visible ASCII characters (a UUID is a good key), not {key!r}"),
    "idempotency_key_reused": (
        "idempotency key {key!r} was already used for another request ({module}.{entity}, other values); "
        "send a new key for a new record"),
}
