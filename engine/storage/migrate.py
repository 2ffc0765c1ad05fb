"""Schema migrations: `upgrade` brings any database to the newest Alembic revision; `not_ready` says why a database
cannot serve this code yet (readiness probes ask it)."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger("formwork.readiness")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Create or upgrade the schema (idempotent)."""
    command.upgrade(alembic_config(url), "head")


@functools.cache
def head_revision() -> str | None:
    """The newest revision this code ships (read once: the migration files do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def not_ready(engine: Engine) -> str | None:
    """None when the database answers and its schema is at this code's head revision; else why not, in words that
    reveal no address or password (an unauthenticated probe reads them; the log has the details)."""
    try:  # not through alembic's MigrationContext, which logs two lines each time: a probe runs every few seconds
        with engine.connect() as connection:
            current = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                       if inspect(connection).has_table("alembic_version") else None)
    except (SQLAlchemyError, OSError) as error:
        log.warning("readiness: the database does not answer: %s", error)
        return f"the database does not answer ({type(error).__name__})"
    head = head_revision()
    if current != head:
        return f"the database schema is at revision {current or 'none'}, this code needs {head}: run 'formwork init'"
    return None
