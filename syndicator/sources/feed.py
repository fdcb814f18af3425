"""The ``feed`` source parser: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1.

:func:`parse_feed` turns a retrieved feed's bytes into a ``ParseResult``. Two
readers fill one raw record (``feed_fallback.RawFeed``) and one pure finishing
step (:func:`finish`) makes the result, so they can only differ where their
records differ, and the equivalence tests show they do not: the fast reader
(``feed_fast``, lxml) takes well-formed RSS and Atom 1.0 it can read exactly as
feedparser would; feedparser (``feed_fallback``) reads the rest (malformed XML,
keeping what it can; Atom 0.3; DTDs; undecodable text; odd markup). JSON Feed
has one small reader here for both paths (feedparser 6.0 has none).

**Charset**, one rule for both readers: byte-order mark, else the HTTP charset
(*content_type* or *headers*), else the XML declaration, else UTF-8 (RFC 7303,
not RFC 3023's "text/xml means us-ascii", feeds.md §4). If it cannot decode
the bytes, feedparser tries others and the problem is reported. All text ends
up NFC (windows-1258 writes Vietnamese as base letters plus combining marks).

**Security**: no reader resolves external entities, loads a DTD or touches the
network; internal-subset DTDs never reach lxml and feedparser strips them; no
file is read (feedparser gets a stream, never a "file name").

**Finishing**, the same for all readers: relative URLs in summary/content
attributes (``href``, ``src``, ``srcset``, …) are made absolute against the
element's base; titles lose HTML tags and entities (not Atom/JSON plain-text
titles); plain-text summary/content is escaped; dates go through ``feeddates``;
an RSS permalink guid stands in for a missing link; the entry language falls
back to the feed's, then the caller's.
"""

from __future__ import annotations

import codecs
import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from syndicator.domain import Attachment, ParsedEntry, ParseResult
from syndicator.sources import feed_fallback as fp
from syndicator.sources.feed_fallback import RawEntry, RawFeed, RawLink, Unsure, read_with_feedparser
from syndicator.sources.feed_fast import read_xml
from syndicator.sources.feeddates import parse_feed_date

__all__ = ["finish", "parse_feed", "parse_feed_fast", "parse_feed_slow", "fast_path_refusal"]

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))  # fmt: skip
_DECLARED = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S | re.I)
_ROOT = re.compile(r"\s*<([A-Za-z_][\w.:-]*)")
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html", re.I)
_HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# (Tag patterns stop at the next "<", so that text full of "<" and no ">" stays linear.)
_BREAK_TAGS = re.compile(r"<(?:br|p|div|li|h[1-6]|tr|td)\b[^<>]*>|</(?:p|div|li|h[1-6]|tr|td)\s*>", re.I)
# Only real HTML tags are stripped from titles: "Hội thảo <AI>" keeps its "<AI>".
_TAGS = re.compile(
    r"</?(?:a|abbr|acronym|b|big|blockquote|br|cite|code|del|dfn|div|em|font|h[1-6]|hr|i|img"
    r"|ins|kbd|li|mark|nobr|ol|p|pre|q|s|samp|small|span|strike|strong|sub|sup|table|td|th|tr|tt|u|ul"
    r"|var|wbr)\b(?:[^<>\"']|\"[^<\"]*\"|'[^<']*')*>",
    re.S | re.I,
)
# feedparser rebuilds inline XHTML with an end tag for every element: "<br></br>".
_VOID_END = re.compile(
    r"<(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)((?:\s[^<>]*)?)></\1>", re.I
)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
# A start tag up to and including its first URL attribute that may be relative
# (absolute and "#…" values are skipped by the lookahead, without a Python call),
# and the rest of the tag. A quoted "<" or ">" in the tag hides it: rare, and
# the link then stays relative.
_URL_NAMES = r"href|src|poster|cite|background|action|longdesc|usemap|srcset"
_URL_TAG = re.compile(
    r"(<[A-Za-z][^<>]*?\s)"
    r"(srcset|(?:href|src|poster|cite|background|action|longdesc|usemap)"
    r"""(?=\s*=\s*(?:"(?!\s*(?:[A-Za-z][A-Za-z0-9+.-]*:|\#))|'(?!\s*(?:[A-Za-z][A-Za-z0-9+.-]*:|\#))"""
    r"""|(?!["'\s])(?![A-Za-z][A-Za-z0-9+.-]*:|\#))))"""
    r"""(\s*=\s*)(?:"([^"<]*)"|'([^'<]*)'|([^\s"'<>][^\s<>]*))([^<>]*>)""",
    re.I,
)
_URL_NAME = re.compile(rf"\s(?:{_URL_NAMES})\s*=", re.I)
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LENGTH = re.compile(r"\d{1,18}")

