"""Proof that feeds.render writes valid RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Three independent views check every document:

* the RFC 4287 grammar (tests/data/schemas/atom.rng, RELAX NG via lxml) plus the
  two Schematron rules that grammar carries as annotations;
* feedparser, the consumer most newsroom tools sit on (bozo must be 0 and the
  entries must come back with the same ids, titles, links, dates, categories
  and enclosures). feedparser 6.0.x cannot read JSON Feed, so JSON documents
  are checked against the JSON Feed 1.1 rules written out below instead;
* the contracts/feeds.md section 3 checklist, as code.
"""

from __future__ import annotations

import calendar
import dataclasses
import inspect
import json
import locale
import re
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds import render
from feeds.render import (
    ATOM_TYPE,
    JSON_TYPE,
    RSS_TYPE,
    Category,
    Enclosure,
    FeedEntry,
    FeedMeta,
    Tombstone,
    render_atom,
    render_json,
    render_rss,
)

SCHEMA = Path(__file__).parent / "data" / "schemas" / "atom.rng"
RNG = etree.RelaxNG(etree.parse(str(SCHEMA)))
# Parse what we wrote the way a careful consumer would: no DTDs, no entities, no network.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

A = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SY = "{http://purl.org/rss/1.0/modules/syndication/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

HOST = "https://tin.example.vn"
ICT = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh: inputs may be local, output must be UTC
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} (GMT|\+0000)\Z"
)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
SUFFIX = {"rss": "rss", "atom": "atom", "json": "json"}
TYPES = {"rss": RSS_TYPE, "atom": ATOM_TYPE, "json": JSON_TYPE}


# --------------------------------------------------------------------------- builders


def make_meta(fmt: str = "atom", **changes: Any) -> FeedMeta:
    """A subscription document for one topic feed, as the publisher builds it."""
    meta = FeedMeta(
        id="tag:tin.example.vn,2025:feed/khoa-hoc",
        title="Khoa học và Công nghệ — Nghị quyết 57",
        description="Tin khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
        language="vi",
        site_url=f"{HOST}/",
        self_url=f"{HOST}/feeds/khoa-hoc.{fmt}",
        updated=datetime(2025, 11, 20, 10, 0, 5, 987654, tzinfo=ICT),
        hubs=("https://hub.example.org/", "https://websub.example.net/hub"),
        alternates=tuple((TYPES[o].split(";")[0], f"{HOST}/feeds/khoa-hoc.{o}") for o in TYPES if o != fmt),
    )
    return dataclasses.replace(meta, **changes)


def sample_entries() -> list[FeedEntry]:
    """Three realistic entries covering the optional parts."""
    pillar = f"{HOST}/taxonomy#pillar"
    return [
        FeedEntry(
            id="tag:tin.example.vn,2025:item/abc123",
            title="Bộ KH&CN công bố danh mục nhiệm vụ cấp quốc gia 2026",
            link="https://most.gov.vn/tin-tuc/danh-muc-nhiem-vu-2026.html",
            published=datetime(2025, 11, 19, 8, 30, tzinfo=ICT),
            updated=datetime(2025, 11, 20, 9, 15, 42, 500, tzinfo=ICT),
            summary="Danh mục gồm 42 nhiệm vụ khoa học và công nghệ cấp quốc gia.",
            content_html='<p>Danh mục <a href="https://most.gov.vn/van-ban/42">xem tại đây</a>.</p>'
            '<img src="https://most.gov.vn/anh/1.jpg" alt="Ảnh">',
            language="vi",
            author="Bộ Khoa học và Công nghệ",
            categories=(
                Category("pillar:science", pillar, "Khoa học / Science"),
                Category("issuer:most", f"{HOST}/taxonomy#issuer", "Bộ KH&CN"),
            ),
            enclosures=(
                Enclosure("https://most.gov.vn/files/danh-muc.pdf", "application/pdf", 482133),
                Enclosure("https://most.gov.vn/files/phu-luc.docx", "application/msword", 0),
            ),
        ),
        FeedEntry(
            id="tag:tin.example.vn,2025:item/def456",
            title="Vietnam opens national innovation centre in Hoa Lac",
            link="https://en.example.gov.vn/news/innovation-centre",
            published=datetime(2025, 11, 18, 1, 0, tzinfo=UTC),
            updated=datetime(2025, 11, 18, 1, 0, tzinfo=UTC),
            summary="The centre hosts start-ups and research labs.",
            content_html=None,
            language="en",
            author=None,
            categories=(Category("pillar:innovation", pillar),),
        ),
        FeedEntry(
            id="tag:tin.example.vn,2025:item/ghi789",
            title="",
            link="https://chinhphu.example.vn/van-ban/57",
            published=datetime(2025, 11, 17, 23, 30, tzinfo=ICT),  # 16:30 UTC on the 17th
            updated=datetime(2025, 11, 17, 23, 30, tzinfo=ICT),
            summary="",
            content_html='<p>Xem <a href="phu-luc.html">phụ lục</a> và <img src="/anh/2.png"></p>',
            language=None,
            author="Văn phòng Chính phủ",
            enclosures=(Enclosure("https://chinhphu.example.vn/files/57.pdf", "application/pdf", 1000),),
        ),
    ]


