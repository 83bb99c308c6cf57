"""invoices.owed_cents: what is owed, cached for queries by amount

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 19:40:00
"""
from alembic import op
import sqlalchemy as sa

STILL_OWING = sa.text("status IN ('open', 'paused')")

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owed_cents', sa.Integer(), server_default='0', nullable=False))
    # Existing invoices: the sum of their entries, as Invoice.refresh_status writes it.
    op.execute("""
        UPDATE invoices SET owed_cents = total_cents
          - COALESCE((SELECT SUM(c.total_cents) FROM credit_notes c WHERE c.invoice_id = invoices.id), 0)
          - COALESCE((SELECT SUM(p.amount_cents) FROM invoice_payments p WHERE p.invoice_id = invoices.id), 0)
    """)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_owed_status', ['owed_cents', 'status'], unique=False,
                              postgresql_where=STILL_OWING, sqlite_where=STILL_OWING)


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_owed_status')
        batch_op.drop_column('owed_cents')
