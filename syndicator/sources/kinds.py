"""Source kinds: a retriever (I/O) and a pure parser for each, registered by name.

The name of a kind is its ``kind = "..."`` value in the config. Built-ins are
listed explicitly in :func:`default_registry`; a duplicate name is an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..config import Config, DirectorySource, FeedSource, PageSource, TasksSource
from ..domain import Fetched, ParseResult
from ..errors import FetchError
from ..fetch import Fetcher
from ..normalize import canonical_url


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What a retriever got: documents to parse, or a 304, plus non-fatal problems."""

    documents: tuple[Fetched, ...] = ()
    not_modified: bool = False
    problems: tuple[str, ...] = ()
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class RetrieveContext:
    """Effects a retriever may use."""

    fetcher: Fetcher
    config: Config
    state: Mapping[str, Any]  # the source's stored state (etag, last_modified, …)
    known_urls: Callable[[list[str]], Awaitable[set[str]]] = field(default=lambda urls: _none(urls))


async def _none(urls: list[str]) -> set[str]:
    return set()


class SourceKind(Protocol):
    """A kind of source."""

    name: str

    async def retrieve(self, source: Any, ctx: RetrieveContext) -> Retrieval:
        """Fetch what the source holds (I/O)."""
        ...

    def parse(self, source: Any, document: Fetched) -> ParseResult:
        """Read one document (pure; runs in a worker process for big passes)."""
        ...


class SourceRegistry:
    """Source kinds by name."""

    def __init__(self) -> None:
        self._kinds: dict[str, SourceKind] = {}

    def register(self, kind: SourceKind) -> None:
        """Add a kind; its name must be new."""
        if kind.name in self._kinds:
            raise ValueError(f"source kind '{kind.name}' is registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> SourceKind:
        """The kind called ``name``."""
        try:
            return self._kinds[name]
        except KeyError:
            raise KeyError(f"unknown source kind '{name}'; known: {', '.join(sorted(self._kinds))}") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)


