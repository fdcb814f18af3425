"""feedgen extensions for what feedgen 1.0 cannot write by itself.

feedgen's extension protocol (``feedgen/ext/base.py``) is duck-typed: a class
registered with ``FeedGenerator.register_extension(name, feed_cls, entry_cls,
atom=..., rss=...)`` is instantiated once per feed (and ``entry_cls`` once per
entry) and is called back with the lxml element feedgen has just built:

* ``extend_ns()`` -> prefixes to declare on the root element;
* ``extend_atom(feed_or_entry)`` / ``extend_rss(rss_or_item)`` -> add children.

Feed-level callbacks run after feedgen has written the feed metadata and before
it appends the entries, which is exactly where RFC 4287's grammar wants
extension elements (``atom:entry`` elements must come last), so everything
below is schema-valid by construction.

The classes do not inherit ``feedgen.ext.base.BaseExtension`` because feedgen
ships no type information (an ``Any`` base would defeat ``mypy --strict``);
they implement the same three methods instead.

What lives here, and why feedgen cannot do it:

* ``ArchiveExtension``: RFC 5005 ``fh:archive`` (Atom feed and RSS channel).
* ``TombstoneExtension``: RFC 6721 ``at:deleted-entry`` (Atom only).
* ``RssChannelExtension``: RSS ``atom:link`` elements other than ``self``
  (feedgen writes only the first ``rel="self"`` link into RSS, so WebSub hubs
  and RFC 5005 links would be lost), ``sy:updatePeriod``/``sy:updateFrequency``
  (feedgen's syndication extension writes ``sy:UpdatePeriod`` with a capital
  letter, which is not the RSS 1.0 module's element, and "None" when no
  frequency is set) and a locale-free ``lastBuildDate``.
* ``RssItemExtension``: a locale-free ``pubDate`` and a ``dcterms:modified``.
  feedgen formats RSS dates by switching the *process-wide* locale to C and
  back (``feedgen.util.formatRFC2822``). Meanwhile any other thread's
  ``open()`` without an explicit encoding gets ASCII instead of UTF-8 (checked
  on Python 3.11), and two racing renders can leave the process in C for good.
  We format dates ourselves and never call that function.
* ``AtomEntryExtension``: ``xml:lang`` on an ``atom:entry`` and the entry's
  links (feedgen 1.0 loses their ``rel``/``type``/``length``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
SYNDICATION_NS = "http://purl.org/rss/1.0/modules/syndication/"
DCTERMS_NS = "http://purl.org/dc/terms/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# An lxml element. lxml ships no type stubs, so this is an alias for readability.
Element = Any


def rfc822_date(value: datetime) -> str:
    """RFC 822/1123 date in GMT with English names and a 4-digit year.

    ``email.utils.format_datetime`` uses fixed English day and month names, so
    the result does not depend on the process locale.
    """
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: feed dates need a time zone")
    return format_datetime(value.astimezone(UTC), usegmt=True)


def rfc3339_date(value: datetime) -> str:
    """RFC 3339 in UTC, written the way feedgen writes Atom dates (``+00:00``)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: feed dates need a time zone")
    return value.astimezone(UTC).isoformat()


def _same_namespace(parent: Element, local_name: str) -> str:
    """``local_name`` in ``parent``'s namespace.

    feedgen builds Atom elements without a namespace and sets the Atom
    namespace as a plain ``xmlns`` attribute on the root, so children must be
    un-namespaced too, or lxml would declare a second, ``ns0``-prefixed copy.
    """
    namespace = etree.QName(parent).namespace
    return f"{{{namespace}}}{local_name}" if namespace else local_name


def _sub(parent: Element, tag: str, text: str | None = None, **attrib: str) -> Element:
    child = etree.SubElement(parent, tag, attrib)
    if text is not None:
        child.text = text
    return child


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """An ``atom:link`` to write; ``length`` 0 means unknown and is omitted."""

    rel: str
    href: str
    type: str | None = None
    length: int = 0

    def attributes(self) -> dict[str, str]:
        """The link's XML attributes, in a fixed order."""
        attrib = {"href": self.href, "rel": self.rel}
        if self.type:
            attrib["type"] = self.type
        if self.length:
            attrib["length"] = str(self.length)
        return attrib


