"""documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:21:52.601014
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('requested_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_requests'))
    )
    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_requests_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_requests_subject_id'), ['subject_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('profile', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_documents_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('subject_id', 'fingerprint', name=op.f('uq_documents_subject_id_fingerprint'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_subject_created', ['subject_id', 'created_at'], unique=False)

    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seller', json_type, nullable=True))
        batch_op.add_column(sa.Column('order_reference', sa.String(length=100), nullable=True))
    # Invoices issued before this revision: their seller is the merchant as it is now.
    build = "jsonb_build_object" if op.get_bind().dialect.name == "postgresql" else "json_object"
    op.execute(f"""UPDATE invoices SET
        seller = (SELECT {build}('name', m.name, 'legal_name', m.name) FROM merchants m WHERE m.id = invoices.merchant_id),
        order_reference = (SELECT o.merchant_reference FROM orders o WHERE o.id = invoices.order_id)""")
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('seller', existing_type=json_type, nullable=False)
        batch_op.alter_column('order_reference', existing_type=sa.String(length=100), nullable=False)

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('vat_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('coc_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('brand_colour', sa.String(length=7), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('brand_colour')
        batch_op.drop_column('logo_type')
        batch_op.drop_column('logo')
        batch_op.drop_column('coc_number')
        batch_op.drop_column('vat_number')
        batch_op.drop_column('address')
        batch_op.drop_column('legal_name')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('order_reference')
        batch_op.drop_column('seller')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_subject_created')

    op.drop_table('documents')
    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_requests_subject_id'))
        batch_op.drop_index(batch_op.f('ix_document_requests_requested_at'))

    op.drop_table('document_requests')
