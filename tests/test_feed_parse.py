"""What ``parse_feed`` reads from each file of the tricky corpus (tests/data/feeds).

Each test names the pitfall it covers; ``tests/data/feeds/MANIFEST.md`` says
what every file is for. That the fast reader and feedparser agree is tested
in ``test_feed_equivalence.py``; here the answers themselves are checked.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicator.domain import Attachment, ParsedEntry, ParseResult
from syndicator.sources import feed_fallback
from syndicator.sources.feed import _absolute_links, fast_path_refusal, parse_feed, parse_feed_slow
from syndicator.sources.feeddates import parse_feed_date

CORPUS = Path(__file__).parent / "data" / "feeds"
HTML_PAGE = "this is an HTML page, not a feed (is the URL right? try the site's RSS link)"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def read(name: str, *, url: str | None = None, **kwargs: object) -> ParseResult:
    body = (CORPUS / name).read_bytes()
    return parse_feed(body, url=url or f"https://example.vn/feeds/{name}", **kwargs)  # type: ignore[arg-type]


def by_guid(result: ParseResult) -> dict[str | None, ParsedEntry]:
    return {entry.guid: entry for entry in result.entries}


# -- formats -----------------------------------------------------------------------------


def test_rss2_plain() -> None:
    result = read("rss2_plain.xml")
    assert result.problems == ()
    assert result.title == "Bộ Khoa học và Công nghệ – Tin tức"
    assert result.language == "vi"
    assert [e.guid for e in result.entries] == ["most-2025-0001", "most-2025-0002", "most-2025-0003"]
    first = result.entries[0]
    assert first.title == "Triển khai Nghị quyết 57 về khoa học, công nghệ, đổi mới sáng tạo"
    assert first.url == "https://most.example.vn/tin/nghi-quyet-57-trien-khai.html"
    assert first.summary == "Chính phủ ban hành kế hoạch hành động thực hiện Nghị quyết 57."
    assert first.content is None
    assert first.published == utc(2025, 6, 2, 1, 30)
    assert first.language == "vi"
    assert result.entries[1].published == utc(2025, 6, 3, 9, 15)
    assert result.entries[2].title == "Nhiệm vụ KH&CN cấp quốc gia năm 2025"


def test_rss2_full_content_enclosures_creator_relative_links_and_xml_base() -> None:
    result = read("rss2_full.xml")
    assert result.problems == ()
    assert result.title == "Báo Khoa học & Phát triển – Chuyên mục Nghị quyết 57"
    assert result.language == "vi-VN"  # xml:lang on <channel>
    first, second, third = result.entries
    base = "https://baochi.example.vn/chuyen-muc/"
    # A permalink guid is a URL: relative ones are resolved like links.
    assert first.guid == first.url == base + "bai-viet/ai-quan-ly-nha-nuoc.html"
    assert first.author == "Nguyễn Thị Hương"
    assert first.summary == '<p>Tóm tắt: <a href="https://baochi.example.vn/tag/ai">AI</a> và dữ liệu mở.</p>'
    assert first.content is not None
    assert f'<img src="{base}anh/ai.jpg"' in first.content
    assert f'srcset="{base}anh/ai-480.jpg 480w, {base}anh/ai-960.jpg 960w"' in first.content
    assert '<a href="https://baochi.example.vn/khac/du-lieu-mo.html">' in first.content
    assert '<a href="https://data.example.vn/">' in first.content  # absolute: untouched
    assert '<a href="#chu-thich">' in first.content  # in-page anchor: untouched
    assert "href='mailto:toasoan@baochi.example.vn'" in first.content
    assert first.attachments == (
        Attachment(url=base + "media/ai-podcast.mp3", media_type="audio/mpeg", length=1234567),
        Attachment(url="https://cdn.example.vn/tai-lieu/ke-hoach.pdf", media_type="application/pdf"),
    )
    assert first.published == utc(2025, 6, 5, 3, 0)
    # Item-level xml:base and xml:lang; "email (Name)" author.
    assert second.url == base + "dia-phuong/trung-tam-doi-moi.html"
    assert second.guid == "bk-2025-06-06-01"
    assert second.language == "en"
    assert second.author == "Trần Văn Minh"
    assert second.summary == "Ba trung tâm đổi mới sáng tạo <b>mới</b> tại miền Trung."
    assert second.attachments == (
        Attachment(url=base + "dia-phuong/anh/trung-tam.jpg", media_type="image/jpeg", length=45678),
    )
    # No <link>: the permalink guid is the URL; dc:date is the publication date.
    assert third.url == "https://baochi.example.vn/quy-nafosted-2025.html"
    assert third.published == utc(2025, 6, 7, 9, 20)
    assert third.updated is None
    assert third.summary is None
    assert third.content == "<p>Danh sách đề tài được tài trợ.</p>"


def test_atom10_xhtml_content_and_xml_base() -> None:
    result = read("atom10_xhtml.xml")
    assert result.problems == ()
    assert result.title == "Cổng thông tin Nghị quyết 57"
    assert result.language == "vi"
    first, second, third = result.entries
    base = "https://cong.example.gov.vn/tin/2025/06/"
    assert first.guid == "tag:cong.example.gov.vn,2025:entry-101"
    assert first.title == "Hội nghị toàn quốc về KH, CN, ĐMST & CĐS"
    assert first.url == base + "hoi-nghi-toan-quoc.html"
    assert first.published == utc(2025, 6, 8, 1, 0)
    assert first.updated == utc(2025, 6, 8, 2, 30)
    assert first.author == "Phóng viên Lê Hoa"
    assert first.summary == f'<p>Thủ tướng chủ trì <a href="{base}thu-tuong.html">hội nghị</a>.</p>'
    assert first.content is not None
    assert first.content.startswith("<p>Hội nghị đánh giá kết quả <strong>6 tháng</strong>")
    assert "<div" not in first.content  # the wrapping XHTML div is dropped
    assert f'<a href="{base}ket-luan.html" title="Kết luận &amp; chỉ đạo">Kết luận</a><br>' in first.content
    assert f'<img src="{base}anh/toan-canh.jpg" alt="Toàn cảnh">' in first.content
    assert first.attachments == (
        Attachment(url="https://cong.example.gov.vn/files/phat-bieu.pdf", media_type="application/pdf",
                   length=204800, title="Bài phát biểu"),
        Attachment(url=base + "anh/hoi-nghi.jpg"),
    )  # fmt: skip
    assert second.title == "Sàn giao dịch công nghệ quốc gia"  # XHTML title
    assert second.url == "https://cong.example.gov.vn/tin/san-giao-dich.html"  # not the rel="related" link
    assert second.content == 'Văn bản thuần: 5 &lt; 7 và "AT&amp;T" không phải HTML.'  # type="text" escaped
    assert second.published is None
    assert second.updated == utc(2025, 6, 9, 11, 0)
    assert third.url == "https://cong.example.gov.vn/tin/strategy.html"  # text/html alternate preferred
    assert third.language == "en"
    assert third.summary == "Summary in English for foreign press."


def test_atom10_quirks_kept_from_feedparser() -> None:
    result = read("atom10_quirks.xml")
    first, second = result.entries
    # feedparser resolves an <id> that looks relative; both paths do, so identity is stable.
    assert first.guid == "https://example.vn/feeds/bai-tuong-doi-42"
    assert first.url is None  # an Atom id is not a link
    assert first.title == "Tiêu đề HTML & thực thể"
    assert second.author == "Nguyễn Văn An"  # first author, whitespace collapsed
    assert second.content == "Chỉ văn bản trong div"


def test_atom03_goes_to_feedparser() -> None:
    body = (CORPUS / "atom03.xml").read_bytes()
    assert fast_path_refusal(body, url="https://nhatky.example.vn/atom.xml") is not None
    result = read("atom03.xml")
    assert result.title == "Nhật ký Đổi mới sáng tạo (Atom 0.3)"
    first, second = result.entries
    assert first.url == "https://nhatky.example.vn/2025/06/khoi-nghiep.html"
    assert first.published == utc(2025, 6, 1, 2, 0)  # <issued>
    assert first.updated == utc(2025, 6, 1, 3, 0)  # <modified>
    assert first.content == "<p>Các quỹ đầu tư mạo hiểm <b>tăng</b> vốn.</p>"
    assert second.summary == "Tổng quan hệ sinh thái."


def test_rss10_rdf() -> None:
    result = read("rss10_rdf.xml")
    assert result.title == "Viện Hàn lâm KH&CN Việt Nam"
    assert result.language == "vi"
    first, second = result.entries
    assert first.guid == first.url == "https://vien.example.vn/tin/1"  # rdf:about
    assert first.published == utc(2025, 5, 30, 1, 0)  # dc:date
    assert first.author == "Trung tâm Vũ trụ Việt Nam"
    assert second.published == utc(2025, 5, 31)
    assert second.content == "<p>Nhóm nghiên cứu công bố <em>kết quả</em>.</p>"


@pytest.mark.parametrize("name", ["rss091.xml", "rss091_netscape_doctype.xml"])
def test_rss091(name: str) -> None:
    body = (CORPUS / name).read_bytes()
    assert fast_path_refusal(body, url="https://example.vn/") is None  # external DOCTYPE dropped unread
    result = read(name)
    assert result.language == "vi"
    assert all(entry.guid is None and entry.url for entry in result.entries)
    assert result.entries[0].url is not None and result.entries[0].url.startswith("https://")


def test_json_feed_11() -> None:
    result = read("jsonfeed11.json", url="https://truyenthong.example.vn/feed.json")
    assert result.title == "Trung tâm Truyền thông KH&CN"
    assert result.language == "vi"
    first, second = result.entries
    assert first.guid == "tt-2025-001"
    assert first.url == "https://truyenthong.example.vn/bai/ban-do-so-khcn.html"
    assert first.title == "Bản đồ số khoa học & công nghệ"
    assert first.summary == "Tra cứu &lt;nhiệm vụ&gt; theo tỉnh."  # plain text, escaped
    assert (
        first.content == '<p>Bản đồ số giúp tra cứu <a href="https://truyenthong.example.vn/nhiem-vu">nhiệm vụ</a>.</p>'
    )
    assert first.published == utc(2025, 6, 10, 1, 0)
    assert first.updated == utc(2025, 6, 11, 1, 0)
    assert first.author == "Đỗ Minh Châu"
    assert first.attachments == (
        Attachment(url="https://truyenthong.example.vn/tep/huong-dan.pdf", media_type="application/pdf",
                   length=98765, title="Hướng dẫn sử dụng"),
    )  # fmt: skip
    assert second.guid == "2"  # numeric id
    assert second.content == "Dòng 1 &amp; dòng 2 &lt;không phải thẻ&gt;"
    assert second.language == "en"


def test_json_feed_10() -> None:
    (entry,) = read("jsonfeed10.json").entries
    assert entry.author == "Phòng Quản lý công nghệ"
    assert entry.content == "Nông dân Đà Lạt áp dụng công nghệ mới."
    assert entry.published == utc(2025, 5, 31, 17, 0)


# -- encodings ------------------------------------------------------------------------------

WIN1258_TITLES = ["Phát triển hạ tầng số đồng bộ, hiện đại", "Ứng dụng định danh điện tử cho thủ tục hành chính"]


def test_windows_1258_declared_in_prolog() -> None:
    result = read("enc_win1258_prolog.xml")
    assert result.problems == ()
    assert [e.title for e in result.entries] == WIN1258_TITLES
    assert result.entries[0].summary == "Tỉnh đặt mục tiêu phủ sóng 5G toàn bộ khu công nghiệp – “đột phá” năm 2025."
    assert all(unicodedata.is_normalized("NFC", e.title + (e.summary or "")) for e in result.entries)


def test_windows_1258_declared_only_in_http_header() -> None:
    for kwargs in (
        {"content_type": "application/rss+xml; charset=windows-1258"},
        {"headers": {"Content-Type": 'text/xml; charset="windows-1258"'}},
    ):
        result = read("enc_win1258_http.xml", **kwargs)
        assert result.problems == ()
        assert [e.title for e in result.entries] == WIN1258_TITLES
    assert read("enc_win1258_http.xml", content_type="application/rss+xml; charset=windows-1258") == read(
        "enc_win1258_prolog.xml", url="https://example.vn/feeds/enc_win1258_http.xml"
    )


def test_windows_1258_without_any_declaration_is_reported() -> None:
    result = read("enc_win1258_http.xml")
    assert len(result.entries) == 2
    assert any(p.startswith("character encoding: document declared as utf-8") for p in result.problems)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("enc_utf8_bom.xml", "Đổi mới sáng tạo mở"),
        ("enc_utf8_nodecl.xml", "Chính phủ số và dữ liệu quốc gia"),
        ("enc_utf16.xml", "Bài viết UTF-16"),
    ],
)
def test_unicode_encodings(name: str, title: str) -> None:
    result = read(name)
    assert [e.title for e in result.entries] == [title]
    assert result.problems == ()


def test_nfd_text_comes_out_nfc() -> None:
    result = read("nfd_vietnamese.xml")
    (entry,) = result.entries
    assert entry.title == unicodedata.normalize("NFC", "Nghiên cứu ứng dụng công nghệ sinh học")
    for text in (result.title, entry.title, entry.summary, entry.author):
        assert text is not None and unicodedata.is_normalized("NFC", text)
    assert entry.author == "Nhóm Nghiên cứu Đồng bằng"


# -- identity, text, dates -----------------------------------------------------------------


def test_duplicate_guids_are_kept_and_reported() -> None:
    result = read("duplicate_guids.xml")
    assert [e.title for e in result.entries] == ["Bài thứ nhất", "Bài thứ hai", "Bài thứ ba"]
    assert result.problems == ("guid 'cung-mot-guid' is used by 2 entries (all kept)",)


def test_html_entities() -> None:
    first, second = read("entities.xml").entries
    assert first.title == 'Việt Nam chủ động "số hóa"'
    assert first.url == "https://thucthe.example.vn/tin?id=1&muc=2"
    assert first.summary == "<p>Giá &lt; 100&nbsp;triệu &amp; &quot;miễn phí&quot; &#8211; &copy; 2025</p>"
    assert second.title == "In đậm trong tiêu đề © — “trích dẫn”"
    # C1 control characters become the windows-1252 characters they were meant to be.
    assert second.summary == "Ký tự € – điều khiển C1 (feedparser đổi sang windows-1252)"


def test_cdata() -> None:
    result = read("cdata.xml")
    assert result.title == "Khối CDATA & tiêu đề"
    first, second = result.entries
    assert first.title == "Hội thảo <AI> & dữ liệu lớn"  # not an HTML tag: kept
    assert first.url == "https://cdata.example.vn/hoi-thao?a=1&b=2"
    assert first.content == "<div><p>Đoạn 1</p>]]><p>Đoạn 2 chứa ]]&gt; lạ</p></div>"
    assert second.title == "Phần trộn văn bản và CDATA"
    assert second.summary is None  # whitespace only


ODD_DATES = {
    "d1": utc(2025, 6, 2, 8, 30),  # UTC instead of GMT
    "d2": utc(2025, 6, 2, 8, 30),  # Z in RFC 822
    "d3": utc(2025, 6, 2, 1, 30),  # no seconds
    "d4": utc(2025, 6, 3, 8, 30),  # single-digit day
    "d5": utc(2025, 6, 4, 8, 30),  # two-digit year
    "d6": utc(2025, 6, 5, 1, 30),  # ISO 8601 in RSS
    "d7": None,  # no date
    "d8": None,  # unreadable
    "d9": utc(2024, 12, 15, 12, 15),  # 12:15 PM
    "d10": utc(2025, 6, 2, 6, 30),  # doubled zone
    "d11": utc(2025, 6, 2, 8, 30),  # dd/mm/yyyy in dc:date
    "d12": utc(2025, 6, 2, 8, 30),  # no zone: UTC
}


def test_odd_and_missing_dates() -> None:
    result = read("odd_dates.xml")
    assert {e.guid: e.published for e in result.entries} == ODD_DATES
    assert result.problems == ("entry d8: unreadable date 'hôm qua lúc 8 giờ'",)
    assert all(e.published is None or e.published.tzinfo is UTC for e in result.entries)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 02 Jun 2025 08:30:00 +0700", utc(2025, 6, 2, 1, 30)),
        ("Mon, 02 Jun 2025 08:30:00 +07:00", utc(2025, 6, 2, 1, 30)),
        ("Mon, May 25 2020 10:00:00 GMT", utc(2020, 5, 25, 10, 0)),
        ("Monday, 02-Jun-99 08:30:00 GMT", utc(1999, 6, 2, 8, 30)),
        ("Mon, 02 Jun 2025 08:30:00 ICT", utc(2025, 6, 2, 1, 30)),
        ("Tue, 03 Jun 2025 8:05 GMT+7", utc(2025, 6, 3, 1, 5)),
        ("2025-06-02T08:30:00.5Z", utc(2025, 6, 2, 8, 30)),
        ("20250602T083000Z", utc(2025, 6, 2, 8, 30)),
        ("2025-06-02", utc(2025, 6, 2)),
        ("2/6/2025, 08:30 (GMT+7)", utc(2025, 6, 2, 1, 30)),
        ("Thứ hai, 2/6/2025 - 08:30", utc(2025, 6, 2, 8, 30)),
        ("06/13/2025", utc(2025, 6, 13)),  # cannot be day-first
        ("Mon, 02 Jun 2025 08:30:00 XYZ", None),  # unknown zone: not guessed
        ("Mon, 31 Feb 2025 08:00:00 GMT", None),
        ("Wed, 04 Jun 2025 24:00:00 GMT", None),
        ("hôm qua", None),
        ("", None),
    ],
)
def test_date_forms(raw: str, expected: datetime | None) -> None:
    assert parse_feed_date(raw) == expected


def test_entries_without_guid() -> None:
    entries = read("no_guid.xml").entries
    assert [(e.guid, e.url) for e in entries] == [
        (None, "https://khongguid.example.vn/chi-co-link"),
        (None, None),
        ("https://khongguid.example.vn/permalink", "https://khongguid.example.vn/permalink"),
        ("https://example.vn/bai/tuong-doi", "https://example.vn/bai/tuong-doi"),
    ]
    assert entries[1].summary == "Không có link, không có guid."


# -- broken, hostile, not a feed -------------------------------------------------------------


def test_malformed_xml_keeps_the_good_entries() -> None:
    result = read("malformed.xml")
    assert [e.guid for e in result.entries] == ["hong-1", "hong-2", "hong-3"]
    assert result.problems[0].startswith("malformed XML at line 7: mismatched tag")
    assert result.problems[0].endswith("entries that could be read were kept")


def test_undefined_html_entity_is_read_by_the_fallback() -> None:
    result = read("undefined_entity.xml")
    (entry,) = result.entries
    assert entry.title == "Khoảng trắng cứng © 2025"
    assert result.problems[0].startswith("malformed XML at line 3: undefined entity")


def test_html_page() -> None:
    for kwargs in ({"content_type": "text/html; charset=utf-8"}, {}):
        result = read("html_page.html", **kwargs)
        assert result.entries == ()
        assert result.problems == (HTML_PAGE,)
    result = parse_feed("<html><body><p>Trang chủ</p></body></html>".encode(), url="https://example.vn/")
    assert result.problems == (HTML_PAGE,)
    # Served as HTML, no <html> root: still an HTML page ...
    result = parse_feed(b"<body><p>404</p></body>", url="https://example.vn/", content_type="text/html")
    assert result.problems == (HTML_PAGE,)
    # ... but an empty feed served as text/html is an empty feed.
    empty = (CORPUS / "empty_feed.xml").read_bytes()
    result = parse_feed(empty, url="https://example.vn/", content_type="text/html")
    assert result.problems == ("feed has no entries",)


def test_empty_feed() -> None:
    result = read("empty_feed.xml")
    assert result.entries == ()
    assert result.problems == ("feed has no entries",)
    assert result.title == "Chuyên mục chưa có bài"


def test_not_a_feed() -> None:
    result = read("not_a_feed.xml")
    assert result.entries == ()
    assert result.problems == ("this document is not an RSS, Atom or JSON feed (its root element is <sitemapindex>)",)
    assert parse_feed(b"", url="https://example.vn/").problems == ("the document is empty",)
    assert (
        parse_feed(b'{"hello": 1}', url="https://example.vn/")
        .problems[0]
        .startswith("this document is not an RSS, Atom or JSON feed")
    )


def test_entity_expansion_is_refused() -> None:
    result = read("billion_laughs.xml")
    (entry,) = result.entries
    assert entry.title == "&lol9;"  # not expanded
    assert any("declares XML entities" in p for p in result.problems)


def test_xxe_reads_no_file_and_no_url(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("BI-MAT-QUOC-GIA")
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"LEAKED")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = (
            '<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
            f'<!ENTITY file SYSTEM "{secret.as_uri()}">\n'
            f'<!ENTITY net SYSTEM "http://127.0.0.1:{server.server_port}/leak">\n'
            f'<!ENTITY % dtd SYSTEM "http://127.0.0.1:{server.server_port}/dtd"> %dtd;\n'
            "]>\n<rss><channel><title>t</title><item><title>&file;</title><description>&net;</description>"
            "<guid>g</guid></item></channel></rss>"
        ).encode()
        for parse in (parse_feed, parse_feed_slow):
            result = parse(body, url="https://example.vn/")
            text = repr(result)
            assert "BI-MAT" not in text and "LEAKED" not in text
        # Handed bytes that look like a path, feedparser would open the file: we give it a stream.
        assert "BI-MAT" not in repr(parse_feed_slow(str(secret).encode(), url="https://example.vn/"))
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []


def test_media_rss_titles_go_to_feedparser() -> None:
    body = (CORPUS / "rss2_media_fallback.xml").read_bytes()
    assert "search.yahoo.com/mrss" in (fast_path_refusal(body, url="https://example.vn/") or "")
    (entry,) = read("rss2_media_fallback.xml").entries
    assert entry.title == "Robot nông nghiệp"  # <media:title> does not win
    assert entry.summary == "Mô tả video"  # feedparser reads <media:description> as the summary


# -- API -------------------------------------------------------------------------------------


def test_language_argument_is_the_last_resort() -> None:
    body = b"<rss><channel><title>t</title><item><title>a</title><guid>g</guid></item></channel></rss>"
    result = parse_feed(body, url="https://example.vn/", language="vi")
    assert result.language == "vi"
    assert result.entries[0].language == "vi"
    body_with_language = body.replace(b"<title>t</title>", b"<title>t</title><language>en</language>")
    assert parse_feed(body_with_language, url="https://example.vn/", language="vi").entries[0].language == "en"


def test_handler_prefixes_cover_feedparsers_handlers() -> None:
    import feedparser.mixin

    names = [n for n in dir(feedparser.mixin._FeedParserMixin) if n.startswith(("_start_", "_end_"))]
    prefixes = {name.split("_", 3)[2].lower() for name in names if name.count("_") >= 3}
    assert prefixes <= feed_fallback.HANDLER_PREFIXES


# -- URL resolution (finishing step) -----------------------------------------------------------

URL_BASES = [
    "https://example.vn", "https://example.vn/a/b.html", "https://example.vn/a/b/?q=1#f", "http://x.vn:8080/a//b/c",
    "https://x.vn/a/./b/", "https://u@x.vn/a;p/b", "https://例子.vn/a/", "", "file:///tmp/a", "https://x.vn/Việt/",
]  # fmt: skip
URL_PIECES = st.sampled_from(
    ["a", "b.jpg", "/", "//", ".", "..", "...", "?", "#", ":", ";", "@", "%20", " ", "\t", "[", "]", "http", "https",
     "tag", "mailto", "Đ", "例", "ｘ", "／", "\\", "~", "-", "x.vn", "HTTP"]
)  # fmt: skip
url_refs = st.lists(URL_PIECES, min_size=1, max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(base=st.sampled_from(URL_BASES), ref=url_refs)
def test_join_url_gives_what_urljoin_gives(base: str, ref: str) -> None:
    def outcome(join: Callable[[str, str], str]) -> str:
        try:
            return join(base, ref)
        except ValueError:
            return "ValueError"

    assert outcome(feed_fallback.join_url) == outcome(urllib.parse.urljoin)
    if not re.match(r"\s*[A-Za-z][A-Za-z0-9+.-]*:", ref):
        assert outcome(lambda b, r: feed_fallback.join_url(b, r, relative=True)) == outcome(urllib.parse.urljoin)


class _Markup(HTMLParser):
    """Start tags (with attributes) and text of an HTML fragment, as a browser-ish parser sees them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _expected(name: str, value: str, base: str) -> str:
    def one(url: str) -> str:
        url = url.strip()
        if not url or url.startswith("#") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url):
            return url
        return urllib.parse.urljoin(base, url)

    if name == "srcset":
        parts = [part.strip().partition(" ") for part in value.split(",") if part.strip()]
        return ", ".join(f"{one(url)} {descriptor.strip()}".strip() for url, _, descriptor in parts)
    return one(value) if one(value) != value.strip() else value


