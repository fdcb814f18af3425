"""feedparser, the reference reader, and its reading rules restated.

Three things that belong together: (1) the raw records (:class:`RawFeed`,
:class:`RawEntry`, :class:`RawLink`) every reader fills and ``feed.finish``
turns into a ``ParseResult``; (2) feedparser 6.0's rules for the elements that
reach our fields, restated as small functions (how it names elements, resolves
``xml:base``, trims and repairs text, rebuilds inline XHTML, splits "email
(Name)"), which the fast reader must follow exactly, as the equivalence tests
prove; (3) :func:`read_with_feedparser`, the fallback for every document the
fast reader declines (not well-formed, Atom 0.3, odd encodings, DTDs, …).

feedparser runs with ``sanitize_html=False`` (the engine sanitises with nh3)
and ``resolve_relative_uris=False``: ``feed.finish`` resolves URLs inside HTML
for every reader alike (feedparser's resolver re-serialises the HTML through
sgmllib, which the fast path cannot reproduce cheaply, and never runs for JSON
Feed). It gets the body as a stream (given ``bytes`` it would try to open them
as a file name) and a normalised ``Content-Type`` (``application/xml`` with the
charset ``feed.py`` chose), so both readers decode alike. It drops the DOCTYPE,
keeps only plain internal entities, and resolves no external entity.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import urllib.parse
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

__all__ = ["HTML", "PLAIN", "XHTML", "RawEntry", "RawFeed", "RawLink", "Unsure", "read_with_feedparser"]

PLAIN = "text/plain"
HTML = "text/html"
XHTML = "application/xhtml+xml"


class Unsure(Exception):  # noqa: N818 - a signal, not an error: it never leaves the package
    """The fast reader declines the document; the caller falls back to feedparser."""


@dataclass(frozen=True, slots=True)
class RawLink:
    """A ``<link>`` or ``<enclosure>`` as read; ``rel`` is ``alternate``, ``enclosure``, …"""

    href: str | None
    rel: str
    type: str | None = None
    length: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as a reader found it, before the shared finishing step.

    Strings are as feedparser 6.0 yields them (trimmed, mis-decoded UTF-8
    repaired, C1 controls mapped to windows-1252); links are resolved against
    ``xml:base``. ``*_type`` are MIME types, ``*_base`` the base URI in force on
    that element, ``base`` the entry's base for its enclosures, ``guid_link``
    the guid when it is a permalink.
    """

    guid: str | None = None
    links: tuple[RawLink, ...] = ()
    guid_link: str | None = None
    title: str | None = None
    title_type: str = PLAIN
    summary: str | None = None
    summary_type: str = HTML
    summary_base: str = ""
    content: str | None = None
    content_type: str = HTML
    content_base: str = ""
    published: str | None = None
    updated: str | None = None
    lang: str | None = None
    author: str | None = None
    base: str = ""


@dataclass(frozen=True, slots=True)
class RawFeed:
    """A whole document as a reader found it. ``kind`` is ``rss``, ``atom`` or ``json``."""

    kind: str
    entries: tuple[RawEntry, ...]
    title: str | None = None
    title_type: str = PLAIN
    language: str | None = None
    problems: tuple[str, ...] = ()


# -- feedparser's rules --------------------------------------------------------------

