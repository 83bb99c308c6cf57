"""support threads: consumers' questions with the moment we promised to answer by

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 16:40:00
"""
from alembic import op
import sqlalchemy as sa
import bnpl.db


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_threads',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('consumer_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=True),
    sa.Column('invoice_id', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', bnpl.db.UTCDateTime(), nullable=True),
    sa.Column('first_answer_at', bnpl.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', bnpl.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bnpl.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_threads'))
    )
    op.create_index('ix_support_threads_status_due', 'support_threads', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_support_threads_consumer_id'), 'support_threads', ['consumer_id'], unique=False)
    op.create_table('support_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('thread_id', sa.String(length=40), nullable=False),
    sa.Column('at', bnpl.db.UTCDateTime(), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=True),
    sa.Column('staff_id', sa.String(length=40), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kept', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['thread_id'], ['support_threads.id'], name=op.f('fk_support_messages_thread_id_support_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_messages'))
    )
    op.create_index(op.f('ix_support_messages_thread_id'), 'support_messages', ['thread_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_support_messages_thread_id'), table_name='support_messages')
    op.drop_table('support_messages')
    op.drop_index(op.f('ix_support_threads_consumer_id'), table_name='support_threads')
    op.drop_index('ix_support_threads_status_due', table_name='support_threads')
    op.drop_table('support_threads')
