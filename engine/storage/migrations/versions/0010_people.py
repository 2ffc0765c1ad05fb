"""people: users' e-mail and one-time password links (invitations and resets)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table('user_invitations',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'token_hash')
    )
    op.create_index('ix_user_invitations_user', 'user_invitations', ['tenant_id', 'username'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_user_invitations_user', table_name='user_invitations')
    op.drop_table('user_invitations')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