def tombstones() -> list[Tombstone]:
    return [
        Tombstone(
            "tag:tin.example.vn,2025:item/old001",
            datetime(2025, 11, 19, 12, 0, tzinfo=ICT),
            "https://most.gov.vn/tin-tuc/cu.html",
            "Rút lại theo yêu cầu của cơ quan ban hành",
        ),
        Tombstone("tag:tin.example.vn,2025:item/old002", datetime(2025, 11, 18, tzinfo=UTC)),
    ]


def archive_meta(fmt: str) -> FeedMeta:
    return make_meta(
        fmt,
        self_url=f"{HOST}/feeds/khoa-hoc/archive/3.{fmt}",
        hubs=(),
        archive=True,
        current_url=f"{HOST}/feeds/khoa-hoc.{fmt}",
        prev_archive_url=f"{HOST}/feeds/khoa-hoc/archive/2.{fmt}",
        next_archive_url=f"{HOST}/feeds/khoa-hoc/archive/4.{fmt}",
    )


def render_all(entries: list[FeedEntry], stones: list[Tombstone] | None = None) -> dict[str, bytes]:
    return {
        "rss": render_rss(make_meta("rss"), entries),
        "atom": render_atom(make_meta("atom"), entries, stones or ()),
        "json": render_json(make_meta("json"), entries),
    }


# --------------------------------------------------------------------------- independent expectations


def expected_line(text: str) -> str:
    """What a title/label must look like after hygiene, computed independently."""
    kept = "".join(c for c in text.replace("\r\n", "\n").replace("\r", "\n") if not CONTROL.match(c))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def expected_title(entry: FeedEntry) -> str:
    return expected_line(entry.title) or f"(untitled) {entry.published.astimezone(UTC):%Y-%m-%d}"


def seconds(value: datetime) -> int:
    return int(value.astimezone(UTC).replace(microsecond=0).timestamp())


# --------------------------------------------------------------------------- validators


def validate_atom(body: bytes) -> etree._Element:
    """RELAX NG validity plus the RFC's two Schematron rules; returns the root."""
    root = etree.fromstring(body, PARSER)
    if not RNG.validate(root):
        raise AssertionError(f"Atom document is not RFC 4287 valid: {RNG.error_log}")
    ns = {"a": A[1:-1]}
    if root.tag == f"{A}feed" and not root.xpath("a:author or not(a:entry[not(a:author)])", namespaces=ns):
        raise AssertionError("atom:feed without atom:author has entries without one")
    for entry in root.iter(f"{A}entry"):
        if not entry.xpath("a:link[@rel='alternate'] or a:link[not(@rel)] or a:content", namespaces=ns):
            raise AssertionError("atom:entry without alternate link or content")
        if not entry.xpath("a:author or ../a:author or a:source/a:author", namespaces=ns):
            raise AssertionError("atom:entry without an author in a feed without one")
    return root


def parse_feed(body: bytes, fmt: str) -> Any:
    """feedparser's view, given the exact Content-Type the server sends."""
    parsed = feedparser.parse(body, response_headers={"content-type": TYPES[fmt]})
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def check_json_feed(doc: Any) -> None:
    """The JSON Feed 1.1 rules (https://www.jsonfeed.org/version/1.1/) that apply to us."""
    top = {
        "version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url", "icon",
        "favicon", "authors", "language", "expired", "hubs", "items",
    }  # fmt: skip
    assert isinstance(doc, dict)
    assert all(k in top or k.startswith("_") for k in doc), set(doc) - top
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    for key in ("home_page_url", "feed_url", "description", "next_url", "language"):
        assert isinstance(doc.get(key, ""), str)
    for author in doc.get("authors", []):
        assert isinstance(author, dict) and isinstance(author.get("name"), str) and author["name"]
    for hub in doc.get("hubs", []):
        assert isinstance(hub["type"], str) and isinstance(hub["url"], str)
    assert isinstance(doc["items"], list)
    item_keys = {
        "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
        "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments",
    }  # fmt: skip
    for item in doc["items"]:
        assert all(k in item_keys or k.startswith("_") for k in item), set(item) - item_keys
        assert isinstance(item["id"], str) and item["id"].strip()
        assert isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)
        for key in ("url", "title", "summary", "language"):
            assert isinstance(item.get(key, ""), str)
        for key in ("date_published", "date_modified"):
            if key in item:
                assert RFC3339.match(item[key]), item[key]
                assert datetime.fromisoformat(item[key]).tzinfo is not None
        assert all(isinstance(t, str) and t for t in item.get("tags", []))
        for author in item.get("authors", []):
            assert isinstance(author.get("name"), str) and author["name"]
        for att in item.get("attachments", []):
            assert isinstance(att["url"], str) and isinstance(att["mime_type"], str)
            assert isinstance(att.get("size_in_bytes", 1), int)


