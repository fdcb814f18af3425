"""The store: every read and write the engine makes, behind one class.

Writes that change state also append their ledger events in the same
transaction (:meth:`Store.append_events`), so a change and its record are
never apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, func, insert, select, update

from ..clock import Clock
from ..decide import AddKeys, AttachSource, Decision, ItemState, NewItem, NewVersion, SourceCaughtUp
from ..domain import Attachment, Entry, Item, ItemKind, ItemSource, Secrecy, SourceStatus, Tag, TaskFields, Version
from ..errors import ConflictError, NotFoundError
from ..ledger import Event, RecordedEvent, VerifyReport, chain, verify_chain
from ..tagging.gate import is_secret
from ..tagging.service import apply_overrides
from . import schema as t
from .db import make_engine, migrate

_CHUNK = 500  # keys per IN (...) query: well under every database's parameter limit


class Store:
    """Storage over one SQLAlchemy engine."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    @classmethod
    def open(cls, url: str, clock: Clock, *, run_migrations: bool = True) -> Store:
        """Connect and bring the schema up to date."""
        engine = make_engine(url)
        if run_migrations:
            migrate(engine)
        return cls(engine, clock)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (on SQLite it takes the write lock at once)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # ------------------------------------------------------------------ ledger

    def append_events(self, conn: Connection, events: Sequence[Event], *, at: datetime) -> list[RecordedEvent]:
        """Append events to the chain inside the caller's transaction."""
        if not events:
            return []
        head_q = select(t.ledger_head.c.seq, t.ledger_head.c.hash).where(t.ledger_head.c.id == 1)
        if conn.dialect.name != "sqlite":
            head_q = head_q.with_for_update()
        head = conn.execute(head_q).one()
        recorded = chain(events, head_seq=head.seq, head_hash=head.hash, at=at)
        from ..ledger import payload_text

        bulk_insert(
            conn, t.ledger_events,
            [
                {
                    "seq": r.seq, "occurred_at": r.occurred_at, "type": r.type, "actor": r.actor,
                    "subject_type": r.subject_type, "subject_id": r.subject_id, "item_id": r.item_id,
                    "payload": r.payload_json or payload_text(r.payload), "prev_hash": r.prev_hash, "hash": r.hash,
                }
                for r in recorded
            ],
        )
        last = recorded[-1]
        conn.execute(update(t.ledger_head).where(t.ledger_head.c.id == 1).values(seq=last.seq, hash=last.hash))
        return recorded

    def record(self, events: Sequence[Event]) -> list[RecordedEvent]:
        """Append events in a transaction of their own (for acts that change nothing else)."""
        with self.write() as conn:
            return self.append_events(conn, events, at=self.clock.now())

    def iter_events(self, *, type_prefix: str | None = None, item_id: str | None = None) -> Iterator[RecordedEvent]:
        """Every event in chain order (optionally filtered)."""
        import json

        q = select(t.ledger_events).order_by(t.ledger_events.c.seq)
        if type_prefix:
            q = q.where(t.ledger_events.c.type.startswith(type_prefix))
        if item_id:
            q = q.where(t.ledger_events.c.item_id == item_id)
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=2000).execute(q):
                yield RecordedEvent(
                    r.seq, r.occurred_at, r.type, r.actor, r.subject_type, r.subject_id, r.item_id,
                    json.loads(r.payload), r.prev_hash, r.hash,
                )

    def verify_ledger(self) -> VerifyReport:
        """Recompute the whole chain."""
        with self.read() as conn:
            head = conn.execute(select(t.ledger_head.c.seq, t.ledger_head.c.hash)).one()
        return verify_chain(self.iter_events(), head=(head.seq, head.hash))

    # -------------------------------------------------------------- collection

    def lookup(self, conn: Connection, keys: Iterable[str]) -> tuple[dict[str, str], dict[str, ItemState]]:
        """Stored owners of ``keys`` and the state of every item they name."""
        known: dict[str, str] = {}
        key_list = list(keys)
        for i in range(0, len(key_list), _CHUNK):
            chunk = key_list[i : i + _CHUNK]
            for k, item_id in conn.execute(select(t.item_keys.c.key, t.item_keys.c.item_id).where(t.item_keys.c.key.in_(chunk))):
                known[k] = item_id
        ids = sorted(set(known.values()))
        states: dict[str, ItemState] = {}
        hashes: dict[str, dict[str, str]] = {i: {} for i in ids}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            for item_id, source, last_hash in conn.execute(
                select(t.item_sources.c.item_id, t.item_sources.c.source, t.item_sources.c.last_hash).where(
                    t.item_sources.c.item_id.in_(chunk)
                )
            ):
                hashes[item_id][source] = last_hash
            for item_id, number, current_hash in conn.execute(
                select(t.items.c.id, t.items.c.current_version, t.items.c.current_hash).where(t.items.c.id.in_(chunk))
            ):
                states[item_id] = ItemState(item_id, number, current_hash, hashes[item_id])
        return known, states

    def apply(self, conn: Connection, decision: Decision, *, at: datetime) -> list[RecordedEvent]:
        """Write a decision's intents and their ledger events (caller holds the transaction)."""
        items_rows: list[dict[str, Any]] = []
        version_rows: list[dict[str, Any]] = []
        key_rows: list[dict[str, Any]] = []
        new_source_rows: list[dict[str, Any]] = []
        events: list[Event] = []
        for intent in decision.intents:
            e = intent.entry
            key_rows.extend({"key": k, "item_id": intent.item_id} for k in getattr(intent, "keys", ()))
            if isinstance(intent, NewItem):
                items_rows.append({
                    "id": intent.item_id, "kind": e.kind.value,
                    "restricted": _restricts(e), "first_seen": at,
                    "updated_at": at, "current_version": 1, "current_hash": e.content_hash, "title": e.title,
                    "first_source": e.source,
                })
                version_rows.append(_version_row(intent.item_id, 1, e, at))
                new_source_rows.append(_source_row(intent.item_id, e, at))
                events.append(Event("item.collected", intent.item_id, _event_payload(e, 1), item_id=intent.item_id))
            elif isinstance(intent, NewVersion):
                version_rows.append(_version_row(intent.item_id, intent.number, e, at))
                values: dict[str, Any] = {
                    "current_version": intent.number, "current_hash": e.content_hash, "title": e.title,
                    "updated_at": at,
                }
                if _restricts(e):
                    # restriction is sticky: a later public version never lifts it
                    values["restricted"] = True
                conn.execute(update(t.items).where(t.items.c.id == intent.item_id).values(**values))
                if intent.source_is_new:
                    new_source_rows.append(_source_row(intent.item_id, e, at))
                else:
                    self._touch_source(conn, intent.item_id, e, at)
                payload = _event_payload(e, intent.number) | {"source_added": intent.source_is_new}
                events.append(Event("item.versioned", intent.item_id, payload, item_id=intent.item_id))
            elif isinstance(intent, AttachSource):
                new_source_rows.append(_source_row(intent.item_id, e, at))
                conn.execute(update(t.items).where(t.items.c.id == intent.item_id).values(updated_at=at))
                events.append(Event("item.source_added", intent.item_id,
                                    {"source": e.source, "content_hash": e.content_hash}, item_id=intent.item_id))
            elif isinstance(intent, SourceCaughtUp):
                self._touch_source(conn, intent.item_id, e, at)
            elif isinstance(intent, AddKeys):
                pass  # only the keys, gathered above
        bulk_insert(conn, t.items, items_rows)
        bulk_insert(conn, t.item_versions, version_rows)
        bulk_insert(conn, t.item_sources, new_source_rows)
        bulk_insert(conn, t.item_keys, key_rows)
        return self.append_events(conn, events, at=at)

    def _touch_source(self, conn: Connection, item_id: str, e: Entry, at: datetime) -> None:
        conn.execute(
            update(t.item_sources)
            .where(and_(t.item_sources.c.item_id == item_id, t.item_sources.c.source == e.source))
            .values(last_hash=e.content_hash, last_seen=at, guid=e.guid, url=e.url)
        )

    # ----------------------------------------------------------------- sources

    def source_row(self, conn: Connection, name: str) -> Mapping[str, Any] | None:
        """The stored state of a source, or None before its first run."""
        row = conn.execute(select(t.sources).where(t.sources.c.name == name)).mappings().first()
        return dict(row) if row else None

    def claim_sources(
        self, sources: list[tuple[str, str]], *, owner: str, until: datetime
    ) -> tuple[set[str], dict[str, dict[str, Any]]]:
        """Take the run locks of many sources at once; returns the names claimed and every source's state."""
        now = self.clock.now()
        names = [n for n, _ in sources]
        with self.write() as conn:
            rows = {r["name"]: dict(r) for r in conn.execute(
                select(t.sources).where(t.sources.c.name.in_(names))).mappings()}
            new = [{"name": n, "kind": k, "error_count": 0} for n, k in sources if n not in rows]
            if new:
                conn.execute(insert(t.sources), new)
                for row in new:
                    rows[row["name"]] = {**row, "etag": None, "last_modified": None, "running_until": None,
                                         "running_owner": None, "next_run": None, "last_run": None}
            claimed = {
                n for n in names
                if not (rows[n]["running_until"] is not None and rows[n]["running_until"] > now
                        and rows[n]["running_owner"] != owner)
            }
            if claimed:
                conn.execute(update(t.sources).where(t.sources.c.name.in_(sorted(claimed)))
                             .values(running_until=until, running_owner=owner))
        return claimed, rows

    def update_source(self, conn: Connection, name: str, **values: Any) -> None:
        """Set fields of a source's stored state."""
        conn.execute(update(t.sources).where(t.sources.c.name == name).values(**values))

    def list_sources(self) -> list[SourceStatus]:
        """Every source that has run, with its item count."""
        with self.read() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(t.item_sources.c.source, func.count()).group_by(t.item_sources.c.source)
                ).all()
            )
            rows = conn.execute(select(t.sources).order_by(t.sources.c.name)).mappings().all()
        return [
            SourceStatus(
                name=r["name"], kind=r["kind"], last_run=r["last_run"], last_status=r["last_status"],
                last_error=r["last_error"], error_count=r["error_count"], item_count=int(counts.get(r["name"], 0)),
                next_run=r["next_run"], etag=r["etag"], last_modified=r["last_modified"],
            )
            for r in rows
        ]

    # ------------------------------------------------------------------- items

    def list_items(
        self, *, kind: str | None = None, source: str | None = None, limit: int = 100, offset: int = 0,
        since: datetime | None = None, ids: Sequence[str] | None = None,
    ) -> list[Item]:
        """Items, newest change first, with their current version and effective tags."""
        v = t.item_versions
        q = (
            select(t.items.c.id.label("i_id"), t.items.c.kind.label("i_kind"), t.items.c.restricted.label("i_restricted"),
                   t.items.c.first_seen.label("i_first_seen"), t.items.c.updated_at.label("i_updated_at"),
                   t.items.c.withdrawn_at.label("i_withdrawn_at"), *v.c)
            .join(v, and_(v.c.item_id == t.items.c.id, v.c.number == t.items.c.current_version))
            .order_by(t.items.c.updated_at.desc(), t.items.c.id)
            .limit(limit)
            .offset(offset)
        )
        if kind:
            q = q.where(t.items.c.kind == kind)
        if since:
            q = q.where(t.items.c.updated_at >= since)
        if source:
            q = q.where(t.items.c.id.in_(select(t.item_sources.c.item_id).where(t.item_sources.c.source == source)))
        if ids is not None:
            q = q.where(t.items.c.id.in_(ids))
        with self.read() as conn:
            rows = conn.execute(q).all()
            overrides = self._overrides(conn, [r.item_id for r in rows])
        out = []
        for r in rows:
            version = _version(r)
            out.append(Item(r.i_id, ItemKind(r.i_kind), bool(r.i_restricted), r.i_first_seen, r.i_updated_at, version,
                            tags=apply_overrides(version.tags, overrides.get(r.item_id, [])),
                            withdrawn_at=r.i_withdrawn_at))
        return out

    def _overrides(self, conn: Connection, ids: list[str]) -> dict[str, list[tuple[str, str, str, str]]]:
        out: dict[str, list[tuple[str, str, str, str]]] = {}
        unique = sorted(set(ids))
        for i in range(0, len(unique), _CHUNK):
            q = (select(t.tag_overrides).where(t.tag_overrides.c.item_id.in_(unique[i : i + _CHUNK]))
                 .order_by(t.tag_overrides.c.id))
            for r in conn.execute(q):
                out.setdefault(r.item_id, []).append((r.op, r.name, r.actor, r.reason))
        return out

    def count_items(self) -> int:
        """How many items are stored."""
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.items)).scalar_one())

    def get_item(self, item_id: str) -> Item:
        """One item with all its versions (and their tags), its sources and effective tags; raises NotFoundError."""
        with self.read() as conn:
            row = conn.execute(select(t.items).where(t.items.c.id == item_id)).first()
            if row is None:
                raise NotFoundError(f"no item '{item_id}'; list items with `syndicator items list`")
            raw = conn.execute(
                select(t.item_versions).where(t.item_versions.c.item_id == item_id).order_by(t.item_versions.c.number)
            ).all()
            overrides = self._overrides(conn, [item_id]).get(item_id, [])
            srcs = tuple(
                ItemSource(s.source, s.guid, s.url, s.first_seen, s.last_seen)
                for s in conn.execute(
                    select(t.item_sources).where(t.item_sources.c.item_id == item_id).order_by(t.item_sources.c.first_seen)
                )
            )
        versions = tuple(_version(r) for r in raw)
        current = next(v for v in versions if v.number == row.current_version)
        return Item(row.id, ItemKind(row.kind), bool(row.restricted), row.first_seen, row.updated_at, current, versions,
                    srcs, tags=apply_overrides(current.tags, overrides), withdrawn_at=row.withdrawn_at)

    def withdraw(self, item_id: str, *, actor: str, reason: str) -> Item:
        """Withdraw an item: it leaves every feed (a tombstone marks it) and is never sent again."""
        item = self.get_item(item_id)
        if item.withdrawn_at is not None:
            raise ConflictError(f"item {item_id} was already withdrawn on {item.withdrawn_at.isoformat()}")
        at = self.clock.now()
        with self.write() as conn:
            conn.execute(update(t.items).where(t.items.c.id == item_id)
                         .values(withdrawn_at=at, withdrawn_reason=reason, updated_at=at))
            self.append_events(conn, [Event("item.withdrawn", item_id, {"reason": reason,
                                                                         "version": item.current.number},
                                            item_id=item_id, actor=actor)], at=at)
        return self.get_item(item_id)

    def override_tags(self, item_id: str, *, add: list[str], remove: list[str], actor: str, reason: str) -> Item:
        """An operator's manual tag change, kept across re-tagging and recorded with who and why.

        Adding ``restricted`` restricts the item; removing it lifts an operator's restriction, but never
        that of a state-secret task record.
        """
        item = self.get_item(item_id)
        if "restricted" in remove and is_secret(item):
            raise ConflictError(f"item {item_id} is a state-secret task record; its restriction cannot be lifted")
        at = self.clock.now()
        with self.write() as conn:
            rows = [{"item_id": item_id, "name": n, "op": "+", "actor": actor, "reason": reason, "at": at} for n in add]
            rows += [{"item_id": item_id, "name": n, "op": "-", "actor": actor, "reason": reason, "at": at}
                     for n in remove]
            if rows:
                conn.execute(insert(t.tag_overrides), rows)
            restricted = item.restricted
            if "restricted" in add:
                restricted = True
            elif "restricted" in remove:
                restricted = False
            if restricted != item.restricted:
                conn.execute(update(t.items).where(t.items.c.id == item_id).values(restricted=restricted, updated_at=at))
            self.append_events(conn, [Event("item.tag_overridden", item_id, {
                "added": sorted(add), "removed": sorted(remove), "reason": reason, "restricted": restricted,
                "version": item.current.number,
            }, item_id=item_id, actor=actor)], at=at)
        return self.get_item(item_id)

    def replace_tags(self, item_id: str, version: int, tags: tuple[Tag, ...], *, reason: str) -> tuple[list[str], list[str]]:
        """Re-tagging: store a version's new tags; record what was added and removed (nothing when equal)."""
        at = self.clock.now()
        key = and_(t.item_versions.c.item_id == item_id, t.item_versions.c.number == version)
        with self.write() as conn:
            stored = conn.execute(select(t.item_versions.c.tags).where(key)).scalar_one()
            old = _tags_of(stored)
            old_names, new_names = {x.name for x in old}, {x.name for x in tags}
            added, removed = sorted(new_names - old_names), sorted(old_names - new_names)
            if old == tags:
                return [], []
            conn.execute(update(t.item_versions).where(key).values(tags=_tags_json(tags)))
            if "restricted" in added:
                conn.execute(update(t.items).where(t.items.c.id == item_id).values(restricted=True))
            if added or removed:
                self.append_events(conn, [Event("item.tagged", item_id, {
                    "version": version, "added": added, "removed": removed, "reason": reason,
                }, item_id=item_id)], at=at)
            return added, removed