_NOT_FEED = "this document is not an RSS, Atom or JSON feed"
_HTML_PAGE = "this is an HTML page, not a feed (is the URL right? try the site's RSS link)"
_NO_ENTRIES = "feed has no entries"
_ENTITIES = "the feed declares XML entities (a DTD); they were not expanded and no file or URL they name was read"


@dataclass(frozen=True, slots=True)
class _Document:
    """A body plus what we could tell about it before reading it."""

    body: bytes
    url: str
    charset: str
    kind: str  # rss, atom, json, html, unknown, empty
    root: str | None
    media_type: str


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    language: str | None = None,
) -> ParseResult:
    """Parse a feed: the fast reader when it is sure, feedparser otherwise.

    *url* is the document's URL (the base for relative links); *content_type*
    and *headers* are the HTTP response's (for the charset); *language* is
    used for entries and feeds that declare none. Never raises: what cannot
    be read is reported in ``problems``.
    """
    return _guarded(body, url, content_type, headers, language, fast=True)


def parse_feed_slow(
    body: bytes, *, url: str, content_type: str | None = None, headers: Mapping[str, str] | None = None,
    language: str | None = None,
) -> ParseResult:  # fmt: skip
    """Like :func:`parse_feed`, but always with feedparser (JSON Feed: our reader)."""
    return _guarded(body, url, content_type, headers, language, fast=False)


def parse_feed_fast(
    body: bytes, *, url: str, content_type: str | None = None, headers: Mapping[str, str] | None = None,
    language: str | None = None,
) -> ParseResult | None:  # fmt: skip
    """The fast readers alone, for tests and benchmarks: ``None`` when they decline."""
    result = _fast(body, url, content_type, headers, language)
    return result if isinstance(result, ParseResult) else None


def fast_path_refusal(
    body: bytes, *, url: str, content_type: str | None = None, headers: Mapping[str, str] | None = None
) -> str | None:
    """Why the fast reader declines this document, or ``None`` when it takes it."""
    result = _fast(body, url, content_type, headers, None)
    return result if isinstance(result, str) else None


def _fast(
    body: bytes, url: str, content_type: str | None, headers: Mapping[str, str] | None, language: str | None
) -> ParseResult | str:
    doc = _inspect(body, url, content_type, headers)
    try:
        raw = _read_json(doc) if doc.kind == "json" else read_xml(doc.body, url=url, charset=doc.charset)
    except Unsure as reason:
        return str(reason)
    return finish(raw, language=language)


def _guarded(
    body: bytes, url: str, content_type: str | None, headers: Mapping[str, str] | None, language: str | None, *,
    fast: bool,
) -> ParseResult:  # fmt: skip
    try:
        doc = _inspect(body, url, content_type, headers)
        return finish(_read(doc, fast=fast), language=language)
    except Exception as error:  # noqa: BLE001 - the contract is "never raises on any bytes"
        return ParseResult(entries=(), problems=(f"the feed could not be read: {type(error).__name__}: {error}",))


def _read(doc: _Document, *, fast: bool) -> RawFeed:
    if doc.kind == "empty":
        return RawFeed(kind="rss", entries=(), problems=("the document is empty",))
    if doc.kind == "json":
        return _read_json(doc)
    if doc.kind == "html":
        return RawFeed(kind="rss", entries=(), problems=(_HTML_PAGE,))
    if fast and doc.kind in ("rss", "atom"):
        try:
            return read_xml(doc.body, url=doc.url, charset=doc.charset)
        except Unsure:
            pass
    raw = read_with_feedparser(doc.body, url=doc.url, charset=doc.charset, kind=doc.kind)
    first_element = re.search(rb"<[A-Za-z_]", doc.body)
    if _ENTITY_DECLARATION.search(doc.body, 0, first_element.start() if first_element else 4096):
        raw = RawFeed(raw.kind, raw.entries, raw.title, raw.title_type, raw.language, (*raw.problems, _ENTITIES))
    if doc.kind == "unknown" and not raw.entries:
        if doc.media_type in _HTML_MEDIA_TYPES:
            return RawFeed(kind=raw.kind, entries=(), problems=(_HTML_PAGE,))
        root = f" (its root element is <{doc.root}>)" if doc.root else ""
        return RawFeed(kind=raw.kind, entries=(), problems=(_NOT_FEED + root,))
    return raw


