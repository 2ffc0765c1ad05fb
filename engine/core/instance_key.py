"""The instance's own secret: it keys the audit chain and signs backups, and no tenant can read or change it.

`FORMWORK_INSTANCE_KEY` (64 hex digits) when set, else 32 random bytes kept in `instance_key` in the instance
folder (`FORMWORK_INSTANCE`, default `instance/`), created once, readable by the owner only. Losing it makes
existing audit anchors and backup signatures unverifiable, so it belongs in the instance's backups.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from engine.errors import FormworkError


class InstanceKeyError(FormworkError):
    """The configured instance key cannot be used."""

    code = "instance_key"


def key_path() -> Path:
    return Path(os.environ.get("FORMWORK_INSTANCE", "instance")) / "instance_key"


def instance_key() -> bytes:
    """The key; created the first time it is needed (by one process even if several start at once)."""
    configured = os.environ.get("FORMWORK_INSTANCE_KEY")
    if configured:
        try:
            key = bytes.fromhex(configured.strip())
        except ValueError:
            raise InstanceKeyError("FORMWORK_INSTANCE_KEY must be hexadecimal, e.g. the output of "
                                   "`python -c 'import secrets; print(secrets.token_hex(32))'`",
                                   message_code="instance_key_not_hex") from None
        if len(key) < 32:
            raise InstanceKeyError("FORMWORK_INSTANCE_KEY must hold at least 32 bytes (64 hex digits)",
                                   message_code="instance_key_too_short")
        return key
    path = key_path()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return bytes.fromhex(path.read_text().strip())


def sign(purpose: str, data: bytes) -> str:
    """HMAC-SHA256 of `data` under the instance key, separated by purpose (a key never serves two uses)."""
    return hmac.new(_purpose_key(purpose), data, hashlib.sha256).hexdigest()


def _purpose_key(purpose: str) -> bytes:
    """The key of one purpose, derived once per instance key (every write signs the audit anchor twice): the key
    file is read again only when it is another file or was written since."""
    configured = os.environ.get("FORMWORK_INSTANCE_KEY")
    origin: tuple[object, ...] = (configured,)
    if not configured:
        path = key_path()
        try:
            stat = path.stat()
            origin = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            origin = (str(path), None)  # instance_key() creates it: not remembered until it exists
    found = _derived.get((origin, purpose))
    if found is None:
        found = hmac.new(instance_key(), purpose.encode(), hashlib.sha256).digest()
        if origin[-1] is not None:
            if len(_derived) > 64:
                _derived.clear()
            _derived[(origin, purpose)] = found
    return found


_derived: dict[tuple[tuple[object, ...], str], bytes] = {}


def verify(purpose: str, data: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(purpose, data), signature)
