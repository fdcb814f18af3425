"""The feed server (ASGI, Starlette): stored bytes, conditional GET, keys, the fetch log.

Documents are rendered by the publisher and stored; the server keeps them in
memory and re-reads them when the store's generation counter moves (checked
at most once a second), so a request never builds a feed. Every fetch with a
newsroom key is written to the ledger as ``feed.fetched`` after the response
is sent. Keys never reach a log: the access log masks them.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from syndicator.feedconfig import Subscriber
from syndicator.ledger import Event
from syndicator.storage.feedstore import FeedStore, StoredDocument
from syndicator.storage.store import Store

from .catalog import Catalog, may_read
from .entries import Urls
from .pages import PageRenderer

log = logging.getLogger("syndicator.feeds")
TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_KEY_IN_PATH = re.compile(r"/k/[^/]+/")


@dataclass
class Keyring:
    """Newsroom keys: valid ones map to their subscriber; revoked ones are known so they can be refused."""

    valid: dict[str, Subscriber] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, subscribers: list[Subscriber]) -> Keyring:
        ring = cls()
        for s in subscribers:
            for k in s.keys:
                ring.valid[k] = s
            ring.revoked.update(s.revoked_keys)
        return ring


class DocumentCache:
    """Stored documents in memory, refreshed when the store's generation moves."""

    def __init__(self, feeds: FeedStore, *, check_every: float = 1.0) -> None:
        self.feeds = feeds
        self.check_every = check_every
        self._docs: dict[tuple[str, str, int], StoredDocument | None] = {}
        self._generation = -1
        self._checked = 0.0

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return
        self._checked = now
        generation = self.feeds.generation()
        if generation != self._generation:
            self._docs.clear()
            self._generation = generation

    def get(self, feed: str, fmt: str, page: int) -> StoredDocument | None:
        """The document, from memory when possible (runs in a worker thread)."""
        self._refresh()
        key = (feed, fmt, page)
        if key not in self._docs:
            self._docs[key] = self.feeds.document(feed, fmt, page)
        return self._docs[key]

    def cached(self, feed: str, fmt: str, page: int) -> tuple[bool, StoredDocument | None]:
        """(True, document) when it is in memory and fresh, so the caller can skip the thread hop."""
        key = (feed, fmt, page)
        if time.monotonic() - self._checked >= self.check_every or key not in self._docs:
            return False, None
        return True, self._docs[key]

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def last_modified(doc_etag: str, when: datetime) -> str:
        """The Last-Modified header of a document (formatted once per render, not per request)."""
        return format_datetime(when, usegmt=True)


