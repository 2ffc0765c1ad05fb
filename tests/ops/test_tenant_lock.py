"""Two transactions of one tenant that both wrote rows referencing it take the tenant lock in turn, not a deadlock."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from engine.runtime import Formwork
from engine.security import audit
from engine.storage import jobs
from engine.storage.workflow_models import Job


def test_two_writers_of_one_tenant_take_its_lock_in_turn(engine: Formwork, tenant: str) -> None:
    if engine.db.dialect != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    flushed = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with engine.db.tenant(tenant) as session:
                jobs.enqueue(session, tenant, "test.lock", {})
                session.flush()  # the new row's foreign key takes a key-share lock on the tenant's row
                flushed.wait(timeout=30)
                audit.lock_chain(session, tenant)  # FOR UPDATE here made both wait for each other: a deadlock
        except BaseException as error:
            failures.append(error)

    writers = [threading.Thread(target=writer) for _ in range(2)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    assert failures == []
    assert jobs.depth(engine.db)["queued"] >= 2
    with engine.db.tenant(tenant) as session:  # due now: not for other tests' workers
        session.execute(update(Job).where(Job.kind == "test.lock").values(state="cancelled"))
