"""HTML pages: a listing page of links plus the article pages it links to.

Pure functions: bytes in, URLs or a ParsedEntry out. The CSS selectors come
from the source's config; when a required selector stops matching, the site's
layout has probably changed, and the problem says which selector to fix.

The decoding and link helpers here are also used by the directory parser for
local HTML files.
"""

from __future__ import annotations

import codecs
import html
import posixpath
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Comment, Tag, XMLParsedAsHTMLWarning
from bs4.dammit import EncodingDetector
from soupsieve import SelectorSyntaxError

from ..domain import Attachment, ParsedEntry
from .vndate import DEFAULT_TZ, clean_text, parse_datetime

__all__ = [
    "PageSelectors",
    "absolute_url",
    "absolutize_fragment",
    "decode_html",
    "guess_media_type",
    "meta_values",
    "parse_article",
    "parse_html",
    "parse_listing",
]

_UTF8_BOM = b"\xef\xbb\xbf"
# Python codecs a hostile or broken charset label could name that are not text encodings of a page.
_NOT_HTML_CODECS = frozenset({"unicode_escape", "raw_unicode_escape", "punycode", "idna", "undefined", "utf_7"})
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)

# Attributes that hold a URL in content we republish.
_URL_ATTRS = ("href", "src", "poster", "data-src", "cite", "action")

# Explicit table, not the `mimetypes` module: its answers depend on files of the host system.
_MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".rtf": "application/rtf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
    ".7z": "application/x-7z-compressed",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
}


@dataclass(frozen=True, slots=True)
class PageSelectors:
    """CSS selectors that find the parts of a listing page and of its article pages."""

    item_links: str
    title: str = "h1"
    date: str | None = None
    body: str = "article"
    summary: str | None = None
    attachments: str | None = "a[href$='.pdf'], a[href$='.doc'], a[href$='.docx']"
    doc_number: str | None = None
    issuer: str | None = None


def _codec(name: str | None) -> str | None:
    """The Python codec name for a charset label, or None when Python does not know it."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML document to NFC text.

    Order of trust follows the HTML standard: a byte-order mark, then the HTTP
    charset, then ``<meta charset>``/``http-equiv``, then UTF-8, then detection.
    NFC matters for Vietnamese: windows-1258 and some editors store tone marks
    as combining characters, which would otherwise never compare equal.
    """
    if body.startswith(_UTF8_BOM):
        text = body[len(_UTF8_BOM) :].decode("utf-8", errors="replace")
        return unicodedata.normalize("NFC", text)
    known: list[str] = []
    if content_type:
        m = _CHARSET.search(content_type)
        http_codec = _codec(m.group(1)) if m else None
        if http_codec:
            known.append(http_codec)
    # UTF-8 is tried before statistical detection: undeclared Vietnamese pages are
    # almost always UTF-8, and detectors misread short UTF-8 texts as single-byte codepages.
    detector = EncodingDetector(body, known_definite_encodings=known, user_encodings=["utf-8"], is_html=True)
    decoded: str | None = None
    for candidate in detector.encodings:
        codec = _codec(candidate)
        if codec is None or codec.replace("-", "_") in _NOT_HTML_CODECS:
            continue
        if codec.replace("-", "_").startswith(("utf_16", "utf_32")):
            # HTML standard: a UTF-16/32 label without a BOM means UTF-8 (the markup itself is ASCII).
            codec = "utf-8"
        try:
            decoded = body.decode(codec)
            break
        except (UnicodeError, LookupError, ValueError):
            continue
    if decoded is None:
        # Nothing decoded cleanly; windows-1258 with replacements loses the least for Vietnamese.
        decoded = body.decode("cp1258", errors="replace")
    return unicodedata.normalize("NFC", decoded)


def parse_html(body: bytes, content_type: str | None = None) -> BeautifulSoup:
    """A BeautifulSoup tree (lxml parser) of an HTML document decoded by ``decode_html``."""
    text = decode_html(body, content_type)
    # Text without a single tag has no elements to select; bs4 would also warn that a
    # short one "looks like a filename", which is noise in a collector's log.
    with warnings.catch_warnings():
        # A page source that gets XML (a feed URL by mistake) is read as HTML on purpose; its
        # selectors then report "layout changed?", which says more than bs4's warning would.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(text if "<" in text else "", "lxml")


def absolute_url(href: str | None, base: str | None) -> str | None:
    """``href`` made absolute against ``base``, without fragment; None unless http(s).

    Links to ``javascript:``, ``mailto:``, bare fragments and the like are not
    article links, so they give None.
    """
    if href is None:
        return None
    href = clean_text(href)
    if not href or href.startswith("#"):
        return None
    try:
        joined = urljoin(base, href) if base else href
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def _document_base(soup: BeautifulSoup, url: str | None) -> str | None:
    """The URL relative links resolve against: ``<base href>`` (itself resolved) or ``url``."""
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        resolved = absolute_url(str(base["href"]), url)
        if resolved:
            return resolved
    return url


