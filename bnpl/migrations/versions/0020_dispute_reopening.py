"""dispute reopening: a refused request to reopen is closed, so the one-running-case index skips it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 16:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def _index(running: str) -> None:
    where = sa.text(running)
    op.create_index('uq_disputes_running_invoice', 'disputes', ['invoice_id'], unique=True,
                    postgresql_where=where, sqlite_where=where)


def upgrade() -> None:
    op.drop_index('uq_disputes_running_invoice', table_name='disputes')
    _index("status NOT IN ('decided', 'withdrawn', 'refused')")


def downgrade() -> None:
    op.drop_index('uq_disputes_running_invoice', table_name='disputes')
    _index("status NOT IN ('decided', 'withdrawn')")
