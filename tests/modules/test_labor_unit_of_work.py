"""What one 点工单 costs the database over the API: tenant setup in one statement, the tenant lock once."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from engine.runtime import Formwork
from tests.conftest import tasks
from tests.modules.test_labor import submit, ticket_body, world  # noqa: F401 - fixture

STAMP = "SELECT tenants.context_stamp"   # engine.storage.stamps.read
TOKEN = "FROM api_tokens JOIN users"   # engine.tenancy.tenants.actor_for_token, the stamps read along
# engine.security.audit: the tenant's lock, alone (lock_chain) or with the chain's head (FOR NO KEY UPDATE on
# PostgreSQL: not a deadlock with the key-share locks of foreign keys)
LOCK = ("SELECT tenants.id FROM tenants WHERE", "SELECT audit_anchors.seq, audit_anchors.head_hash")
SETUP = re.compile(r"FROM (module_catalog|tenant_modules|tenant_module_versions|tenant_plugins|api_tokens|users|"
                   r"tenants)\b")


@contextmanager
def statements(engine: Formwork) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split()))

    event.listen(engine.db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", listen)


def locks(engine: Formwork, seen: list[str]) -> list[str]:
    taken = [s for s in seen if s.startswith(LOCK)]
    if engine.db.dialect == "postgresql":
        assert all(s.endswith(("FOR NO KEY UPDATE", "FOR NO KEY UPDATE OF tenants, audit_anchors"))
                   for s in taken), taken
    return taken


def setup(seen: list[str]) -> list[str]:
    """The statements that authenticate and set up the tenant: reads of the tables they come from."""
    return [s for s in seen if s.startswith(STAMP) or TOKEN in s or (
        s.startswith("SELECT") and not s.startswith(LOCK) and SETUP.search(s.split(" WHERE")[0]))]


def setup_statements(engine: Formwork) -> int:
    """The token with its user and the tenant's stamps; on SQLite, where the token is checked in a reader of its
    own, the unit of work reads the stamps again."""
    return 1 if engine.db.dialect == "postgresql" else 2


def test_a_ticket_is_created_with_one_tenant_lock_and_one_statement_of_setup(
        engine: Formwork, world: dict[str, Any]) -> None:  # noqa: F811 - the labor world fixture
    cost = world["users"]["cost"]
    with statements(engine) as seen:
        response = cost.post("/records/labor/day_labor_ticket", ticket_body(world))
    assert response.status_code == 201, response.get_json()
    assert len(locks(engine, seen)) == 1
    token, *stamps = setup(seen)
    assert TOKEN in token and "context_stamp" in token
    assert len(stamps) == setup_statements(engine) - 1 and all(s.startswith(STAMP) for s in stamps)
    appended = [s for s in seen if "INSERT INTO audit_log" in s]
    moved = [s for s in seen if "UPDATE audit_anchors" in s]
    assert len(appended) == 1 and len(moved) == 1
    if engine.db.dialect == "postgresql":  # the entries and the anchor's move in one statement
        assert appended == moved


def test_a_task_completion_takes_the_tenant_lock_once(engine: Formwork, world: dict[str, Any]) -> None:  # noqa: F811
    users = world["users"]
    ticket = users["cost"].post("/records/labor/day_labor_ticket", ticket_body(world)).get_json()
    submit(users["cost"], "day_labor_ticket", ticket["id"])
    approver = next(users[name] for name in ("site", "prod", "cost") if tasks(users[name], ticket["id"]))
    [task] = tasks(approver, ticket["id"])
    with statements(engine) as seen:
        response = approver.post(f"/tasks/{task['id']}/complete", {"decision": "approve", "comment": ""})
    assert response.status_code == 200, response.get_json()
    assert len(locks(engine, seen)) == 1
    assert len(setup(seen)) == setup_statements(engine)
    assert sum("INSERT INTO audit_log" in s for s in seen) == 1   # its entries, in one statement
    # nobody delegated to the approver: the token check said so, and no colleague they stand in for is looked for
    assert [s for s in seen if "FROM delegations" in s and TOKEN not in s] == []


def test_reading_a_ticket_opens_no_write_transaction(engine: Formwork, world: dict[str, Any]) -> None:  # noqa: F811
    cost = world["users"]["cost"]
    ticket = cost.post("/records/labor/day_labor_ticket", ticket_body(world)).get_json()
    began: list[str] = []

    def listen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("BEGIN"):
            began.append(statement)

    event.listen(engine.db.engine, "before_cursor_execute", listen)
    try:
        assert cost.get(f"/records/labor/day_labor_ticket/{ticket['id']}").status_code == 200
        assert cost.get(f"/records/labor/day_labor_ticket/{ticket['id']}/history").status_code == 200
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", listen)
    assert "BEGIN IMMEDIATE" not in began   # SQLite's write lock; PostgreSQL begins implicitly
