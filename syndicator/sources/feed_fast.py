"""The fast feed reader: well-formed RSS 0.9x/1.0/2.0 and Atom 1.0 on lxml.

It reads a document into a :class:`RawFeed` — the same record the feedparser
fallback (``feed_fallback``) fills — and ``feed.finish`` turns either into a
``ParseResult``. Because the equality of the two paths is what proves this
reader safe, it reproduces feedparser 6.0's reading of every element that
reaches our fields (which element wins, how text is trimmed and repaired, how
``xml:base`` and ``xml:lang`` apply) and raises :class:`Unsure` for anything
it does not reproduce with certainty; the caller then uses feedparser.

Security: the lxml parser resolves no entities, loads no DTD, never touches
the network and refuses huge trees. A document type declaration with an
internal subset (where entities are declared: XXE, "billion laughs") is
refused outright; an external-only ``<!DOCTYPE>`` is dropped unread, as
feedparser drops it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from syndicator.sources import fpcompat as fp

__all__ = ["RawEntry", "RawFeed", "RawLink", "Unsure", "read_xml"]


class Unsure(Exception):  # noqa: N818 - a signal, not an error: it never leaves the package
    """The fast reader declines the document; the caller falls back to feedparser."""


@dataclass(frozen=True, slots=True)
class RawLink:
    """A ``<link>``/``<enclosure>`` as read: ``rel`` is ``alternate``, ``enclosure``, …"""

    href: str | None
    rel: str
    type: str | None = None
    length: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as a reader found it, before the shared finishing step.

    Strings are as feedparser 6.0 yields them (trimmed, mis-decoded UTF-8
    repaired, C1 controls mapped to windows-1252); links are already resolved
    against ``xml:base``. ``*_type`` are MIME types (``text/plain``,
    ``text/html``, ``application/xhtml+xml``); ``*_base`` the base URI in force
    on that element; ``base`` the entry's base for its enclosures.
    """

    guid: str | None = None
    links: tuple[RawLink, ...] = ()
    guid_link: str | None = None
    title: str | None = None
    title_type: str = fp.PLAIN
    summary: str | None = None
    summary_type: str = fp.HTML
    summary_base: str = ""
    content: str | None = None
    content_type: str = fp.HTML
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
    title_type: str = fp.PLAIN
    language: str | None = None
    problems: tuple[str, ...] = ()
    root: str | None = None


_XML_DECL = re.compile(rb"<\?xml\s[^>]*?\?>")
_STRICT_DECL = re.compile(
    rb"""<\?xml\s+version\s*=\s*(["'])1\.0\1"""
    rb"""(?:\s+encoding\s*=\s*(["'])(?P<enc>[A-Za-z][A-Za-z0-9._-]*)\2)?"""
    rb"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>"""
)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_EXTERNAL_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*>")
_XMLNS_DECL = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XLINK = "http://www.w3.org/1999/xlink"
_ATOM_FEED = "{http://www.w3.org/2005/Atom}feed"
_RSS1_URIS = frozenset({"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"})

# Element names below are feedparser's: the standard prefix of a known namespace
# (or the document's prefix for an unknown one) + "_" + the lower-cased local name.
_TITLE = frozenset({"title"})
_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"})
_AUTHOR = frozenset({"author", "managingeditor", "dc_author", "dc_creator", "itunes_author"})
_LANGUAGE = frozenset({"language", "dc_language"})
_AUTHOR_PARTS = frozenset({"name", "itunes_name", "email", "itunes_email", "uri", "url", "homepage"})
_ENTRY_FIELDS = (
    _TITLE | _PUBLISHED | _UPDATED | _AUTHOR | _LANGUAGE
    | {"description", "summary", "content", "content_encoded", "link", "guid", "id", "date", "enclosure"}
)  # fmt: skip
# Elements feedparser maps onto our fields in ways this reader does not copy,
# or generic names that collide with the keys the fallback reads.
_ENTRY_REFUSED = frozenset({
    "item", "entry", "channel", "feed", "rss", "image", "textinput", "abstract", "body",
    "xhtml_body", "fullitem", "dc_description", "dc_title", "media_title", "media_description",
    "itunes_summary", "title_detail", "summary_detail", "description_detail", "links", "authors",
    "guidislink", "content_detail",
})  # fmt: skip
_ENTRY_DANGER = _ENTRY_FIELDS | _ENTRY_REFUSED
_FEED_DANGER = frozenset({
    "item", "entry", "channel", "feed", "rss", "title", "dc_title", "media_title", "language",
    "dc_language", "textinput", "image",
})  # fmt: skip
# Children that keep feedparser's "in image/textinput" state alive (bare names only).
_IMAGE_CHILDREN = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_TEXTINPUT_CHILDREN = frozenset({"title", "link", "description", "name"})


