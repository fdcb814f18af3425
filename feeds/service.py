"""Wiring: the catalog, publisher and server for a loaded configuration."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from syndicator.clock import Clock
from syndicator.config import Config
from syndicator.storage.store import Store
from syndicator.tagging.taxonomy import Taxonomy, load_taxonomy

from .catalog import Catalog, build_catalog
from .entries import Urls
from .pages import PageRenderer
from .publish import FORMATS, Publisher, PublishReport
from .server import create_app
from .websub import PingReport, ping_sync


@dataclass
class FeedService:
    """Everything the feeds need, built once from the configuration."""

    config: Config
    store: Store
    taxonomy: Taxonomy
    catalog: Catalog
    urls: Urls
    publisher: Publisher

    @classmethod
    def build(cls, config: Config, store: Store, clock: Clock) -> FeedService:
        taxonomy = load_taxonomy(config.taxonomy_path())
        feeds = config.file.feeds
        catalog = build_catalog(feeds, taxonomy, config.file.subscribers)
        urls = Urls.make(config.engine.public_url, feeds.authority, feeds.since)
        publisher = Publisher(store, catalog, taxonomy, urls, clock, hubs=feeds.hubs,
                              ttl_minutes=max(1, feeds.max_age_seconds // 60))
        return cls(config, store, taxonomy, catalog, urls, publisher)

    def publish(self, *, ping: bool = True) -> tuple[PublishReport, PingReport]:
        """Publish what changed and tell the hubs about every changed subscription document."""
        report = self.publisher.publish()
        pings = PingReport()
        if ping and report.feeds and self.config.file.feeds.hubs:
            topics = [self.urls.feed(name, fmt) for name in report.feeds for fmt in FORMATS]
            pings = ping_sync(self.config.file.feeds.hubs, topics)
        return report, pings

    def app(self, *, check_every: float = 1.0) -> Starlette:
        """The ASGI application."""
        feeds = self.config.file.feeds
        pages = PageRenderer(self.store, self.catalog, self.urls, self.taxonomy)
        return create_app(store=self.store, catalog=self.catalog, urls=self.urls,
                          subscribers=list(self.config.file.subscribers), max_age=feeds.max_age_seconds,
                          hubs=tuple(feeds.hubs), pages=pages, check_every=check_every)
