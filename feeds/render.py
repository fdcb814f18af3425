"""Pure rendering of newsroom feeds: RSS 2.0, Atom 1.0 (both via feedgen) and JSON Feed 1.1.

The three ``render_*`` functions take frozen values and return the exact bytes to
serve: no I/O, no clock, and equal inputs give equal bytes (the feed server
hashes them into strong ETags). They implement ``contracts/feeds.md`` section 3.

Every string passes one hygiene step before any format sees it: XML-forbidden
characters, DEL and the C1 controls are removed, CR/CRLF become LF, text is
NFC-normalised (Vietnamese typed with combining marks is canonically equal but
breaks search, dedupe and truncation in readers), titles become one line (an
empty one becomes "(untitled) YYYY-MM-DD"), summaries are cut near
``SUMMARY_LIMIT`` characters on a word boundary, and relative URLs left in
content HTML are resolved against the entry link (many readers ignore
``xml:base``). URLs with spaces or non-ASCII characters are percent-encoded
(IDNA for host names), because validators reject them and readers mangle them.

Structured inputs that are wrong are caller bugs and raise ``ValueError``: a
relative or non-http(s) URL, an id that is not an absolute URI, a naive
datetime, an invalid language tag or media type. Dates are written in UTC, to
the second, so that all three formats carry the same instant.

Design notes:

* RSS and Atom are built by separate ``FeedGenerator`` objects. One shared
  object would make the RSS category text the *label* and keep only the last
  enclosure; per format, RSS carries the term (the identifier, as Atom ``term``
  and JSON ``tags`` do) and the *first* enclosure only (the RSS Advisory Board
  profile advises at most one per item; Atom and JSON carry them all).
* RSS dates are written by our extension, never by feedgen, whose formatter
  switches the process-wide locale (see ``feeds.feedgen_ext``). RSS
  ``<author>`` must be an e-mail address, so the author is ``dc:creator``; the
  modification date is ``dcterms:modified``.
* JSON Feed has no RFC 5005 vocabulary: ``prev_archive_url`` becomes
  ``next_url`` (JSON Feed pages towards older items) and the archive links are
  also listed in an ``_rfc5005`` extension object.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from feedgen.feed import FeedGenerator

from feeds import feedgen_ext as ext
from feeds.jsonfeed import JsonArchive, JsonAttachment, JsonFeedDocument, JsonItem, dump_json_feed

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/feed+json; charset=utf-8"

SUMMARY_LIMIT = 500
GENERATOR = "Syndicator"
RSS_DOCS = "https://www.rssboard.org/rss-specification"
# lxml writes the declaration with single quotes; the conventional form is
# friendlier to the naive byte sniffers some CMS importers use.
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True, slots=True)
class Category:
    """A tag: ``term`` in the taxonomy section ``scheme`` (absolute URL)."""

    term: str
    scheme: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Enclosure:
    """An attached file; ``length`` is 0 when unknown (RSS needs a value)."""

    url: str
    media_type: str
    length: int


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One published item, as the caller stores it (newest first is the caller's job)."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str
    content_html: str | None
    language: str | None
    author: str | None
    categories: tuple[Category, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A withdrawn item (RFC 6721 ``at:deleted-entry``); rendered in Atom only."""

    id: str
    when: datetime
    link: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """The feed document's own metadata; ``self_url`` is this format's URL."""

    id: str
    title: str
    description: str
    language: str | None
    site_url: str
    self_url: str
    updated: datetime
    hubs: tuple[str, ...] = ()
    author: str = "Syndicator"
    ttl_minutes: int = 15
    archive: bool = False
    current_url: str | None = None
    prev_archive_url: str | None = None
    next_archive_url: str | None = None
    alternates: tuple[tuple[str, str], ...] = ()