@dataclass(frozen=True, slots=True)
class TombstoneSpec:
    """An RFC 6721 deleted-entry marker; strings are already clean."""

    ref: str
    when: datetime
    link: str | None = None
    comment: str | None = None


class ArchiveExtension:
    """RFC 5005 section 4: mark an archive document with ``<fh:archive/>``.

    Usable for both formats: the element goes into ``atom:feed`` or into the RSS
    ``channel``. Nothing is written (and no prefix declared) unless
    :meth:`set_archive` was called with ``True``.
    """

    def __init__(self) -> None:
        self.archive = False

    def set_archive(self, archive: bool) -> None:
        """Mark (or unmark) the document as an archive document."""
        self.archive = archive

    def extend_ns(self) -> dict[str, str]:
        """Declare ``fh`` only when the element is written."""
        return {"fh": HISTORY_NS} if self.archive else {}

    def extend_atom(self, feed: Element) -> Element:
        """Add ``fh:archive`` to the Atom feed head."""
        if self.archive:
            _sub(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, rss: Element) -> Element:
        """Add ``fh:archive`` to the RSS channel."""
        if self.archive:
            _sub(rss[0], f"{{{HISTORY_NS}}}archive")
        return rss


class TombstoneExtension:
    """RFC 6721 tombstones: ``<at:deleted-entry ref=... when=...>`` in an Atom feed.

    Each tombstone may carry an ``atom:link`` (where the entry used to be) and
    an ``at:comment``. They are written in the order added, before the
    entries, as RFC 4287's grammar requires for feed-level extension elements.
    """

    def __init__(self) -> None:
        self.tombstones: list[TombstoneSpec] = []

    def add_tombstone(self, tombstone: TombstoneSpec) -> None:
        """Append one deleted-entry marker."""
        self.tombstones.append(tombstone)

    def extend_ns(self) -> dict[str, str]:
        """Declare ``at`` only when there is a tombstone."""
        return {"at": TOMBSTONE_NS} if self.tombstones else {}

    def extend_atom(self, feed: Element) -> Element:
        """Write every tombstone into the feed head."""
        for stone in self.tombstones:
            node = _sub(feed, f"{{{TOMBSTONE_NS}}}deleted-entry", ref=stone.ref, when=rfc3339_date(stone.when))
            if stone.link is not None:
                _sub(node, _same_namespace(feed, "link"), href=stone.link, rel="alternate")
            if stone.comment:
                _sub(node, f"{{{TOMBSTONE_NS}}}comment", stone.comment)
        return feed

    def extend_rss(self, rss: Element) -> Element:
        """RSS has no tombstone vocabulary: a withdrawn item simply disappears."""
        return rss


class RssChannelExtension:
    """RSS channel elements feedgen gets wrong or cannot write (see module doc)."""

    def __init__(self) -> None:
        self.links: list[LinkSpec] = []
        self.last_build: datetime | None = None
        self.update_period: str | None = None
        self.update_frequency: int | None = None

    def add_link(self, link: LinkSpec) -> None:
        """Add an ``atom:link`` (hub, prev-archive, current, alternate, ...)."""
        self.links.append(link)

    def set_last_build(self, when: datetime) -> None:
        """Set ``lastBuildDate`` (written locale-free, in GMT)."""
        self.last_build = when

    def set_update_hint(self, ttl_minutes: int) -> None:
        """Derive ``sy:updatePeriod``/``sy:updateFrequency`` from the RSS ``ttl``.

        Only TTLs that divide an hour or a day map exactly (15 min -> hourly x4,
        360 min -> daily x4); others get no hint rather than a wrong one.
        """
        if 0 < ttl_minutes <= 60 and 60 % ttl_minutes == 0:
            self.update_period, self.update_frequency = "hourly", 60 // ttl_minutes
        elif ttl_minutes > 0 and ttl_minutes % 60 == 0 and 1440 % ttl_minutes == 0:
            self.update_period, self.update_frequency = "daily", 1440 // ttl_minutes
        else:
            self.update_period, self.update_frequency = None, None

    def extend_ns(self) -> dict[str, str]:
        """Declare ``dcterms`` for the items and ``sy`` when a hint is written.

        feedgen asks only feed-level extensions for prefixes; without this the
        items' ``dcterms:modified`` would get a generated ``ns0`` prefix each.
        ``atom`` and ``content`` are declared by feedgen itself.
        """
        ns = {"dcterms": DCTERMS_NS}
        if self.update_period:
            ns["sy"] = SYNDICATION_NS
        return ns

    def extend_atom(self, feed: Element) -> Element:
        """Registered for RSS only; nothing to add to Atom."""
        return feed

    def extend_rss(self, rss: Element) -> Element:
        """Add the extra links, the hint and ``lastBuildDate`` to the channel."""
        channel = rss[0]
        for link in self.links:
            _sub(channel, f"{{{ATOM_NS}}}link", **link.attributes())
        if self.last_build is not None:
            _sub(channel, "lastBuildDate", rfc822_date(self.last_build))
        if self.update_period and self.update_frequency:
            _sub(channel, f"{{{SYNDICATION_NS}}}updatePeriod", self.update_period)
            _sub(channel, f"{{{SYNDICATION_NS}}}updateFrequency", str(self.update_frequency))
        return rss


