"""support intakes: every phone lookup by a staff member, confirmed or not

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:00:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_intakes',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('staff_id', sa.String(length=40), nullable=False),
    sa.Column('found_by', sa.String(length=20), nullable=False),
    sa.Column('fact', sa.String(length=20), nullable=True),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('merchant_id', sa.String(length=40), nullable=True),
    sa.Column('livemode', sa.Boolean(), nullable=True),
    sa.Column('consumer_id', sa.String(length=40), nullable=True),
    sa.Column('looked_up_at', bnpl.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bnpl.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_intakes'))
    )
    op.create_index('ix_support_intakes_staff_at', 'support_intakes', ['staff_id', 'looked_up_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_support_intakes_staff_at', table_name='support_intakes')
    op.drop_table('support_intakes')
