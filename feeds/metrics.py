"""Prometheus metrics: the feed server's counters and the engine's state, read at scrape time.

Each app has its own registry, so several apps in one process never clash. The engine's state
(items, sources, ledger, publisher) is read from the database when Prometheus scrapes, so the
figures are the same whichever process serves them.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from syndicator.storage import schema as t
from syndicator.storage.store import Store


class EngineState(Collector):
    """Gauges of stored state: items by kind, restricted items, sources' health, ledger and publisher."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        items = GaugeMetricFamily("syndicator_items", "Stored items", labels=["kind"])
        restricted = GaugeMetricFamily("syndicator_items_restricted", "Items that never leave the system")
        errors = GaugeMetricFamily("syndicator_source_errors_in_a_row", "Failures in a row per source",
                                   labels=["source"])
        last_run = GaugeMetricFamily("syndicator_source_last_run_timestamp_seconds", "Last collection attempt",
                                     labels=["source"])
        ledger = GaugeMetricFamily("syndicator_ledger_events", "Events in the ledger (the head's sequence number)")
        lag = GaugeMetricFamily("syndicator_publisher_lag_events", "Ledger events the publisher has not read yet")
        with self.store.read() as conn:
            for kind, n in conn.execute(select(t.items.c.kind, func.count()).group_by(t.items.c.kind)):
                items.add_metric([kind], n)
            restricted.add_metric([], conn.execute(
                select(func.count()).select_from(t.items).where(t.items.c.restricted.is_(True))).scalar_one())
            for name, count, when in conn.execute(select(t.sources.c.name, t.sources.c.error_count,
                                                         t.sources.c.last_run)):
                errors.add_metric([name], count or 0)
                if when is not None:
                    last_run.add_metric([name], when.timestamp())
            head = conn.execute(select(t.ledger_head.c.seq)).scalar() or 0
            cursor = conn.execute(select(t.engine_state.c.value).where(
                t.engine_state.c.key == "publisher.cursor")).scalar() or 0
        ledger.add_metric([], head)
        lag.add_metric([], max(0, head - cursor))
        yield from (items, restricted, errors, last_run, ledger, lag)


class Metrics:
    """Counters the server updates on every feed request, plus the engine's state."""

    def __init__(self, store: Store | None = None) -> None:
        self.registry = CollectorRegistry()
        self.fetches = Counter("syndicator_feed_fetches", "Feed documents requested", ["feed", "status", "keyed"],
                               registry=self.registry)
        if store is not None:
            self.registry.register(EngineState(store))

    def fetch(self, feed: str, status: int, keyed: bool) -> None:
        self.fetches.labels(feed=feed, status=str(status), keyed="yes" if keyed else "no").inc()

    def render(self) -> tuple[bytes, str]:
        """The text exposition format."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
