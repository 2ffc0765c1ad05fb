"""effect log: update effects change records instead of creating one

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('effect_log') as batch:
        batch.alter_column('created_id', existing_type=sa.String(length=36), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE effect_log SET created_id = '' WHERE created_id IS NULL")
    with op.batch_alter_table('effect_log') as batch:
        batch.alter_column('created_id', existing_type=sa.String(length=36), nullable=False)
