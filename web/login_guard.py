"""The web side of login throttling: which keys an attempt counts against, from the app's settings.

Every page and endpoint that takes a password or a secret link guards it with `guarded(...)`; the counting
itself is engine/tenancy/login_throttle.py, in the database, so all workers and hosts share it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, request

from engine.runtime import Formwork
from engine.tenancy import login_throttle
from engine.tenancy.login_throttle import TooManyAttempts as TooManyAttempts


def client_address() -> str:
    """The client's address (behind a proxy, as FORMWORK_PROXY_HOPS lets ProxyFix read it)."""
    return request.remote_addr or "unknown"


@contextmanager
def guarded(account: str | None) -> Iterator[None]:
    """Count one attempt against the client's address and `account` (a login_throttle.account_key); raises
    TooManyAttempts while either is locked. Leave the block with an exception for a failure."""
    config = current_app.config
    keys = {login_throttle.address_key(client_address()):
            login_throttle.address_policy(int(config["FORMWORK_LOGIN_IP_MAX_FAILURES"]))}
    if account is not None:
        keys[account] = login_throttle.account_policy(int(config["FORMWORK_LOGIN_MAX_FAILURES"]),
                                                      timedelta(seconds=float(config["FORMWORK_LOGIN_LOCK_SECONDS"])))
    engine: Formwork = current_app.extensions["formwork"]
    with login_throttle.attempt(engine.db, keys):
        yield


def token_lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config["FORMWORK_TOKEN_HOURS"]))
