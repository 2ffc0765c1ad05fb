"""The demo tenant (demo/data.py) built once per test run and copied: a fresh database holding it in a second.

`create_demo` takes 20-40 s, and test modules each want a demo of their own to click through or change. The
first module that asks builds a template under a file lock shared by the pytest-xdist workers of this run, so
the run builds it once per backend; every caller gets its own copy, free to change it: a copy of the SQLite
file, or on PostgreSQL a database created from the template database (`CREATE DATABASE … TEMPLATE …`).

A browser module's server fixture converts with one line (tests/README.md)::

    engine = demo_engine(tmp_path_factory)          # was: Formwork(f"sqlite:///…"); create_demo(engine)

and a module that ran create_demo on the shared `engine` takes the `demo_formwork` fixture (tests/conftest.py)
instead: its own copy, on each backend.

The copy is what a fresh build is: create_demo writes nothing outside the database (photos and signatures are
paths into the repository) and signs its audit anchors with the instance key, which tests/conftest.py keeps the
same for every worker of a run (FORMWORK_TEST_INSTANCE_KEY), so the copy's audit chain verifies in any worker.
The demo's dates are those of the day the template was built, i.e. of this run.
"""
from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from demo.data import create_demo
from engine.runtime import Formwork


def demo_engine(tmp_path_factory: pytest.TempPathFactory, label: str = "demo") -> Formwork:
    """A Formwork on a fresh SQLite copy of the demo (initialised, as `formwork init` leaves it at start-up)."""
    engine = Formwork(demo_database(tmp_path_factory, label))
    engine.initialise()   # loads the plugins, as create_demo did; the schema and modules are already there
    return engine


def demo_database(tmp_path_factory: pytest.TempPathFactory, label: str = "demo") -> str:
    """The URL of a fresh SQLite database holding the demo tenant, a copy of this run's template."""
    target = tmp_path_factory.mktemp(label) / "formwork.db"
    with _run_lock(tmp_path_factory, "sqlite") as folder:
        template = folder / "demo-template.db"
        if not template.exists():
            _build_sqlite(template)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@contextmanager
def copied(backend: str, tmp_path_factory: pytest.TempPathFactory, pg_url: str | None) -> Iterator[Formwork]:
    """A Formwork on a fresh copy of the demo on `backend` (`pg_url`: this worker's PostgreSQL database)."""
    if backend == "sqlite":
        engine = demo_engine(tmp_path_factory)
        try:
            yield engine
        finally:
            engine.db.dispose()
        return
    assert pg_url, "no PostgreSQL database for this run"
    with _postgres_copy(tmp_path_factory, pg_url) as url:
        engine = Formwork(url)
        engine.initialise()
        try:
            yield engine
        finally:
            engine.db.dispose()


@contextmanager
def _run_lock(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Path]:
    """Holds this run's lock on the backend's template (one per backend: a worker that wants a SQLite copy does not
    wait for another building the PostgreSQL template); yields the run's folder (shared by its xdist workers, not
    by other runs)."""
    base = tmp_path_factory.getbasetemp()
    folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with open(folder / f"demo-template-{backend}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder


def _build_sqlite(template: Path) -> None:
    """Build into a side file and rename it into place: a worker killed halfway leaves no half template."""
    building = template.with_name("demo-template.building.db")
    building.unlink(missing_ok=True)
    engine = Formwork(f"sqlite:///{building}")
    event.listen(engine.db.engine, "connect", _no_flush)   # a template is rebuilt, never recovered
    create_demo(engine)
    engine.db.dispose()
    connection = sqlite3.connect(building)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # fold the write-ahead log in: one file to copy
    connection.close()
    building.rename(template)


def _no_flush(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@contextmanager
def _postgres_copy(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Iterator[str]:
    """A database created from the run's demo template (built first if need be), dropped afterwards. Its name
    starts with the run's database name, so tests/run_with_postgres.py drops what a killed worker leaves."""
    server, _, database = pg_url.rpartition("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    template = (database.removesuffix(f"_{worker}") if worker else database) + "_demo"
    copy = f"{database}_demo_{secrets.token_hex(3)}"
    with _run_lock(tmp_path_factory, "postgresql"), _admin(server) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone() is None:
            building = f"{template}_building"
            admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{building}"')
            admin.execute(f'ALTER DATABASE "{building}" SET synchronous_commit = off')
            engine = Formwork(f"{server}/{building}")
            create_demo(engine)
            engine.db.dispose()
            admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
        admin.execute(f'ALTER DATABASE "{copy}" SET synchronous_commit = off')   # as tests/conftest.py's databases
    try:
        yield f"{server}/{copy}"
    finally:
        with _admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def _admin(server: str) -> psycopg.Connection[Any]:
    plain = server.replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(f"{plain}/postgres", autocommit=True, connect_timeout=5)