# The namespaces feedparser knows, with the prefix it files their elements
# under ("" = the feed format itself). Elements of any other namespace are
# filed under the prefix the document happens to use.
# (A word is a prefix, "-" the empty one; the URIs after it are filed under it.)
_NAMESPACE_TABLE = """
- http://backend.userland.com/rss http://blogs.law.harvard.edu/tech/rss http://purl.org/rss/1.0/
  http://my.netscape.com/rdf/simple/0.9/ http://example.com/newformat# http://example.com/necho
  http://purl.org/echo/ uri/of/echo/namespace# http://purl.org/pie/ http://purl.org/atom/ns#
  http://www.w3.org/2005/Atom http://purl.org/rss/1.0/modules/rss091#
admin http://webns.net/mvcb/  ag http://purl.org/rss/1.0/modules/aggregation/
annotate http://purl.org/rss/1.0/modules/annotate/  audio http://media.tangent.org/rss/1.0/
blogchannel http://backend.userland.com/blogChannelModule
cc http://creativecommons.org/ns#license http://web.resource.org/cc/
creativecommons http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html
  http://backend.userland.com/creativeCommonsRssModule
co http://purl.org/rss/1.0/modules/company  content http://purl.org/rss/1.0/modules/content/
cp http://my.theinfo.org/changed/1.0/rss/  dc http://purl.org/dc/elements/1.1/  dcterms http://purl.org/dc/terms/
email http://purl.org/rss/1.0/modules/email/  ev http://purl.org/rss/1.0/modules/event/
feedburner http://rssnamespace.org/feedburner/ext/1.0  fm http://freshmeat.net/rss/fm/
foaf http://xmlns.com/foaf/0.1/  geo http://www.w3.org/2003/01/geo/wgs84_pos#  georss http://www.georss.org/georss
gml http://www.opengis.net/gml  icbm http://postneo.com/icbm/  image http://purl.org/rss/1.0/modules/image/
itunes http://www.itunes.com/DTDs/PodCast-1.0.dtd http://example.com/DTDs/PodCast-1.0.dtd
l http://purl.org/rss/1.0/modules/link/  media http://search.yahoo.com/mrss http://search.yahoo.com/mrss/
pingback http://madskills.com/public/xml/rss/module/pingback/  prism http://prismstandard.org/namespaces/1.2/basic/
rdf http://www.w3.org/1999/02/22-rdf-syntax-ns#  rdfs http://www.w3.org/2000/01/rdf-schema#
ref http://purl.org/rss/1.0/modules/reference/  reqv http://purl.org/rss/1.0/modules/richequiv/
search http://purl.org/rss/1.0/modules/search/  slash http://purl.org/rss/1.0/modules/slash/
soap http://schemas.xmlsoap.org/soap/envelope/  ss http://purl.org/rss/1.0/modules/servicestatus/
str http://hacks.benhammersley.com/rss/streaming/  sub http://purl.org/rss/1.0/modules/subscription/
sy http://purl.org/rss/1.0/modules/syndication/  szf http://schemas.pocketsoap.com/rss/myDescModule/
taxo http://purl.org/rss/1.0/modules/taxonomy/  thr http://purl.org/rss/1.0/modules/threading/
ti http://purl.org/rss/1.0/modules/textinput/  trackback http://madskills.com/public/xml/rss/module/trackback/
wfw http://wellformedweb.org/commentAPI/  wiki http://purl.org/rss/1.0/modules/wiki/
xhtml http://www.w3.org/1999/xhtml  xlink http://www.w3.org/1999/xlink  xml http://www.w3.org/XML/1998/namespace
psc http://podlove.org/simple-chapters
"""


def _namespaces(table: str) -> dict[str, str]:
    namespaces: dict[str, str] = {}
    prefix = ""
    for word in table.split():
        if ":" in word or "/" in word:
            namespaces[word.lower()] = prefix
        else:
            prefix = "" if word == "-" else word
    return namespaces


