"""feed entries, rendered documents, engine state, withdrawals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicator.storage.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('engine_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_engine_state'))
    )
    op.create_table('feed_documents',
    sa.Column('feed', sa.String(length=96), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('page', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('gzip', sa.LargeBinary(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('last_modified', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('feed', 'format', 'page', name=op.f('pk_feed_documents'))
    )
    op.create_table('feed_entries',
    sa.Column('feed', sa.String(length=96), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_feed_entries_item_id_items')),
    sa.PrimaryKeyConstraint('feed', 'position', name=op.f('pk_feed_entries')),
    sa.UniqueConstraint('feed', 'item_id', 'version', name='uq_feed_entries_feed_item_version')
    )
    with op.batch_alter_table('feed_entries', schema=None) as batch_op:
        batch_op.create_index('ix_feed_entries_item', ['item_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', syndicator.storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')

    with op.batch_alter_table('feed_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_entries_item')

    op.drop_table('feed_entries')
    op.drop_table('feed_documents')
    op.drop_table('engine_state')

