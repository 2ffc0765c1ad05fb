"""jobs_key: a job found by its key (a process's timer, its service retry) is an index probe

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_jobs_key', 'jobs', ['tenant_id', 'kind', 'key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_key', table_name='jobs')
