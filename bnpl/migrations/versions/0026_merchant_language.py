"""merchants.language: the language the webshop's mails are written in (nl unless it chose)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('merchants', sa.Column('language', sa.String(length=2), server_default='nl', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('merchants') as batch_op:
        batch_op.drop_column('language')
