"""due notices: the notice before an invoice's due date (or its collection), and the consumer's choice

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 16:00:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('due_notices',
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_due_notices_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_due_notices'))
    )
    # A plain ADD COLUMN (SQLite has it): a batch copy of consumers would trip the foreign keys to it.
    op.add_column('consumers', sa.Column('due_notices', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    op.drop_column('consumers', 'due_notices')
    op.drop_table('due_notices')
