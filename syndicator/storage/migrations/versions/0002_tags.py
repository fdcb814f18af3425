"""tags (a JSON column of item versions) and manual overrides

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicator.storage.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))

    op.create_table('tag_overrides',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=96), nullable=False),
    sa.Column('op', sa.String(length=1), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', syndicator.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_tag_overrides_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_overrides'))
    )
    with op.batch_alter_table('tag_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_tag_overrides_item', ['item_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('tag_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_tag_overrides_item')

    op.drop_table('tag_overrides')
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.drop_column('tags')