def read_xml(body: bytes, *, url: str, charset: str) -> RawFeed:
    """Read a well-formed RSS or Atom 1.0 document; raise :class:`Unsure` otherwise.

    *charset* is the encoding ``feed.py`` chose (BOM, HTTP, XML declaration,
    UTF-8); the fallback is given the same one.
    """
    data = _utf8_document(body, charset)
    _check_namespace_declarations(data)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise Unsure(f"not well-formed: {error}") from error
    return _Reader(url).read(root)


def _utf8_document(body: bytes, charset: str) -> bytes:
    """The document as UTF-8 bytes without a DOCTYPE, decoded exactly as feedparser would."""
    if b"\x00" in body:
        raise Unsure("NUL bytes (UTF-16/32 or binary)")
    if body.startswith(codecs.BOM_UTF8):
        body = body[3:]
    declared = b""
    if body.startswith(b"<?xml"):
        match = _STRICT_DECL.match(body)
        if match is None:
            raise Unsure("unusual XML declaration")
        declared = match.group("enc") or b""
    try:
        codec = codecs.lookup(charset).name
        declared_codec = codecs.lookup(declared.decode("ascii")).name if declared else "utf-8"
        if codec == "utf-8" and declared_codec == "utf-8":
            body.decode("utf-8")  # lxml must not accept what Python's codec refuses
        else:
            # Decode in Python, as feedparser does, so both paths read the same
            # characters (libxml2's iconv composes windows-1258 differently).
            text = body.decode(charset)
            body = _XML_DECL.sub(b"", text.encode("utf-8"), count=1)
    except (LookupError, UnicodeError) as error:
        raise Unsure(f"cannot decode as {charset}") from error
    first = _FIRST_ELEMENT.search(body)
    if first is None:
        raise Unsure("no root element")
    head = body[: first.start()]
    if b"<!" in head.replace(b"<!--", b""):
        doctype = _EXTERNAL_DOCTYPE.search(head)
        if doctype is None or b"<!" in head[doctype.end() :].replace(b"<!--", b""):
            raise Unsure("internal DTD subset (entity declarations)")
        body = head[: doctype.start()] + head[doctype.end() :] + body[first.start() :]
    return body


def _check_namespace_declarations(data: bytes) -> None:
    """Refuse prefix games that make feedparser map elements by prefix instead of URI.

    feedparser names an element in an unknown namespace by the document's
    prefix, so ``xmlns:content="urn:x"`` + ``content:encoded`` would be read as
    content; and its prefix map is global, not scoped. The scan also sees
    declarations inside CDATA, which can only make us refuse more.
    """
    known_prefixes: set[str] = set()
    unknown_prefixes: set[str] = set()
    for prefix_bytes, uri_dq, uri_sq in _XMLNS_DECL.findall(data):
        prefix = prefix_bytes.decode("ascii", "replace").lower()
        uri = (uri_dq or uri_sq).decode("utf-8", "replace")
        if uri == _XLINK:
            raise Unsure("xlink declarations become attributes in feedparser")
        standard = fp.standard_prefix(uri)
        if standard is None:
            unknown_prefixes.add(prefix)
        else:
            if prefix != standard.lower() and prefix in fp.STANDARD_PREFIXES:
                raise Unsure(f"prefix {prefix!r} bound to another known namespace")
            known_prefixes.add(prefix)
    if unknown_prefixes & (fp.STANDARD_PREFIXES | known_prefixes):
        raise Unsure("unknown namespace under a well-known prefix")


