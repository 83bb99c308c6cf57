"""outbox claims

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:33:42.839242
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')