# -- what the document is ---------------------------------------------------------------


def _inspect(body: bytes, url: str, content_type: str | None, headers: Mapping[str, str] | None) -> _Document:
    """Charset and kind of a body, from its first bytes and the HTTP headers."""
    if content_type is None and headers:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    media_type, _, params = (content_type or "").partition(";")
    http_charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            http_charset = value.strip().strip("\"'")
    bom, bom_charset = next(((b, name) for b, name in _BOMS if body.startswith(b)), (b"", None))
    start = body[len(bom) :]
    declared = _DECLARED.match(start[:512])
    declared_charset = declared.group(1).decode("ascii") if declared else None
    if declared_charset and declared_charset.lower().replace("_", "-").startswith(("utf-16", "utf-32", "ucs")):
        declared_charset = None  # an ASCII-readable declaration cannot be UTF-16/32
    charset = next((c for c in (bom_charset, http_charset, declared_charset) if c and _known(c)), "utf-8")
    head = start[:8192].decode(charset, "replace")
    kind, root = _kind(head, media_type.strip().lower())
    if not body.strip():
        kind = "empty"
    return _Document(body, url, charset, kind, root, media_type.strip().lower())


def _known(charset: str) -> bool:
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True


def _kind(head: str, media_type: str) -> tuple[str, str | None]:
    if head.lstrip().startswith("{"):
        return "json", None
    if _HTML_DOCTYPE.search(head[:1024]):
        return "html", "html"
    position = 0
    while (item := _PROLOG_ITEM.match(head, position)) is not None and item.end() > position:
        position = item.end()
    match = _ROOT.match(head, position)
    if match is None:
        return ("html", None) if media_type in _HTML_MEDIA_TYPES else ("unknown", None)
    root = match.group(1)
    kinds = {"rss": "rss", "rdf": "rss", "feed": "atom", "html": "html"}  # by local name: rdf:RDF is RSS 1.0
    return kinds.get(root.rsplit(":", 1)[-1].lower(), "unknown"), root


# -- JSON Feed ----------------------------------------------------------------------------


def _read_json(doc: _Document) -> RawFeed:
    """JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/) as a raw record."""
    try:
        data = json.loads(doc.body.decode(doc.charset).lstrip("\ufeff"))
    except (ValueError, UnicodeError) as error:
        return RawFeed(kind="json", entries=(), problems=(f"{_NOT_FEED} (invalid JSON: {error})",))
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return RawFeed(kind="json", entries=(), problems=(f'{_NOT_FEED} (JSON without an "items" list)',))
    problems = []
    version = data.get("version")
    if not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")):
        problems.append(f"unknown JSON Feed version {version!r}; read as 1.1")
    entries = []
    for number, item in enumerate(data["items"], start=1):
        if isinstance(item, dict):
            entries.append(_json_entry(item, doc.url))
        else:
            problems.append(f"item {number} is not a JSON object; skipped")
    title, language = _json_text(data.get("title")), _json_text(data.get("language"))
    return RawFeed("json", tuple(entries), title=title, language=language, problems=tuple(problems))


