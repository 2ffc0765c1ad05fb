"""idioms: added signers (加签) on human tasks, cc read grants (抄送), the last reminder (催办) of a run

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('parent_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('held', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                                   nullable=True))
    with op.batch_alter_table('process_instances') as batch:
        batch.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('record_grants',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('grantee', sa.String(length=80), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('step', sa.String(length=140), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'record_id', 'grantee')
    )


def downgrade() -> None:
    op.drop_table('record_grants')
    with op.batch_alter_table('process_instances') as batch:
        batch.drop_column('reminded_at')
    with op.batch_alter_table('human_tasks') as batch:
        batch.drop_column('held')
        batch.drop_column('parent_id')
        batch.drop_column('kind')