class _Reader:
    """One pass over one parsed document (holds the per-document name cache)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.names: dict[str, str] = {}

    def name(self, element: etree._Element) -> str:
        """feedparser's name for *element* (see ``_ENTRY_FIELDS``)."""
        tag = element.tag
        if not isinstance(tag, str):
            raise Unsure("unexpected node")
        cached = self.names.get(tag)
        if cached is not None:
            return cached
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
            prefix = fp.standard_prefix(uri)
            if prefix is None:
                # Unknown namespace: feedparser goes by the document's prefix,
                # which may differ between elements, so this is not cached.
                given = element.prefix
                return f"{given.lower()}_{local.lower()}" if given else local.lower()
            name = f"{prefix.lower()}_{local.lower()}" if prefix else local.lower()
        else:
            name = tag.lower()
        self.names[tag] = name
        return name

    def scan(self, element: etree._Element, danger: frozenset[str]) -> None:
        """Refuse when a descendant of an ignored element would reach our fields."""
        for descendant in element.iterdescendants():
            if self.name(descendant) in danger:
                raise Unsure(f"<{descendant.tag}> nested where feedparser would still read it")

    # -- documents -----------------------------------------------------------------

    def read(self, root: etree._Element) -> RawFeed:
        tag = root.tag
        root_name = self.name(root)
        if tag == _ATOM_FEED:
            if any(uri.lower() in _RSS1_URIS for uri in root.nsmap.values()):
                raise Unsure("Atom root declaring RSS 1.0 (feedparser's version guess)")
            return self.read_feed(root, kind="atom", items_parent=root, entry_name="entry")
        if root_name == "rss":
            channels = []
            for child in root:
                child_name = self.name(child)
                if child_name == "channel":
                    channels.append(child)
                elif child_name in ("item", "entry"):
                    raise Unsure("entry outside <channel>")
                elif len(child):
                    self.scan(child, _FEED_DANGER)
            if len(channels) != 1:
                raise Unsure("not exactly one <channel>")
            return self.read_feed(root, kind="rss", items_parent=channels[0], entry_name="item")
        if root_name == "rdf_rdf":
            return self.read_feed(root, kind="rss", items_parent=root, entry_name="item")
        raise Unsure(f"root element {tag!r} is not RSS or Atom 1.0")

    def read_feed(
        self, root: etree._Element, *, kind: str, items_parent: etree._Element, entry_name: str
    ) -> RawFeed:
        base0 = self.url
        if base0:
            joined = fp.safe_join(base0, base0)
            base0 = joined or base0
            if fp.safe_join(base0, base0) not in (base0, ""):
                raise Unsure("document URL does not resolve to itself")
        root_attrs = fp.attributes(root)
        base, lang = self.scope(root_attrs, base0, None)
        # feedparser takes xml:lang from <rss> and <feed> only (its "rdf:RDF"
        # test never matches its own lower-cased tag).
        feed_lang = lang.replace("_", "-") if lang and kind != "rss" or (lang and self.name(root) == "rss") else None
        feed_title: str | None = None
        title_type = fp.PLAIN
        title_seen = False
        entries: list[RawEntry] = []
        if items_parent is not root:
            base, lang = self.scope(fp.attributes(items_parent), base, lang)
        feed_level = items_parent
        for child in self.feed_children(root, items_parent):
            name = self.name(child)
            if name == entry_name:
                entry_base, entry_lang = (base, lang) if child.getparent() is feed_level else self.channel_scope(child, base0)
                entries.append(self.read_entry(child, entry_base, entry_lang, kind))
            elif name == "channel" and kind == "rss" and items_parent is root:
                # RSS 1.0: <channel> is a sibling of the items.
                feed_title, title_type, title_seen, channel_lang = self.read_rdf_channel(
                    child, base, lang, title_seen
                )
                if channel_lang is not None:
                    feed_lang = channel_lang
            elif child.getparent() is not feed_level or (kind == "rss" and items_parent is root):
                self.ignore_feed_child(name, child)
            elif name == "title":
                if title_seen:
                    raise Unsure("several feed titles")
                title_seen = True
                feed_title, title_type = self.read_title(child, base, lang, kind)[:2]
            elif name in _LANGUAGE:
                feed_lang = fp.clean_text(self.leaf_text(child))
            else:
                self.ignore_feed_child(name, child)
        return RawFeed(
            kind=kind, entries=tuple(entries), title=feed_title, title_type=title_type,
            language=feed_lang, root=root.tag if isinstance(root.tag, str) else None,
        )  # fmt: skip

    def feed_children(self, root: etree._Element, items_parent: etree._Element) -> list[etree._Element]:
        return list(items_parent)

    def channel_scope(self, child: etree._Element, base0: str) -> tuple[str, str | None]:
        raise Unsure("entry in an unexpected place")

    def read_rdf_channel(
        self, channel: etree._Element, base: str, lang: str | None, title_seen: bool
    ) -> tuple[str | None, str, bool, str | None]:
        base, lang = self.scope(fp.attributes(channel), base, lang)
        title: str | None = None
        channel_lang: str | None = None
        for child in channel:
            name = self.name(child)
            if name == "title":
                if title_seen:
                    raise Unsure("several feed titles")
                title_seen = True
                title = self.read_title(child, base, lang, "rss")[0]
            elif name in _LANGUAGE:
                channel_lang = fp.clean_text(self.leaf_text(child))
            else:
                self.ignore_feed_child(name, child)
        return title, fp.PLAIN, title_seen, channel_lang

    def ignore_feed_child(self, name: str, child: etree._Element) -> None:
        """Feed-level elements we do not read: make sure feedparser does not either."""
        if name in ("item", "entry", "channel", "feed", "rss", "dc_title", "media_title"):
            raise Unsure(f"<{child.tag}> at feed level")
        if name == "image" or name == "textinput":
            allowed = _IMAGE_CHILDREN if name == "image" else _TEXTINPUT_CHILDREN
            for grandchild in child:
                grand_name = self.name(grandchild)
                if "_" not in grand_name and grand_name not in allowed:
                    raise Unsure(f"<{grandchild.tag}> inside <{name}>")
                if len(grandchild):
                    self.scan(grandchild, _FEED_DANGER)
        elif len(child):
            self.scan(child, _FEED_DANGER)

    # -- entries -------------------------------------------------------------------

    def read_entry(self, item: etree._Element, base: str, lang: str | None, kind: str) -> RawEntry:
        attrs = fp.attributes(item)
        if "href" in attrs or "lastmod" in attrs:
            raise Unsure("CDF item attributes")
        base, lang = self.scope(attrs, base, lang)
        fields: dict[str, object] = {}
        guid: str | None = attrs.get("rdf:about")
        guid_seen = False
        links: list[RawLink] = []
        authors: list[str | None] = []
        lang_element: str | None = None
        bases: dict[str, str] = {}
        langs: dict[str, str | None] = {}
        for child in item:
            name = self.name(child)
            if name == "source":
                continue  # feedparser keeps everything inside <source> apart
            if name not in _ENTRY_FIELDS:
                if name in _ENTRY_REFUSED:
                    raise Unsure(f"<{child.tag}> in an entry")
                if len(child):
                    self.scan(child, _ENTRY_DANGER)
                continue
            child_attrs = fp.attributes(child)
            child_base, child_lang = self.scope(child_attrs, base, lang) if child_attrs else (base, lang)
            if name == "title" or name in ("description", "summary", "content", "content_encoded"):
                slot = "title" if name == "title" else ("summary" if name in ("description", "summary") else "content")
                if slot in fields:
                    raise Unsure(f"several {slot} elements")
                fields[slot] = self.read_text_construct(name, child, child_attrs, kind)
                bases[slot] = child_base
                langs[slot] = child_lang.replace("_", "-") if child_lang else child_lang
            elif name == "link":
                links.append(self.read_link(child, child_attrs, child_base))
            elif name == "enclosure":
                href = fp.enforce_href(child_attrs)
                links.append(RawLink(href, "enclosure", child_attrs.get("type"),
                                     child_attrs.get("length"), child_attrs.get("title")))
                if len(child):
                    self.scan(child, _ENTRY_DANGER)
            elif name == "guid" or name == "id":
                if guid_seen:
                    raise Unsure("several guids")
                guid_seen = True
                is_link = child_attrs.get("ispermalink", "true") == "true"
                value = self.leaf_text(child).strip()
                if value and is_link:
                    value = fp.urljoin(child_base, value)
                guid = fp.repair(value)
                fields["guid_link"] = guid if is_link else None
            elif name in _PUBLISHED:
                fields["published"] = fp.clean_text(self.leaf_text(child))
            elif name in _UPDATED or name == "date":
                if name == "date" and child_attrs:
                    raise Unsure("<date> with attributes")
                fields["updated"] = fp.clean_text(self.leaf_text(child))
            elif name in _AUTHOR:
                authors.append(self.read_author(child))
            else:  # language
                lang_element = fp.clean_text(self.leaf_text(child))
        title = fields.get("title")
        summary = fields.get("summary")
        content = fields.get("content")
        entry_lang = lang_element or langs.get("title") or langs.get("summary") or langs.get("content")
        return RawEntry(
            guid=guid,
            links=tuple(links),
            guid_link=fields.get("guid_link"),  # type: ignore[arg-type]
            title=title[0] if isinstance(title, tuple) else None,
            title_type=title[1] if isinstance(title, tuple) else fp.PLAIN,
            summary=summary[0] if isinstance(summary, tuple) else None,
            summary_type=summary[1] if isinstance(summary, tuple) else fp.HTML,
            summary_base=bases.get("summary", ""),
            content=content[0] if isinstance(content, tuple) else None,
            content_type=content[1] if isinstance(content, tuple) else fp.HTML,
            content_base=bases.get("content", ""),
            published=fields.get("published"),  # type: ignore[arg-type]
            updated=fields.get("updated"),  # type: ignore[arg-type]
            lang=entry_lang or None,
            author=next((name for name in authors if name), None),
            base=bases.get("title") or bases.get("summary") or bases.get("content") or self.url,
        )

    def read_text_construct(
        self, name: str, element: etree._Element, attrs: dict[str, str], kind: str
    ) -> tuple[str, str]:
        """A title/summary/content element: (text as feedparser yields it, MIME type)."""
        if "mode" in attrs or "src" in attrs:
            raise Unsure("mode= or src= on a text construct")
        if name in ("description", "content_encoded"):
            if "type" in attrs:
                raise Unsure("type= on an RSS text element")
            return fp.clean_text(self.leaf_text(element)), fp.HTML
        if kind != "atom" and (name != "title" or "type" in attrs):
            # In RSS feedparser guesses HTML from the text; we do not copy the guess.
            raise Unsure(f"<{element.tag}> with a type in an RSS feed")
        content_type = fp.map_content_type(attrs.get("type", "text"))
        if content_type == fp.XHTML:
            return self.read_xhtml(element), content_type
        if content_type not in (fp.PLAIN, fp.HTML):
            raise Unsure(f"content type {content_type!r}")
        return fp.clean_text(self.leaf_text(element)), content_type

    def read_title(
        self, element: etree._Element, base: str, lang: str | None, kind: str
    ) -> tuple[str, str]:
        attrs = fp.attributes(element)
        self.scope(attrs, base, lang)
        return self.read_text_construct("title", element, attrs, kind)

    def read_link(self, element: etree._Element, attrs: dict[str, str], base: str) -> RawLink:
        attrs = dict(attrs)
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        href = fp.enforce_href(attrs)
        if href is not None or "href" in attrs:
            if len(element):
                self.scan(element, _ENTRY_DANGER)
            resolved = fp.urljoin(base, href if href is not None else attrs["href"])
            return RawLink(resolved, attrs["rel"], attrs.get("type"), attrs.get("length"), attrs.get("title"))
        if attrs["rel"] != "alternate":
            raise Unsure("text <link> with a rel")
        value = self.leaf_text(element).strip()
        if not value:
            raise Unsure("empty <link>")
        value = fp.fix_link_text(fp.repair(fp.urljoin(base, value)))
        return RawLink(value, "alternate", attrs.get("type"), attrs.get("length"), attrs.get("title"))

    def read_author(self, element: etree._Element) -> str | None:
        """The name feedparser files under ``authors[i]['name']`` for one author element."""
        if not len(element):
            return fp.author_name(fp.clean_text(element.text))
        if element.text and element.text.strip():
            raise Unsure("author with both text and children")
        name: str | None = None
        for child in element:
            child_name = self.name(child)
            if child_name in ("name", "itunes_name"):
                name = self.leaf_text(child).strip()  # feedparser keeps names unrepaired
            elif child_name in _AUTHOR_PARTS:
                self.leaf_text(child)
            else:
                if child.tail and child.tail.strip():
                    raise Unsure("author with mixed content")
                if child_name in _ENTRY_DANGER:
                    raise Unsure(f"<{child.tag}> inside an author")
                if len(child):
                    self.scan(child, _ENTRY_DANGER)
            if child.tail and child.tail.strip():
                raise Unsure("author with mixed content")
        return name or None

    def read_xhtml(self, element: etree._Element) -> str:
        """Inline XHTML serialised the way feedparser rebuilds it from SAX events."""
        pieces = fp.xhtml_pieces(element)
        return fp.clean_text("".join(fp.strip_wrapping_div(pieces)))

    # -- helpers -------------------------------------------------------------------

    @staticmethod
    def leaf_text(element: etree._Element) -> str:
        if len(element):
            raise Unsure(f"markup inside <{element.tag}>")
        return element.text or ""

    def scope(self, attrs: dict[str, str], base: str, lang: str | None) -> tuple[str, str | None]:
        """Apply an element's ``xml:base``/``xml:lang`` as feedparser does."""
        if not attrs:
            return base, lang
        xml_base = attrs.get("xml:base", attrs.get("base"))
        if xml_base:
            if not base:
                raise Unsure("xml:base without a document URL")
            new_base = fp.safe_join(base, xml_base) or base
            if fp.safe_join(new_base, new_base) not in (new_base, ""):
                raise Unsure("xml:base does not resolve to itself")
            base = new_base
        xml_lang = attrs.get("xml:lang", attrs.get("lang"))
        if xml_lang is not None:
            lang = xml_lang or None
        return base, lang


_ = Callable  # keep the import for type-checkers of subclasses