def _json_entry(item: Mapping[str, object], url: str) -> RawEntry:
    guid = item.get("id")
    link = _json_text(item.get("url"))
    links = [RawLink(fp.urljoin(url, link), "alternate", fp.HTML)] if link else []
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if isinstance(attachment, dict):
            size = attachment.get("size_in_bytes")
            links.append(RawLink(
                _json_text(attachment.get("url")), "enclosure", _json_text(attachment.get("mime_type")),
                str(size) if isinstance(size, int) and not isinstance(size, bool) else None,
                _json_text(attachment.get("title")),
            ))  # fmt: skip
    content_html = _json_text(item.get("content_html"))
    content_text = _json_text(item.get("content_text"))
    authors = item.get("authors")
    if not isinstance(authors, list):  # JSON Feed 1.0 had a single "author"
        authors = [item.get("author")]
    names = (_json_text(author.get("name")) for author in authors if isinstance(author, dict))
    return RawEntry(
        guid=str(guid).strip() if isinstance(guid, (str, int, float)) and not isinstance(guid, bool) else None,
        links=tuple(links),
        title=_json_text(item.get("title")),  # plain text, as RawEntry's default title_type says
        summary=_json_text(item.get("summary")),
        summary_type=fp.PLAIN,  # JSON Feed's summary is plain text
        summary_base=url,
        content=content_html if content_html else content_text,
        content_type=fp.HTML if content_html else fp.PLAIN,
        content_base=url,
        published=_json_text(item.get("date_published")),
        updated=_json_text(item.get("date_modified")),
        lang=_json_text(item.get("language")),
        author=next((name for name in names if name), None),
        base=url,
    )


def _json_text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) else None


# -- finishing -----------------------------------------------------------------------------


def finish(raw: RawFeed, *, language: str | None) -> ParseResult:
    """Turn any reader's raw record into a ``ParseResult`` (pure; same for every reader)."""
    feed_language = _language(raw.language) or _language(language)
    problems = list(raw.problems)
    finished = (_finish_entry(entry, raw.kind, feed_language, problems) for entry in raw.entries)
    entries = tuple(e for e in finished if e.title or e.guid or e.url or e.summary or e.content)
    if len(entries) < len(raw.entries):
        dropped = len(raw.entries) - len(entries)
        problems.append(f"{dropped} entr{'y' if dropped == 1 else 'ies'} without title, id, link or text dropped")
    counts = Counter(entry.guid for entry in entries if entry.guid)
    for guid, count in counts.items():
        if count > 1:
            problems.append(f"guid {guid!r} is used by {count} entries (all kept)")
    if not entries and not any(p.startswith((_NOT_FEED, _HTML_PAGE, "the document is empty")) for p in problems):
        problems.append(_NO_ENTRIES)
    title = _clean_title(raw.title, plain=_plain_title(raw.kind, raw.title_type)) or None
    return ParseResult(entries=entries, problems=tuple(problems), title=title, language=feed_language)


def _finish_entry(entry: RawEntry, kind: str, feed_language: str | None, problems: list[str]) -> ParsedEntry:
    guid = _nfc((entry.guid or "").strip()) or None
    url = _nfc((_entry_url(entry, kind) or "").strip()) or None
    label = guid or url or repr(entry.title or "")
    published, updated = entry.published, entry.updated
    if kind == "rss" and not published:
        # RSS 1.0 dates its items with dc:date (feedparser files it as "updated").
        published, updated = updated, None
    return ParsedEntry(
        title=_clean_title(entry.title, plain=_plain_title(kind, entry.title_type)),
        guid=guid,
        url=url,
        summary=_markup(entry.summary, entry.summary_type, entry.summary_base),
        content=_markup(entry.content, entry.content_type, entry.content_base),
        published=_date(published, label, problems),
        updated=_date(updated, label, problems),
        language=_language(entry.lang) or feed_language,
        author=_collapse(entry.author) or None,
        attachments=_attachments(entry),
    )


def _entry_url(entry: RawEntry, kind: str) -> str | None:
    """First HTML alternate link, else first alternate, else (RSS) a permalink guid."""
    alternates = [link for link in entry.links if link.rel == "alternate" and link.href]
    for link in alternates:
        if fp.map_content_type(link.type or fp.HTML) in (fp.HTML, fp.XHTML):
            return link.href
    if alternates:
        return alternates[0].href
    return entry.guid_link if kind == "rss" else None


def _attachments(entry: RawEntry) -> tuple[Attachment, ...]:
    found: dict[str, Attachment] = {}
    for link in entry.links:
        href = (link.href or "").strip()
        if link.rel != "enclosure" or not href:
            continue
        href = _nfc(_absolute(href, entry.base))
        media_type = (link.type or "").strip().lower() or None
        if media_type == fp.HTML:
            media_type = None  # feedparser's default for an Atom enclosure without a type
        length = (link.length or "").strip()
        found.setdefault(href, Attachment(
            url=href,
            media_type=media_type,
            length=int(length) if _LENGTH.fullmatch(length) else None,
            title=_collapse(link.title) or None,
        ))  # fmt: skip
    return tuple(found.values())


