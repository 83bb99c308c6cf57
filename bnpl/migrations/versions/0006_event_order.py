"""event order

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:02:56.529246
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events written before this revision keep txid 0: they come first, in seq order.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index('ix_events_scope_txid_seq', ['merchant_id', 'livemode', 'txid', 'seq'], unique=False)
        batch_op.drop_index('ix_events_scope_seq')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)")


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_scope_seq', ['merchant_id', 'livemode', 'seq'], unique=False)
        batch_op.drop_index('ix_events_scope_txid_seq')
        batch_op.drop_column('txid')
