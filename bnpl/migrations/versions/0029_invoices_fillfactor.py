"""invoices: fillfactor 80, room on each page for the new version of a row changed in place

An invoice row is changed several times in its life (paid, a dunning level, paused, credited):
PostgreSQL writes a new version of the row, on the same page when there is room. With full
pages each new version lands on another page, which costs a page more to read, write and log
per change (a bank statement's thousand payments: 0.19 s against 0.12 s at 1,000,000
invoices). Pages written from now on keep the room; an existing database gets it for its old
pages only when the table is rewritten (VACUUM FULL invoices, in a quiet hour).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 00:10:00
"""
from alembic import op


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE invoices SET (fillfactor = 80)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE invoices RESET (fillfactor)')