def meta_values(soup: BeautifulSoup) -> dict[str, str]:
    """``<meta>`` contents by lower-cased ``name``/``property``/``itemprop``; the first one wins.

    Names are compared case-insensitively because sites write ``DC.date``,
    ``dc.date`` and ``DC.Date`` for the same thing.
    """
    found: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        if not isinstance(meta, Tag):
            continue
        content = meta.get("content")
        if not isinstance(content, str):
            continue
        for attr in ("name", "property", "itemprop"):
            key = meta.get(attr)
            if isinstance(key, str) and key.strip():
                found.setdefault(key.strip().lower(), clean_text(content))
    return found


def canonical_link(soup: BeautifulSoup, base: str | None) -> str | None:
    """The absolute ``<link rel=canonical>`` URL, if the page has a usable one."""
    for link in soup.find_all("link", href=True):
        if isinstance(link, Tag) and "canonical" in [r.lower() for r in link.get_attribute_list("rel") if r]:
            return absolute_url(str(link["href"]), base)
    return None


def guess_media_type(url: str) -> str | None:
    """The media type implied by the file extension of ``url``'s path, if we know it."""
    path = urlsplit(url).path
    return _MEDIA_TYPES.get(posixpath.splitext(path)[1].lower())


def element_text(element: Tag) -> str:
    """Visible text of an element, NFC, whitespace collapsed."""
    return clean_text(element.get_text(" "))


def _select(soup: BeautifulSoup | Tag, selector: str) -> tuple[list[Tag], str | None]:
    """Elements matching ``selector``, or a problem when the selector itself is invalid."""
    try:
        return [t for t in soup.select(selector) if isinstance(t, Tag)], None
    except (SelectorSyntaxError, ValueError, NotImplementedError) as e:
        return [], f"invalid CSS selector '{selector}': {e}"


def strip_active(element: Tag) -> None:
    """Remove scripts, styles and comments from ``element`` (in place, on a private tree)."""
    for tag in element.find_all(["script", "style", "noscript", "template"]):
        tag.decompose()
    for comment in element.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()


def absolutize(element: Tag, base: str | None) -> None:
    """Make every URL attribute under ``element`` absolute against ``base`` (in place).

    Without a base, relative URLs are left as they are; URLs that cannot be
    made http(s) (``mailto:``, ``data:``) are left alone for the sanitiser to judge.
    """
    if not base:
        return
    for tag in [element, *element.find_all(True)]:
        if not isinstance(tag, Tag):
            continue
        for attr in _URL_ATTRS:
            value = tag.get(attr)
            if isinstance(value, str) and value.strip() and not value.strip().startswith("#"):
                resolved = _join(base, value)
                if resolved:
                    tag[attr] = resolved
        srcset = tag.get("srcset")
        if isinstance(srcset, str):
            tag["srcset"] = _absolutize_srcset(srcset, base)


def _join(base: str, value: str) -> str | None:
    try:
        return urljoin(base, clean_text(value))
    except ValueError:
        return None


def _absolutize_srcset(srcset: str, base: str) -> str:
    out = []
    for candidate in srcset.split(","):
        parts = candidate.split()
        if parts:
            parts[0] = _join(base, parts[0]) or parts[0]
            out.append(" ".join(parts))
    return ", ".join(out)


def absolutize_fragment(fragment: str, base: str) -> str:
    """An HTML fragment with its relative URLs made absolute against ``base``."""
    if "<" not in fragment:
        return fragment
    soup = BeautifulSoup(fragment, "lxml")
    # lxml wraps a fragment in <html><body>; the fragment is what is inside <body>.
    body = soup.body
    if body is None:
        return fragment
    absolutize(body, base)
    return inner_html(body)


def inner_html(element: Tag) -> str:
    """The HTML inside ``element`` (not the element's own tag), NFC, trimmed."""
    return unicodedata.normalize("NFC", element.decode_contents()).strip()


def collect_attachments(elements: Iterable[Tag], base: str | None) -> tuple[Attachment, ...]:
    """Attachments for the ``<a href>`` among ``elements``: absolute, de-duplicated, typed."""
    seen: set[str] = set()
    found: list[Attachment] = []
    for el in elements:
        link = absolute_url(str(el["href"]), base) if el.has_attr("href") else None
        if link is None or link in seen:
            continue
        seen.add(link)
        found.append(Attachment(url=link, media_type=guess_media_type(link), title=element_text(el) or None))
    return tuple(found)


