"""Tables (SQLAlchemy Core). Only the storage package sees them.

Alembic migrations in ``migrations/versions`` create and change these tables;
this module is the current picture that the code reads and writes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("restricted", Boolean, nullable=False, default=False),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("current_hash", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("first_source", String(64), nullable=False),
    Column("withdrawn_at", UTCDateTime()),
    Column("withdrawn_reason", Text),
    Index("ix_items_kind_updated", "kind", "updated_at"),
    Index("ix_items_updated", "updated_at"),
)

item_versions = Table(
    "item_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("source", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("summary", Text),
    Column("content", Text),
    Column("published", UTCDateTime()),
    Column("updated", UTCDateTime()),
    Column("language", String(16)),
    Column("author", Text),
    Column("doc_number", String(64)),
    Column("issuer", Text),
    Column("attachments", JSON, nullable=False),
    Column("task", JSON),
    # Tags with provenance, [{name, tagger, rule, confidence}, …]: derived data, replaced by re-tagging.
    Column("tags", JSON, nullable=False, default=list),
    Column("content_hash", String(64), nullable=False),
    Column("raw_hash", String(64), nullable=False),
    Column("collected_at", UTCDateTime(), nullable=False),
    UniqueConstraint("item_id", "number", name="uq_item_versions_item_number"),
)

item_keys = Table(
    "item_keys",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Index("ix_item_keys_item", "item_id"),
)

item_sources = Table(
    "item_sources",
    metadata,
    Column("item_id", String(32), ForeignKey("items.id"), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("guid", Text),
    Column("url", Text),
    Column("last_hash", String(64), nullable=False),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Index("ix_item_sources_source", "source"),
)

sources = Table(
    "sources",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_run", UTCDateTime()),
    Column("last_status", String(32)),
    Column("last_error", Text),
    Column("error_count", Integer, nullable=False, default=0),
    Column("next_run", UTCDateTime()),
    Column("running_until", UTCDateTime()),
    Column("running_owner", String(64)),
)

ledger_events = Table(
    "ledger_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("type", String(48), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", String(256), nullable=False),
    Column("item_id", String(32)),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_ledger_type_time", "type", "occurred_at"),
    Index("ix_ledger_item", "item_id"),
)

# One row: the chain's head. Writers lock it, so the chain stays a chain with many writers.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Operators' manual tag changes and restrictions: kept across re-tagging.
tag_overrides = Table(
    "tag_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("name", String(96), nullable=False),
    Column("op", String(1), nullable=False),  # "+" adds, "-" removes
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_tag_overrides_item", "item_id"),
)

# Which item versions entered which feed, in order: the feed's history (RFC 5005 archives are pages of it).
feed_entries = Table(
    "feed_entries",
    metadata,
    Column("feed", String(96), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    UniqueConstraint("feed", "item_id", "version", name="uq_feed_entries_feed_item_version"),
    Index("ix_feed_entries_item", "item_id"),
)

# Rendered feed documents, stored once per change and served as bytes.
feed_documents = Table(
    "feed_documents",
    metadata,
    Column("feed", String(96), primary_key=True),
    Column("format", String(8), primary_key=True),
    Column("page", Integer, primary_key=True, autoincrement=False),  # 0 = subscription document, n = archive n
    Column("body", LargeBinary, nullable=False),
    Column("gzip", LargeBinary, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", UTCDateTime(), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("generation", Integer, nullable=False),
)

# Small pieces of engine state: the publisher's ledger cursor, the documents' generation counter.
engine_state = Table(
    "engine_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)
