"""payments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:26:48.318775
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=140), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('payer_name', sa.String(length=140), nullable=True),
    sa.Column('payer_iban', sa.String(length=34), nullable=True),
    sa.Column('remittance', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('matched_by', sa.String(length=20), nullable=True),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('merchant_id', sa.String(length=40), nullable=True),
    sa.Column('livemode', sa.Boolean(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('statement_id', sa.String(length=140), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'proposed', 'unmatched', 'ignored')", name=op.f('ck_payments_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('external_id', name=op.f('uq_payments_external_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_payments_status_booked_on', ['status', 'booked_on'], unique=False)

    op.create_table('invoice_payments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('booked_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_payments_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payments')),
    sa.UniqueConstraint('payment_id', 'invoice_id', name=op.f('uq_invoice_payments_payment_id_invoice_id'))
    )
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_payments_invoice_id'), ['invoice_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_payments_invoice_id'))

    op.drop_table('invoice_payments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_status_booked_on')
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))

    op.drop_table('payments')