def load_json(body: bytes) -> Any:
    doc = json.loads(body.decode("utf-8"))
    check_json_feed(doc)
    return doc


def is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def urls_in_html(fragment: str) -> Iterator[str]:
    if fragment.strip():
        tree = lxml.html.fragment_fromstring(fragment, create_parent="div")
        for node in tree.iter():
            for name in ("href", "src", "cite", "poster"):
                if node.get(name) is not None:
                    yield node.get(name)


def urls_in_xml(root: etree._Element) -> Iterator[str]:
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for name, value in node.attrib.items():
            if etree.QName(name).localname in ("href", "url", "src", "domain", "scheme", "uri"):
                yield value
        local = etree.QName(node).localname
        if local in ("link", "docs", "uri") and node.text and node.text.strip():
            yield node.text.strip()  # RSS <link>/<docs> carry the URL as text
        if local in ("content", "encoded", "description") and node.text:
            yield from urls_in_html(node.text)


def urls_in_json(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from urls_in_json(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from urls_in_json(v, key)
    elif isinstance(value, str):
        if key.endswith("url") or key in ("current", "prev_archive", "next_archive"):
            yield value
        elif key == "content_html":
            yield from urls_in_html(value)


def json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v)
    elif isinstance(value, str):
        yield value


def assert_clean_xml(body: bytes) -> None:
    """Checklist: UTF-8 declaration, no control characters, no HTML-only entities."""
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    text = body.decode("utf-8")  # raises if the bytes are not UTF-8
    assert not CONTROL.search(text)
    for ref in re.findall(r"&#(x[0-9a-fA-F]+|[0-9]+);", text):
        code = int(ref[1:], 16) if ref.startswith("x") else int(ref)
        assert not CONTROL.match(chr(code)), ref
    assert set(re.findall(r"&([A-Za-z][A-Za-z0-9]*);", text)) <= {"lt", "gt", "amp", "quot", "apos"}


# --------------------------------------------------------------------------- 1. the schema


@pytest.mark.parametrize(
    "case",
    ["sample", "empty", "archive", "tombstones-only", "no-language", "single-entry-with-everything"],
)
def test_atom_output_is_valid_rfc4287(case: str) -> None:
    entries = sample_entries()
    if case == "sample":
        body = render_atom(make_meta(), entries)
    elif case == "empty":
        body = render_atom(make_meta(), [])
    elif case == "archive":
        body = render_atom(archive_meta("atom"), entries, tombstones())
    elif case == "tombstones-only":
        body = render_atom(make_meta(), [], tombstones())
    elif case == "no-language":
        body = render_atom(make_meta(language=None), entries)
    else:
        body = render_atom(make_meta(), entries[:1], tombstones()[:1])
    validate_atom(body)


def _mutated(body: bytes, change: Any) -> etree._Element:
    root = etree.fromstring(body, PARSER)
    change(root)
    return root


def test_schema_is_not_vacuous() -> None:
    """Documents that break RFC 4287 must fail, or the validity tests prove nothing."""
    body = render_atom(archive_meta("atom"), sample_entries(), tombstones())
    assert RNG.validate(etree.fromstring(body, PARSER))

    def drop(path: str) -> Any:
        def change(root: etree._Element) -> None:
            node = root.find(path)
            assert node is not None, path
            node.getparent().remove(node)

        return change

    def set_attr(path: str, name: str, value: str) -> Any:
        def change(root: etree._Element) -> None:
            node = root.find(path)
            assert node is not None, path
            node.set(name, value)

        return change

    def move_extension_after_entries(root: etree._Element) -> None:
        node = root.find(f"{FH}archive")
        assert node is not None
        root.remove(node)
        root.append(node)

    def add_unknown_atom_element(root: etree._Element) -> None:
        etree.SubElement(root, f"{A}bogus").text = "x"

    broken = {
        "feed without id": drop(f"{A}id"),
        "entry without updated": drop(f"{A}entry/{A}updated"),
        "entry without id": drop(f"{A}entry/{A}id"),
        "feed without title": drop(f"{A}title"),
        "content of invented type CDATA": set_attr(f"{A}entry/{A}content", "type", "CDATA"),
        "summary of type xhtml without a div": set_attr(f"{A}entry/{A}summary", "type", "xhtml"),
        "updated that is not RFC 3339": lambda r: setattr(r.find(f"{A}updated"), "text", "Thu, 20 Nov 2025"),
        "unprefixed attribute on a link": set_attr(f"{A}link", "bogus", "1"),
        "bad xml:lang": set_attr(f"{A}entry", XML_LANG, "not a language"),
        "extension element after the entries": move_extension_after_entries,
        "unknown element in the Atom namespace": add_unknown_atom_element,
    }
    for name, change in broken.items():
        assert not RNG.validate(_mutated(body, change)), f"schema accepted: {name}"


def test_schema_accepts_foreign_markup_where_rfc4287_allows_it() -> None:
    body = render_atom(make_meta(), sample_entries()[:1])

    def add(root: etree._Element) -> None:
        entry = root.find(f"{A}entry")
        assert entry is not None
        etree.SubElement(entry, "{urn:x-test}simple").text = "text only"
        structured = etree.SubElement(entry, "{urn:x-test}structured", {"{urn:x-test}a": "1"})
        etree.SubElement(structured, "{urn:x-test}child").text = "x"
        entry.find(f"{A}link").set("{urn:x-test}attr", "foreign attributes are allowed")

    assert RNG.validate(_mutated(body, add)), RNG.error_log


# --------------------------------------------------------------------------- 2. round trips


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_xml_round_trip_through_feedparser(fmt: str) -> None:
    entries = sample_entries()
    meta = make_meta(fmt)
    body = render_rss(meta, entries) if fmt == "rss" else render_atom(meta, entries)
    parsed = parse_feed(body, fmt)
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
    assert parsed.feed.title == meta.title
    assert parsed.feed.link == meta.site_url
    assert [e.id for e in parsed.entries] == [e.id for e in entries]
    for got, want in zip(parsed.entries, entries, strict=True):
        assert got.title == expected_title(want)
        assert got.link == want.link
        assert calendar.timegm(got.published_parsed) == seconds(want.published)
        assert calendar.timegm(got.updated_parsed) == seconds(want.updated)
        tags = [(t.term, t.scheme) + ((t.label,) if fmt == "atom" else ()) for t in got.get("tags", [])]
        assert tags == [(c.term, c.scheme) + ((c.label,) if fmt == "atom" else ()) for c in want.categories]
        # RSS carries one enclosure per item (RSS Advisory Board profile); Atom carries all.
        sent = want.enclosures[:1] if fmt == "rss" else want.enclosures
        if fmt == "atom":
            lengths = [str(e.length) if e.length else None for e in sent]
        else:
            lengths = [str(e.length) for e in sent]
        assert [(e.href, e.type, e.get("length")) for e in got.enclosures] == [
            (e.url, e.media_type, n) for e, n in zip(sent, lengths, strict=True)
        ]
        assert got.get("author") == want.author


def test_json_round_trip() -> None:
    entries = sample_entries()
    meta = make_meta("json")
    doc = load_json(render_json(meta, entries))
    assert doc["title"] == meta.title
    assert doc["home_page_url"] == meta.site_url
    assert doc["feed_url"] == meta.self_url
    assert doc["language"] == "vi"
    assert doc["hubs"] == [{"type": "WebSub", "url": h} for h in meta.hubs]
    assert doc["authors"] == [{"name": "Syndicator"}]
    assert [i["id"] for i in doc["items"]] == [e.id for e in entries]
    for got, want in zip(doc["items"], entries, strict=True):
        assert got["title"] == expected_title(want)
        assert got["url"] == want.link
        assert seconds(datetime.fromisoformat(got["date_published"])) == seconds(want.published)
        assert seconds(datetime.fromisoformat(got["date_modified"])) == seconds(want.updated)
        assert got.get("tags", []) == [c.term for c in want.categories]
        assert got.get("attachments", []) == [
            {"url": e.url, "mime_type": e.media_type, **({"size_in_bytes": e.length} if e.length else {})}
            for e in want.enclosures
        ]
        assert got.get("language") == want.language
        assert got.get("authors", []) == ([{"name": want.author}] if want.author else [])
        assert got.get("summary", "") == want.summary
        if want.content_html is None:
            assert got["content_text"] == want.summary and "content_html" not in got


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_xml_carries_exact_text_and_html(fmt: str) -> None:
    """At the XML level (not through feedparser's sanitiser) the text is exactly what was sent."""
    entries = sample_entries()[:2]
    body = render_rss(make_meta("rss"), entries) if fmt == "rss" else render_atom(make_meta(), entries)
    root = etree.fromstring(body, PARSER)
    if fmt == "rss":
        items = root.findall("channel/item")
        summaries = [i.findtext("description") for i in items]
        html = [i.findtext(f"{CONTENT}encoded") for i in items]
    else:
        items = root.findall(f"{A}entry")
        summaries = [i.findtext(f"{A}summary") for i in items]
        html = [i.findtext(f"{A}content") for i in items]
        assert [i.find(f"{A}summary").get("type") for i in items] == ["text", "text"]
        assert items[0].find(f"{A}content").get("type") == "html"
    assert summaries == [e.summary for e in entries]
    assert html == [e.content_html for e in entries]


# --------------------------------------------------------------------------- 3. the checklist


def test_content_type_constants() -> None:
    assert RSS_TYPE == "application/rss+xml; charset=utf-8"
    assert ATOM_TYPE == "application/atom+xml; charset=utf-8"
    assert JSON_TYPE == "application/feed+json; charset=utf-8"


def test_rss_channel_and_items_follow_the_checklist() -> None:
    meta = make_meta("rss")
    entries = sample_entries()
    root = etree.fromstring(render_rss(meta, entries), PARSER)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == meta.title
    assert channel.findtext("link") == meta.site_url  # the site, never the feed (gotcha 1)
    assert channel.findtext("description") == meta.description
    assert channel.findtext("language") == "vi"
    assert channel.findtext("ttl") == "15"
    assert channel.findtext(f"{SY}updatePeriod") == "hourly"
    assert channel.findtext(f"{SY}updateFrequency") == "4"
    assert RFC822.match(channel.findtext("lastBuildDate"))
    assert channel.findtext("lastBuildDate") == "Thu, 20 Nov 2025 03:00:05 GMT"
    links = [(a.get("rel"), a.get("href")) for a in channel.findall(f"{A}link")]
    assert links.count(("self", meta.self_url)) == 1 and [r for r, _ in links].count("self") == 1
    assert [h for r, h in links if r == "hub"] == list(meta.hubs)
    items = channel.findall("item")
    assert len(items) == len(entries)
    for item, entry in zip(items, entries, strict=True):
        assert item.findtext("title") and item.findtext("link") == entry.link
        guid = item.find("guid")
        assert guid.text == entry.id and guid.get("isPermaLink") == "false"
        assert RFC822.match(item.findtext("pubDate")), item.findtext("pubDate")
        assert item.find("author") is None  # RSS <author> needs an e-mail address
        assert item.findtext(f"{DC}creator") == entry.author
        for enclosure in item.findall("enclosure"):
            assert enclosure.get("url") and enclosure.get("type") and enclosure.get("length").isdigit()
        assert [(c.text, c.get("domain")) for c in item.findall("category")] == [
            (c.term, c.scheme) for c in entry.categories
        ]
    assert items[0].findtext("pubDate") == "Wed, 19 Nov 2025 01:30:00 GMT"  # 08:30 ICT
    assert items[1].findtext(f"{DC}language") == "en"  # differs from the channel
    assert items[0].find(f"{DC}language") is None


def test_atom_feed_and_entries_follow_the_checklist() -> None:
    meta = make_meta("atom")
    entries = sample_entries()
    root = validate_atom(render_atom(meta, entries))
    assert root.get(XML_LANG) == "vi"
    assert root.findtext(f"{A}id") == meta.id
    assert root.findtext(f"{A}updated") == "2025-11-20T03:00:05+00:00"
    assert root.findtext(f"{A}subtitle") == meta.description
    assert root.findtext(f"{A}author/{A}name") == "Syndicator"
    links = [(a.get("rel"), a.get("href"), a.get("type")) for a in root.findall(f"{A}link")]
    assert [link for link in links if link[0] == "self"] == [("self", meta.self_url, "application/atom+xml")]
    assert ("alternate", meta.site_url, "text/html") in links
    assert [h for r, h, _ in links if r == "hub"] == list(meta.hubs)
    alternates = [(t, h) for r, h, t in links if r == "alternate"]
    assert len({t for t, _ in alternates}) == len(alternates)  # one alternate per media type
    got = root.findall(f"{A}entry")
    assert [e.get(XML_LANG) for e in got] == [None, "en", None]  # only where it differs from the feed
    for node, entry in zip(got, entries, strict=True):
        assert node.findtext(f"{A}id") == entry.id
        assert node.findtext(f"{A}title") == expected_title(entry)
        assert node.findtext(f"{A}published") and node.findtext(f"{A}updated")
        assert [(a.get("rel"), a.get("href")) for a in node.findall(f"{A}link") if a.get("rel") == "alternate"] == [
            ("alternate", entry.link)
        ]
    untagged = render_atom(make_meta(language=None), entries)
    assert etree.fromstring(untagged, PARSER).get(XML_LANG) is None
    assert [e.get(XML_LANG) for e in etree.fromstring(untagged, PARSER).findall(f"{A}entry")] == ["vi", "en", None]


def test_every_url_in_every_output_is_absolute() -> None:
    entries = sample_entries()
    docs = render_all(entries, tombstones())
    archives = [render_rss(archive_meta("rss"), entries), render_atom(archive_meta("atom"), entries, tombstones())]
    found: list[str] = []
    for body in [docs["rss"], docs["atom"], *archives]:
        found += list(urls_in_xml(etree.fromstring(body, PARSER)))
    for body in [docs["json"], render_json(archive_meta("json"), entries)]:
        found += list(urls_in_json(json.loads(body)))
    assert len(found) > 40
    assert [u for u in found if not is_absolute(u)] == []
    # The relative links in the third entry's content were resolved against its link.
    assert "https://chinhphu.example.vn/van-ban/phu-luc.html" in found
    assert "https://chinhphu.example.vn/anh/2.png" in found


def test_outputs_are_clean_utf8() -> None:
    docs = render_all(sample_entries(), tombstones())
    assert_clean_xml(docs["rss"])
    assert_clean_xml(docs["atom"])
    strings = list(json_strings(json.loads(docs["json"].decode("utf-8"))))
    assert not any(CONTROL.search(s) for s in strings)
    assert "Bộ KH&CN".encode() in docs["json"]  # ensure_ascii=False: readable UTF-8, no \\u escapes


def test_rendering_is_deterministic() -> None:
    first = render_all(sample_entries(), tombstones())
    time.sleep(0.01)  # a clock leaking into the output would show up here
    second = render_all(sample_entries(), tombstones())
    assert first == second
    assert render_json(archive_meta("json"), sample_entries()) == render_json(archive_meta("json"), sample_entries())


def test_rss_never_switches_the_process_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """feedgen's RSS date formatter flips the process-wide locale; we must not call it."""

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("locale.setlocale called while rendering")

    monkeypatch.setattr(locale, "setlocale", refuse)
    body = render_rss(make_meta("rss"), sample_entries())
    assert b"<lastBuildDate>" in body and b"<pubDate>" in body


def test_entries_keep_the_given_order() -> None:
    entries = list(reversed(sample_entries()))
    docs = render_all(entries)
    ids = [e.id for e in entries]
    assert [i.findtext("guid") for i in etree.fromstring(docs["rss"], PARSER).iter("item")] == ids
    assert [i.findtext(f"{A}id") for i in etree.fromstring(docs["atom"], PARSER).iter(f"{A}entry")] == ids
    assert [i["id"] for i in json.loads(docs["json"])["items"]] == ids


def test_empty_title_gets_a_readable_fallback() -> None:
    entry = dataclasses.replace(sample_entries()[2], title=" \x00\t ")
    docs = render_all([entry])
    assert b"<title>(untitled) 2025-11-17</title>" in docs["rss"]
    assert b"<title>(untitled) 2025-11-17</title>" in docs["atom"]
    assert json.loads(docs["json"])["items"][0]["title"] == "(untitled) 2025-11-17"


def test_long_summary_is_cut_on_a_word_boundary() -> None:
    words = "Nghị quyết 57 về đột phá phát triển khoa học công nghệ đổi mới sáng tạo "
    original = words * 40
    entry = dataclasses.replace(sample_entries()[0], summary=original)
    summary = json.loads(render_json(make_meta("json"), [entry]))["items"][0]["summary"]
    assert 400 <= len(summary) <= render.SUMMARY_LIMIT
    assert summary.endswith("…")
    kept = summary[:-1]
    assert original.startswith(kept) and original[len(kept)] == " "
    root = etree.fromstring(render_atom(make_meta(), [entry]), PARSER)
    assert root.findtext(f"{A}entry/{A}summary") == summary


def test_hard_cut_never_splits_a_letter_from_its_mark() -> None:
    text = unicodedata.normalize("NFD", "ệ") * 400  # 3 code points per letter, no spaces
    cut = render.truncate_summary(text)
    kept = cut[:-1]
    assert cut.endswith("…") and len(cut) <= render.SUMMARY_LIMIT
    assert text.startswith(kept) and not unicodedata.combining(text[len(kept)])
    assert len(kept) % 3 == 0  # whole letters only
    assert render.truncate_summary("x" * 499 + "\u0301" * 5) == "x" * 498 + "…"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("link", "/items/abc"),
        ("link", "items/abc"),
        ("link", "//tin.example.vn/items/abc"),
        ("link", "javascript:alert(1)"),
        ("enclosure", "/files/a.pdf"),
        ("category", "/taxonomy#pillar"),
        ("site_url", "/"),
        ("self_url", "feeds/khoa-hoc.atom"),
        ("hub", "hub.example.org"),
        ("current_url", "/feeds/khoa-hoc.atom"),
        ("alternate", "/feeds/khoa-hoc.rss"),
        ("tombstone", "../old.html"),
    ],
)
def test_relative_links_are_rejected(field: str, value: str) -> None:
    meta = make_meta()
    entry = sample_entries()[0]
    stones: list[Tombstone] = []
    if field == "link":
        entry = dataclasses.replace(entry, link=value)
    elif field == "enclosure":
        entry = dataclasses.replace(entry, enclosures=(Enclosure(value, "application/pdf", 1),))
    elif field == "category":
        entry = dataclasses.replace(entry, categories=(Category("pillar:science", value),))
    elif field == "hub":
        meta = dataclasses.replace(meta, hubs=(value,))
    elif field == "alternate":
        meta = dataclasses.replace(meta, alternates=(("application/rss+xml", value),))
    elif field == "tombstone":
        stones = [Tombstone("tag:tin.example.vn,2025:item/x", meta.updated, value)]
    else:
        changes: dict[str, Any] = {field: value}
        meta = dataclasses.replace(meta, **changes)
    with pytest.raises(ValueError, match="absolute"):
        render_atom(meta, [entry], stones)
    if field != "tombstone":
        with pytest.raises(ValueError, match="absolute"):
            render_rss(meta, [entry])
        with pytest.raises(ValueError, match="absolute"):
            render_json(meta, [entry])