# XML 1.0 forbids C0 controls other than TAB/LF/CR, surrogates, U+FFFE and
# U+FFFF. DEL and C1 are legal XML but "discouraged", and they are what breaks
# readers in practice (Google Reader's 2005 count: 5.7% of broken feeds).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# RFC 3986 reserved characters, "%" (keep existing escapes) and "~"; anything
# else outside unreserved ASCII is percent-encoded.
_URL_SAFE = "%:/?#[]@!$&'()*+,;=~"
_URL_UNSAFE = re.compile(r'[^!-~]|["<>\\^`{|}]')
_MEDIA_TYPE = re.compile(r"[!-~]+/[!-~]+\Z")
# A start tag, with quoted attribute values that may contain ">". Names and
# unquoted values exclude "<" so that hostile input such as "<a<a<a..." is
# rejected at once at every "<" instead of being rescanned (quadratic time).
_START_TAG = re.compile(r"""<[A-Za-z][^\s/<>]*(?:\s+[^\s"'=/<>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*/?>""")
_URL_ATTR = re.compile(r"""(\s(?:href|src|cite|poster)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)
# Pre-check on lower-cased HTML (case-sensitive matching is ~6x faster than
# IGNORECASE): some URL attribute whose value does not start with a scheme.
_RELATIVE_HINT = re.compile(r"""(?:href|src|cite|poster)\s*=\s*["']?+(?![a-z][a-z0-9+.\-]*:)""")


def clean_text(value: str) -> str:
    """Remove forbidden/control characters, normalise newlines to LF and NFC-normalise."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _FORBIDDEN.sub("", value))


def clean_line(value: str) -> str:
    """:func:`clean_text`, then collapse all whitespace runs to single spaces."""
    return " ".join(clean_text(value).split())


def truncate_summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Cut ``text`` to at most ``limit`` characters on a word boundary, ending in "…".

    Falls back to a hard cut when the last half of the window has no space (one
    very long word or URL), and then never separates a combining mark from its
    base letter.
    """
    if len(text) <= limit:
        return text
    window = text[: limit - 1]  # one character is kept for the ellipsis
    space = max(window.rfind(" "), window.rfind("\n"))
    if space >= limit // 2:
        window = window[:space]
    else:
        while window and unicodedata.combining(text[len(window)]):
            window = window[:-1]
    return window.rstrip(" \n\t,;:-–—") + "…"


def _absolutise_html(html: str, base: str) -> str:
    """Resolve relative URL attributes in start tags against ``base``."""
    if not _RELATIVE_HINT.search(html.lower()):
        return html  # the common case (ingest resolved everything) costs one scan

    def fix_attr(match: re.Match[str]) -> str:
        prefix, double, single, bare = match.groups()
        value = (double if double is not None else single if single is not None else bare).strip()
        if _SCHEME.match(value):
            return match.group(0)
        joined = urljoin(base, value).replace('"', "%22")
        return f'{prefix}"{joined}"'

    return _START_TAG.sub(lambda tag: _URL_ATTR.sub(fix_attr, tag.group(0)), html)


def _url(value: str, what: str) -> str:
    """An absolute http(s) URL, percent-encoded where needed; ValueError otherwise."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or _FORBIDDEN.search(value):
        raise ValueError(f"{what} must be an absolute http(s) URL, got {value!r}")
    if not _URL_UNSAFE.search(value):
        return value  # the common case, unchanged
    netloc = parts.netloc
    if not netloc.isascii():
        try:
            netloc = netloc.encode("idna").decode("ascii")
        except UnicodeError as e:
            raise ValueError(f"{what} has an invalid host name: {value!r}") from e
    rest = value[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme}://{netloc}{quote(rest, safe=_URL_SAFE)}"


def _uri(value: str, what: str) -> str:
    """A permanent identifier: any absolute URI (``tag:``, ``urn:``, ``https:``)."""
    if not _SCHEME.match(value) or _URL_UNSAFE.search(value) or _FORBIDDEN.search(value):
        raise ValueError(f"{what} must be an absolute URI such as tag:host,2025:item/1, got {value!r}")
    return value


def _utc(value: datetime, what: str) -> datetime:
    """UTC, truncated to the second so that all three formats carry the same instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC).replace(microsecond=0)