KNOWN_NAMESPACES: Mapping[str, str] = _namespaces(_NAMESPACE_TABLE)
STANDARD_PREFIXES = frozenset(prefix for prefix in KNOWN_NAMESPACES.values() if prefix)
# Prefixes feedparser has element handlers for (``_start_dc_creator``, …); an
# element of an unknown namespace written with one of these prefixes would be
# handled as if it were that namespace. (Pinned by a test against feedparser.)
HANDLER_PREFIXES = frozenset({
    "admin", "cc", "content", "creativecommons", "dc", "dcterms", "feedburner", "georss", "gml", "itunes",
    "media", "psc", "rdf", "xhtml",
})  # fmt: skip
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# URI schemes feedparser accepts for a base URI (other schemes keep the old base).
ACCEPTABLE_SCHEMES = frozenset({
    "file", "ftp", "gopher", "h323", "hdl", "http", "https", "imap", "magnet", "mailto", "mms", "news",
    "nntp", "prospero", "rsync", "rtsp", "rtspu", "sftp", "shttp", "sip", "sips", "snews", "svn", "svn+ssh",
    "telnet", "wais", "aim", "callto", "cvs", "facetime", "feed", "git", "gtalk", "irc", "ircs", "irc6",
    "itms", "msnim", "skype", "ssh", "smb", "ymsg",
})  # fmt: skip
_EXTRA_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+,.-]*://)/*")
# An http(s) URL that urljoin passes through unchanged: a host, no parameters,
# no empty "?" or "#", none of the characters urlsplit strips or rejects.
_PLAIN_ABSOLUTE = re.compile(
    r"(?P<scheme>https?)://(?P<netloc>[A-Za-z0-9._~%!$&'()*+,=:@-]+)(?P<path>/[^?#;\\\x00-\x20\x7f]*)?"
    r"(?:\?[^#\x00-\x20\x7f]+)?(?:#[^\x00-\x20\x7f]+)?"
)
# A scheme not followed by "//" (so urlsplit has no host to check and cannot fail).
_OTHER_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!//)")
# The characters of a relative path that cannot be mistaken for a scheme, query,
# fragment or parameters, and that urlsplit neither strips nor rejects.
_PATH_CHARACTERS = re.compile(r"[^:?#;\[\]\\\x00-\x20\x7f]+")
_ENTITY_LIKE = re.compile(r"&([A-Za-z0-9_]+);")
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")
# feedparser maps C1 controls to the characters windows-1252 puts there.
_WINDOWS_1252 = {
    byte: bytes([byte]).decode("cp1252") for byte in range(0x80, 0xA0) if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
# Conservative "email (Name)" shapes; anything else goes to the fallback.
_EMAIL = r"[A-Za-z0-9_.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,4}(?![A-Za-z0-9])"
_NAME = r"[^()<>@&]*?"
_AUTHOR_SHAPES = (
    re.compile(rf"(?P<email>{_EMAIL})\s*\((?P<name>{_NAME})\)"),
    re.compile(rf"(?P<name>{_NAME})\s*<(?P<email>{_EMAIL})>"),
    re.compile(rf"(?P<name>{_NAME})\s*\((?P<email>{_EMAIL})\)"),
    re.compile(rf"(?P<email>{_EMAIL})(?P<name>)"),
)


def standard_prefix(uri: str) -> str | None:
    """feedparser's prefix for a namespace URI, or ``None`` when it does not know it."""
    lower = uri.lower()
    if "backend.userland.com/rss" in lower:
        return ""
    return KNOWN_NAMESPACES.get(lower)


def urljoin(base: str, uri: str) -> str:
    """Join as feedparser does: extra slashes after ``scheme://`` dropped, errors → ''."""
    if "//" in uri:
        uri = _EXTRA_SLASHES.sub(r"\1", uri, count=1)
    try:
        return join_url(base, uri)
    except ValueError:
        return ""


def join_url(base: str, ref: str, *, relative: bool = False) -> str:
    """``urllib.parse.urljoin(base, ref)``, with a shortcut for the shapes most links have.

    urljoin costs ~8 µs and an entry has ~10 links. When the base is a plain
    ``http(s)://host/path`` URL, a plain absolute reference or a simple
    relative path is joined here by string operations that give the same
    result (a property test compares them); anything else (queries in
    relative links, dot segments, ``//`` inside paths, network-path
    references, odd characters) goes to urljoin.
    """
    if not base:
        return ref  # what urljoin returns
    origin, directory = split_base(base)
    if not origin:
        return urllib.parse.urljoin(base, ref)
    if not relative:  # (relative=True: the caller knows *ref* has no scheme)
        if _PLAIN_ABSOLUTE.fullmatch(ref):
            return ref  # urljoin re-assembles exactly the same string
        scheme = _OTHER_SCHEME.match(ref)
        if scheme is not None and scheme.group(1).lower() not in ("http", "https"):
            return ref  # tag:, urn:, mailto:…: another scheme than the base's, returned as is
    if not is_plain_path(ref):
        return urllib.parse.urljoin(base, ref)
    if ref.startswith("/"):
        return origin + ref
    return origin + directory + ref if directory else urllib.parse.urljoin(base, ref)


@functools.lru_cache(maxsize=256)
def split_base(base: str) -> tuple[str, str]:
    """``("https://host", "/dir/")`` for a plain base URL; ``""`` parts where urljoin must decide."""
    match = _PLAIN_ABSOLUTE.fullmatch(base)
    if match is None:
        return "", ""
    path = match.group("path") or ""
    directory = path[: path.rfind("/") + 1] or "/"
    if "//" in directory or "/." in directory:  # (also refuses ".hidden" segments: urljoin decides)
        directory = ""
    return f"{match.group('scheme')}://{match.group('netloc')}", directory


def is_plain_path(ref: str) -> bool:
    """A relative path without empty, "." or ".." segments (any segment starting with "." is refused)."""
    return "//" not in ref and "/." not in "/" + ref and _PATH_CHARACTERS.fullmatch(ref) is not None


def safe_join(base: str, relative: str) -> str:
    """feedparser's "safe absolute URI": '' when the result has an unlisted scheme."""
    if not base:
        return relative
    uri = urljoin(base, relative)
    if uri.strip().split(":", 1)[0] not in ACCEPTABLE_SCHEMES:
        return ""
    return uri


def repair(text: str, *, c1: bool = True) -> str:
    """feedparser's last touch on every value: undo UTF-8 read as Latin-1, map C1 controls.

    ``c1=False`` skips the C1 scan when the caller knows the document has none.
    """
    if text.isascii():
        return text
    if _BEYOND_LATIN1.search(text) is None:  # only Latin-1 text can be mis-decoded UTF-8
        with contextlib.suppress(UnicodeError):
            text = text.encode("latin-1").decode("utf-8")
        c1 = True  # the repair may have produced some
    if c1 and _C1_CONTROLS.search(text):
        text = text.translate(_WINDOWS_1252)
    return text


def clean_text(text: str | None, *, c1: bool = True) -> str:
    """An element's text as feedparser stores it: trimmed, then :func:`repair`-ed."""
    return repair((text or "").strip(), c1=c1)


def fix_link_text(text: str) -> str:
    """feedparser's fix for query strings it once mangled (``&b=2;`` → ``&b=2``)."""
    if "&" not in text:
        return text
    return _ENTITY_LIKE.sub(r"&\1", text.replace("&amp;", "&"))


def map_content_type(value: str) -> str:
    """Atom's ``text``/``html``/``xhtml`` as MIME types, lower-cased."""
    value = value.lower()
    return {"text": PLAIN, "plain": PLAIN, "html": HTML, "xhtml": XHTML}.get(value, value)


def attributes(element: etree._Element) -> dict[str, str]:
    """An element's attributes as feedparser sees them (names lower-cased, ``rel``/``type`` too)."""
    items = element.items()
    result: dict[str, str] = {}
    for key, value in items:
        if key[0] == "{":
            uri, local = key[1:].split("}", 1)
            prefix = standard_prefix(uri)
            if not prefix:
                raise Unsure(f"attribute {key!r} in a namespace feedparser files by prefix")
            key = f"{prefix}:{local}"
        key = key.lower()
        result[key] = value.lower() if key in ("rel", "type") else value
    return result


def enforce_href(attrs: dict[str, str]) -> str | None:
    """feedparser's ``url``/``uri``/``href`` precedence; moves the winner to ``href``."""
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if not href:
        return None
    attrs.pop("url", None)
    attrs.pop("uri", None)
    attrs["href"] = href
    return href


def author_name(text: str) -> str | None:
    """The name feedparser extracts from an RSS author ("email (Name)", "Name <email>")."""
    if "@" not in text:
        return text or None
    for shape in _AUTHOR_SHAPES:
        match = shape.fullmatch(text)
        if match is not None:
            return match.group("name").strip() or None
    raise Unsure(f"author {text!r} is not a plain 'email (Name)'")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xhtml_pieces(element: etree._Element) -> list[str]:
    """Inline XHTML as feedparser rebuilds it from SAX events (one string per event)."""
    pieces: list[str] = []
    if element.text:
        pieces.append(_escape(element.text))
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            raise Unsure("unexpected node in XHTML")
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
            if uri != XHTML_NS and standard_prefix(uri) != "":
                raise Unsure(f"foreign element {tag!r} in XHTML")
        else:
            local = tag
        local = local.lower()
        if local in ("svg", "math"):
            raise Unsure("SVG/MathML in XHTML")
        attrs: dict[str, str] = {}
        for key, value in child.items():
            if key[0] == "{":
                if not key.startswith("{" + XML_NS + "}"):
                    raise Unsure("namespaced attribute in XHTML")
                key = "xml:" + key[len(XML_NS) + 2 :]
            key = key.lower()
            attrs[key] = value.lower() if key in ("rel", "type") else value
        rendered = "".join(f' {key}="{_escape(value).replace(chr(34), "&quot;")}"' for key, value in attrs.items())
        pieces.append(f"<{local}{rendered}>")
        pieces.extend(xhtml_pieces(child))
        pieces.append(f"</{local}>")
        if child.tail:
            pieces.append(_escape(child.tail))
    return pieces


def strip_wrapping_div(pieces: list[str]) -> list[str]:
    """Atom 1.0: drop the ``<div>`` that wraps all the XHTML, as feedparser does."""
    while len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if not pieces or not (pieces[0] == "<div>" or pieces[0].startswith("<div ")) or pieces[-1] != "</div>":
        return pieces
    depth = 0
    for piece in pieces[:-1]:
        if piece.startswith("</"):
            depth -= 1
            if depth == 0:
                return pieces  # the first <div> closes early: it does not wrap everything
        elif piece.startswith("<"):
            depth += 1
    return pieces[1:-1]


# -- the fallback ----------------------------------------------------------------------


def read_with_feedparser(body: bytes, *, url: str, charset: str, kind: str) -> RawFeed:
    """Read any document with feedparser (its strict parser, else its lenient one)."""
    import feedparser  # deferred: importing it costs ~100 ms and most runs never need it

    headers = {"content-type": f"application/xml; charset={charset}"}
    if url:
        headers["content-location"] = url
    result = feedparser.parse(
        io.BytesIO(body), response_headers=headers, resolve_relative_uris=False, sanitize_html=False
    )
    if kind not in ("rss", "atom"):
        kind = "atom" if str(result.get("version", "")).startswith("atom") else "rss"
    feed = result.get("feed") or {}
    title_detail = _mapping(dict.get(feed, "title_detail"))
    entries = tuple(_raw_entry(entry, url) for entry in result.get("entries", ()))
    problems: tuple[str, ...] = ()
    if result.get("bozo"):
        problems = (_describe(result.get("bozo_exception"), body),)
    return RawFeed(
        kind=kind,
        entries=entries,
        title=_text(dict.get(feed, "title")),
        title_type=str(title_detail.get("type") or PLAIN),
        # feedparser records xml:lang from <rss>/<feed> only; the title's covers <channel>.
        language=_text(dict.get(feed, "language")) or _text(title_detail.get("language")),
        problems=problems,
    )


def _raw_entry(entry: dict[str, Any], url: str) -> RawEntry:
    """Our record from one feedparser entry (``dict.get`` avoids its key aliases)."""
    get = dict.get
    title = _mapping(get(entry, "title_detail"))
    summary = _mapping(get(entry, "summary_detail"))
    contents = get(entry, "content") or []
    content = _mapping(contents[0]) if contents else {}
    authors = get(entry, "authors") or []
    languages = (get(entry, "language"), title.get("language"), summary.get("language"), content.get("language"))
    return RawEntry(
        guid=_text(get(entry, "id")),
        links=tuple(_raw_link(link) for link in (get(entry, "links") or []) if isinstance(link, dict)),
        guid_link=_text(get(entry, "link")),
        title=_text(get(entry, "title")) if title else None,
        title_type=str(title.get("type") or PLAIN),
        # Without a summary_detail, "summary" is feedparser's copy of the content.
        summary=_text(get(entry, "summary")) if summary else None,
        summary_type=str(summary.get("type") or HTML),
        summary_base=str(summary.get("base") or ""),
        content=_text(content.get("value")) if content else None,
        content_type=str(content.get("type") or HTML),
        content_base=str(content.get("base") or ""),
        published=_text(get(entry, "published")),
        updated=_text(get(entry, "updated")),
        lang=next((value for value in languages if isinstance(value, str) and value), None),
        author=next((str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")), None),
        base=str(title.get("base") or summary.get("base") or content.get("base") or url),
    )


def _raw_link(link: dict[str, Any]) -> RawLink:
    href, rel, kind, length, title = (link.get(key) for key in ("href", "rel", "type", "length", "title"))
    return RawLink(_text(href), str(rel or ""), _text(kind), _text(length), _text(title))


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _describe(error: object, body: bytes) -> str:
    """feedparser's "bozo" exception as a sentence a person can act on."""
    import feedparser

    if isinstance(error, xml.sax.SAXParseException):
        line = error.getLineNumber() or 1
        # feedparser adds an XML declaration line when the document has none.
        if not body.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml") and line > 1:
            line -= 1
        return f"malformed XML at line {line}: {error.getMessage()} — entries that could be read were kept"
    if isinstance(error, feedparser.CharacterEncodingOverride):
        return f"character encoding: {error} — check the charset the server sends; text may be garbled"
    if isinstance(error, feedparser.CharacterEncodingUnknown):
        return f"character encoding unknown: {error}"
    if isinstance(error, feedparser.UndeclaredNamespace):
        return f"undeclared namespace prefix: {error} — the feed is not well-formed"
    return f"feed could not be read cleanly: {type(error).__name__}: {error}"
