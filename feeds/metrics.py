"""Prometheus metrics of the feed server (its own registry, so several apps never clash)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    """Counters the server updates on every feed request."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.fetches = Counter("syndicator_feed_fetches", "Feed documents requested", ["feed", "status", "keyed"],
                               registry=self.registry)

    def fetch(self, feed: str, status: int, keyed: bool) -> None:
        self.fetches.labels(feed=feed, status=str(status), keyed="yes" if keyed else "no").inc()

    def render(self) -> tuple[bytes, str]:
        """The text exposition format."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
