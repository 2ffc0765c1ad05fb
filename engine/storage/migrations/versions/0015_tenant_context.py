"""tenant context: the stamps that tell each process when a tenant's cached context is stale

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tenants') as batch:
        batch.add_column(sa.Column('context_stamp', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_table('platform_stamps',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    _start_anywhere()


def _start_anywhere() -> None:
    """Stamps start at random points (engine.storage.stamps.fresh as it was when this migration was written)."""
    bind = op.get_bind()
    tenants = sa.table('tenants', sa.column('id'), sa.column('context_stamp'))
    for (tenant_id,) in bind.execute(sa.select(tenants.c.id)).all():
        bind.execute(tenants.update().where(tenants.c.id == tenant_id)
                     .values(context_stamp=secrets.randbelow(2 ** 48)))
    stamps = sa.table('platform_stamps', sa.column('name'), sa.column('value'))
    op.bulk_insert(stamps, [{'name': 'catalog', 'value': secrets.randbelow(2 ** 48)}])


def downgrade() -> None:
    op.drop_table('platform_stamps')
    with op.batch_alter_table('tenants') as batch:
        batch.drop_column('context_stamp')
