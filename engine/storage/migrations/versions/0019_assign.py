"""assign: a task's project and incident, who a decider stood in for, and users' out-of-office delegations

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch:
        batch.add_column(sa.Column('project_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('incident', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('on_behalf_of', sa.String(length=64), nullable=True))
    op.create_table('delegations',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('to_user', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.String(length=10), nullable=False),
    sa.Column('ends_on', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'username')
    )


def downgrade() -> None:
    op.drop_table('delegations')
    with op.batch_alter_table('human_tasks') as batch:
        batch.drop_column('on_behalf_of')
        batch.drop_column('incident')
        batch.drop_column('project_id')
