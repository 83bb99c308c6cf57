"""credit notes, pauses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:06:58.274753
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_notes',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('return_id', sa.String(length=40), nullable=True),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('issued_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_notes_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_credit_notes_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number'))
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_notes_return_id'), ['return_id'], unique=False)
        batch_op.create_index('ix_credit_notes_scope_created', ['merchant_id', 'livemode', 'created_at', 'id'], unique=False)

    op.create_table('invoice_pauses',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('reference_id', sa.String(length=40), nullable=True),
    sa.Column('started_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_pauses_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_pauses'))
    )
    with op.batch_alter_table('invoice_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_pauses_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_pauses_reference_id'), ['reference_id'], unique=False)

    op.create_table('credit_note_lines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('credit_note_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], name=op.f('fk_credit_note_lines_credit_note_id_credit_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_lines'))
    )
    with op.batch_alter_table('credit_note_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_lines_credit_note_id'), ['credit_note_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_since', bnpl.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_pause_days', sa.Integer(), server_default='28', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('return_pause_days')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('paused_since')

    with op.batch_alter_table('credit_note_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_lines_credit_note_id'))

    op.drop_table('credit_note_lines')
    with op.batch_alter_table('invoice_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_pauses_reference_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_pauses_invoice_id'))

    op.drop_table('invoice_pauses')
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_notes_scope_created')
        batch_op.drop_index(batch_op.f('ix_credit_notes_return_id'))
        batch_op.drop_index(batch_op.f('ix_credit_notes_invoice_id'))

    op.drop_table('credit_notes')
