"""support_inbound_mails: each e-mail reply read once, by its Message-ID

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_inbound_mails',
                    sa.Column('key', sa.String(length=300), nullable=False),
                    sa.Column('received_at', bnpl.db.UTCDateTime(), nullable=False),
                    sa.Column('thread_id', sa.String(length=40), nullable=True),
                    sa.Column('outcome', sa.String(length=40), nullable=False),
                    sa.PrimaryKeyConstraint('key'))
    op.create_index('ix_support_inbound_mails_received_at', 'support_inbound_mails', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_support_inbound_mails_received_at', table_name='support_inbound_mails')
    op.drop_table('support_inbound_mails')