@pytest.mark.parametrize(
    "change",
    [
        {"id": "item/abc123"},
        {"id": "tag:tin.example.vn,2025:item/with space"},
        {"published": datetime(2025, 11, 19, 8, 30)},
        {"updated": datetime(2025, 11, 19, 8, 30)},
        {"language": "Tiếng Việt"},
        {"enclosures": (Enclosure("https://x.example/a", "pdf", 1),)},
        {"enclosures": (Enclosure("https://x.example/a", "application/pdf", -1),)},
        {"categories": (Category(" \x01 ", "https://x.example/t"),)},
    ],
)
def test_other_caller_bugs_raise(change: dict[str, Any]) -> None:
    entry = dataclasses.replace(sample_entries()[0], **change)
    for renderer in (render_rss, render_atom, render_json):
        with pytest.raises(ValueError):
            renderer(make_meta(), [entry])


def test_urls_with_spaces_and_vietnamese_are_percent_encoded() -> None:
    url = "https://most.gov.vn/files/Quyết định 57.pdf"
    entry = dataclasses.replace(sample_entries()[0], enclosures=(Enclosure(url, "application/pdf", 10),))
    encoded = "https://most.gov.vn/files/Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%2057.pdf"
    for body in render_all([entry]).values():
        assert encoded.encode() in body and url.encode() not in body