class RssItemExtension:
    """Per-item RSS dates written without touching the process locale.

    Registered as the entry half of :class:`RssChannelExtension`.
    """

    def __init__(self) -> None:
        self.published: datetime | None = None
        self.modified: datetime | None = None

    def set_dates(self, published: datetime, modified: datetime) -> None:
        """``pubDate`` (RFC 822, GMT) and ``dcterms:modified`` (RFC 3339)."""
        self.published = published
        self.modified = modified

    def extend_ns(self) -> dict[str, str]:
        """Item extensions do not declare namespaces (feed-level ones do)."""
        return {}

    def extend_atom(self, entry: Element) -> Element:
        """Registered for RSS only; nothing to add to Atom."""
        return entry

    def extend_rss(self, item: Element) -> Element:
        """Add ``pubDate`` and ``dcterms:modified`` to the item."""
        if self.published is not None:
            _sub(item, "pubDate", rfc822_date(self.published))
        if self.modified is not None:
            _sub(item, f"{{{DCTERMS_NS}}}modified", rfc3339_date(self.modified))
        return item


class AtomEntryExtension:
    """Per-entry Atom parts feedgen lacks or mangles: ``xml:lang`` and entry links.

    feedgen 1.0 drops every attribute but ``href`` from entry links (its loop
    rebinds the variable holding the link data to the new element), so an
    enclosure would come out as a second untyped *alternate* link, which RFC
    4287 section 4.1.1 forbids. Entry links are therefore written here; the
    one link still given to feedgen (it refuses an entry with neither content
    nor an alternate link) gets its ``rel="alternate"`` back.
    """

    def __init__(self) -> None:
        self.language: str | None = None
        self.links: list[LinkSpec] = []

    def set_language(self, language: str | None) -> None:
        """Language of this entry when it differs from the feed's."""
        self.language = language

    def add_link(self, link: LinkSpec) -> None:
        """An entry link other than the alternate one, e.g. ``rel="enclosure"``."""
        self.links.append(link)

    def extend_ns(self) -> dict[str, str]:
        """``xml`` is predeclared; nothing to add."""
        return {}

    def extend_atom(self, entry: Element) -> Element:
        """Set ``xml:lang``, restore the alternate link's rel, add enclosures."""
        if self.language:
            entry.set(XML_LANG, self.language)
        link_tag = _same_namespace(entry, "link")
        for node in entry.iterchildren(link_tag):
            if "rel" not in node.attrib:
                node.set("rel", "alternate")
        for link in self.links:
            _sub(entry, link_tag, **link.attributes())
        return entry

    def extend_rss(self, item: Element) -> Element:
        """Registered for Atom only."""
        return item


class NoFeedExtension:
    """Feed-level placeholder: feedgen needs one when only the entry part matters."""

    def extend_ns(self) -> dict[str, str]:
        """Nothing to declare."""
        return {}

    def extend_atom(self, feed: Element) -> Element:
        """Nothing to add."""
        return feed

    def extend_rss(self, rss: Element) -> Element:
        """Nothing to add."""
        return rss
