"""audit: signed anchors of the audit chains; job leases

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
import json
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_anchors',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('anchored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant')
    )
    op.add_column('jobs', sa.Column('lease_token', sa.String(length=36), nullable=True))
    op.add_column('jobs', sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    _anchor_existing_chains()
    _lease_running_jobs()


def _anchor_existing_chains() -> None:
    """The chains written before anchors existed are taken as they are now, once, at the upgrade."""
    bind = op.get_bind()
    anchors = sa.table('audit_anchors', sa.column('tenant'), sa.column('seq'), sa.column('head_hash'),
                       sa.column('signature'), sa.column('anchored_at'))
    heads = bind.execute(sa.text(
        "SELECT a.tenant_id, a.seq, a.hash FROM audit_log a JOIN "
        "(SELECT tenant_id, MAX(seq) AS seq FROM audit_log GROUP BY tenant_id) h "
        "ON a.tenant_id = h.tenant_id AND a.seq = h.seq")).all()
    rows = [{'tenant': tenant_id, 'seq': seq, 'head_hash': head, 'anchored_at': datetime.now(UTC),
             'signature': _signature(tenant_id, seq, head)} for tenant_id, seq, head in heads]
    if rows:
        op.bulk_insert(anchors, rows)


def _signature(tenant_id: str, seq: int, head_hash: str) -> str:
    """engine.security.audit.anchor_signature as it was when this migration was written (a migration stays as written)."""
    from engine.core.instance_key import sign

    return sign('audit', json.dumps([tenant_id, seq, head_hash]).encode())


def _lease_running_jobs() -> None:
    """Jobs running at the upgrade keep the ten minutes the old workers had before another took over."""
    bind = op.get_bind()
    jobs = sa.table('jobs', sa.column('tenant_id'), sa.column('id'), sa.column('run_at', sa.DateTime(timezone=True)),
                    sa.column('state'), sa.column('lease_until', sa.DateTime(timezone=True)))
    for tenant_id, job_id, run_at in bind.execute(
            sa.select(jobs.c.tenant_id, jobs.c.id, jobs.c.run_at).where(jobs.c.state == 'running')).all():
        bind.execute(jobs.update().where(jobs.c.tenant_id == tenant_id, jobs.c.id == job_id)
                     .values(lease_until=run_at + timedelta(minutes=10)))


def downgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('lease_until')
        batch.drop_column('lease_token')
    op.drop_table('audit_anchors')