ATTRIBUTE_VALUES = st.sampled_from(
    ["rel/a.html", "/abs/b.jpg", "../up", "./here", "#neo", "https://abs.example.vn/x", "mailto:a@b.vn", " sp ace ",
     "?q=1", "//cdn.example.vn/c", "Việt/ảnh.jpg", "a.jpg 1x, https://b.vn/b.jpg 2x", "x.jpg 480w,y.jpg 960w", ""]
)  # fmt: skip


@st.composite
def fragments(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        tag = draw(st.sampled_from(["a", "img", "p", "source", "video", "IMG"]))
        attributes = ""
        for name in draw(st.lists(st.sampled_from(["href", "src", "srcset", "poster", "alt", "class", "HREF"]),
                                  max_size=3, unique_by=str.lower)):  # fmt: skip
            value = draw(ATTRIBUTE_VALUES)
            quote = draw(st.sampled_from(['"', "'", ""] if value and " " not in value and "," not in value else ['"']))
            attributes += f"{draw(st.sampled_from([' ', '  ', chr(10)]))}{name}={quote}{value}{quote}"
        parts.append(f"<{tag}{attributes}{draw(st.sampled_from(['', '/']))}>")
        parts.append(draw(st.sampled_from(["chữ", ' src="x" ', " = ", "a > b", ""])))
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(markup=fragments(), base=st.sampled_from([b for b in URL_BASES if b]))
def test_relative_urls_in_html_are_resolved_and_nothing_else_changes(markup: str, base: str) -> None:
    before, after = _Markup(markup), _Markup(_absolute_links(markup, base))
    assert after.text == before.text
    assert [tag for tag, _ in after.tags] == [tag for tag, _ in before.tags]
    for (_, old), (_, new) in zip(before.tags, after.tags, strict=True):
        assert [name for name, _ in new] == [name for name, _ in old]
        for (name, old_value), (_, new_value) in zip(old, new, strict=True):
            if name in ("href", "src", "srcset", "poster") and old_value:
                assert new_value == _expected(name, old_value, base), (name, old_value)
            else:
                assert new_value == old_value


def test_known_limit_of_link_rewriting() -> None:
    # A quoted "<" or ">" in a tag hides it from the tag pattern: its links stay relative.
    assert _absolute_links('<a title="a>b" href="x.html">', "https://example.vn/") == '<a title="a>b" href="x.html">'


def test_namespace_table_is_feedparsers() -> None:
    import feedparser.mixin

    theirs = {
        uri.lower(): prefix.lower() for uri, prefix in feedparser.mixin._FeedParserMixin.namespaces.items() if uri
    }
    assert dict(feed_fallback.KNOWN_NAMESPACES) == theirs
