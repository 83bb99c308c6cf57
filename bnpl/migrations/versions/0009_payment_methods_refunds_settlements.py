"""checkouts mandates debits refunds settlements

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 17:38:22.241563
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkouts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_reference', sa.String(length=100), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('return_url', sa.String(length=2048), nullable=True),
    sa.Column('payment_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'paid', 'failed', 'expired', 'cancelled')", name=op.f('ck_checkouts_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkouts')),
    sa.UniqueConstraint('provider', 'provider_reference', name=op.f('uq_checkouts_provider_provider_reference'))
    )
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkouts_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('direct_debits',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('mandate_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('collection_date', sa.Date(), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
    sa.Column('file_id', sa.String(length=35), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'collected', 'returned')", name=op.f('ck_direct_debits_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_debits')),
    sa.UniqueConstraint('end_to_end_id', name=op.f('uq_direct_debits_end_to_end_id')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_direct_debits_invoice_id'))
    )
    with op.batch_alter_table('direct_debits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_debits_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_debits_mandate_id'), ['mandate_id'], unique=False)

    op.create_table('mandates',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=35), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('account_holder', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f('ck_mandates_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandates')),
    sa.UniqueConstraint('reference', name=op.f('uq_mandates_reference'))
    )
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandates_consumer_id'), ['consumer_id'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('account_holder', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
    sa.Column('file_id', sa.String(length=35), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('owed', 'submitted', 'paid')", name=op.f('ck_refunds_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('end_to_end_id', name=op.f('uq_refunds_end_to_end_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('settlements',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('invoiced_cents', sa.Integer(), nullable=False),
    sa.Column('credited_cents', sa.Integer(), nullable=False),
    sa.Column('fee_cents', sa.Integer(), nullable=False),
    sa.Column('payable_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('merchant_id', 'livemode', 'period_start', name=op.f('uq_settlements_merchant_id_livemode_period_start'))
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlements_merchant_id'), ['merchant_id'], unique=False)

    with op.batch_alter_table('consumers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_payment_method', sa.String(length=20), nullable=True))

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fee_bp', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('fee_bp')

    with op.batch_alter_table('consumers', schema=None) as batch_op:
        batch_op.drop_column('last_payment_method')

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlements_merchant_id'))

    op.drop_table('settlements')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_file_id'))

    op.drop_table('refunds')
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandates_consumer_id'))

    op.drop_table('mandates')
    with op.batch_alter_table('direct_debits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_debits_mandate_id'))
        batch_op.drop_index(batch_op.f('ix_direct_debits_file_id'))

    op.drop_table('direct_debits')
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkouts_invoice_id'))

    op.drop_table('checkouts')