_INSERTS: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[tuple[str, Any]]]] = {}  # memo: SQL per table, dialect, columns


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT many rows through the driver's executemany, with each column's own type processing.

    Same values as ``conn.execute(insert(table), rows)`` — SQLAlchemy's bind processors convert them —
    without building a statement per row: a big collection pass writes tens of thousands of rows.
    """
    if not rows:
        return
    dialect = conn.dialect
    key = (table.name, dialect.name, tuple(rows[0]))
    if key not in _INSERTS:
        columns = [c for c in table.columns if c.name in rows[0]]
        marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) VALUES ({marks})"
        _INSERTS[key] = (sql, [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in columns])
    sql, procs = _INSERTS[key]
    columns_values = []
    for name, proc in procs:
        values = [row.get(name) for row in rows]
        if proc is not None:
            # Column by column, each distinct object converted once: a batch shares one timestamp.
            memo: dict[int, Any] = {}
            values = [memo[id(v)] if id(v) in memo else memo.setdefault(id(v), proc(v)) for v in values]
        columns_values.append(values)
    conn.exec_driver_sql(sql, list(zip(*columns_values, strict=True)))


def _restricts(e: Entry) -> bool:
    """Whether storing this entry restricts its item (a non-public record, or the restricted tag)."""
    return e.restricted or any(tg.name == "restricted" for tg in e.tags)


def _event_payload(e: Entry, number: int) -> dict[str, Any]:
    # Ids, hashes and tag names only: the ledger proves what happened without carrying content.
    return {
        "source": e.source, "version": number, "kind": e.kind.value, "content_hash": e.content_hash,
        "raw_hash": e.raw_hash, "restricted": e.restricted, "tags": [tg.name for tg in e.tags],
    }


def _tags_json(tags: Iterable[Tag]) -> list[Tag]:
    # The JSON columns' serializer (orjson) writes dataclasses natively, as objects.
    return list(tags)


def _tags_of(stored: Any) -> tuple[Tag, ...]:
    return tuple(Tag(**tg) for tg in (stored or ()))


def _version_row(item_id: str, number: int, e: Entry, at: datetime) -> dict[str, Any]:
    return {
        "item_id": item_id, "number": number, "source": e.source, "title": e.title, "url": e.url,
        "summary": e.summary, "content": e.content, "published": e.published, "updated": e.updated,
        "language": e.language, "author": e.author, "doc_number": e.doc_number, "issuer": e.issuer,
        "attachments": [
            {"url": a.url, "media_type": a.media_type, "length": a.length, "title": a.title} for a in e.attachments
        ],
        "task": e.task.as_dict() if e.task else None, "tags": _tags_json(e.tags),
        "content_hash": e.content_hash, "raw_hash": e.raw_hash, "collected_at": at,
    }


def _source_row(item_id: str, e: Entry, at: datetime) -> dict[str, Any]:
    return {
        "item_id": item_id, "source": e.source, "guid": e.guid, "url": e.url, "last_hash": e.content_hash,
        "first_seen": at, "last_seen": at,
    }


def _version(r: Any) -> Version:
    task = r.task
    return Version(
        item_id=r.item_id, number=r.number, source=r.source, title=r.title, url=r.url, summary=r.summary,
        content=r.content, published=r.published, updated=r.updated, language=r.language, author=r.author,
        doc_number=r.doc_number, issuer=r.issuer,
        attachments=tuple(Attachment(**a) for a in (r.attachments or [])),
        task=TaskFields(**(task | {"secrecy": Secrecy(task["secrecy"])})) if task else None,
        content_hash=r.content_hash, raw_hash=r.raw_hash, collected_at=r.collected_at,
        tags=_tags_of(r.tags),
    )


