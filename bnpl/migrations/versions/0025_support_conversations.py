"""support conversations: a question's mode and when staff passed it to the webshop

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 17:10:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('support_threads') as batch_op:
        batch_op.add_column(sa.Column('livemode', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('passed_to_merchant_at', bnpl.db.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_support_threads_scope_created', ['merchant_id', 'livemode', 'created_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_threads') as batch_op:
        batch_op.drop_index('ix_support_threads_scope_created')
        batch_op.drop_column('passed_to_merchant_at')
        batch_op.drop_column('livemode')
