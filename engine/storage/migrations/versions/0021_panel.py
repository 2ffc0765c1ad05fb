"""panel: the processes a user started ("my submissions") are an index probe

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_process_started_by', 'process_instances', ['tenant_id', 'started_by', 'started_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_process_started_by', table_name='process_instances')
