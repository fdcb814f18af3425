"""The fast feed reader: well-formed RSS 0.9x/1.0/2.0 and Atom 1.0 on lxml.

It fills the same :class:`RawFeed` as the feedparser fallback, and
``feed.finish`` turns either into a ``ParseResult``. The equality of the two
paths is what proves this reader safe, so it follows feedparser 6.0's reading
of every element that reaches our fields (the rules restated in
``feed_fallback``: which element wins, how text is trimmed and repaired, how
``xml:base``/``xml:lang`` apply) and raises :class:`Unsure` for anything it
does not reproduce with certainty; the caller then uses feedparser. It
declines, among others: ``media:title``/``media:description``,
``itunes:summary``, ``dc:title``/``dc:description`` in entries, duplicate
titles/summaries/guids, markup inside RSS text elements, typed RSS text,
Atom ``src``/``mode``, authors it cannot split as feedparser would, and
namespace prefix games.

Security: the lxml parser resolves no entities, loads no DTD, never touches
the network and refuses huge trees. A DOCTYPE with an internal subset (where
entities are declared: XXE, "billion laughs") is declined outright; an
external-only ``<!DOCTYPE …>`` is dropped unread, as feedparser drops it.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from syndicator.sources import feed_fallback as fp
from syndicator.sources.feed_fallback import RawEntry, RawFeed, RawLink, Unsure

__all__ = ["read_xml"]

_XML_DECL = re.compile(rb"\A<\?xml\s[^>]*?\?>")  # the declaration, only at the start
_STRICT_DECL = re.compile(
    rb"""<\?xml\s+version\s*=\s*(?P<q1>["'])1\.0(?P=q1)"""
    rb"""(?:\s+encoding\s*=\s*(?P<q2>["'])(?P<enc>[A-Za-z][A-Za-z0-9._-]*)(?P=q2))?"""
    rb"""(?:\s+standalone\s*=\s*(?P<q3>["'])(?:yes|no)(?P=q3))?\s*\?>"""
)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_EXTERNAL_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[<]*>")
_XMLNS_DECL = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(["'])""")  # the value is found with bytes.find
# Where a C1 control character (U+0080–U+009F) can come from in UTF-8 XML: its
# bytes or a character reference. Without either, no text needs the C1 scan.
# (Two patterns, each starting with a literal, which the regex engine finds fast.)
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
_C1_REFERENCE = re.compile(rb"&#(?:0*(?:12[89]|1[3-5][0-9])|[xX]0*[89][0-9a-fA-F]);")
_XLINK = "http://www.w3.org/1999/xlink"
_ATOM_FEED = "{http://www.w3.org/2005/Atom}feed"
_RSS1_URIS = frozenset({"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"})

# Names are feedparser's: the prefix it files a namespace under + "_" + the
# lower-cased local name (bare for RSS/Atom themselves).
_TEXT = {"title": "title", "description": "summary", "summary": "summary",
         "content": "content", "content_encoded": "content"}  # fmt: skip
# Text elements whose type, without attributes, is known (Atom's default is text).
_UNTYPED = {"title": fp.PLAIN, "description": fp.HTML, "content_encoded": fp.HTML}
_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified", "date"})
_AUTHOR = frozenset({"author", "managingeditor", "dc_author", "dc_creator", "itunes_author"})
_LANGUAGE = frozenset({"language", "dc_language"})
_AUTHOR_PARTS = frozenset({"name", "itunes_name", "email", "itunes_email", "uri", "url", "homepage"})
_ENTRY_FIELDS = _TEXT.keys() | _PUBLISHED | _UPDATED | _AUTHOR | _LANGUAGE | {"link", "guid", "id", "enclosure"}
# Elements feedparser maps onto our fields in ways not copied here, and
# generic names that would collide with the keys the fallback reads.
_ENTRY_REFUSED = frozenset({
    "item", "entry", "channel", "feed", "rss", "image", "textinput", "abstract", "body",
    "xhtml_body", "fullitem", "dc_description", "dc_title", "media_title", "media_description",
    "itunes_summary", "title_detail", "summary_detail", "description_detail", "links", "authors",
    "guidislink", "content_detail",
})  # fmt: skip
_ENTRY_DANGER = frozenset(_ENTRY_FIELDS) | _ENTRY_REFUSED
_FEED_REFUSED = frozenset({"item", "entry", "channel", "feed", "rss", "dc_title", "media_title"})
_FEED_DANGER = _FEED_REFUSED | {"title", "language", "dc_language", "image", "textinput"}
# Bare children that keep feedparser's "inside <image>/<textInput>" state.
_KEEPS_STATE = {
    "image": frozenset({"title", "link", "description", "url", "href", "width", "height"}),
    "textinput": frozenset({"title", "link", "description", "name"}),
}


def read_xml(body: bytes, *, url: str, charset: str) -> RawFeed:
    """Read a well-formed RSS or Atom 1.0 document; raise :class:`Unsure` otherwise.

    *charset* is the encoding ``feed.py`` chose; the fallback gets the same.
    """
    data = _utf8_document(body, charset)
    _check_namespace_declarations(data)
    # One parser per call: lxml parsers must not be shared between threads.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise Unsure(f"not well-formed: {error}") from error
    c1 = _C1_BYTES.search(data) is not None or _C1_REFERENCE.search(data) is not None
    return _Reader(url, c1=c1).read(root)


def _utf8_document(body: bytes, charset: str) -> bytes:
    """UTF-8 bytes without a DOCTYPE, decoded exactly as feedparser decodes them."""
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
            # Decode in Python, as feedparser does: libxml2's iconv composes
            # windows-1258 differently, and the declaration may disagree.
            body = _XML_DECL.sub(b"", body.decode(charset).encode("utf-8"), count=1)
    except (LookupError, UnicodeError) as error:
        raise Unsure(f"cannot decode as {charset}") from error
    first = _FIRST_ELEMENT.search(body)
    if first is None:
        raise Unsure("no root element")
    head = body[: first.start()]
    if b"<!" in head.replace(b"<!--", b""):
        doctype = _EXTERNAL_DOCTYPE.search(head)
        rest = head[doctype.end() :] if doctype else b"<!"
        if doctype is None or b"<!" in rest.replace(b"<!--", b""):
            raise Unsure("DOCTYPE with an internal subset (entity declarations)")
        body = head[: doctype.start()] + rest + body[first.start() :]
    return body


def _check_namespace_declarations(data: bytes) -> None:
    """Decline prefix games that make feedparser file elements by prefix, not URI.

    feedparser files an element of an unknown namespace under the document's
    prefix (``xmlns:content="urn:x"`` + ``content:encoded`` reads as content),
    and its prefix map is global, not scoped: a prefix bound to a known
    namespace anywhere applies to every element written with it. This scan also sees declarations
    inside CDATA, which can only make us decline more often.
    """
    known: set[str] = set()
    unknown: set[str] = set()
    after_value = 0
    for declaration in _XMLNS_DECL.finditer(data):
        if declaration.start() < after_value:
            continue  # inside the previous value: skipping keeps the scan linear
        after_value = data.find(declaration.group(2), declaration.end())
        if after_value < 0:
            raise Unsure("unterminated namespace declaration")
        prefix = declaration.group(1).decode("ascii", "replace").lower()
        uri = data[declaration.end() : after_value].decode("utf-8", "replace")
        if uri == _XLINK:
            raise Unsure("feedparser turns xlink declarations into attributes")
        standard = fp.standard_prefix(uri)
        if standard is None:
            unknown.add(prefix)
        elif prefix != standard and prefix in fp.STANDARD_PREFIXES:
            raise Unsure(f"prefix {prefix!r} bound to another known namespace")
        else:
            known.add(prefix)
    if unknown & (fp.HANDLER_PREFIXES | known):
        raise Unsure("unknown namespace under a well-known prefix")


class _Reader:
    """One pass over one parsed document."""

    def __init__(self, url: str, *, c1: bool = True) -> None:
        self.url = url
        self.c1 = c1  # may any text hold a C1 control? (see _C1_BYTES)
        self.names: dict[str, str] = {}

    def name(self, element: etree._Element) -> str:
        """feedparser's name for *element*."""
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
                # Filed under the document's prefix, which may vary: not cached.
                given = element.prefix
                return f"{given.lower()}_{local.lower()}" if given else local.lower()
            name = f"{prefix}_{local.lower()}" if prefix else local.lower()
        else:
            name = tag.lower()
        self.names[tag] = name
        return name

    def scan(self, element: etree._Element, danger: frozenset[str]) -> None:
        """Decline when a descendant of an element we skip would still reach our fields."""
        for descendant in element.iterdescendants():
            if self.name(descendant) in danger:
                raise Unsure(f"{descendant.tag!r} nested where feedparser still reads it")

    def scope(self, attrs: dict[str, str], base: str, lang: str | None) -> tuple[str, str | None]:
        """Apply an element's ``xml:base``/``xml:lang`` as feedparser does."""
        if not attrs:
            return base, lang
        xml_base = attrs.get("xml:base", attrs.get("base"))
        if xml_base:
            if not base:
                raise Unsure("xml:base without a document URL")  # feedparser leaks it to siblings
            base = fp.safe_join(base, xml_base) or base
            if fp.safe_join(base, base) not in (base, ""):
                raise Unsure("base URI does not resolve to itself")
        xml_lang = attrs.get("xml:lang", attrs.get("lang"))
        if xml_lang is not None:
            lang = xml_lang or None
        return base, lang

    # -- documents -----------------------------------------------------------------

    def read(self, root: etree._Element) -> RawFeed:
        base = self.url
        if base:
            base = fp.safe_join(base, base) or base
            if fp.safe_join(base, base) not in (base, ""):
                raise Unsure("document URL does not resolve to itself")
        root_name = self.name(root)
        base, lang = self.scope(fp.attributes(root), base, None)
        if root.tag == _ATOM_FEED:
            if any(uri.lower() in _RSS1_URIS for uri in root.nsmap.values()):
                raise Unsure("Atom root declaring RSS 1.0 (feedparser would guess RSS 1.0)")
            return self.read_level(root, base, lang, kind="atom", feed_lang=lang)
        if root_name == "rss":
            channels = [child for child in root if self.name(child) == "channel"]
            if len(channels) != 1:
                raise Unsure("not exactly one <channel>")
            for child in root:
                if child is not channels[0]:
                    self.skip_feed_child(self.name(child), child)
            c_base, c_lang = self.scope(fp.attributes(channels[0]), base, lang)
            return self.read_level(channels[0], c_base, c_lang, kind="rss", feed_lang=lang)
        if root_name == "rdf_rdf":
            # RSS 0.90/1.0: items are siblings of <channel>; feedparser ignores
            # xml:lang on this root.
            return self.read_level(root, base, lang, kind="rss", feed_lang=None, rdf=True)
        raise Unsure(f"root element {root.tag!r} is not RSS or Atom 1.0")

    def read_level(
        self, parent: etree._Element, base: str, lang: str | None, *,
        kind: str, feed_lang: str | None, rdf: bool = False,
    ) -> RawFeed:  # fmt: skip
        """Read the element that holds the entries (and, except in RSS 1.0, the feed's fields)."""
        entry_name = "entry" if kind == "atom" else "item"
        entries: list[RawEntry] = []
        feed_lang = feed_lang.replace("_", "-") if feed_lang else None
        title: tuple[str, str, str | None] | None = None
        channels = 0
        for child in parent:
            name = self.name(child)
            if name == entry_name:
                entries.append(self.read_entry(child, base, lang, kind))
            elif rdf and name == "channel":
                channels += 1
                if channels > 1:
                    raise Unsure("several <channel> elements")
                c_base, c_lang = self.scope(fp.attributes(child), base, lang)
                for grandchild in child:
                    grand_name = self.name(grandchild)
                    if grand_name == "title" or grand_name in _LANGUAGE:
                        title, feed_lang = self.feed_field(grand_name, grandchild, c_base, c_lang, kind,
                                                           title, feed_lang)  # fmt: skip
                    else:
                        self.skip_feed_child(grand_name, grandchild)
            elif not rdf and (name == "title" or name in _LANGUAGE):
                title, feed_lang = self.feed_field(name, child, base, lang, kind, title, feed_lang)
            else:
                # In RSS 1.0, text outside <channel> is not the feed's (feedparser
                # is no longer "in the feed" there), so a stray title is ignored.
                self.skip_feed_child(name, child)
        return RawFeed(
            kind=kind,
            entries=tuple(entries),
            title=title[0] if title else None,
            title_type=title[1] if title else fp.PLAIN,
            # feedparser records xml:lang from <rss>/<feed> only; the title's covers <channel>.
            language=feed_lang or (title[2] if title else None),
        )

    def feed_field(
        self, name: str, element: etree._Element, base: str, lang: str | None, kind: str,
        title: tuple[str, str, str | None] | None, feed_lang: str | None,
    ) -> tuple[tuple[str, str, str | None] | None, str | None]:  # fmt: skip
        """A feed-level title (with the language in force on it) or language (the last wins)."""
        if name in _LANGUAGE:
            return title, fp.clean_text(self.leaf_text(element), c1=self.c1)
        if title is not None:
            raise Unsure("several feed titles")  # feedparser's choice depends on depth games
        attrs = fp.attributes(element)
        _, title_lang = self.scope(attrs, base, lang)
        text, content_type = self.text_construct("title", element, attrs, kind)
        return (text, content_type, title_lang.replace("_", "-") if title_lang else None), feed_lang

    def skip_feed_child(self, name: str, child: etree._Element) -> None:
        """A feed-level element we do not read: make sure feedparser does not either."""
        if name in _FEED_REFUSED:
            raise Unsure(f"{child.tag!r} at feed level")
        keeps_state = _KEEPS_STATE.get(name)
        if keeps_state is not None:
            # Any other element of the feed's own namespace, at any depth, makes
            # feedparser forget it is inside the <image>: a later <title> would
            # then become the feed's title.
            for descendant in child.iterdescendants():
                if self.is_bare(descendant) and self.name(descendant) not in keeps_state:
                    raise Unsure(f"{descendant.tag!r} inside <{name}> (feedparser leaves the {name})")
        elif len(child):
            self.scan(child, _FEED_DANGER)

    @staticmethod
    def is_bare(element: etree._Element) -> bool:
        """Whether feedparser files *element* without a prefix (RSS/Atom's own names)."""
        tag = element.tag
        if not isinstance(tag, str) or tag[0] != "{":
            return True
        prefix = fp.standard_prefix(tag[1:].split("}", 1)[0])
        return prefix == "" or (prefix is None and not element.prefix)

    # -- entries -------------------------------------------------------------------

    def read_entry(self, item: etree._Element, base: str, lang: str | None, kind: str) -> RawEntry:
        attrs = fp.attributes(item)
        if "href" in attrs or "lastmod" in attrs:
            raise Unsure("CDF item attributes")
        base, lang = self.scope(attrs, base, lang)
        guid: str | None = attrs.get("rdf:about")
        guid_seen = False
        guid_link: str | None = None
        texts: dict[str, tuple[str, str, str, str | None]] = {}
        links: list[RawLink] = []
        published: str | None = None
        updated: str | None = None
        author: str | None = None
        lang_element: str | None = None
        names = self.names
        for child in item:
            name = names.get(child.tag) or self.name(child)
            if name not in _ENTRY_FIELDS:
                if name in _ENTRY_REFUSED:
                    raise Unsure(f"{child.tag!r} in an entry")
                if name != "source" and len(child):  # <source> content is kept apart
                    self.scan(child, _ENTRY_DANGER)
                continue
            if child.items():
                child_attrs = fp.attributes(child)
                child_base, child_lang = self.scope(child_attrs, base, lang)
            else:  # most elements have no attributes: skip the bookkeeping
                child_attrs, child_base, child_lang = {}, base, lang
            slot = _TEXT.get(name)
            if slot is not None:
                if slot in texts:
                    raise Unsure(f"several {slot} elements")
                if child_attrs or name not in _UNTYPED:
                    value, content_type = self.text_construct(name, child, child_attrs, kind)
                else:  # the common case, read directly
                    value, content_type = fp.clean_text(self.leaf_text(child), c1=self.c1), _UNTYPED[name]
                texts[slot] = (value, content_type, child_base,
                               child_lang.replace("_", "-") if child_lang else None)  # fmt: skip
            elif name == "link":
                if child_attrs:
                    links.append(self.read_link(child, child_attrs, child_base))
                else:  # RSS <link>text</link>: what read_link does for it, directly
                    href = self.leaf_text(child).strip()
                    if not href:
                        raise Unsure("empty <link>")
                    href = fp.fix_link_text(fp.repair(fp.urljoin(base, href), c1=self.c1))
                    links.append(RawLink(href, "alternate", fp.HTML))
            elif name == "enclosure":
                fp.enforce_href(child_attrs)
                links.append(RawLink(child_attrs.get("href"), "enclosure", child_attrs.get("type"),
                                     child_attrs.get("length"), child_attrs.get("title")))  # fmt: skip
                if len(child):
                    self.scan(child, _ENTRY_DANGER)
            elif name in ("guid", "id"):
                if guid_seen:
                    raise Unsure("several guids")
                guid_seen = True
                is_link = child_attrs.get("ispermalink", "true") == "true"
                value = self.leaf_text(child).strip()
                if value and is_link:
                    value = fp.urljoin(child_base, value)  # feedparser resolves permalinks
                guid = fp.repair(value, c1=self.c1)
                guid_link = guid if is_link else None
            elif name in _PUBLISHED:
                published = fp.clean_text(self.leaf_text(child), c1=self.c1)
            elif name in _UPDATED:
                if name == "date" and child_attrs:
                    raise Unsure("<date> with attributes")
                updated = fp.clean_text(self.leaf_text(child), c1=self.c1)
            elif name in _AUTHOR:
                name_found = self.read_author(child)
                author = author or name_found
            else:
                lang_element = fp.clean_text(self.leaf_text(child), c1=self.c1)
        title = texts.get("title")
        summary = texts.get("summary")
        content = texts.get("content")
        detail_lang = next((text[3] for text in (title, summary, content) if text is not None and text[3]), None)
        return RawEntry(
            guid=guid,
            links=tuple(links),
            guid_link=guid_link,
            title=title[0] if title else None,
            title_type=title[1] if title else fp.PLAIN,
            summary=summary[0] if summary else None,
            summary_type=summary[1] if summary else fp.HTML,
            summary_base=summary[2] if summary else "",
            content=content[0] if content else None,
            content_type=content[1] if content else fp.HTML,
            content_base=content[2] if content else "",
            published=published,
            updated=updated,
            lang=lang_element or detail_lang,
            author=author,
            base=next((text[2] for text in (title, summary, content) if text is not None and text[2]), self.url),
        )

    def text_construct(self, name: str, element: etree._Element, attrs: dict[str, str], kind: str) -> tuple[str, str]:
        """A title/summary/content element: its text as feedparser yields it, and its type."""
        if "mode" in attrs or "src" in attrs:
            raise Unsure("mode= or src= on a text construct")
        if name in ("description", "content_encoded"):
            if "type" in attrs:
                raise Unsure("type= on an RSS text element")
            return fp.clean_text(self.leaf_text(element), c1=self.c1), fp.HTML
        if kind != "atom" and (name != "title" or "type" in attrs):
            raise Unsure(f"{element.tag!r} in RSS (feedparser guesses its type)")
        content_type = fp.map_content_type(attrs.get("type", "text"))
        if content_type == fp.XHTML:
            pieces = fp.strip_wrapping_div(fp.xhtml_pieces(element))
            return fp.clean_text("".join(pieces), c1=self.c1), content_type
        if content_type not in (fp.PLAIN, fp.HTML):
            raise Unsure(f"content type {content_type!r}")
        return fp.clean_text(self.leaf_text(element), c1=self.c1), content_type

    def read_link(self, element: etree._Element, attrs: dict[str, str], base: str) -> RawLink:
        attrs = dict(attrs)
        rel = attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if rel == "self" else "text/html")
        fp.enforce_href(attrs)
        href = attrs.get("href")
        if href is None:
            if rel != "alternate":
                raise Unsure("text <link> with a rel")
            href = self.leaf_text(element).strip()
            if not href:
                raise Unsure("empty <link>")
            href = fp.fix_link_text(fp.repair(fp.urljoin(base, href), c1=self.c1))
        else:
            href = fp.urljoin(base, href)
            if len(element):
                self.scan(element, _ENTRY_DANGER)
        return RawLink(href, rel, attrs.get("type"), attrs.get("length"), attrs.get("title"))

    def read_author(self, element: etree._Element) -> str | None:
        """The name feedparser files under ``authors[i]['name']`` for one author element."""
        if not len(element):
            return fp.author_name(fp.clean_text(element.text, c1=self.c1))
        if element.text and element.text.strip():
            raise Unsure("author with both text and elements")
        name: str | None = None
        for child in element:
            if child.tail and child.tail.strip():
                raise Unsure("author with mixed content")
            child_name = self.name(child)
            if child_name in ("name", "itunes_name"):
                name = self.leaf_text(child).strip()  # feedparser neither repairs nor maps names
            elif child_name in _AUTHOR_PARTS:
                self.leaf_text(child)
            elif child_name in _ENTRY_DANGER:
                raise Unsure(f"{child.tag!r} inside an author")
            elif len(child):
                self.scan(child, _ENTRY_DANGER)
        return name or None

    @staticmethod
    def leaf_text(element: etree._Element) -> str:
        if len(element):
            raise Unsure(f"markup inside {element.tag!r}")
        return element.text or ""
