"""portal sign-in, devices, invoice extensions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:50:35.592460
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portal_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_attempts'))
    )
    with op.batch_alter_table('portal_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_portal_attempts_key_at', ['key', 'at'], unique=False)

    op.create_table('portal_devices',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_devices_token_hash'))
    )
    op.create_table('portal_sign_in_links',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sign_in_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_sign_in_links_token_hash'))
    )
    with op.batch_alter_table('portal_sign_in_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_sign_in_links_email'), ['email'], unique=False)

    op.create_table('invoice_extensions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('requested_by', sa.String(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('previous_due_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_extensions_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_extensions'))
    )
    with op.batch_alter_table('invoice_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_extensions_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('merchant_id',
               existing_type=sa.VARCHAR(length=40),
               nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('merchant_id',
               existing_type=sa.VARCHAR(length=40),
               nullable=False)

    with op.batch_alter_table('invoice_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_extensions_invoice_id'))

    op.drop_table('invoice_extensions')
    with op.batch_alter_table('portal_sign_in_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_sign_in_links_email'))

    op.drop_table('portal_sign_in_links')
    op.drop_table('portal_devices')
    with op.batch_alter_table('portal_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_attempts_key_at')

    op.drop_table('portal_attempts')
