"""returns

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:08:04.793986
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('returns',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('carrier', sa.String(length=60), nullable=True),
    sa.Column('tracking_code', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('announced_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('receive_by', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_returns_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returns'))
    )
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_returns_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_returns_scope_created', ['merchant_id', 'livemode', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_returns_status_receive_by', ['status', 'receive_by'], unique=False)

    op.create_table('return_lines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('return_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_return_lines_return_id_returns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_lines'))
    )
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_lines_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_lines_return_id'), ['return_id'], unique=False)
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_check_constraint('returned_not_above_shipped', 'returned_quantity <= shipped_quantity')


def downgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint('ck_order_lines_returned_not_above_shipped', type_='check')
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_lines_return_id'))
        batch_op.drop_index(batch_op.f('ix_return_lines_invoice_id'))

    op.drop_table('return_lines')
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_status_receive_by')
        batch_op.drop_index('ix_returns_scope_created')
        batch_op.drop_index(batch_op.f('ix_returns_order_id'))

    op.drop_table('returns')
