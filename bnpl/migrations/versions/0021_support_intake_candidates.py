"""support intake candidates: a caller found by e-mail or phone chooses among their invoices

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('support_intakes') as batch_op:
        batch_op.add_column(sa.Column('candidates', sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('support_intakes') as batch_op:
        batch_op.drop_column('candidates')
