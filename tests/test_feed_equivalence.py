"""The fast feed reader must give exactly what the feedparser fallback gives.

That equality is the proof that the fast path is safe: for every corpus file
the fast reader accepts, and for generated RSS 2.0 and Atom 1.0 feeds full of
Vietnamese text, entities, odd dates, relative links, ``xml:base`` and
``xml:lang``, ``parse_feed_fast`` and ``parse_feed_slow`` must agree field by
field. Nothing is normalised on one side only: the two readers feed one
shared finishing step (``feed.finish``), and feedparser quirks the engine does
not want (``<br></br>``, ``text/html`` as the type of untyped enclosures) are
corrected there, for both, and documented in ``feed.py``.

Also here: ``parse_feed`` never raises, whatever the bytes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from syndicator.domain import ParseResult
from syndicator.sources.feed import fast_path_refusal, parse_feed, parse_feed_fast, parse_feed_slow

CORPUS = Path(__file__).parent / "data" / "feeds"
URL = "https://example.vn/feeds/"
CONTENT_TYPES = {
    "enc_win1258_http.xml": "application/rss+xml; charset=windows-1258",
    "html_page.html": "text/html; charset=utf-8",
}
# Corpus files the fast reader must take (a regression that sends everything to
# feedparser would still pass the equality test, so it is pinned here).
FAST = {
    "atom10_quirks.xml", "atom10_xhtml.xml", "cdata.xml", "duplicate_guids.xml", "empty_feed.xml",
    "enc_utf8_bom.xml", "enc_utf8_nodecl.xml", "enc_win1258_http.xml", "enc_win1258_prolog.xml",
    "entities.xml", "jsonfeed10.json", "jsonfeed11.json", "nfd_vietnamese.xml", "no_guid.xml",
    "odd_dates.xml", "rss091.xml", "rss091_netscape_doctype.xml", "rss10_rdf.xml", "rss2_full.xml",
    "rss2_plain.xml",
}  # fmt: skip
FALLBACK = {
    "atom03.xml", "billion_laughs.xml", "enc_utf16.xml", "html_page.html", "malformed.xml",
    "not_a_feed.xml", "rss2_media_fallback.xml", "undefined_entity.xml", "xxe.xml",
}  # fmt: skip


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".xml", ".json", ".html"))


def differences(fast: ParseResult, slow: ParseResult) -> list[str]:
    """Every field where the two results differ, one readable line each."""
    lines = []
    for name in ("title", "language", "problems"):
        if getattr(fast, name) != getattr(slow, name):
            lines.append(f"feed.{name}:\n  fast={getattr(fast, name)!r}\n  slow={getattr(slow, name)!r}")
    if len(fast.entries) != len(slow.entries):
        lines.append(f"entry count: fast={len(fast.entries)} slow={len(slow.entries)}")
    for index, (a, b) in enumerate(zip(fast.entries, slow.entries, strict=False)):  # counts compared above
        for field in dataclasses.fields(a):
            left, right = getattr(a, field.name), getattr(b, field.name)
            if left != right:
                lines.append(f"entry[{index}].{field.name}:\n  fast={left!r}\n  slow={right!r}")
    return lines


def assert_same(fast: ParseResult, slow: ParseResult, label: str) -> None:
    found = differences(fast, slow)
    if found:
        pytest.fail(f"fast and slow paths differ on {label}:\n" + "\n".join(found), pytrace=False)


def test_every_corpus_file_is_classified() -> None:
    assert set(corpus_files()) == FAST | FALLBACK


@pytest.mark.parametrize("name", corpus_files())
def test_fast_path_takes_exactly_the_expected_files(name: str) -> None:
    body = (CORPUS / name).read_bytes()
    refusal = fast_path_refusal(body, url=URL + name, content_type=CONTENT_TYPES.get(name))
    if name in FAST:
        assert refusal is None
    else:
        assert refusal is not None


@pytest.mark.parametrize("name", sorted(FAST))
def test_fast_equals_slow_on_corpus(name: str) -> None:
    body = (CORPUS / name).read_bytes()
    kwargs = {"url": URL + name, "content_type": CONTENT_TYPES.get(name), "language": "vi"}
    fast = parse_feed_fast(body, **kwargs)
    assert fast is not None
    assert_same(fast, parse_feed_slow(body, **kwargs), name)
    assert parse_feed(body, **kwargs) == fast


# -- generated feeds -------------------------------------------------------------------

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ"
FRAGMENTS = [
    "Nghị quyết 57",
    "Vie\u0302\u0323t Nam",
    "KH&CN",
    "a < b",
    "x > y",
    '"trích"',
    "it's",
    "&amp;",
    "&nbsp;",
    "&#7879;",
    "&lt;b&gt;",
    "Ã©",
    "Â©",
    "\x85",
    "\x96\x80",
    "\xa0",
    "–",
    "  ",
    "\n",
    "\t",
    "\r\n",
    "<b>đậm</b>",
    "<AI>",
    "user@example.vn",
    "]]>",
    "ʼ",
    "😀",
]
URLS = [
    "https://example.vn/a.html", "/tuyet-doi/b", "tuong-doi/c?x=1&y=2", "../len/d", "//cdn.example.vn/e",
    "#neo", "mailto:toasoan@example.vn", "http:///ba-gach/f", "Việt/đường-dẫn", " khoang trang ", "?q=1",
    "javascript:alert(1)", "http://例子.vn/g", "feed://example.vn/h", "HTTP://HOA.example.vn/i",
]  # fmt: skip
DATES = [
    "Mon, 02 Jun 2025 08:30:00 +0700", "Mon, 02 Jun 2025 08:30:00 UTC", "2 Jun 2025 8:30 GMT",
    "Wed, 04 Jun 25 08:30:00 Z", "2025-06-05T08:30:00+07:00", "2025-06-05", "02/06/2025 08:30",
    "Sun, 15 Dec 2024 12:15 PM", "hôm qua", "", "Mon, 31 Feb 2025 08:00:00 GMT",
]  # fmt: skip
AUTHORS = [
    "Nguyễn Văn A", "a@b.vn (Nguyễn A)", "Trần B <tran@b.vn>", "x@y.vn", "Lê C (le@c.vn)", "  Phạm   D  ",
    "", "Ã© mojibake",
]  # fmt: skip
BASES = [None, "https://khac.example.vn/thu-muc/", "con/", "../", "javascript:x"]
LANGS = [None, "vi", "en_US", "", "vi-VN"]
HTML_BITS = [
    "<p>", "</p>", '<a href="rel/x.html">', "</a>", '<img src="/anh.png" alt="ảnh"/>', "<a href='../y'>",
    '<img srcset="a.jpg 1x, b.jpg 2x">', "<br>", "&amp;", "&lt;", "&#8211;", '<a href="#top">',
    '<a href="https://tuyet-doi.example.vn/">', "<!-- chú thích -->", "<script src='s.js'></script>",
]  # fmt: skip

texts = st.lists(
    st.sampled_from(FRAGMENTS)
    | st.text(alphabet=VIETNAMESE + "ABC xyz019.,:;!?/-", max_size=12)
    | st.characters(min_codepoint=0x20, max_codepoint=0xFFFD, exclude_categories=("Cs",)),
    max_size=6,
).map("".join)
htmls = st.lists(st.sampled_from(HTML_BITS) | texts, max_size=8).map("".join)


def scoped(draw: st.DrawFn) -> str:
    """Random xml:base / xml:lang attributes."""
    attrs = ""
    base = draw(st.sampled_from(BASES))
    if base is not None:
        attrs += f" xml:base={quoteattr(base)}"
    lang = draw(st.sampled_from(LANGS))
    if lang is not None:
        attrs += f" xml:lang={quoteattr(lang)}"
    return attrs


def character_data(draw: st.DrawFn, text: str) -> str:
    """Text as escaped character data or as CDATA (split around any "]]>")."""
    if draw(st.booleans()):
        return escape(text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def rss_items(draw: st.DrawFn) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<title>{character_data(draw, draw(texts))}</title>")
    if draw(st.booleans()):
        parts.append(f"<link>{escape(draw(st.sampled_from(URLS)))}</link>")
    if draw(st.booleans()):
        permalink = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="True"']))
        guid = draw(st.sampled_from(URLS) | texts)
        parts.append(f"<guid{permalink}>{escape(guid)}</guid>")
    for tag in draw(st.lists(st.sampled_from(["pubDate", "dc:date"]), max_size=2, unique=True)):
        parts.append(f"<{tag}>{escape(draw(st.sampled_from(DATES)))}</{tag}>")
    if draw(st.booleans()):
        parts.append(f"<description{scoped(draw)}>{character_data(draw, draw(htmls))}</description>")
    if draw(st.booleans()):
        parts.append(f"<content:encoded{scoped(draw)}>{character_data(draw, draw(htmls))}</content:encoded>")
    for tag in draw(st.lists(st.sampled_from(["author", "dc:creator"]), max_size=2)):
        parts.append(f"<{tag}>{escape(draw(st.sampled_from(AUTHORS)))}</{tag}>")
    for _ in range(draw(st.integers(0, 2))):
        length = draw(st.sampled_from(["", ' length="12345"', ' length="x"']))
        kind = draw(st.sampled_from(["", ' type="audio/mpeg"', ' type="Image/JPEG"']))
        parts.append(f"<enclosure url={quoteattr(draw(st.sampled_from(URLS)))}{length}{kind}/>")
    if draw(st.booleans()):
        parts.append(f"<category>{escape(draw(texts))}</category>")
    parts = draw(st.permutations(parts))
    return f"<item{scoped(draw)}>" + "".join(parts) + "</item>"


@st.composite
def rss_feeds(draw: st.DrawFn) -> str:
    items = "".join(draw(st.lists(rss_items(), max_size=4)))
    language = (
        f"<language>{escape(draw(st.sampled_from(LANGS) | texts) or '')}</language>" if draw(st.booleans()) else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f' xmlns:dc="http://purl.org/dc/elements/1.1/"{scoped(draw)}>'
        f"<channel{scoped(draw)}><title>{character_data(draw, draw(texts))}</title>{language}"
        f"<link>https://example.vn/</link>{items}</channel></rss>"
    )


@st.composite
def xhtml(draw: st.DrawFn, depth: int = 0) -> str:
    """A small inline XHTML tree."""
    children = []
    for _ in range(draw(st.integers(0, 3 if depth < 2 else 0))):
        tag = draw(st.sampled_from(["p", "a", "img", "br", "em", "div", "SPAN"]))
        attrs = ""
        for name in draw(st.lists(st.sampled_from(["href", "src", "title", "class", "TYPE", "xml:lang"]),
                                  max_size=2, unique=True)):  # fmt: skip
            value = draw(st.sampled_from(URLS) | texts)
            attrs += f" {name}={quoteattr(value)}"
        children.append(f"<{tag}{attrs}>{draw(xhtml(depth + 1))}</{tag}>")
        children.append(escape(draw(texts)))
    return escape(draw(texts)) + "".join(children)


@st.composite
def atom_text(draw: st.DrawFn, tag: str) -> str:
    kind = draw(st.sampled_from([None, "text", "html", "xhtml"]))
    type_attr = f' type="{kind}"' if kind else ""
    if kind == "xhtml":
        inner = draw(xhtml())
        if draw(st.booleans()):
            inner = f'<div xmlns="http://www.w3.org/1999/xhtml">{inner}</div>'
        else:
            inner = f'<span xmlns="http://www.w3.org/1999/xhtml">{inner}</span>'
        ws = draw(st.sampled_from(["", "\n  ", " "]))
        return f"<{tag}{type_attr}{scoped(draw)}>{ws}{inner}{ws}</{tag}>"
    body = draw(htmls) if kind == "html" else draw(texts)
    return f"<{tag}{type_attr}{scoped(draw)}>{character_data(draw, body)}</{tag}>"


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<id>{escape(draw(st.sampled_from(URLS) | texts))}</id>")
    if draw(st.booleans()):
        parts.append(draw(atom_text("title")))
    for _ in range(draw(st.integers(0, 3))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="enclosure"', ' rel="self"', ' rel="related"']))
        kind = draw(st.sampled_from(["", ' type="text/html"', ' type="application/pdf"', ' type="TEXT/HTML"']))
        extra = draw(st.sampled_from(["", ' length="99"', f" title={quoteattr(draw(texts))}"]))
        parts.append(f"<link{rel}{kind}{extra} href={quoteattr(draw(st.sampled_from(URLS)))}{scoped(draw)}/>")
    for tag in draw(st.lists(st.sampled_from(["published", "updated"]), max_size=2, unique=True)):
        parts.append(f"<{tag}>{escape(draw(st.sampled_from(DATES)))}</{tag}>")
    if draw(st.booleans()):
        parts.append(draw(atom_text("summary")))
    if draw(st.booleans()):
        parts.append(draw(atom_text("content")))
    for _ in range(draw(st.integers(0, 2))):
        name = f"<name>{escape(draw(texts))}</name>" if draw(st.booleans()) else ""
        email = "<email>a@b.vn</email>" if draw(st.booleans()) else ""
        parts.append(f"<author>{name}{email}</author>")
    parts = draw(st.permutations(parts))
    return f"<entry{scoped(draw)}>" + "".join(parts) + "</entry>"


@st.composite
def atom_feeds(draw: st.DrawFn) -> str:
    entries = "".join(draw(st.lists(atom_entries(), max_size=4)))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{scoped(draw)}>{draw(atom_text("title"))}'
        f"<id>urn:x</id>{entries}</feed>"
    )


document_urls = st.sampled_from([URL + "rss.xml", "https://example.vn", "http://example.vn/a/b/?q=1", ""])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(feed=rss_feeds(), url=document_urls)
def test_generated_rss_fast_equals_slow(feed: str, url: str) -> None:
    body = feed.encode("utf-8")
    fast = parse_feed_fast(body, url=url)
    assume(fast is not None)  # Hypothesis complains if too few are accepted
    assert fast is not None
    assert_same(fast, parse_feed_slow(body, url=url), feed)


@SETTINGS
@given(feed=atom_feeds(), url=document_urls)
def test_generated_atom_fast_equals_slow(feed: str, url: str) -> None:
    body = feed.encode("utf-8")
    fast = parse_feed_fast(body, url=url)
    assume(fast is not None)
    assert fast is not None
    assert_same(fast, parse_feed_slow(body, url=url), feed)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=3000), content_type=st.sampled_from([None, "text/xml", "text/html", "application/json"]))
def test_never_raises_on_random_bytes(body: bytes, content_type: str | None) -> None:
    for parse in (parse_feed, parse_feed_slow):
        result = parse(body, url=URL, content_type=content_type)
        assert isinstance(result, ParseResult)
        if not result.entries:
            assert result.problems


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(sorted(FAST | FALLBACK)),
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=4),
)
def test_never_raises_on_damaged_corpus(name: str, cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray((CORPUS / name).read_bytes()[:cut])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    result = parse_feed(bytes(data), url=URL, content_type=CONTENT_TYPES.get(name))
    assert isinstance(result, ParseResult)
