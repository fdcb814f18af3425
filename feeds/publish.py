"""The publisher: puts new and changed items into feeds and renders each changed feed once.

It reads the ledger as its change log: every item event after its cursor
names an item whose feed membership may have changed. For each such item it
asks the secrecy gate, then which feeds the item belongs in, appends an entry
for each (feed, version) not there yet — recording ``feed.entry_published``
in the same transaction — and then renders the changed feeds in every format
and stores the bytes, which the server serves as they are.

History is append-only: a feed's entries are numbered, and every complete page
of ``page_size`` entries is an RFC 5005 archive document that never changes —
unless an item in it later becomes restricted or is withdrawn, when the gate
wins and the page is rendered again without it (a tombstone marks it in Atom).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection

from syndicator.clock import Clock
from syndicator.domain import Item
from syndicator.ledger import Event
from syndicator.storage.feedstore import EntryRow, FeedStore, StoredDocument
from syndicator.storage.store import Store
from syndicator.tagging.gate import may_leave
from syndicator.tagging.taxonomy import Taxonomy

from .catalog import Catalog, FeedSpec, matches
from .entries import Urls, labels, to_entry
from .render import FeedEntry, FeedMeta, Tombstone, render_atom, render_json, render_rss

log = logging.getLogger("syndicator.publish")
ITEM_EVENTS = ("item.collected", "item.versioned", "item.tagged", "item.tag_overridden", "item.withdrawn")
FORMATS = ("rss", "atom", "json")
_CHUNK = 500


@dataclass
class PublishReport:
    """What one publishing run did."""

    items: int = 0
    entries: int = 0
    feeds: list[str] = field(default_factory=list)
    documents: int = 0


class Publisher:
    """Feeds from stored items."""

    def __init__(
        self, store: Store, catalog: Catalog, taxonomy: Taxonomy, urls: Urls, clock: Clock, *,
        hubs: Sequence[str] = (), ttl_minutes: int = 15,
    ) -> None:
        self.store = store
        self.feeds = FeedStore(store)
        self.catalog = catalog
        self.urls = urls
        self.clock = clock
        self.hubs = tuple(hubs)
        self.ttl_minutes = ttl_minutes
        self.labels = labels(taxonomy)
        # Most feeds select on one tag: index them by it so an item is checked only against its candidates.
        self._by_tag: dict[str, list[FeedSpec]] = {}
        self._general: list[FeedSpec] = []
        for f in catalog.feeds:
            flt = f.filter
            simple = len(flt.tags) == 1 and not (flt.any_tags or flt.kinds or flt.language or flt.issuer
                                                  or flt.place or flt.source)
            if simple:
                self._by_tag.setdefault(flt.tags[0], []).append(f)
            elif flt.language and not (flt.tags or flt.any_tags or flt.kinds or flt.issuer or flt.place or flt.source):
                self._by_tag.setdefault(f"lang:{flt.language}", []).append(f)
            else:
                self._general.append(f)

    def _candidates(self, names: set[str]) -> Iterable[FeedSpec]:
        for n in names:
            yield from self._by_tag.get(n, ())
        yield from self._general

    def catalog_signature(self) -> int:
        """A number that changes whenever a feed is added or its filter changes."""
        text = "\n".join(f"{f.name}\t{f.filter.model_dump_json()}\t{f.access}" for f in self.catalog.feeds)
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF  # fits INTEGER

    def publish(self) -> PublishReport:
        """Bring every feed up to date with the ledger; render what changed.

        When the catalog changed since the last run (a feed added, a filter edited), every item is
        considered again — entries already published stay, new ones are added — and every feed is
        rendered, so a new feed starts with its whole history.
        """
        report = PublishReport()
        signature = self.catalog_signature()
        with self.store.write() as conn:
            catalog_changed = self.feeds.get_state(conn, "publisher.catalog") != signature
            cursor = 0 if catalog_changed else self.feeds.get_state(conn, "publisher.cursor")
            ids, last = self.feeds.changed_items_after(conn, cursor, ITEM_EVENTS)
        changed: set[str] = set()
        gone: set[str] = set()  # items that entered feeds and may no longer leave
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            items = self.store.list_items(ids=chunk, limit=len(chunk))
            report.items += len(items)
            with self.store.write() as conn:
                report.entries += self._place(conn, items, changed, gone)
        with self.store.write() as conn:
            self.feeds.set_state(conn, "publisher.cursor", last)
            self.feeds.set_state(conn, "publisher.catalog", signature)
        report.feeds = sorted(changed)
        if catalog_changed:
            report.documents = self.render_all()
        else:
            report.documents = self.render(changed, gone)
        return report

    def _place(self, conn: Connection, items: list[Item], changed: set[str], gone: set[str]) -> int:
        entered = self.feeds.entered(conn, [i.id for i in items])
        positions: dict[str, int] | None = None
        rows: list[dict[str, object]] = []
        events: list[Event] = []
        at = self.clock.now()
        for item in items:
            had = entered.get(item.id, {})
            if not may_leave(item):
                if had:
                    gone.add(item.id)
                    changed.update(had)
                continue
            names = {t.name for t in item.tags}
            version = item.current.number
            for feed in self._candidates(names):
                if had.get(feed.name, 0) >= version or not matches(feed.filter, item, names):
                    continue
                if positions is None:
                    positions = self.feeds.next_positions(conn, [f.name for f in self.catalog.feeds])
                pos = positions[feed.name]
                positions[feed.name] = pos + 1
                rows.append({"feed": feed.name, "position": pos, "item_id": item.id, "version": version,
                             "published_at": at})
                events.append(Event("feed.entry_published", feed.name,
                                    {"feed": feed.name, "position": pos, "version": version}, item_id=item.id))
                had = {**had, feed.name: version}
                changed.add(feed.name)
        self.feeds.append(conn, rows)
        self.store.append_events(conn, events, at=at)
        return len(rows)

    # ------------------------------------------------------------- rendering

    def render(self, feeds: Iterable[str], gone: Iterable[str] = (), *, all_archives: bool = False) -> int:
        """Render the subscription document (and archives that are new or hold gone items) of each feed."""
        count = 0
        for name in sorted(feeds):
            spec = self.catalog.get(name)
            if spec is not None:
                count += self._render_feed(spec, set(gone), all_archives)
        return count

    def render_all(self) -> int:
        """Render every feed of the catalog (first start, or after a catalog change)."""
        return self.render([f.name for f in self.catalog.feeds], all_archives=True)

    def _render_feed(self, spec: FeedSpec, gone: set[str], all_archives: bool) -> int:
        n = spec.page_size
        with self.store.read() as conn:
            size = self.feeds.size(conn, spec.name)
            full = size // n
            pages = [0]
            rendered = self.feeds.stored_pages(conn, spec.name, "atom")
            stored_full = {p for p in range(1, full + 1) if p not in rendered}
            pages += sorted(stored_full if not all_archives else range(1, full + 1))
            if gone:
                held = self.feeds.pages_holding(conn, sorted(gone)).get(spec.name, set())
                pages += sorted({(p - 1) // n + 1 for p in held if (p - 1) // n + 1 <= full} - set(pages))
            docs: list[StoredDocument] = []
            at = self.clock.now()
            for page in pages:
                rows = self.feeds.latest(conn, spec.name, 3 * n) if page == 0 else \
                    self.feeds.page(conn, spec.name, (page - 1) * n + 1, page * n)
                docs.extend(self._documents(conn, spec, page, full, rows, at))
        if not docs:
            return 0
        with self.store.write() as conn:
            generation = self.feeds.get_state(conn, "documents.generation") + 1
            docs = [replace(d, generation=generation) for d in docs]
            self.feeds.save_documents(conn, docs)
            self.feeds.set_state(conn, "documents.generation", generation)
        return len(docs)

    def _render_format(self, fmt: str, meta: FeedMeta, entries: list[FeedEntry], tombstones: list[Tombstone]) -> bytes:
        """Render one document; an entry the renderer refuses is left out (and logged), never the feed."""
        try:
            return _render(fmt, meta, entries, tombstones)
        except ValueError:
            good = []
            for entry in entries:
                try:
                    _render(fmt, meta, [entry], ())
                    good.append(entry)
                except ValueError as e:
                    log.error("feed %s: entry %s left out: %s", meta.id, entry.id, e)
            return _render(fmt, meta, good, tombstones)

    def _documents(self, conn: Connection, spec: FeedSpec, page: int, full: int, rows: list[EntryRow],
                   at: datetime) -> list[StoredDocument]:
        if page == 0:  # newest first, one entry per item (its newest version)
            seen: set[str] = set()
            unique = []
            for r in rows:
                if r.item_id not in seen:
                    seen.add(r.item_id)
                    unique.append(r)
            rows = unique[: spec.page_size]
        ids = sorted({r.item_id for r in rows})
        items = {i.id: i for i in self.store.list_items(ids=ids, limit=len(ids))} if ids else {}
        versions = self.feeds.versions(conn, [(r.item_id, r.version) for r in rows])
        entries, tombstones = [], []
        for r in rows:
            item = items.get(r.item_id)
            if item is None:
                continue
            if not may_leave(item):
                tombstones.append(Tombstone(self.urls.item_id(item.id), item.withdrawn_at or item.updated_at))
                continue
            v = versions[(r.item_id, r.version)]
            tags = item.tags if r.version == item.current.number else v.tags
            entries.append(to_entry(v, tags=tags, urls=self.urls, tag_labels=self.labels, first_seen=item.first_seen))
        updated = max([e.updated for e in entries] + [t.when for t in tombstones], default=at)
        stored = self.feeds.stored_etags(conn, spec.name, page)  # one query, on the open connection
        out = []
        for fmt in FORMATS:
            meta = FeedMeta(
                id=self.urls.feed_id(spec.name), title=spec.title, description=spec.description or spec.title_en,
                language=spec.filter.language, site_url=self.urls.catalog(), self_url=self.urls.feed(spec.name, fmt, page),
                updated=updated, hubs=self.hubs if page == 0 else (), ttl_minutes=self.ttl_minutes,
                archive=page > 0, current_url=self.urls.feed(spec.name, fmt) if page > 0 else None,
                prev_archive_url=(self.urls.feed(spec.name, fmt, page - 1 if page > 0 else full)
                                  if (page > 1 or (page == 0 and full >= 1)) else None),
                alternates=tuple((_TYPES[o], self.urls.feed(spec.name, o, page)) for o in FORMATS if o != fmt),
            )
            body = self._render_format(fmt, meta, entries, tombstones)
            etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
            if stored.get(fmt) == etag:
                continue
            out.append(StoredDocument(spec.name, fmt, page, body, gzip.compress(body, 6, mtime=0), etag, at,
                                      len(entries), 0))
        return out


_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}


def _render(fmt: str, meta: FeedMeta, entries: Sequence[FeedEntry], tombstones: Sequence[Tombstone]) -> bytes:
    if fmt == "rss":
        return render_rss(meta, entries)
    if fmt == "atom":
        return render_atom(meta, entries, tombstones)
    return render_json(meta, entries)
