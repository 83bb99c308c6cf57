"""portal throttles: one row per rate-limited key, counted by one statement (replaces portal_attempts)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 15:10:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portal_throttles',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.Integer(), nullable=False),
    sa.Column('wait_seconds', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.Integer(), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_portal_throttles'))
    )
    # Counts of the old kind need not carry over: a limit starts afresh.
    with op.batch_alter_table('portal_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_attempts_key_at')
    op.drop_table('portal_attempts')


def downgrade() -> None:
    op.create_table('portal_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', bnpl.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_attempts'))
    )
    with op.batch_alter_table('portal_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_portal_attempts_key_at', ['key', 'at'], unique=False)
    op.drop_table('portal_throttles')
