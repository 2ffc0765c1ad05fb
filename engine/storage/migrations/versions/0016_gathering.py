"""gathering: the source records a live record holds in a gathered table field

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gather_holds',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=36), nullable=False),
    sa.Column('holder_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'module', 'entity', 'field', 'source_id')
    )
    op.create_index('ix_gather_holds_holder', 'gather_holds', ['tenant_id', 'holder_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_gather_holds_holder', table_name='gather_holds')
    op.drop_table('gather_holds')