# --------------------------------------------------------------------------- 4. hostile content

HOSTILE_TITLE = "Tin &nbsp;nóng]]> \x0b\x1b 😀 " + unicodedata.normalize("NFD", "Đổi mới sáng tạo")
HOSTILE_HTML = (
    "<p>\x00Đoạn\x07 một]]><![CDATA[ x ]]>&nbsp;&amp;</p>\x1f<p>"
    + unicodedata.normalize("NFD", "Việt Nam")
    + " 😀</p><a href=\"/rel\">r</a>\ud800\ufffe<img src=anh.png alt='a>b'>"
)


def hostile_entry() -> FeedEntry:
    return dataclasses.replace(
        sample_entries()[0],
        title=HOSTILE_TITLE,
        summary=("Tóm tắt \x0c rất dài ]]> " * 300) + unicodedata.normalize("NFD", "kết thúc"),
        content_html=HOSTILE_HTML,
        author="Sở KH\x08CN\u0085 Hà Nội",
        categories=(Category("topic:an-toàn\x01", f"{HOST}/taxonomy#topic", "An toàn \x02 thông tin"),),
    )


def test_hostile_content_stays_valid_everywhere() -> None:
    entry = hostile_entry()
    docs = render_all([entry, *sample_entries()], tombstones())
    validate_atom(docs["atom"])
    for fmt in ("rss", "atom"):
        assert_clean_xml(docs[fmt])
        parsed = parse_feed(docs[fmt], fmt)
        assert parsed.entries[0].title == expected_title(entry)
        assert parsed.entries[0].id == entry.id
    item = load_json(docs["json"])["items"][0]
    assert item["title"] == expected_title(entry)
    assert "Việt Nam" in item["content_html"]  # NFC, so readers' search finds it
    assert "Đổi mới sáng tạo" in item["title"]
    assert "&nbsp;" in item["title"]  # plain text stays literal: it is not an entity here
    assert not any(CONTROL.search(s) for s in json_strings(item))
    assert len(item["summary"]) <= render.SUMMARY_LIMIT
    assert '<a href="https://most.gov.vn/rel">' in item["content_html"]
    assert '<img src="https://most.gov.vn/tin-tuc/anh.png"' in item["content_html"]
    assert item["tags"] == ["topic:an-toàn"]


