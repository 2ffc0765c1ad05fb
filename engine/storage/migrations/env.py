"""Alembic environment: runs migrations on the URL the caller configured."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from engine.storage import (
    workflow_models,  # noqa: F401 - its tables belong to the metadata too
)
from engine.storage.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
connectable = create_engine(url)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
connectable.dispose()