def _checked(pattern: re.Pattern[str], value: str, what: str, example: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"{what} must look like {example!r}, got {value!r}")
    return value


def _language(value: str | None, what: str) -> str | None:
    return None if value is None else _checked(_LANGUAGE, value, what, "vi")


def _optional_url(value: str | None, what: str) -> str | None:
    return None if value is None else _url(value, what)


def _clean_meta(meta: FeedMeta) -> FeedMeta:
    title = clean_line(meta.title)
    if not title:
        raise ValueError("feed title is empty")
    if meta.ttl_minutes < 1:
        raise ValueError(f"ttl_minutes must be positive, got {meta.ttl_minutes}")
    return replace(
        meta,
        id=_uri(meta.id, "feed id"),
        title=title,
        description=clean_line(meta.description) or title,
        language=_language(meta.language, "feed language"),
        site_url=_url(meta.site_url, "site_url"),
        self_url=_url(meta.self_url, "self_url"),
        updated=_utc(meta.updated, "feed updated"),
        hubs=tuple(_url(h, "hub") for h in meta.hubs),
        author=clean_line(meta.author) or GENERATOR,
        current_url=_optional_url(meta.current_url, "current_url"),
        prev_archive_url=_optional_url(meta.prev_archive_url, "prev_archive_url"),
        next_archive_url=_optional_url(meta.next_archive_url, "next_archive_url"),
        alternates=tuple(
            (_checked(_MEDIA_TYPE, t, "alternate type", "application/rss+xml"), _url(u, "alternate url"))
            for t, u in meta.alternates
        ),
    )


@functools.lru_cache(maxsize=4096)
def _clean_category(category: Category) -> Category:
    # Memoised: a feed repeats the same few taxonomy tags on every entry, and
    # cleaning them (two text passes and a URL check) was ~15% of a render.
    term = clean_line(category.term)
    if not term:
        raise ValueError(f"category term is empty (scheme {category.scheme!r})")
    label = clean_line(category.label) if category.label is not None else ""
    return Category(term=term, scheme=_url(category.scheme, "category scheme"), label=label or None)


def _clean_enclosure(enclosure: Enclosure) -> Enclosure:
    if enclosure.length < 0:
        raise ValueError(f"enclosure length must be >= 0, got {enclosure.length}")
    media_type = _checked(_MEDIA_TYPE, enclosure.media_type, "enclosure media_type", "application/pdf")
    return Enclosure(_url(enclosure.url, "enclosure url"), media_type, enclosure.length)


def _clean_entry(entry: FeedEntry) -> FeedEntry:
    link = _url(entry.link, f"link of {entry.id}")
    published = _utc(entry.published, f"published of {entry.id}")
    html = clean_text(entry.content_html).strip() if entry.content_html is not None else ""
    author = clean_line(entry.author) if entry.author is not None else ""
    return replace(
        entry,
        id=_uri(entry.id, "entry id"),
        title=clean_line(entry.title) or f"(untitled) {published:%Y-%m-%d}",
        link=link,
        published=published,
        updated=_utc(entry.updated, f"updated of {entry.id}"),
        summary=truncate_summary(clean_text(entry.summary).strip()),
        content_html=_absolutise_html(html, link) if html else None,
        language=_language(entry.language, f"language of {entry.id}"),
        author=author or None,
        categories=tuple(_clean_category(c) for c in entry.categories),
        enclosures=tuple(_clean_enclosure(e) for e in entry.enclosures),
    )


