"""outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:59:59.457236
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_messages',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('subject_id', sa.String(length=40), nullable=True),
    sa.Column('event_id', sa.String(length=40), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('outcome', sa.String(length=300), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_outbox_messages_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'dropped', 'dead')", name=op.f('ck_outbox_messages_status')),
    sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f('ck_outbox_messages_channel'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_scope_created', ['merchant_id', 'livemode', 'created_at'], unique=False)

    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('event_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('secret', sa.String(length=80), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=300), nullable=True),
    sa.Column('failing_since', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_webhook_endpoints_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_endpoints_scope', ['merchant_id', 'livemode'], unique=False)

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_endpoints_scope')

    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_scope_created')
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox_messages')