def _markup(value: str | None, content_type: str, base: str) -> str | None:
    """Summary or content as HTML: markup kept (links made absolute), text escaped."""
    if not value:
        return None
    value = _nfc(value)
    if content_type == fp.XHTML and "></" in value:
        value = _VOID_END.sub(r"<\1\2>", value)
    if content_type in (fp.HTML, fp.XHTML):
        return _absolute_links(value, base) if base else value
    if content_type.startswith("text/"):
        return html.escape(value, quote=False)
    return None  # base64 or other binary content: nothing a newsroom can show


def _absolute_links(markup: str, base: str) -> str:
    """Make relative URL attributes absolute (inside start tags only; text and entities untouched)."""
    if "=" not in markup:
        return markup
    origin, directory = fp.split_base(base)

    def resolve(value: str, checked: bool = False) -> str:
        stripped = value.strip()
        if not stripped or not checked and (stripped[0] == "#" or _HAS_SCHEME.match(stripped)):
            return value
        if directory and fp.is_plain_path(stripped):  # fp.join_url's shortcut, inlined: hot
            return origin + stripped if stripped[0] == "/" else origin + directory + stripped
        try:
            return fp.join_url(base, stripped, relative=True)
        except ValueError:
            return value

    def attribute(match: re.Match[str]) -> str:
        head, name, equals, double, single, bare, rest = match.groups()
        value = double if double is not None else single if single is not None else bare
        if name.lower() == "srcset":
            new = ", ".join(_srcset_candidate(part, resolve) for part in value.split(",") if part.strip())
        else:
            new = resolve(value, checked=True)  # _URL_TAG's lookahead left out "#…" and "scheme:…"
        if "=" in rest and _URL_NAME.search(rest):  # another URL attribute in the tag (src + srcset, …)
            rest = _URL_TAG.sub(attribute, "<x " + rest)[3:]
        elif new == value:
            return match.group(0)
        quote = "'" if single is not None else '"'
        escaped = new.replace(quote, "&quot;" if quote == '"' else "&#39;")
        return f"{head}{name}{equals}{quote}{escaped}{quote}{rest}"

    return _URL_TAG.sub(attribute, markup)


def _srcset_candidate(candidate: str, resolve: Callable[[str], str]) -> str:
    url, _, descriptor = candidate.strip().partition(" ")  # "a.jpg 2x": the URL, then a descriptor
    return f"{resolve(url)} {descriptor.strip()}".strip()


def _absolute(value: str, base: str) -> str:
    """*value* resolved against *base* when it is relative (enclosure URLs)."""
    stripped = value.strip()
    if not stripped or not base or stripped.startswith("#") or _HAS_SCHEME.match(stripped):
        return value
    try:
        return fp.join_url(base, stripped, relative=True)
    except ValueError:
        return value


def _plain_title(kind: str, content_type: str) -> bool:
    """Atom text titles and JSON Feed titles are text; RSS titles are HTML in practice."""
    return kind == "json" or (kind == "atom" and content_type not in (fp.HTML, fp.XHTML))


def _clean_title(title: str | None, *, plain: bool) -> str:
    if not title:
        return ""
    if not plain:
        if "<" in title:
            title = _TAGS.sub("", _BREAK_TAGS.sub(" ", _without_comments(title)))
        if "&" in title:
            title = html.unescape(title)
    return _nfc(" ".join(title.split()))


def _without_comments(text: str) -> str:
    """*text* without ``<!-- … -->`` (a loop, not a regex: linear even when comments never end)."""
    parts, position = [], 0
    while (start := text.find("<!--", position)) >= 0 and (end := text.find("-->", start + 4)) >= 0:
        parts.append(text[position:start])
        position = end + 3
    return "".join(parts) + text[position:] if parts else text


def _collapse(value: str | None) -> str:
    return _nfc(" ".join(value.split())) if value else ""


def _language(value: str | None) -> str | None:
    value = (value or "").strip().replace("_", "-")
    return _nfc(value) or None


def _nfc(text: str) -> str:
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _date(raw: str | None, label: str, problems: list[str]) -> datetime | None:
    if not raw or not raw.strip():
        return None
    parsed = parse_feed_date(raw)
    if parsed is None:
        problems.append(f"entry {label}: unreadable date {raw.strip()!r}")
    return parsed