def _accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (``gzip;q=0`` refuses it)."""
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params.strip().startswith("q=") or float(q) > 0
            except ValueError:
                return True
    return False


def _etag_matches(header: str, etags: tuple[str, ...]) -> bool:
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") in etags for tag in header.split(","))


def _not_modified_since(request: Request, doc: StoredDocument) -> bool:
    value = request.headers.get("if-modified-since")
    if not value or "if-none-match" in request.headers:
        return False
    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return since is not None and since.tzinfo is not None and int(doc.last_modified.timestamp()) <= int(since.timestamp())


def create_app(
    *, store: Store, catalog: Catalog, urls: Urls, subscribers: list[Subscriber], max_age: int = 300,
    hubs: tuple[str, ...] = (), pages: PageRenderer | None = None, check_every: float = 1.0,
) -> Starlette:
    """The feed server's ASGI application."""
    feeds = FeedStore(store)
    cache = DocumentCache(feeds, check_every=check_every)
    keys = Keyring.of(subscribers)
    pages = pages or PageRenderer(store, catalog, urls)
    from .metrics import Metrics

    metrics = Metrics(store)

    def who(request: Request) -> tuple[Subscriber | None, Response | None]:
        key = request.path_params.get("key")
        if key is None and "key" in request.query_params:
            key = request.query_params["key"]
            if not _KEY.match(key):
                return None, PlainTextResponse("Bad request: the key parameter must be 16–128 letters, digits, "
                                               "'-' or '_'.\n", status_code=400)
        if key is None:
            return None, None
        if not _KEY.match(key) or key in keys.revoked or key not in keys.valid:
            # Unknown and revoked keys look the same: nothing to learn by guessing.
            return None, PlainTextResponse("Not found. This key is not valid (unknown or revoked); ask the "
                                           "engine's operator for a current key.\n", status_code=404)
        return keys.valid[key], None

    async def feed(request: Request) -> Response:
        subscriber, refusal = who(request)
        if refusal:
            return refusal
        name, fmt = request.path_params["name"], request.path_params["fmt"]
        raw_page = request.path_params.get("page", "0")
        if not raw_page.isdigit() or len(raw_page) > 9:
            return PlainTextResponse(f"Bad archive page '{raw_page}': pages are whole numbers from 1.\n", 400)
        page = int(raw_page)
        spec = catalog.get(name)
        if fmt not in TYPES or spec is None or not may_read(spec, subscriber) or (page == 0 and "page" in request.path_params):
            return PlainTextResponse(
                f"No feed '{name}.{fmt}' here. Feeds are /feeds/NAME.rss, .atom or .json; "
                f"every feed is listed at {urls.base}/feeds.opml and {urls.catalog()}\n", status_code=404)
        hit, doc = cache.cached(name, fmt, page)
        if not hit:
            doc = await run_in_threadpool(cache.get, name, fmt, page)
        if doc is None:
            msg = "no such archive page" if page else "this feed has not been rendered yet; try again shortly"
            return PlainTextResponse(f"Not found: {msg}.\n", status_code=404)
        gz = _accepts_gzip(request.headers.get("accept-encoding", ""))
        etag = doc.etag[:-1] + '-gz"' if gz else doc.etag
        headers = {
            "ETag": etag, "Last-Modified": DocumentCache.last_modified(doc.etag, doc.last_modified),
            "Vary": "Accept-Encoding",
            "Cache-Control": (f"private, max-age={max_age}" if spec.key_only or subscriber
                              else f"public, max-age={max_age if page == 0 else 86400}"),
        }
        if page == 0:
            links = [f'<{urls.feed(name, fmt)}>; rel="self"'] + [f'<{h}>; rel="hub"' for h in hubs]
            headers["Link"] = ", ".join(links)
        inm = request.headers.get("if-none-match")
        status = 200
        if (inm and _etag_matches(inm, (doc.etag, doc.etag[:-1] + '-gz"'))) or _not_modified_since(request, doc):
            status = 304
        task = None
        body = b"" if status == 304 else (doc.gzip if gz else doc.body)
        if subscriber is not None:
            payload = {"subscriber": subscriber.name, "feed": name, "format": fmt, "page": page, "status": status,
                       "entries": doc.entries if status == 200 else 0, "bytes": len(body)}
            task = BackgroundTask(run_in_threadpool, store.record,
                                  [Event("feed.fetched", subscriber.name, payload, actor=subscriber.name)])
        metrics.fetch(name, status, subscriber is not None)
        if status == 304:
            return Response(status_code=304, headers=headers, background=task)
        if gz:
            headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers, media_type=TYPES[fmt], background=task)
        return Response(body, status_code=200, headers=headers, media_type=TYPES[fmt], background=task)

    async def opml(request: Request) -> Response:
        subscriber, refusal = who(request)
        if refusal:
            return refusal
        body = pages.opml(catalog.visible(subscriber))
        return Response(body, media_type="text/x-opml; charset=utf-8",
                        headers={"Cache-Control": f"public, max-age={max_age}"})

    async def index(request: Request) -> Response:
        subscriber, refusal = who(request)
        if refusal:
            return refusal
        updates = await run_in_threadpool(feeds.last_updates)
        return HTMLResponse(pages.catalog_page(catalog.visible(subscriber), updates))

    async def item_page(request: Request) -> Response:
        html = await run_in_threadpool(pages.item_page, request.path_params["item_id"])
        if html is None:
            return PlainTextResponse("Not found: no such item, or it cannot be shown.\n", status_code=404)
        return HTMLResponse(html)

    async def taxonomy_page(request: Request) -> Response:
        return HTMLResponse(pages.taxonomy_page())

    async def healthz(request: Request) -> Response:
        generation = await run_in_threadpool(feeds.generation)
        return PlainTextResponse(f"ok generation={generation}\n")

    async def metrics_page(request: Request) -> Response:
        body, content_type = await run_in_threadpool(metrics.render)  # reads the database
        return Response(body, media_type=content_type)

    methods = ["GET", "HEAD"]
    routes = [
        Route("/", index, methods=methods),
        Route("/feeds.opml", opml, methods=methods),
        Route("/feeds/{name}.{fmt}", feed, methods=methods),
        Route("/feeds/{name}/archive/{page}.{fmt}", feed, methods=methods),
        Route("/k/{key}/", index, methods=methods),
        Route("/k/{key}/feeds.opml", opml, methods=methods),
        Route("/k/{key}/feeds/{name}.{fmt}", feed, methods=methods),
        Route("/k/{key}/feeds/{name}/archive/{page}.{fmt}", feed, methods=methods),
        Route("/items/{item_id}", item_page, methods=methods),
        Route("/taxonomy", taxonomy_page, methods=methods),
        Route("/healthz", healthz, methods=methods),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(AccessLog)
    return app


class AccessLog:
    """An access log that never writes a key (path or query)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 0}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        if not log.isEnabledFor(logging.INFO):
            return
        path = _KEY_IN_PATH.sub("/k/***/", scope.get("path", ""))
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            query = re.sub(r"(^|&)key=[^&]*", r"\1key=***", query)
            path = f"{path}?{query}"
        log.info("%s %s %s", scope.get("method"), path, status["code"])
