"""Password hashing (scrypt, stdlib) and API token minting: nothing secret is stored in clear."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

_R, _P = 8, 1
WORK_FACTOR = "FORMWORK_SCRYPT_LOG2_N"   # test suites lower it (hashes keep their own cost, so all verify)
_DEFAULT_LOG2_N, _MIN_LOG2_N = 14, 10


def _work_factor() -> int:
    return int(2 ** max(_MIN_LOG2_N, int(os.environ.get(WORK_FACTOR) or _DEFAULT_LOG2_N)))


def hash_password(password: str) -> str:
    n = _work_factor()
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    return f"scrypt${n}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the hash `stored`. Always as slow as a real check, also without a
    usable hash (no such user, no password set yet), so the time taken tells nothing about the account."""
    usable = stored is not None and stored.startswith("scrypt$") and stored.count("$") == 5
    checked = stored if usable and stored else _dummy_hash()
    matches = hmac.compare_digest(_derive(password, checked), _unb64(checked.rpartition("$")[2]))
    return matches and usable


def _derive(password: str, stored: str) -> bytes:
    _scheme, n, r, p, salt, _digest = stored.split("$")
    return hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)


_dummies: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of nothing anyone knows at today's work factor, made once per factor."""
    n = _work_factor()
    if n not in _dummies:
        _dummies[n] = hash_password(secrets.token_urlsafe(16))
    return _dummies[n]


def new_token(tenant_id: str) -> str:
    """A bearer token `tenant.secret`: the tenant part routes the lookup to the right shard."""
    return f"{tenant_id}.{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
