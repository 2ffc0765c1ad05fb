"""The process's settings from the environment: instance folder, database, uploads, secret key, limits."""
from __future__ import annotations

import os
from pathlib import Path

from engine.core import instance_key
from engine.runtime import default_database_url

SESSION_KEY_PURPOSE = "flask-session-secret"


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
    """The key that signs session cookies (and the CSRF token in them): every process and host must agree on it.

    FORMWORK_SECRET_KEY when set; else the instance folder's `secret_key` file of earlier releases, when there is
    one (sessions signed with it stay valid); else derived from the instance key, which every host of one
    installation shares already (FORMWORK_INSTANCE_KEY: it signs the audit anchors), so there is no second
    secret to copy between hosts."""
    configured = os.environ.get("FORMWORK_SECRET_KEY")
    if configured:
        return configured
    legacy = instance_path() / "secret_key"
    if legacy.is_file():
        return legacy.read_text().strip()
    return instance_key.sign(SESSION_KEY_PURPOSE, b"")


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
