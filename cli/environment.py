"""The process's settings from the environment: instance folder, database, uploads, secret key, limits."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.runtime import default_database_url


def instance_path() -> Path:
    return Path(os.environ.get("FORMWORK_INSTANCE", "instance")).resolve()


def database_url() -> str:
    url = os.environ.get("FORMWORK_DATABASE_URL")
    if url:
        return url
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    return default_database_url(folder)


def uploads_path() -> Path:
    """FORMWORK_UPLOADS, else `uploads/` in the instance folder: where attachments' contents live."""
    configured = os.environ.get("FORMWORK_UPLOADS")
    return Path(configured).resolve() if configured else instance_path() / "uploads"


def secret_key() -> str:
    """FORMWORK_SECRET_KEY, else a key generated once and kept in the instance folder's `secret_key`."""
    configured = os.environ.get("FORMWORK_SECRET_KEY")
    if configured:
        return configured
    path = instance_path() / "secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created readable by the owner only, and by one process even if several start at once
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


# Login, token, cookie and request-size settings: environment variable -> default (README lists them).
SECURITY_SETTINGS: dict[str, float] = {
    "FORMWORK_LOGIN_MAX_FAILURES": 5,        # failed logins of one account before it is locked
    "FORMWORK_LOGIN_LOCK_SECONDS": 900,      # the first lock; each further one lasts twice as long (up to a day)
    "FORMWORK_LOGIN_IP_MAX_FAILURES": 100,   # failed logins from one address a minute, over any accounts
    "FORMWORK_TOKEN_HOURS": 12,              # lifetime of an API token
    "FORMWORK_MAX_JSON_MB": 2,               # largest body that is not a multipart upload
    "FORMWORK_MAX_REQUEST_MB": 50,           # largest request at all (attachments: 20 MB each by default)
    "FORMWORK_SECURE_COOKIES": 0,            # 1 behind HTTPS: cookies are sent over HTTPS only
    "FORMWORK_PROXY_HOPS": 0,                # reverse proxies in front whose X-Forwarded-For/-Proto to trust
}


def security_settings() -> dict[str, float]:
    """SECURITY_SETTINGS with the values set in the environment."""
    settings: dict[str, float] = {}
    for name, default in SECURITY_SETTINGS.items():
        raw = os.environ.get(name, "").strip()
        try:
            settings[name] = float(raw) if raw else default
        except ValueError:
            raise SystemExit(f"error: {name} must be a number, not {raw!r}") from None
    return settings
