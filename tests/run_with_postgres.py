"""Run a command (the test suite) against a throw-away PostgreSQL database when a server answers.

`make test` calls this. It creates `formwork_test_<random>` on 127.0.0.1:5432 (user postgres,
trust auth, or FORMWORK_TEST_PG_ADMIN_URL), exports FORMWORK_TEST_DATABASE_URL for the run and drops
the database afterwards. Without a server it says so loudly and runs on SQLite only — except under
CI=true, where a missing server is a failure.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import psycopg

ADMIN_URL = os.environ.get("FORMWORK_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main(command: list[str]) -> int:
    name = f"formwork_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        banner = "=" * 78
        print(f"{banner}\nNO POSTGRESQL SERVER at {ADMIN_URL.split('@')[-1]}: {error}".rstrip(), file=sys.stderr)
        if os.environ.get("CI", "").lower() == "true":
            print("CI=true: the PostgreSQL half of the suite is required; failing.\n" + banner, file=sys.stderr)
            return 1
        print("Running the suite on SQLite ONLY. Storage tests on PostgreSQL are skipped.\n" + banner,
              file=sys.stderr)
        return subprocess.call(command)
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    environment = {**os.environ, "FORMWORK_TEST_DATABASE_URL": f"{base}/{name}"}
    try:
        return subprocess.call(command, env=environment)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            # pytest-xdist workers' databases (tests/conftest.py), should a worker have died before dropping its own
            for (leftover,) in connection.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                                  (f"{name}\\_%",)).fetchall():
                connection.execute(f'DROP DATABASE IF EXISTS "{leftover}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
