"""Failed logins counted per account and per client address in the database, so every worker and host
shares the count; too many lock the key for a while, each further lock twice as long as the last.

An attempt is counted *before* the password is checked, in the same transaction that looks at the lock,
so parallel guesses cannot slip past the count; a successful login gives its attempt back and clears the
account's failures.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.errors import FormworkError
from engine.storage.database import Database
from engine.storage.models import LoginThrottle
from engine.tenancy.licenses import as_utc

MAX_KEY = 255
FORGET_AFTER = timedelta(days=2)   # quiet keys are deleted after this (the longest lock is shorter)


@dataclass(frozen=True)
class Policy:
    """`failures` allowed within `window`; then a lock of `lock`, doubled at each further lock up to `max_lock`.
    `cleared_by_success`: a successful login forgets all failures (accounts), not only its own attempt."""

    failures: int
    window: timedelta
    lock: timedelta
    max_lock: timedelta
    cleared_by_success: bool

    def lock_after(self, lockouts: int) -> timedelta:
        longer: timedelta = self.lock * (2 ** min(lockouts, 30))
        return min(longer, self.max_lock)


def account_policy(failures: int = 5, lock: timedelta = timedelta(minutes=15)) -> Policy:
    """An account: by default 5 failures within 15 minutes lock it for 15 minutes, then 30, 60 ... up to a day."""
    return Policy(failures, window=max(lock, timedelta(minutes=15)), lock=lock, max_lock=timedelta(days=1),
                  cleared_by_success=True)


def address_policy(failures: int = 100) -> Policy:
    """A client address: by default 100 failures a minute, over any accounts, lock it for a minute, then 2 ..."""
    return Policy(failures, window=timedelta(minutes=1), lock=timedelta(minutes=1), max_lock=timedelta(hours=1),
                  cleared_by_success=False)


class TooManyAttempts(FormworkError):
    """A key is locked after too many failures; `retry_after` says in how many seconds to try again."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"登录失败次数过多，请 {minutes} 分钟后再试 / too many failed attempts: try again in "
                         f"{minutes} minute{'s' if minutes > 1 else ''}", details={"retry_after": retry_after},
                         params={"minutes": minutes, "plural": "s" if minutes > 1 else "", "retry_after": retry_after})
        self.retry_after, self.minutes = retry_after, minutes


def account_key(kind: str, *names: str) -> str:
    """The key of an account, e.g. `user:acme/ann` or `operator:root` (cut to the column's length)."""
    return f"{kind}:{'/'.join(names)}"[:MAX_KEY]


def address_key(address: str) -> str:
    return f"address:{address}"[:MAX_KEY]


@contextmanager
def attempt(db: Database, keys: Mapping[str, Policy]) -> Iterator[None]:
    """Guard one login attempt: raise TooManyAttempts while any key is locked; otherwise count the attempt,
    run the block, and give the attempt back when the block ends without an exception."""
    with db.platform() as session:
        wait = _begin(session, keys, datetime.now(UTC))
    if wait is not None:
        raise TooManyAttempts(wait)
    yield
    with db.platform() as session:
        _succeeded(session, keys, datetime.now(UTC))


def _begin(session: Session, keys: Mapping[str, Policy], moment: datetime) -> int | None:
    """Seconds to wait if a key is locked (locking it now if its failures are used up), else None."""
    rows = _locked_rows(session, sorted(keys), moment)
    waits = []
    for row in rows:
        policy = keys[row.key]
        if row.locked_until is not None and as_utc(row.locked_until) > moment:
            waits.append(as_utc(row.locked_until) - moment)
            continue
        if as_utc(row.window_started_at) + policy.window <= moment:
            row.failures, row.window_started_at = 0, moment
            if row.locked_until is None or as_utc(row.locked_until) + policy.max_lock <= moment:
                row.lockouts = 0   # long quiet: the next lock starts short again
        if row.failures >= policy.failures:
            lock = policy.lock_after(row.lockouts)
            row.locked_until, row.lockouts, row.failures = moment + lock, row.lockouts + 1, 0
            waits.append(lock)
    if waits:
        return max(1, math.ceil(max(waits).total_seconds()))
    for row in rows:
        row.failures += 1
    return None


def _succeeded(session: Session, keys: Mapping[str, Policy], moment: datetime) -> None:
    rows = _locked_rows(session, sorted(keys), moment)
    for row in rows:
        if keys[row.key].cleared_by_success:
            session.delete(row)
        else:
            row.failures = max(0, row.failures - 1)
    session.execute(delete(LoginThrottle).where(LoginThrottle.window_started_at < moment - FORGET_AFTER)
                    .execution_options(synchronize_session=False))


def _locked_rows(session: Session, keys: list[str], moment: datetime) -> list[LoginThrottle]:
    """The rows of `keys`, created when missing, locked until the transaction ends (in key order, so two
    attempts on the same keys never wait for each other crosswise)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in keys:
        session.execute(insert(LoginThrottle).values(key=key, failures=0, window_started_at=moment, lockouts=0)
                        .on_conflict_do_nothing())
    found = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key)
                            .with_for_update().execution_options(populate_existing=True))
    return list(found)
