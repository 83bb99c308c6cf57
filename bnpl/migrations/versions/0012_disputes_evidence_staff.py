"""disputes, evidence, staff

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:17:34.467967
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_members',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_members_email'))
    )
    op.create_table('disputes',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_number', sa.String(length=30), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('disputed_cents', sa.Integer(), nullable=False),
    sa.Column('contacted_merchant_on', sa.Date(), nullable=True),
    sa.Column('opened_by', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('respond_by', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('merchant_missed_deadline', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_merchant_response_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('proposal', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('credited_cents', sa.Integer(), nullable=True),
    sa.Column('credit_note_id', sa.String(length=40), nullable=True),
    sa.Column('decision_reasons', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=60), nullable=True),
    sa.Column('approved_by', sa.String(length=60), nullable=True),
    sa.Column('decided_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resume_due_date', sa.Date(), nullable=True),
    sa.Column('opened_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consumer_id'], ['consumers.id'], name=op.f('fk_disputes_consumer_id_consumers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_disputes_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_disputes_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_consumer_id'), ['consumer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_disputes_scope_created', ['merchant_id', 'livemode', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_disputes_status_respond_by', ['status', 'respond_by'], unique=False)
        batch_op.create_index('uq_disputes_running_invoice', ['invoice_id'], unique=True, postgresql_where=sa.text("status NOT IN ('decided', 'withdrawn')"), sqlite_where=sa.text("status NOT IN ('decided', 'withdrawn')"))

    op.create_table('dispute_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dispute_id', sa.String(length=40), nullable=False),
    sa.Column('at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_entries_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_entries'))
    )
    with op.batch_alter_table('dispute_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_entries_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('dispute_identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dispute_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_identities_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_identities')),
    sa.UniqueConstraint('dispute_id', 'kind', 'value', name=op.f('uq_dispute_identities_dispute_id_kind_value'))
    )
    with op.batch_alter_table('dispute_identities', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_identities_kind_value', ['kind', 'value'], unique=False)

    op.create_table('dispute_evidence',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('dispute_id', sa.String(length=40), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_evidence_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['entry_id'], ['dispute_entries.id'], name=op.f('fk_dispute_evidence_entry_id_dispute_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_evidence'))
    )
    with op.batch_alter_table('dispute_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_evidence_dispute_id'), ['dispute_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dispute_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_evidence_dispute_id'))

    op.drop_table('dispute_evidence')
    with op.batch_alter_table('dispute_identities', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_identities_kind_value')

    op.drop_table('dispute_identities')
    with op.batch_alter_table('dispute_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_entries_dispute_id'))

    op.drop_table('dispute_entries')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('uq_disputes_running_invoice', postgresql_where=sa.text("status NOT IN ('decided', 'withdrawn')"), sqlite_where=sa.text("status NOT IN ('decided', 'withdrawn')"))
        batch_op.drop_index('ix_disputes_status_respond_by')
        batch_op.drop_index('ix_disputes_scope_created')
        batch_op.drop_index(batch_op.f('ix_disputes_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_consumer_id'))

    op.drop_table('disputes')
    op.drop_table('staff_members')
