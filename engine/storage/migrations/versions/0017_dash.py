"""record counts: live records per entity, project, period and status, kept by every flush (the dashboard's cards)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_counts',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'module', 'entity', 'project', 'period', 'status')
    )
    if op.get_bind().dialect.name == 'postgresql':
        project, period = "data ->> 'project'", "data ->> 'period'"
    else:
        project, period = "json_extract(data, '$.project')", "json_extract(data, '$.period')"
    op.execute(f"""INSERT INTO record_counts (tenant_id, module, entity, project, period, status, count)
        SELECT tenant_id, module, entity, substr(coalesce({project}, ''), 1, 64), substr(coalesce({period}, ''), 1, 64),
               status, count(*)
        FROM records WHERE deleted_at IS NULL
        GROUP BY tenant_id, module, entity, substr(coalesce({project}, ''), 1, 64),
                 substr(coalesce({period}, ''), 1, 64), status""")


def downgrade() -> None:
    op.drop_table('record_counts')
