"""webhook endpoints: a circuit breaker (failures in a row, parked until)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures_in_row', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('parked_until', bnpl.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('parked_until')
        batch_op.drop_column('failures_in_row')