def test_pathological_markup_renders_in_linear_time() -> None:
    """Tag scanning must not go quadratic on hostile input (40k characters here)."""
    for html in ["<a" * 20_000 + ' href="x"', "<a b=c" * 8_000 + " src=x", '<a x="' + "<b c" * 10_000 + " src=x"]:
        entry = dataclasses.replace(sample_entries()[0], content_html=html)
        started = time.perf_counter()
        validate_atom(render_atom(make_meta(), [entry]))
        assert time.perf_counter() - started < 2.0


hostile_char = st.one_of(
    st.characters(),
    st.sampled_from(
        list("\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\x80\x85\x9f\ud800\udfff\ufffe\uffff\r\n\t&<>\"']\u0301\u00a0")
    ),
)
hostile_text = st.text(alphabet=hostile_char, max_size=80)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile_text, summary=st.text(alphabet=hostile_char, max_size=1200), body=hostile_text, label=hostile_text)
def test_random_text_never_breaks_a_feed(title: str, summary: str, body: str, label: str) -> None:
    entry = dataclasses.replace(
        sample_entries()[0],
        title=title,
        summary=summary,
        content_html=f"<p>{body}</p>",
        author=label,
        categories=(Category("pillar:science", f"{HOST}/taxonomy#pillar", label),),
    )
    docs = render_all([entry], tombstones())
    want = expected_title(entry)
    atom = validate_atom(docs["atom"])
    assert atom.findtext(f"{A}entry/{A}title") == want
    for fmt in ("rss", "atom"):
        assert_clean_xml(docs[fmt])
        parse_feed(docs[fmt], fmt)
    rss = etree.fromstring(docs["rss"], PARSER)
    assert rss.findtext("channel/item/title") == want
    item = load_json(docs["json"])["items"][0]
    assert item["title"] == want
    assert len(item.get("summary", "")) <= render.SUMMARY_LIMIT
    assert not any(CONTROL.search(s) for s in json_strings(item))


