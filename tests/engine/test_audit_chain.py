"""The audit chain cannot be rewritten unnoticed: edits, recomputed hashes, removed entries and forged anchors."""
from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.engine import Connection

from engine import tenancy
from engine.runtime import Formwork
from engine.security import audit
from engine.storage.models import AuditAnchor, AuditEntry
from tests.cli.test_cli import run
from tests.conftest import all_at_once


def write_entries(engine: Formwork, tenant: str, count: int) -> None:
    with engine.db.tenant(tenant) as session:
        for n in range(count):
            audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket",
                        target_id=f"T-{n}", before={"hours": n}, after={"hours": n + 1})


def last_seq(engine: Formwork, tenant: str) -> int:
    with engine.db.tenant(tenant) as session:
        return session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).one()


def rewrite_from(engine: Formwork, tenant: str, seq: int, **changes: object) -> None:
    """What someone with write access to the database would do: change an entry, recompute every later hash."""
    with engine.db.tenant(tenant) as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)))
        prev = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1)).one()
        for index, entry in enumerate(entries):
            if index == 0:
                for name, value in changes.items():
                    setattr(entry, name, value)
            entry.prev_hash = prev
            entry.hash = prev = audit.entry_hash(entry)


def problems(engine: Formwork, tenant: str) -> list[str]:
    with engine.db.tenant(tenant) as session:
        return audit.verify(session, tenant)


def test_an_intact_chain_verifies_and_its_anchor_follows_the_head(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 3)
    assert problems(engine, tenant) == []
    head = last_seq(engine, tenant)
    with engine.db.tenant(tenant) as session:
        anchor = session.get(AuditAnchor, tenant)
        assert anchor is not None and anchor.seq == head


def test_an_edited_entry_is_named_with_its_time_and_target(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 3)
    seq = last_seq(engine, tenant) - 1
    with engine.db.tenant(tenant) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(actor="mallory"))
    [problem] = problems(engine, tenant)
    assert problem.startswith(f"entry {seq} (")
    assert "record.update labor.ticket T-1" in problem and problem.endswith("its content does not match its hash")


def test_an_edit_with_every_later_hash_recomputed_is_detected(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 5)
    head = last_seq(engine, tenant)
    rewrite_from(engine, tenant, head - 3, after={"hours": 999})
    found = problems(engine, tenant)
    assert found and f"entry {head} (" in found[0] and "not the entry its anchor records" in found[0]


def test_a_rewrite_stays_detected_after_later_legitimate_writes(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 4)
    head = last_seq(engine, tenant)
    rewrite_from(engine, tenant, head - 2, actor="mallory")
    write_entries(engine, tenant, 2)  # the application goes on writing: it must not vouch for the rewrite
    found = problems(engine, tenant)
    assert any(f"entry {head} (" in line and "not the entry its anchor records" in line for line in found)


def test_removing_the_last_entries_is_reported_with_how_many(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 6)
    head = last_seq(engine, tenant)
    with engine.db.tenant(tenant) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq > head - 5))
    assert problems(engine, tenant) == [
        f"the chain ends at entry {head - 5} but its anchor records {head} entries: 5 entries were removed"]


def test_entries_added_behind_the_anchors_back_are_reported(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 2)
    head = last_seq(engine, tenant)
    with engine.db.tenant(tenant) as session:  # a forged entry, chained correctly, inserted without the anchor
        previous = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == head)).one()
        forged = AuditEntry(tenant_id=tenant, seq=head + 1, at=datetime.now(UTC), actor="admin", action="user.create",
                            target_type="user", target_id="ghost", before=None, after=None, prev_hash=previous,
                            note="")
        forged.hash = audit.entry_hash(forged)
        session.execute(AuditEntry.__table__.insert(), [{c.name: getattr(forged, c.key) for c in
                                                         AuditEntry.__mapper__.columns}])
    found = problems(engine, tenant)
    assert found == [f"entry {head + 1} (" + found[0].split("(", 1)[1]]
    assert "user.create user ghost" in found[0] and "not covered by the anchor" in found[0]


