"""Engine, sessions and the one place where tenant scope is enforced."""
from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker, with_loader_criteria

from engine.storage.models import TenantOwned

TENANT_KEY = "tenant_id"
PLATFORM_KEY = "platform"


class TenantScopeMissing(RuntimeError):
    """Raised when code queries tenant data without a tenant scope: a programming error."""


class Database:
    """Owns the SQLAlchemy engine; hands out tenant-scoped or platform units of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, echo=echo, future=True, **_engine_options(url))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        elif self.engine.dialect.driver == "psycopg":
            _convert_long_statements_once()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Platform work mostly reads the catalog, sometimes from inside a tenant transaction.
        self._platform_sessions = sessionmaker(self.engine.execution_options(deferred_begin=True),
                                               expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(deferred_begin=True), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def tenant(self, tenant_id: str, begun: Session | None = None) -> Iterator[Session]:
        """One transaction in which every query of tenant-owned tables is limited to `tenant_id`; `begun`: go on
        with a session `begin` gave (its first reads are part of this transaction)."""
        with _unit_of_work(_begun_for(tenant_id, begun) or self._sessions(info={TENANT_KEY: tenant_id})) as session:
            yield session

    @contextmanager
    def reading(self, tenant_id: str, begun: Session | None = None) -> Iterator[Session]:
        """A read-only transaction limited to `tenant_id`, always rolled back. On SQLite it never waits for the
        write lock (WAL readers do not), so it answers while a long import holds that lock."""
        session = _begun_for(tenant_id, begun) or self._read_sessions(info={TENANT_KEY: tenant_id})
        try:
            yield session
        finally:
            self.release(session)

    def begin(self, tenant_id: str, *, reading: bool) -> Session | None:
        """A tenant session for a request to check its token in and then hand to `tenant` or `reading` (`begun`): one
        connection and one transaction for both. Whoever takes it closes it (`release` if nobody goes on with it).
        None on SQLite, whose writers take the database's lock when they begin: a request must not hold it before
        it gets to its unit of work (nor a reader begin what a writer then goes on with)."""
        if self.dialect == "sqlite":
            return None
        return (self._read_sessions if reading else self._sessions)(info={TENANT_KEY: tenant_id})

    @staticmethod
    def release(session: Session) -> None:
        """Roll back and close a session: a reader's at its end, one `begin` gave that no unit of work went on with."""
        session.rollback()
        session.close()

    @contextmanager
    def platform(self) -> Iterator[Session]:
        """One transaction over platform tables (tenants, catalog); tenant tables stay out of reach."""
        with _unit_of_work(self._platform_sessions(info={PLATFORM_KEY: True})) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def innermost(session: Session) -> SessionTransaction | None:
    """The savepoint (or else the transaction) a write made now belongs to: what a rollback of it takes back."""
    return session.get_nested_transaction() or session.get_transaction()


def within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether `transaction` is `ended` or one of the savepoints begun inside it."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _begun_for(tenant_id: str, begun: Session | None) -> Session | None:
    if begun is not None and begun.info.get(TENANT_KEY) != tenant_id:
        raise TenantScopeMissing(f"a session begun for {begun.info.get(TENANT_KEY)!r} handed to {tenant_id!r}")
    return begun


@contextmanager
def _unit_of_work(session: Session) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


LONGEST_CONVERTED_ONCE = 32_768  # bytes of a statement psycopg converts for the server once and keeps


def _convert_long_statements_once() -> None:
    """psycopg keeps a statement's text converted for the server (placeholders, parameter order) only up to 4 KB
    and 50 parameters, a limit it does not let callers set; a save's lookups and conflicts (one UNION ALL each,
    4.2–4.4 KB) were converted again at every run. Raised here, as the cache stays bounded by its 128 entries."""
    from psycopg import _queries

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, LONGEST_CONVERTED_ONCE)


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN IMMEDIATE instead
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock up front: a deferred transaction that reads, then writes, can fail."""
    deferred = connection.get_execution_options().get("deferred_begin")
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


TENANT_PARAM = "formwork_tenant_scope"
# Every tenant-owned table in a statement is limited to the tenant bound as TENANT_PARAM. A bound parameter rather
# than a lambda closing over the tenant: the criterion is then the same for every tenant, so SQLAlchemy analyses it
# once, and a statement built once (a cached query) is scoped once, not copied again at each execution. (The name
# is spelled out in the lambda: SQLAlchemy would track a global it reads as a value.)
_TENANT_CRITERIA = with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == bindparam("formwork_tenant_scope"),
                                        include_aliases=True)
_SCOPED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()  # statement -> it with the criteria


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        if any(issubclass(m.class_, TenantOwned) for m in state.all_mappers):
            raise TenantScopeMissing("tenant data was queried outside Database.tenant(...)")
        return
    statement = state.statement
    scoped = _SCOPED.get(statement)
    if scoped is None:
        scoped = _SCOPED[statement] = statement.options(_TENANT_CRITERIA)
    state.statement = scoped
    parameters = state.parameters
    if parameters is None or isinstance(parameters, Mapping):
        state.parameters = {**(parameters or {}), TENANT_PARAM: tenant_id}
    else:  # executemany: each row's parameters
        state.parameters = [{**row, TENANT_PARAM: tenant_id} for row in parameters]


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if tenant_id is None:
            if not session.info.get(PLATFORM_KEY):
                raise TenantScopeMissing(f"{type(obj).__name__} added outside a tenant scope")
            continue
        if getattr(obj, "tenant_id", None) is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantScopeMissing(f"{type(obj).__name__} of tenant {obj.tenant_id!r} added in {tenant_id!r}")