# --------------------------------------------------------------------------- 5. archives and tombstones


def test_archive_documents_carry_rfc5005_markup() -> None:
    entries = sample_entries()
    atom = validate_atom(render_atom(archive_meta("atom"), entries, tombstones()))
    assert atom.find(f"{FH}archive") is not None
    rels = {a.get("rel"): a.get("href") for a in atom.findall(f"{A}link")}
    assert rels["current"] == f"{HOST}/feeds/khoa-hoc.atom"
    assert rels["prev-archive"] == f"{HOST}/feeds/khoa-hoc/archive/2.atom"
    assert rels["next-archive"] == f"{HOST}/feeds/khoa-hoc/archive/4.atom"
    assert rels["self"] == f"{HOST}/feeds/khoa-hoc/archive/3.atom"
    assert "hub" not in rels

    rss = etree.fromstring(render_rss(archive_meta("rss"), entries), PARSER)
    channel = rss.find("channel")
    assert channel.find(f"{FH}archive") is not None
    rss_rels = {a.get("rel"): a.get("href") for a in channel.findall(f"{A}link")}
    assert rss_rels["current"] == f"{HOST}/feeds/khoa-hoc.rss"
    assert rss_rels["prev-archive"] == f"{HOST}/feeds/khoa-hoc/archive/2.rss"
    parse_feed(render_rss(archive_meta("rss"), entries), "rss")

    doc = load_json(render_json(archive_meta("json"), entries))
    assert doc["next_url"] == f"{HOST}/feeds/khoa-hoc/archive/2.json"
    assert doc["_rfc5005"]["archive"] is True
    assert doc["_rfc5005"]["current"] == f"{HOST}/feeds/khoa-hoc.json"


