"""staff_members.language: the back office's language a member chose (none: their browser's or the default)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 18:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('staff_members', sa.Column('language', sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_members') as batch_op:
        batch_op.drop_column('language')
