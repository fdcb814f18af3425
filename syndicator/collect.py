"""One collection pass: retrieve, parse, normalise, decide, store — per source.

Retrieval runs concurrently on one event loop; parsing, normalising and
tagging (the CPU-heavy part) run in worker processes when a pass is big
enough to repay them, so both cores work; storage runs on one thread through
a batching writer: whatever is ready goes into one transaction — entries,
their ledger events, and the sources' new state. A source that fails is
recorded with a message a person can act on and a growing back-off, and the
pass goes on with the others; nothing stored before is touched.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Connection, and_, select, update

from .clock import Clock
from .config import Config
from .decide import Decision, all_candidate_keys, decide
from .domain import Entry, Fetched, ItemKind, SourceReport
from .errors import FetchError
from .fetch import Fetcher, Resolver, make_client, system_resolver
from .ledger import Event
from .normalize import normalize_entry, sha256_hex
from .sources.kinds import RetrieveContext, SourceRegistry, default_registry
from .storage import schema as t
from .storage.store import Store
from .tagging.service import load_tools, tag_entry
from .writer import BatchWriter

_BIG_PASS = 8  # sources; below this, starting worker processes costs more than they save
_MAX_PROBLEMS_SHOWN = 5


def backoff(errors: int, *, base: float, cap: float, retry_after: float | None = None) -> timedelta:
    """Wait before the next try after ``errors`` failures in a row (doubling, capped; Retry-After wins if longer)."""
    wait = min(cap, base * (2 ** max(0, errors - 1)))
    if retry_after is not None:
        wait = max(wait, min(retry_after, cap))
    return timedelta(seconds=wait)


def process_document(
    kind: Any, source: Any, document: Fetched, taxonomy: str
) -> tuple[list[Entry], tuple[str, ...]]:
    """Parse, normalise and tag one document (pure; every argument is picklable for worker processes)."""
    tools = load_tools(taxonomy)
    result = kind.parse(source, document)
    raw_hash = sha256_hex(document.body)
    default_kind = ItemKind(source.item_kind)
    entries: list[Entry] = []
    problems = list(result.problems)
    for parsed in result.entries:
        entry = normalize_entry(parsed, source=source.name, default_kind=default_kind,
                                default_language=source.language or result.language, raw_hash=raw_hash)
        try:
            entry = tag_entry(entry, tools)
        except Exception as e:  # a tagger bug must not cost the item: it is stored untagged, and said so
            problems.append(f"entry {entry.guid or entry.url or entry.title!r}: tagging failed ({type(e).__name__}: "
                            f"{e}); stored without tags — re-tag with `syndicator items retag` once fixed")
        entries.append(entry)
    return entries, tuple(problems)


@dataclass
class _Outcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


class Collector:
    """Runs collection passes over the configured sources."""

    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        *,
        registry: SourceRegistry | None = None,
        client: httpx.AsyncClient | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.registry = registry or default_registry()
        self._client = client
        self.resolver = resolver
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.taxonomy = str(config.taxonomy_path())
        load_tools(self.taxonomy)  # a broken taxonomy stops the pass before anything is fetched

    def collect(self, names: Sequence[str] | None = None) -> list[SourceReport]:
        """Run one pass over the named sources (default: every enabled source)."""
        return asyncio.run(self.collect_async(names))

    async def collect_async(self, names: Sequence[str] | None = None) -> list[SourceReport]:
        """Run one pass (inside a running event loop)."""
        sources = [self.config.source(n) for n in names] if names else [s for s in self.config.sources if s.enabled]
        workers = self.config.fetch.parse_workers or (os.cpu_count() or 1)
        pool: Executor | None = None
        if workers >= 1 and (os.cpu_count() or 1) > 1 and len(sources) >= _BIG_PASS:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
        storage = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage")
        loop = asyncio.get_running_loop()
        lease = self.clock.now() + timedelta(seconds=self.config.fetch.timeout_seconds * 6 + 600)
        claimed, states = await loop.run_in_executor(
            storage, lambda: self.store.claim_sources([(s.name, s.kind) for s in sources], owner=self.owner,
                                                      until=lease))
        writer = BatchWriter(self.store, self.clock, storage)
        writer.start()
        client = self._client or make_client(self.config.fetch.timeout_seconds, self.config.fetch.concurrency)
        fetcher = Fetcher(
            client, clock=self.clock, contact_url=self.config.engine.contact_url,
            max_bytes=self.config.fetch.max_bytes, max_redirects=self.config.fetch.max_redirects,
            per_host=self.config.fetch.per_host_concurrency, resolver=self.resolver,
        )
        gate = asyncio.Semaphore(self.config.fetch.concurrency)
        pass_ = _Pass(fetcher, pool, writer, gate, states)
        try:
            return list(await asyncio.gather(*(
                self._one(s, pass_) if s.name in claimed
                else _skipped(s.name)
                for s in sources
            )))
        finally:
            await writer.close()
            if self._client is None:
                await client.aclose()
            await loop.run_in_executor(storage, self._release, sorted(claimed))
            storage.shutdown(wait=True)
            if pool is not None:
                pool.shutdown(wait=True)

    async def _one(self, source: Any, p: _Pass) -> SourceReport:
        kind = self.registry.get(source.kind)
        loop = asyncio.get_running_loop()
        state = p.states.get(source.name, {})
        errors_before = int(state.get("error_count") or 0)

        async def known_urls(urls: list[str]) -> set[str]:
            return await p.writer.submit(lambda conn, at: self._known_urls(conn, urls))

        ctx = RetrieveContext(fetcher=p.fetcher, config=self.config, state=state, known_urls=known_urls)
        async with p.gate:
            try:
                retrieval = await kind.retrieve(source, ctx)
            except FetchError as e:
                message, retry_after = self.config.mask(str(e)), e.retry_after
                return await p.writer.submit(lambda conn, at: self._fail(conn, at, source, message, retry_after))
        if retrieval.not_modified:
            await p.writer.submit(lambda conn, at: self._not_modified(conn, at, source, retrieval, errors_before))
            return SourceReport(source.name, not_modified=True)
        problems = list(retrieval.problems)
        outcome = _Outcome()
        parsed_any = False
        for document in retrieval.documents:
            if p.pool is not None:
                entries, doc_problems = await loop.run_in_executor(p.pool, process_document, kind, source, document,
                                                                     self.taxonomy)
            else:
                entries, doc_problems = process_document(kind, source, document, self.taxonomy)
            problems.extend(doc_problems)
            parsed_any = parsed_any or bool(entries)
            if entries:
                decision = await p.writer.submit(partial(self._store, entries=entries))
                problems.extend(decision.problems)
                outcome.new += decision.new
                outcome.updated += decision.updated
                outcome.unchanged += decision.unchanged
        if not parsed_any:
            reason = self.config.mask("; ".join(problems[:_MAX_PROBLEMS_SHOWN]) or "no entries found")
            return await p.writer.submit(lambda conn, at: self._fail(conn, at, source, reason, None))
        problems = [self.config.mask(x) for x in problems]
        await p.writer.submit(lambda conn, at: self._succeed(conn, at, source, retrieval, problems, errors_before))
        return SourceReport(source.name, new=outcome.new, updated=outcome.updated, unchanged=outcome.unchanged,
                            problems=tuple(problems))

    # The methods below run on the storage thread, inside the writer's transaction.

    def _known_urls(self, conn: Connection, urls: list[str]) -> set[str]:
        keys = [f"u:{u}" for u in urls]
        rows = conn.execute(select(t.item_keys.c.key).where(t.item_keys.c.key.in_(keys))).scalars()
        return {k[2:] for k in rows}

    def _store(self, conn: Connection, at: datetime, *, entries: list[Entry]) -> Decision:
        known, states = self.store.lookup(conn, all_candidate_keys(entries))
        decision = decide(entries, known_keys=known, states=states)
        self.store.apply(conn, decision, at=at)
        return decision

    def _release(self, names: list[str]) -> None:
        if not names:
            return
        with self.store.write() as conn:
            conn.execute(update(t.sources).where(and_(t.sources.c.name.in_(names),
                                                      t.sources.c.running_owner == self.owner))
                         .values(running_until=None, running_owner=None))

    def _next_run(self, source: Any, at: datetime) -> datetime:
        if source.cron:
            from apscheduler.triggers.cron import CronTrigger

            nxt = CronTrigger.from_crontab(source.cron, timezone=self.config.engine.timezone).get_next_fire_time(None, at)
            if nxt is not None:
                return datetime.fromtimestamp(nxt.timestamp(), tz=at.tzinfo)
        interval: timedelta = source.schedule_interval()
        return at + interval

    def _recovered(self, conn: Connection, at: datetime, source: Any, errors_before: int) -> None:
        # errors_before was read when this run claimed the source: no other run has touched it since.
        if errors_before:
            self.store.append_events(conn, [Event("source.recovered", source.name,
                                                  {"after_errors": errors_before})], at=at)

    def _succeed(self, conn: Connection, at: datetime, source: Any, retrieval: Any, problems: list[str],
                 errors_before: int) -> None:
        self._recovered(conn, at, source, errors_before)
        self.store.update_source(
            conn, source.name, etag=retrieval.etag, last_modified=retrieval.last_modified, last_run=at,
            last_status="ok" if not problems else "ok, with problems",
            last_error="; ".join(problems[:_MAX_PROBLEMS_SHOWN]) or None, error_count=0,
            next_run=self._next_run(source, at),
        )

    def _not_modified(self, conn: Connection, at: datetime, source: Any, retrieval: Any, errors_before: int) -> None:
        self._recovered(conn, at, source, errors_before)
        self.store.update_source(conn, source.name, last_run=at, last_status="not modified", last_error=None,
                                 error_count=0, etag=retrieval.etag, last_modified=retrieval.last_modified,
                                 next_run=self._next_run(source, at))

    def _fail(self, conn: Connection, at: datetime, source: Any, message: str,
              retry_after: float | None) -> SourceReport:
        row = self.store.source_row(conn, source.name) or {}
        errors = int(row.get("error_count") or 0) + 1
        wait = backoff(errors, base=self.config.fetch.backoff_base_seconds,
                       cap=self.config.fetch.backoff_max_seconds, retry_after=retry_after)
        self.store.update_source(conn, source.name, last_run=at, last_status="failed", last_error=message,
                                 error_count=errors, next_run=at + wait)
        self.store.append_events(
            conn, [Event("source.failed", source.name, {"error": message, "errors_in_a_row": errors,
                                                          "retry_in_seconds": int(wait.total_seconds())})], at=at,
        )
        return SourceReport(source.name, failed=True, error=message)


@dataclass
class _Pass:
    """What every source of one pass shares."""

    fetcher: Fetcher
    pool: Executor | None
    writer: BatchWriter
    gate: asyncio.Semaphore
    states: dict[str, dict[str, Any]]


async def _skipped(name: str) -> SourceReport:
    return SourceReport(name, error="skipped: another run of this source is in progress")


def due(store: Store, name: str, now: datetime) -> bool:
    """Whether a source may run now (False while it is backing off after failures)."""
    with store.read() as conn:
        row = store.source_row(conn, name)
    if not row or not row["error_count"] or row["next_run"] is None:
        return True
    return bool(row["next_run"] <= now)


__all__ = ["Collector", "backoff", "due", "process_document"]
