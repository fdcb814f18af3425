"""initial schema: items, versions, keys, sources, ledger

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicator.storage.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('items',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('first_seen', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('current_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('first_source', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_kind_updated', ['kind', 'updated_at'], unique=False)
        batch_op.create_index('ix_items_updated', ['updated_at'], unique=False)

    op.create_table('ledger_events',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('type', sa.String(length=48), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=256), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_ledger_events'))
    )
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_item', ['item_id'], unique=False)
        batch_op.create_index('ix_ledger_type_time', ['type', 'occurred_at'], unique=False)

    op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head'))
    )
    # The chain starts at the genesis hash; writers lock this row to append.
    op.execute(sa.text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, :h)").bindparams(h="0" * 64))
    op.create_table('sources',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('last_run', syndicator.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('next_run', syndicator.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('running_until', syndicator.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('running_owner', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sources'))
    )
    op.create_table('item_keys',
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_keys_item_id_items')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_item_keys'))
    )
    with op.batch_alter_table('item_keys', schema=None) as batch_op:
        batch_op.create_index('ix_item_keys_item', ['item_id'], unique=False)

    op.create_table('item_sources',
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('guid', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_sources_item_id_items')),
    sa.PrimaryKeyConstraint('item_id', 'source', name=op.f('pk_item_sources'))
    )
    with op.batch_alter_table('item_sources', schema=None) as batch_op:
        batch_op.create_index('ix_item_sources_source', ['source'], unique=False)

    op.create_table('item_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('published', syndicator.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated', syndicator.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('author', sa.Text(), nullable=True),
    sa.Column('doc_number', sa.String(length=64), nullable=True),
    sa.Column('issuer', sa.Text(), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('task', sa.JSON(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('raw_hash', sa.String(length=64), nullable=False),
    sa.Column('collected_at', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_versions_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_versions')),
    sa.UniqueConstraint('item_id', 'number', name='uq_item_versions_item_number')
    )


def downgrade() -> None:
    op.drop_table('item_versions')
    with op.batch_alter_table('item_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_item_sources_source')

    op.drop_table('item_sources')
    with op.batch_alter_table('item_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_item_keys_item')

    op.drop_table('item_keys')
    op.drop_table('sources')
    op.drop_table('ledger_head')
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_type_time')
        batch_op.drop_index('ix_ledger_item')

    op.drop_table('ledger_events')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_updated')
        batch_op.drop_index('ix_items_kind_updated')

    op.drop_table('items')
