"""dunning: steps, fees, policies, payment plans, statement imports

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 19:36:13.344159
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db
from sqlalchemy.dialects import postgresql
STILL_OWING = sa.text("status IN ('open', 'paused')")

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('statement_imports',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('statement_id', sa.String(length=140), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('latest_booking_on', sa.Date(), nullable=True),
    sa.Column('imported_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_imports'))
    )
    with op.batch_alter_table('statement_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_imports_imported_at'), ['imported_at'], unique=False)

    op.create_table('dunning_policies',
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('customer_type', sa.String(length=10), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_dunning_policies_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('merchant_id', 'customer_type', name=op.f('pk_dunning_policies'))
    )
    op.create_table('dunning_steps',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('template', sa.String(length=60), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('balance_cents', sa.Integer(), nullable=False),
    sa.Column('costs_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('interest_cents', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exported_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_dunning_steps_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_steps')),
    sa.UniqueConstraint('invoice_id', 'level', name=op.f('uq_dunning_steps_invoice_id_level'))
    )
    with op.batch_alter_table('dunning_steps', schema=None) as batch_op:
        batch_op.create_index('ix_dunning_steps_name_exported', ['name', 'exported_at'], unique=False)

    op.create_table('invoice_fees',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('dunning_level', sa.Integer(), nullable=True),
    sa.Column('charged_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waived_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('waiver_reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_fees_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_fees'))
    )
    with op.batch_alter_table('invoice_fees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_fees_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('payment_plans',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('instalments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payment_plans_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_plans'))
    )
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_plans_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:  # did a letter's e-mail arrive?
        batch_op.create_index(batch_op.f('ix_outbox_messages_subject_id'), ['subject_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dunning_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_invoices_status_due', ['status', 'due_date', 'id'], unique=False,
                              postgresql_where=STILL_OWING, sqlite_where=STILL_OWING)



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_subject_id'))

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_status_due')
        batch_op.drop_column('dunning_level')

    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.drop_column('payload')

    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_plans_invoice_id'))

    op.drop_table('payment_plans')
    with op.batch_alter_table('invoice_fees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_fees_invoice_id'))

    op.drop_table('invoice_fees')
    with op.batch_alter_table('dunning_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_dunning_steps_name_exported')

    op.drop_table('dunning_steps')
    op.drop_table('dunning_policies')
    with op.batch_alter_table('statement_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_imports_imported_at'))

    op.drop_table('statement_imports')
