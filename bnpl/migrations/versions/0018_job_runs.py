"""job runs: each scheduler job's last pass, and the scheduler's heartbeat

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import bnpl.db


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('started_at', bnpl.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', bnpl.db.UTCDateTime(), nullable=False),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_runs'))
    )


def downgrade() -> None:
    op.drop_table('job_runs')