def test_a_removed_or_forged_anchor_is_reported(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 2)
    with engine.db.tenant(tenant) as session:
        session.execute(update(AuditAnchor).where(AuditAnchor.tenant == tenant).values(signature="0" * 64))
    [problem] = problems(engine, tenant)
    assert "anchor is not signed by this instance's key" in problem and f"formwork audit reanchor {tenant}" in problem
    with engine.db.tenant(tenant) as session:
        session.execute(delete(AuditAnchor).where(AuditAnchor.tenant == tenant))
    [problem] = problems(engine, tenant)
    assert "no anchor" in problem and f"formwork audit reanchor {tenant}" in problem
    with engine.db.tenant(tenant) as session:
        session.execute(delete(AuditEntry))
    assert problems(engine, tenant) == ["the log has no entries and no anchor, but every tenant's log starts with "
                                        "its creation: its entries and its anchor were removed"]


def test_reanchor_signs_a_sound_chain_with_this_instances_key(engine: Formwork, tenant: str) -> None:
    """A backup restored on another instance: its anchor does not verify here until it is re-anchored."""
    write_entries(engine, tenant, 2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORMWORK_INSTANCE_KEY", secrets.token_hex(32))
        assert "not signed by this instance's key" in problems(engine, tenant)[0]
        write_entries(engine, tenant, 1)  # not re-anchored by an ordinary write either
        assert "not signed by this instance's key" in problems(engine, tenant)[0]
        head = last_seq(engine, tenant)
        with engine.db.tenant(tenant) as session:
            assert audit.reanchor(session, tenant) == head
        assert problems(engine, tenant) == []
        write_entries(engine, tenant, 1)
        assert problems(engine, tenant) == []


def test_reanchor_refuses_a_broken_chain(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 3)
    seq = last_seq(engine, tenant)
    with engine.db.tenant(tenant) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(note="edited"))
    with (pytest.raises(audit.AuditChainBroken, match=f"entry {seq} .*its content does not match its hash"),
          engine.db.tenant(tenant) as session):
        audit.reanchor(session, tenant)


def test_the_anchor_is_updated_once_per_transaction(engine: Formwork, tenant: str) -> None:
    statements: list[str] = []

    def seen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if "audit_anchors" in statement and not statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.db.engine, "before_cursor_execute", seen)
    try:
        write_entries(engine, tenant, 10)
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", seen)
    assert len(statements) == 1
    assert problems(engine, tenant) == []


def test_an_entry_rolled_back_with_its_savepoint_leaves_the_anchor_sound(engine: Formwork, tenant: str) -> None:
    with engine.db.tenant(tenant) as session:
        audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket", target_id="A")
        with pytest.raises(RuntimeError), session.begin_nested():
            audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket",
                        target_id="B")
            raise RuntimeError("the step failed")
        audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket", target_id="C")
    assert problems(engine, tenant) == []


def test_a_savepoint_that_rolls_back_after_reading_the_log_keeps_the_entries_written_before_it(
        engine: Formwork, tenant: str) -> None:
    """A read of the log inside a savepoint appends the transaction's entries so far; when the savepoint rolls back,
    the entries written before it are appended again at the commit, and only the savepoint's own are gone."""
    with engine.db.tenant(tenant) as session:
        audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket", target_id="A")
        with pytest.raises(RuntimeError), session.begin_nested():
            audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket",
                        target_id="B")
            assert [e.target_id for e in audit.entries_for(session, tenant, "labor.ticket", "A")] == ["A"]
            with session.begin_nested():  # a savepoint inside it that holds: rolled back with its parent
                audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket",
                            target_id="B2")
                assert len(audit.entries_for(session, tenant, "labor.ticket", "B2")) == 1
            raise RuntimeError("the step failed")
        audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket", target_id="C")
    with engine.db.tenant(tenant) as session:
        kept = list(session.scalars(select(AuditEntry.target_id).where(
            AuditEntry.target_type == "labor.ticket", AuditEntry.target_id.in_(["A", "B", "B2", "C"]))
            .order_by(AuditEntry.seq)))
    assert kept == ["A", "C"]
    assert problems(engine, tenant) == []