def _clean_tombstone(stone: Tombstone) -> ext.TombstoneSpec:
    comment = clean_line(stone.comment) if stone.comment is not None else ""
    return ext.TombstoneSpec(
        ref=_uri(stone.id, "tombstone id"),
        when=_utc(stone.when, f"when of tombstone {stone.id}"),
        link=_optional_url(stone.link, f"link of tombstone {stone.id}"),
        comment=comment or None,
    )


def _bare(content_type: str) -> str:
    """``application/rss+xml; charset=utf-8`` -> ``application/rss+xml`` (for link types)."""
    return content_type.split(";", 1)[0]


def _related_links(meta: FeedMeta, own_type: str) -> list[ext.LinkSpec]:
    """Hub, RFC 5005 and other-format links, in a fixed order.

    Alternates equal to this document or to the site page are skipped: the
    former is ``self``, the latter is already written as the HTML alternate.
    """
    links = [ext.LinkSpec("hub", hub) for hub in meta.hubs]
    archive_links = (("current", meta.current_url), ("prev-archive", meta.prev_archive_url))
    for rel, url in (*archive_links, ("next-archive", meta.next_archive_url)):
        if url is not None:
            links.append(ext.LinkSpec(rel, url, own_type))
    for media_type, url in meta.alternates:
        if url not in (meta.self_url, meta.site_url):
            links.append(ext.LinkSpec("alternate", url, media_type))
    return links


def _differs(language: str | None, feed_language: str | None) -> bool:
    """Whether an entry needs its own language marker."""
    return language is not None and (feed_language is None or language.lower() != feed_language.lower())


def _new_generator(meta: FeedMeta) -> Any:
    """A FeedGenerator with the settings both XML formats share."""
    fg = FeedGenerator()
    fg.title(meta.title)
    fg.description(meta.description)  # RSS description and Atom subtitle
    if meta.language:
        fg.language(meta.language)  # RSS <language> and Atom feed xml:lang
    fg.generator(GENERATOR)
    return fg