def test_subscription_documents_are_not_marked_as_archives() -> None:
    docs = render_all(sample_entries())
    assert b"purl.org/syndication/history" not in docs["rss"] + docs["atom"]
    assert "_rfc5005" not in json.loads(docs["json"])


def test_tombstones_are_written_and_schema_valid() -> None:
    stones = tombstones()
    root = validate_atom(render_atom(make_meta(), sample_entries(), stones))
    deleted = root.findall(f"{AT}deleted-entry")
    assert [(d.get("ref"), d.get("when")) for d in deleted] == [
        ("tag:tin.example.vn,2025:item/old001", "2025-11-19T05:00:00+00:00"),
        ("tag:tin.example.vn,2025:item/old002", "2025-11-18T00:00:00+00:00"),
    ]
    assert deleted[0].findtext(f"{AT}comment") == "Rút lại theo yêu cầu của cơ quan ban hành"
    assert deleted[0].find(f"{A}link").get("href") == "https://most.gov.vn/tin-tuc/cu.html"
    assert deleted[1].find(f"{A}link") is None and deleted[1].find(f"{AT}comment") is None
    assert all(RFC3339.match(d.get("when")) for d in deleted)
    # Tombstones never show up as entries, and feedparser still reads the feed cleanly.
    parsed = parse_feed(render_atom(make_meta(), sample_entries(), stones), "atom")
    assert [e.id for e in parsed.entries] == [e.id for e in sample_entries()]


# --------------------------------------------------------------------------- 6. the empty feed


def test_empty_feed_is_valid_in_every_format() -> None:
    docs = render_all([])
    validate_atom(docs["atom"])
    for fmt in ("rss", "atom"):
        assert_clean_xml(docs[fmt])
        parsed = parse_feed(docs[fmt], fmt)
        assert parsed.entries == [] and parsed.feed.title == make_meta().title
    doc = load_json(docs["json"])
    assert doc["items"] == []


# --------------------------------------------------------------------------- the public API


def test_public_api_is_pinned() -> None:
    """The publisher calls these names; renaming one must be a deliberate change."""
    fields = {cls.__name__: [f.name for f in dataclasses.fields(cls)] for cls in (Category, Enclosure, Tombstone)}
    assert fields == {
        "Category": ["term", "scheme", "label"],
        "Enclosure": ["url", "media_type", "length"],
        "Tombstone": ["id", "when", "link", "comment"],
    }
    assert [f.name for f in dataclasses.fields(FeedEntry)] == [
        "id", "title", "link", "published", "updated", "summary", "content_html", "language", "author",
        "categories", "enclosures",
    ]  # fmt: skip
    assert [f.name for f in dataclasses.fields(FeedMeta)][:15] == [
        "id", "title", "description", "language", "site_url", "self_url", "updated", "hubs", "author",
        "ttl_minutes", "archive", "current_url", "prev_archive_url", "next_archive_url", "alternates",
    ]  # fmt: skip
    assert list(inspect.signature(render_atom).parameters) == ["meta", "entries", "tombstones"]
    assert list(inspect.signature(render_rss).parameters) == ["meta", "entries"]
    assert list(inspect.signature(render_json).parameters) == ["meta", "entries"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_meta().title = "x"  # type: ignore[misc]
