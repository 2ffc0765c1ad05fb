"""auth: login throttles, session generations, API token expiry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Tokens issued before this revision expire 12 hours (the default lifetime) after their creation.
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)   # as engine/tenancy/tenants.py had it when this revision was written


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_login_throttles_window', 'login_throttles', ['window_started_at'], unique=False)
    op.add_column('users', sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    op.add_column('operators', sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table('api_tokens', sa.column('tenant_id', sa.String()), sa.column('token_hash', sa.String()),
                      sa.column('created_at', sa.DateTime(timezone=True)),
                      sa.column('expires_at', sa.DateTime(timezone=True)))
    connection = op.get_bind()
    rows = connection.execute(sa.select(tokens.c.tenant_id, tokens.c.token_hash, tokens.c.created_at)).all()
    for tenant_id, token_hash, created_at in rows:   # in Python: date arithmetic differs between SQLite and PostgreSQL
        connection.execute(tokens.update().where(tokens.c.tenant_id == tenant_id, tokens.c.token_hash == token_hash)
                           .values(expires_at=created_at + DEFAULT_TOKEN_LIFETIME))
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('expires_at')
    with op.batch_alter_table('operators') as batch:
        batch.drop_column('session_generation')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_generation')
    op.drop_index('ix_login_throttles_window', table_name='login_throttles')
    op.drop_table('login_throttles')