def parse_listing(
    body: bytes, *, url: str, content_type: str | None, selectors: PageSelectors
) -> tuple[list[str], tuple[str, ...]]:
    """Article URLs on a listing page: absolute, fragment-free, de-duplicated in page order.

    Problems name the selector when it matches nothing (the layout probably
    changed) or when it matches elements that hold no usable link.
    """
    soup = parse_html(body, content_type)
    base = _document_base(soup, url)
    matched, problem = _select(soup, selectors.item_links)
    if problem:
        return [], (f"{problem} (item_links on {url})",)
    if not matched:
        return [], (f"layout changed? item_links selector '{selectors.item_links}' matched nothing on {url}",)
    links: list[str] = []
    seen: set[str] = set()
    for el in matched:
        # Lenient about the selector naming a wrapper (li, h3) instead of the <a> itself.
        anchor = el if el.has_attr("href") else el.find("a", href=True)
        if not isinstance(anchor, Tag):
            continue
        link = absolute_url(str(anchor["href"]), base)
        if link and link not in seen:
            seen.add(link)
            links.append(link)
    if not links:
        return [], (
            f"layout changed? item_links selector '{selectors.item_links}' matched {len(matched)} "
            f"element(s) on {url} but none holds an http(s) link",
        )
    return links, ()


def _date_value(element: Tag) -> str:
    """Where a date element keeps its date: ``datetime`` or ``content`` attribute, else its text."""
    for attr in ("datetime", "content"):
        value = element.get(attr)
        if isinstance(value, str) and value.strip():
            return value
    return element_text(element)


def _first_text(soup: BeautifulSoup, selector: str | None) -> tuple[str | None, str | None]:
    """Text of the first element matching ``selector`` (None if none), plus a selector problem."""
    if not selector:
        return None, None
    found, problem = _select(soup, selector)
    if problem:
        return None, problem
    for el in found:
        text = element_text(el)
        if text:
            return text, None
    return None, None


def parse_article(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    selectors: PageSelectors,
    tz: str = DEFAULT_TZ,
    language: str | None = None,
) -> tuple[ParsedEntry | None, tuple[str, ...]]:
    """One article page as a ParsedEntry (``kind`` left to the source), plus problems.

    Returns None when the title selector matches nothing: without a title the
    page is not the article we expected. ``guid`` is the fetched URL; ``url``
    is the canonical link when the page declares one.
    """
    soup = parse_html(body, content_type)
    problems: list[str] = []
    title_el, problem = _select(soup, selectors.title)
    title = next((t for t in (element_text(el) for el in title_el) if t), None)
    if problem:
        return None, (f"{problem} (title on {url})",)
    if not title:
        return None, (f"layout changed? title selector '{selectors.title}' matched nothing on {url}",)

    base = _document_base(soup, url)
    meta = meta_values(soup)
    canonical = canonical_link(soup, base)

    content: str | None = None
    body_els, problem = _select(soup, selectors.body)
    if problem:
        problems.append(f"{problem} (body on {url})")
    elif not body_els:
        problems.append(f"layout changed? body selector '{selectors.body}' matched nothing on {url}")
    else:
        body_el = body_els[0]
        strip_active(body_el)
        absolutize(body_el, base)
        content = inner_html(body_el) or None

    published = None
    if selectors.date:
        date_els, problem = _select(soup, selectors.date)
        if problem:
            problems.append(f"{problem} (date on {url})")
        elif not date_els:
            problems.append(f"layout changed? date selector '{selectors.date}' matched nothing on {url}")
        else:
            raw = _date_value(date_els[0])
            published = parse_datetime(raw, tz=tz)
            if published is None:
                problems.append(f"no date could be read from '{raw[:80]}' (date selector '{selectors.date}') on {url}")
    if published is None and meta.get("article:published_time"):
        published = parse_datetime(meta["article:published_time"], tz=tz)
    updated = parse_datetime(meta["article:modified_time"], tz=tz) if meta.get("article:modified_time") else None

    summary_text, problem = _first_text(soup, selectors.summary)
    if problem:
        problems.append(f"{problem} (summary on {url})")
    if summary_text is None:
        summary_text = meta.get("description") or meta.get("og:description") or None
    if summary_text is None and body_els:
        summary_text = next((t for t in (element_text(p) for p in body_els[0].find_all("p")) if t), None)

    doc_number, problem = _first_text(soup, selectors.doc_number)
    if problem:
        problems.append(f"{problem} (doc_number on {url})")
    issuer, problem = _first_text(soup, selectors.issuer)
    if problem:
        problems.append(f"{problem} (issuer on {url})")

    attachments: tuple[Attachment, ...] = ()
    if selectors.attachments:
        att_els, problem = _select(soup, selectors.attachments)
        if problem:
            problems.append(f"{problem} (attachments on {url})")
        attachments = collect_attachments(att_els, base)

    entry = ParsedEntry(
        title=title,
        guid=url,
        url=canonical or url,
        # Summaries are HTML fragments in ParsedEntry; these are plain text, so escape them.
        summary=html.escape(summary_text, quote=False) if summary_text else None,
        content=content,
        published=published,
        updated=updated,
        language=language or html_language(soup),
        author=meta.get("author") or None,
        doc_number=doc_number,
        issuer=issuer,
        attachments=attachments,
    )
    return entry, tuple(problems)


def html_language(soup: BeautifulSoup) -> str | None:
    """The ``<html lang>`` value, trimmed, or None."""
    root = soup.find("html")
    if isinstance(root, Tag):
        lang = root.get("lang") or root.get("xml:lang")
        if isinstance(lang, str) and lang.strip():
            return lang.strip()
    return None
