"""risk: persons, links, sightings, decisions, policies, verifications

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:47:04.944468
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:  # "verification_required"
        batch_op.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=30))

    op.create_table('risk_decisions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=25), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('inputs', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('policy', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('supersedes', sa.String(length=40), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_decisions'))
    )
    with op.batch_alter_table('risk_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_decisions_consumer_id'), ['consumer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_decisions_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_risk_decisions_person_created', ['person_id', 'created_at'], unique=False)
        batch_op.create_index('ix_risk_decisions_scope_created', ['merchant_id', 'livemode', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_decisions_supersedes'), ['supersedes'], unique=False)

    op.create_table('risk_reviews',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('decision_id', sa.String(length=40), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=40), nullable=True),
    sa.Column('decided_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reasons', sa.String(length=4000), nullable=True),
    sa.Column('limit_cents', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['risk_decisions.id'], name=op.f('fk_risk_reviews_decision_id_risk_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_reviews')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_risk_reviews_decision_id'))
    )
    with op.batch_alter_table('risk_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_reviews_consumer_id'), ['consumer_id'], unique=False)
        batch_op.create_index('ix_risk_reviews_status_requested', ['status', 'requested_at'], unique=False)

    op.create_table('risk_persons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.Integer(), nullable=True),
    sa.Column('limit_cents', sa.Integer(), nullable=False),
    sa.Column('limit_status', sa.String(length=10), nullable=False),
    sa.Column('held_until', sa.Date(), nullable=True),
    sa.Column('paid_on_time', sa.Integer(), nullable=False),
    sa.Column('paid_late', sa.Integer(), nullable=False),
    sa.Column('handovers', sa.Integer(), nullable=False),
    sa.Column('frauds', sa.Integer(), nullable=False),
    sa.Column('verified_until', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_persons'))
    )
    with op.batch_alter_table('risk_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_persons_merged_into'), ['merged_into'], unique=False)

    op.create_table('risk_sightings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=True),
    sa.Column('decision_id', sa.String(length=40), nullable=True),
    sa.Column('seen_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_sightings'))
    )
    with op.batch_alter_table('risk_sightings', schema=None) as batch_op:
        batch_op.create_index('ix_risk_sightings_consumer', ['consumer_id', 'kind'], unique=False)
        batch_op.create_index('ix_risk_sightings_identifier', ['livemode', 'kind', 'value', 'seen_at'], unique=False)

    op.create_table('risk_verifications',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('decision_id', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', bnpl.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_verifications')),
    sa.UniqueConstraint('reference', name=op.f('uq_risk_verifications_reference'))
    )
    with op.batch_alter_table('risk_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_verifications_order_id'), ['order_id'], unique=False)

    op.create_table('risk_links',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('strength', sa.String(length=10), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['risk_persons.id'], name=op.f('fk_risk_links_person_id_risk_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_links')),
    sa.UniqueConstraint('livemode', 'kind', 'value', 'person_id', name=op.f('uq_risk_links_livemode_kind_value_person_id'))
    )
    with op.batch_alter_table('risk_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_links_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_risk_links_strong', ['livemode', 'kind', 'value'], unique=True, postgresql_where=sa.text("strength = 'strong'"), sqlite_where=sa.text("strength = 'strong'"))

    op.create_table('risk_policies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', bnpl.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_risk_policies_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_policies')),
    sa.UniqueConstraint('merchant_id', 'version', name=op.f('uq_risk_policies_merchant_id_version'))
    )
    with op.batch_alter_table('dispute_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_identities_kind_value'))

    op.drop_table('dispute_identities')



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=30), type_=sa.String(length=20))

    op.create_table('dispute_identities',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('dispute_id', sa.VARCHAR(length=40), nullable=False),
    sa.Column('kind', sa.VARCHAR(length=10), nullable=False),
    sa.Column('value', sa.VARCHAR(length=300), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_identities_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_identities')),
    sa.UniqueConstraint('dispute_id', 'kind', 'value', name=op.f('uq_dispute_identities_dispute_id_kind_value'))
    )
    with op.batch_alter_table('dispute_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_identities_kind_value'), ['kind', 'value'], unique=False)

    op.drop_table('risk_policies')
    op.drop_table('risk_reviews')
    with op.batch_alter_table('risk_links', schema=None) as batch_op:
        batch_op.drop_index('uq_risk_links_strong', postgresql_where=sa.text("strength = 'strong'"), sqlite_where=sa.text("strength = 'strong'"))
        batch_op.drop_index(batch_op.f('ix_risk_links_person_id'))

    op.drop_table('risk_links')
    with op.batch_alter_table('risk_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_verifications_order_id'))

    op.drop_table('risk_verifications')
    with op.batch_alter_table('risk_sightings', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_sightings_identifier')
        batch_op.drop_index('ix_risk_sightings_consumer')

    op.drop_table('risk_sightings')
    with op.batch_alter_table('risk_persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_persons_merged_into'))

    op.drop_table('risk_persons')
    with op.batch_alter_table('risk_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_decisions_scope_created')
        batch_op.drop_index('ix_risk_decisions_person_created')
        batch_op.drop_index(batch_op.f('ix_risk_decisions_order_id'))
        batch_op.drop_index(batch_op.f('ix_risk_decisions_consumer_id'))

    op.drop_table('risk_decisions')

