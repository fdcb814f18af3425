"""Storage for feeds: the history of entries per feed, rendered documents, and small engine state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, select, update

from ..domain import Version
from . import schema as t
from .store import Store, _version

_CHUNK = 400


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One entry of a feed's history."""

    position: int
    item_id: str
    version: int
    published_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A rendered document as stored."""

    feed: str
    format: str
    page: int
    body: bytes
    gzip: bytes
    etag: str
    last_modified: datetime
    entries: int
    generation: int


class FeedStore:
    """Feed tables, over the engine's store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------- engine state

    def get_state(self, conn: Connection, key: str) -> int:
        value = conn.execute(select(t.engine_state.c.value).where(t.engine_state.c.key == key)).scalar()
        return int(value or 0)

    def set_state(self, conn: Connection, key: str, value: int) -> None:
        updated = conn.execute(update(t.engine_state).where(t.engine_state.c.key == key).values(value=value))
        if updated.rowcount == 0:
            conn.execute(insert(t.engine_state).values(key=key, value=value))

    def generation(self) -> int:
        """A counter that moves whenever any document is re-rendered (cheap to poll)."""
        with self.store.read() as conn:
            return self.get_state(conn, "documents.generation")

    # ------------------------------------------------------------ feed history

    def changed_items_after(self, conn: Connection, seq: int, types: Sequence[str]) -> tuple[list[str], int]:
        """Items named by ledger events after ``seq`` (in order, once each), and the last seq seen."""
        rows = conn.execute(
            select(t.ledger_events.c.seq, t.ledger_events.c.item_id)
            .where(and_(t.ledger_events.c.seq > seq, t.ledger_events.c.type.in_(types)))
            .order_by(t.ledger_events.c.seq)
        ).all()
        last = conn.execute(select(func.max(t.ledger_events.c.seq))).scalar() or seq
        seen: dict[str, None] = {}
        for _, item_id in rows:
            if item_id:
                seen.setdefault(item_id, None)
        return list(seen), int(last)

    def next_positions(self, conn: Connection, feeds: Iterable[str]) -> dict[str, int]:
        """The next free position of each feed."""
        names = sorted(set(feeds))
        out = dict.fromkeys(names, 1)
        for i in range(0, len(names), _CHUNK):
            q = (select(t.feed_entries.c.feed, func.max(t.feed_entries.c.position))
                 .where(t.feed_entries.c.feed.in_(names[i : i + _CHUNK])).group_by(t.feed_entries.c.feed))
            for feed, pos in conn.execute(q):
                out[feed] = int(pos) + 1
        return out

    def entered(self, conn: Connection, item_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each item, the feeds it entered and the latest version each carries."""
        out: dict[str, dict[str, int]] = {}
        for i in range(0, len(item_ids), _CHUNK):
            q = (select(t.feed_entries.c.item_id, t.feed_entries.c.feed, func.max(t.feed_entries.c.version))
                 .where(t.feed_entries.c.item_id.in_(item_ids[i : i + _CHUNK]))
                 .group_by(t.feed_entries.c.item_id, t.feed_entries.c.feed))
            for item_id, feed, version in conn.execute(q):
                out.setdefault(item_id, {})[feed] = int(version)
        return out

    def append(self, conn: Connection, rows: Sequence[dict[str, object]]) -> None:
        if rows:
            conn.execute(insert(t.feed_entries), list(rows))

    def latest(self, conn: Connection, feed: str, limit: int) -> list[EntryRow]:
        """The newest ``limit`` entries of a feed, newest first."""
        q = (select(t.feed_entries).where(t.feed_entries.c.feed == feed)
             .order_by(t.feed_entries.c.position.desc()).limit(limit))
        return [EntryRow(r.position, r.item_id, r.version, r.published_at) for r in conn.execute(q)]

    def page(self, conn: Connection, feed: str, first: int, last: int) -> list[EntryRow]:
        """Entries at positions first..last, newest first."""
        q = (select(t.feed_entries)
             .where(and_(t.feed_entries.c.feed == feed, t.feed_entries.c.position >= first,
                         t.feed_entries.c.position <= last))
             .order_by(t.feed_entries.c.position.desc()))
        return [EntryRow(r.position, r.item_id, r.version, r.published_at) for r in conn.execute(q)]

    def size(self, conn: Connection, feed: str) -> int:
        """How many entries a feed's history holds."""
        value = conn.execute(select(func.max(t.feed_entries.c.position)).where(t.feed_entries.c.feed == feed)).scalar()
        return int(value or 0)

    def pages_holding(self, conn: Connection, item_ids: Sequence[str]) -> dict[str, set[int]]:
        """Positions at which items appear, per feed (to re-render archives that hold them)."""
        out: dict[str, set[int]] = {}
        for i in range(0, len(item_ids), _CHUNK):
            q = select(t.feed_entries.c.feed, t.feed_entries.c.position).where(
                t.feed_entries.c.item_id.in_(item_ids[i : i + _CHUNK]))
            for feed, pos in conn.execute(q):
                out.setdefault(feed, set()).add(int(pos))
        return out

    def versions(self, conn: Connection, pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Version]:
        """Stored versions (with their tags) by (item, number)."""
        wanted = set(pairs)
        ids = sorted({item_id for item_id, _ in wanted})
        out: dict[tuple[str, int], Version] = {}
        for i in range(0, len(ids), _CHUNK):
            # by item id (indexed) and filtered here: SQLite plans a tuple IN as a full scan
            q = select(t.item_versions).where(t.item_versions.c.item_id.in_(ids[i : i + _CHUNK]))
            for r in conn.execute(q):
                if (r.item_id, r.number) in wanted:
                    out[(r.item_id, r.number)] = _version(r)
        return out

    # ------------------------------------------------------------- documents

    def save_documents(self, conn: Connection, docs: Sequence[StoredDocument]) -> None:
        """Store rendered documents (replacing earlier renders of the same page)."""
        for d in docs:
            values = {"body": d.body, "gzip": d.gzip, "etag": d.etag, "last_modified": d.last_modified,
                      "entries": d.entries, "generation": d.generation}
            key = and_(t.feed_documents.c.feed == d.feed, t.feed_documents.c.format == d.format,
                       t.feed_documents.c.page == d.page)
            if conn.execute(update(t.feed_documents).where(key).values(**values)).rowcount == 0:
                conn.execute(insert(t.feed_documents).values(feed=d.feed, format=d.format, page=d.page, **values))

    def stored_pages(self, conn: Connection, feed: str, fmt: str) -> set[int]:
        """The pages of a feed already rendered in a format."""
        q = select(t.feed_documents.c.page).where(and_(t.feed_documents.c.feed == feed,
                                                       t.feed_documents.c.format == fmt))
        return {int(p) for p in conn.execute(q).scalars()}

    def stored_etags(self, conn: Connection, feed: str, page: int) -> dict[str, str]:
        """The ETag of each format of a stored page (to skip storing a render that changed nothing)."""
        q = select(t.feed_documents.c.format, t.feed_documents.c.etag).where(
            and_(t.feed_documents.c.feed == feed, t.feed_documents.c.page == page))
        return {fmt: etag for fmt, etag in conn.execute(q)}

    def document(self, feed: str, fmt: str, page: int) -> StoredDocument | None:
        """A stored document, or None."""
        with self.store.read() as conn:
            r = conn.execute(select(t.feed_documents).where(and_(
                t.feed_documents.c.feed == feed, t.feed_documents.c.format == fmt, t.feed_documents.c.page == page
            ))).first()
        if r is None:
            return None
        return StoredDocument(r.feed, r.format, r.page, bytes(r.body), bytes(r.gzip), r.etag, r.last_modified,
                              r.entries, r.generation)

    def last_updates(self) -> dict[str, datetime]:
        """When each feed's subscription document last changed."""
        with self.store.read() as conn:
            q = select(t.feed_documents.c.feed, func.max(t.feed_documents.c.last_modified)).where(
                t.feed_documents.c.page == 0).group_by(t.feed_documents.c.feed)
            return {feed: when for feed, when in conn.execute(q)}