def test_a_writer_that_waited_for_the_lock_still_appends_and_anchors_in_one_statement(
        engine: Formwork, tenant: str) -> None:
    """The writer that waited for the chain's lock read the head as its statement began, before the writer ahead
    committed; it reads the head again and, finding the anchor there, appends and moves it in one statement."""
    if engine.db.dialect != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    write_entries(engine, tenant, 1)
    waiting: list[str] = []

    def seen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if threading.current_thread().name == "waiting":
            waiting.append(" ".join(statement.split()))

    def waiter() -> None:
        write_entries(engine, tenant, 1)

    event.listen(engine.db.engine, "before_cursor_execute", seen)
    try:
        with engine.db.tenant(tenant) as session:
            audit.write(session, tenant, actor="li", action="record.update", target_type="labor.ticket",
                        target_id="ahead")
            audit.append_pending(session)  # holds the chain's lock until this block commits
            thread = threading.Thread(target=waiter, name="waiting")
            thread.start()
            deadline = time.monotonic() + 30
            with engine.db.engine.connect() as probe:  # until the other writer waits for the lock
                while not probe.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query LIKE '%audit_anchors%'")):
                    assert thread.is_alive() and time.monotonic() < deadline, "the writer never waited"
                    probe.rollback()  # PostgreSQL keeps one snapshot of pg_stat_activity per transaction
                    time.sleep(0.01)
        thread.join(30)
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", seen)
    writes = [statement for statement in waiting if not statement.startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("WITH moved AS"), waiting
    assert problems(engine, tenant) == []


def test_a_new_tenant_is_anchored_from_its_first_entry(engine: Formwork) -> None:
    from tests.conftest import new_tenant_id

    tenant = new_tenant_id()
    with engine.db.tenant(tenant) as session:
        tenancy.create_tenant(session, tenant, plan="enterprise")
    assert problems(engine, tenant) == []


def test_audit_verify_names_the_broken_entry_and_exits_1(engine: Formwork, tenant: str) -> None:
    write_entries(engine, tenant, 4)
    head = last_seq(engine, tenant)
    with engine.db.tenant(tenant) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq > head - 2))
    result = run(engine, "audit", "verify", tenant, check=False)
    assert result.returncode == 1
    assert result.stdout == (f"{tenant}: the chain ends at entry {head - 2} but its anchor records {head} entries: "
                             "2 entries were removed\n")
    with engine.db.tenant(tenant) as session:
        session.execute(delete(AuditAnchor).where(AuditAnchor.tenant == tenant))
    assert run(engine, "audit", "reanchor", tenant).stdout == \
        f"{tenant}: audit chain re-anchored at entry {head - 2} with this instance's key\n"
    assert run(engine, "audit", "verify", tenant).stdout == f"{tenant}: audit chain intact\n"


def test_backups_leave_the_instances_anchor_out() -> None:
    from engine.ops import backup

    assert "audit_log" in {table.name for table in backup.tenant_tables()}
    assert "audit_anchors" not in {table.name for table in backup.tenant_tables()}


def test_one_statement_takes_the_lock_and_reads_the_head(engine: Formwork, tenant: str) -> None:
    """A write to an anchored chain that no other writer raced: its lock and head in one statement, not two."""
    write_entries(engine, tenant, 1)
    statements: list[str] = []

    def seen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine.db.engine, "before_cursor_execute", seen)
    try:
        write_entries(engine, tenant, 3)
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1 and "FROM tenants JOIN audit_anchors" in reads[0], reads
    assert problems(engine, tenant) == []


@pytest.mark.parametrize("signed", [True, False], ids=["anchored", "anchor-signed-elsewhere"])
def test_writers_racing_for_one_chain_each_extend_its_head(engine: Formwork, tenant: str, signed: bool) -> None:
    """Whoever waited for the lock reads the head its predecessor left, whether or not that one could move the
    anchor (an anchor another instance signed stays where it was, so it does not tell the head)."""
    if engine.db.dialect != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    write_entries(engine, tenant, 1)
    if not signed:
        with engine.db.tenant(tenant) as session:
            session.execute(update(AuditAnchor).where(AuditAnchor.tenant == tenant).values(signature="0" * 64))
    before = last_seq(engine, tenant)

    def writer() -> None:
        for _ in range(8):
            write_entries(engine, tenant, 2)

    assert all_at_once(*[writer] * 4) == []
    assert last_seq(engine, tenant) == before + 4 * 8 * 2
    found = problems(engine, tenant)
    if signed:
        assert found == []
    else:
        [problem] = found  # the links are sound; only the anchor is another instance's
        assert "anchor is not signed by this instance's key" in problem