def _read_file(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise FetchError(f"{path}: {size} bytes is over the limit of {max_bytes} (fetch.max_bytes)")
    return path.read_bytes()


async def _conditional_get(source: Any, url: str, ctx: RetrieveContext) -> Fetched:
    """GET with the validators stored for this source (a 304 comes back as ``Fetched(status=304)``)."""
    return await ctx.fetcher.get(
        url, etag=ctx.state.get("etag"), last_modified=ctx.state.get("last_modified"),
        allow_private=source.allow_private, headers=source.headers,
    )


def _unchanged(fetched: Fetched, ctx: RetrieveContext) -> Retrieval:
    """A 304: nothing to parse; keep the validators (the server may send new ones)."""
    return Retrieval(not_modified=True, etag=fetched.etag or ctx.state.get("etag"),
                     last_modified=fetched.last_modified or ctx.state.get("last_modified"))


class FeedKind:
    """RSS, Atom and JSON Feed over HTTP with conditional GET."""

    name = "feed"

    async def retrieve(self, source: FeedSource, ctx: RetrieveContext) -> Retrieval:
        fetched = await _conditional_get(source, source.url, ctx)
        if fetched.not_modified:
            return _unchanged(fetched, ctx)
        return Retrieval(documents=(fetched,), etag=fetched.etag, last_modified=fetched.last_modified)

    def parse(self, source: FeedSource, document: Fetched) -> ParseResult:
        from .feed import parse_feed

        result: ParseResult = parse_feed(document.body, url=document.url, content_type=document.content_type,
                                         headers=document.headers, language=source.language)
        return result


class PageKind:
    """An HTML listing page and the article pages it links to."""

    name = "page"

    async def retrieve(self, source: PageSource, ctx: RetrieveContext) -> Retrieval:
        import asyncio

        from .page import parse_listing

        listing = await _conditional_get(source, source.url, ctx)
        if listing.not_modified:
            return _unchanged(listing, ctx)
        links, problems = parse_listing(listing.body, url=listing.url, content_type=listing.content_type,
                                        selectors=_selectors(source))
        if not source.refetch_known:
            known = await ctx.known_urls([u for u in (canonical_url(x) for x in links) if u])
            links = [x for x in links if canonical_url(x) not in known]
        links = links[: source.max_articles]

        async def one(link: str) -> Fetched | str:
            try:
                return await ctx.fetcher.get(link, allow_private=source.allow_private, headers=source.headers)
            except FetchError as e:
                return f"article {link}: {e}"

        results = await asyncio.gather(*(one(x) for x in links))
        docs = tuple(r for r in results if isinstance(r, Fetched))
        problems = problems + tuple(r for r in results if isinstance(r, str))
        if links and not docs:
            raise FetchError(f"none of the {len(links)} article pages could be fetched: " + "; ".join(problems[:3]))
        return Retrieval(documents=docs, problems=problems, etag=listing.etag, last_modified=listing.last_modified)

    def parse(self, source: PageSource, document: Fetched) -> ParseResult:
        from .page import parse_article

        entry, problems = parse_article(document.body, url=document.url, content_type=document.content_type,
                                        selectors=_selectors(source), language=source.language)
        return ParseResult(entries=(entry,) if entry else (), problems=problems)


def _selectors(source: PageSource) -> Any:
    from .page import PageSelectors

    return PageSelectors(**source.selectors.model_dump())


class TasksKind:
    """S&T task records from a CSV/JSON file or HTTP endpoint."""

    name = "tasks"

    async def retrieve(self, source: TasksSource, ctx: RetrieveContext) -> Retrieval:
        if source.path:
            path = ctx.config.resolve_path(source.path)
            try:
                body = _read_file(path, ctx.config.fetch.max_bytes)
            except OSError as e:
                raise FetchError(f"cannot read {path}: {e.strerror} — check the source's path") from e
            return Retrieval(documents=(Fetched(url=path.resolve().as_uri(), body=body),))
        assert source.url
        fetched = await _conditional_get(source, source.url, ctx)
        if fetched.not_modified:
            return _unchanged(fetched, ctx)
        return Retrieval(documents=(fetched,), etag=fetched.etag, last_modified=fetched.last_modified)

    def parse(self, source: TasksSource, document: Fetched) -> ParseResult:
        from .tasks import TaskMapping, parse_tasks

        mapping = TaskMapping(columns=dict(source.mapping), public_values=tuple(source.public_values),
                              records_path=source.records_path, date_format=source.date_format)
        return parse_tasks(document.body, fmt=source.format, mapping=mapping, language=source.language or "vi",
                           source_url=source.url)


class DirectoryKind:
    """Local files: HTML, Markdown, text and JSON."""

    name = "directory"

    async def retrieve(self, source: DirectorySource, ctx: RetrieveContext) -> Retrieval:
        from .directory import scan_directory

        root = ctx.config.resolve_path(source.path)
        if not root.is_dir():
            raise FetchError(f"{root} is not a folder — check the source's path")
        files, problems = scan_directory(root, max_bytes=ctx.config.fetch.max_bytes)
        docs = []
        for rel, path in files:
            try:
                docs.append(Fetched(url=rel, body=path.read_bytes()))
            except OSError as e:
                problems.append(f"{rel}: cannot read ({e.strerror})")
        return Retrieval(documents=tuple(docs), problems=tuple(problems))

    def parse(self, source: DirectorySource, document: Fetched) -> ParseResult:
        from .directory import parse_file

        return parse_file(document.body, relpath=document.url, language=source.language)


def default_registry() -> SourceRegistry:
    """The built-in source kinds."""
    registry = SourceRegistry()
    for kind in (FeedKind(), PageKind(), TasksKind(), DirectoryKind()):
        registry.register(kind)
    return registry