def render_rss(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Render an RSS 2.0 document (UTF-8, with an XML declaration).

    Raises ValueError on a relative URL, a naive datetime or another caller bug.
    """
    meta = _clean_meta(meta)
    items = [_clean_entry(e) for e in entries]
    fg = _new_generator(meta)
    # feedgen always writes <lastBuildDate> through its locale-switching
    # formatter, defaulting to "now" (non-deterministic too). It has no public
    # way to unset it, so clear the private field and write the date ourselves;
    # tests/test_feed_render.py fails if feedgen ever touches the locale.
    fg._FeedGenerator__rss_lastBuildDate = None
    fg.register_extension("history", ext.ArchiveExtension, None, atom=False, rss=True)
    fg.register_extension("rss_extras", ext.RssChannelExtension, ext.RssItemExtension, atom=False, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    # feedgen copies the href of the *last* link() into the channel <link>, so
    # self goes first and the site page last (contracts/feeds.md, gotcha 1).
    fg.link(href=meta.self_url, rel="self", type=_bare(RSS_TYPE))
    fg.link(href=meta.site_url, rel="alternate", type="text/html")
    fg.ttl(meta.ttl_minutes)
    fg.docs(RSS_DOCS)
    fg.history.set_archive(meta.archive)
    channel: ext.RssChannelExtension = fg.rss_extras
    channel.set_last_build(meta.updated)
    for link in _related_links(meta, _bare(RSS_TYPE)):
        channel.add_link(link)
    channel.set_update_hint(meta.ttl_minutes)

    for entry in items:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)  # also the guid, with isPermaLink="false"
        fe.title(entry.title)
        fe.link(href=entry.link, rel="alternate")
        if entry.summary:
            fe.summary(entry.summary)  # -> <description>
        if entry.content_html:
            fe.content(entry.content_html)  # -> <content:encoded>, escaped (never CDATA: "]]>" is safe)
        for category in entry.categories:
            fe.category(term=category.term, scheme=category.scheme)  # -> <category domain=scheme>term
        if entry.enclosures:
            first = entry.enclosures[0]
            fe.enclosure(url=first.url, length=str(first.length), type=first.media_type)
        if entry.author:
            fe.dc.dc_creator(entry.author)
        if _differs(entry.language, meta.language):
            fe.dc.dc_language(entry.language)
        item: ext.RssItemExtension = fe.rss_extras
        item.set_dates(entry.published, entry.updated)
    return _XML_DECLARATION + bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=False))


def render_atom(meta: FeedMeta, entries: Sequence[FeedEntry], tombstones: Sequence[Tombstone] = ()) -> bytes:
    """Render an Atom 1.0 document, with RFC 6721 tombstones for withdrawn items.

    Raises ValueError on a relative URL, a naive datetime or another caller bug.
    """
    meta = _clean_meta(meta)
    items = [_clean_entry(e) for e in entries]
    stones = [_clean_tombstone(t) for t in tombstones]
    fg = _new_generator(meta)
    fg.register_extension("history", ext.ArchiveExtension, None, atom=True, rss=False)
    fg.register_extension("tombstones", ext.TombstoneExtension, None, atom=True, rss=False)
    fg.register_extension("atom_extras", ext.NoFeedExtension, ext.AtomEntryExtension, atom=True, rss=False)
    fg.id(meta.id)
    fg.updated(meta.updated)
    fg.author(name=meta.author)
    fg.link(href=meta.self_url, rel="self", type=_bare(ATOM_TYPE))
    fg.link(href=meta.site_url, rel="alternate", type="text/html")
    for link in _related_links(meta, _bare(ATOM_TYPE)):
        fg.link(**link.attributes())
    fg.history.set_archive(meta.archive)
    for stone in stones:
        fg.tombstones.add_tombstone(stone)

    for entry in items:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(entry.title)
        fe.updated(entry.updated)
        fe.published(entry.published)
        fe.link(href=entry.link, rel="alternate")
        if entry.summary:
            fe.summary(entry.summary, type="text")
        if entry.content_html:
            fe.content(entry.content_html, type="html")
        for category in entry.categories:
            fe.category(
                term=category.term, scheme=category.scheme, **({"label": category.label} if category.label else {})
            )
        extras: ext.AtomEntryExtension = fe.atom_extras
        for enclosure in entry.enclosures:
            extras.add_link(ext.LinkSpec("enclosure", enclosure.url, enclosure.media_type, enclosure.length))
        if entry.author:
            fe.author(name=entry.author)
        if _differs(entry.language, meta.language):
            extras.set_language(entry.language)
    return _XML_DECLARATION + bytes(fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=False))


def render_json(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Render a JSON Feed 1.1 document (UTF-8, keys in a fixed order).

    Raises ValueError on a relative URL, a naive datetime or another caller bug.
    """
    meta = _clean_meta(meta)
    items = [_clean_entry(e) for e in entries]
    doc = JsonFeedDocument(
        title=meta.title,
        home_page_url=meta.site_url,
        feed_url=meta.self_url,
        description=meta.description,
        language=meta.language,
        authors=(meta.author,),
        hubs=meta.hubs,
        next_url=meta.prev_archive_url,  # JSON Feed pages towards older items
        archive=JsonArchive(meta.archive, meta.current_url, meta.prev_archive_url, meta.next_archive_url),
        items=tuple(
            JsonItem(
                id=entry.id,
                url=entry.link,
                title=entry.title,
                date_published=entry.published,
                date_modified=entry.updated,
                content_html=entry.content_html,
                content_text=None if entry.content_html else entry.summary,
                summary=entry.summary or None,
                language=entry.language,
                authors=(entry.author,) if entry.author else (),
                tags=tuple(c.term for c in entry.categories),
                attachments=tuple(JsonAttachment(e.url, e.media_type, e.length or None) for e in entry.enclosures),
            )
            for entry in items
        ),
    )
    return dump_json_feed(doc)
