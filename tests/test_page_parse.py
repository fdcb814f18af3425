"""HTML listing and article pages: selectors, encodings, links, layout changes."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicator.domain import Attachment, ParsedEntry
from syndicator.sources.page import PageSelectors, decode_html, parse_article, parse_listing

DATA = Path(__file__).parent / "data" / "pages"
LISTING_URL = "https://tin.example.gov.vn/chuyen-muc/index.html"
ARTICLE_URL = "https://tin.example.gov.vn/tin/bai-viet.html?id=9"

SELECTORS = PageSelectors(
    item_links="li.news-item",
    title="h1",
    date=".date, .ngay, time",
    body="article, #noi-dung",
    doc_number=".so-hieu",
    issuer=".co-quan",
)


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def article(
    name: str,
    content_type: str | None = None,
    selectors: PageSelectors = SELECTORS,
    language: str | None = None,
) -> tuple[ParsedEntry | None, tuple[str, ...]]:
    return parse_article(read(name), url=ARTICLE_URL, content_type=content_type, selectors=selectors, language=language)


def entry_of(
    name: str,
    content_type: str | None = None,
    selectors: PageSelectors = SELECTORS,
    language: str | None = None,
) -> ParsedEntry:
    entry, _ = article(name, content_type, selectors, language)
    assert entry is not None
    return entry


# --- listing ---------------------------------------------------------------------------------


def test_listing_links_are_absolute_unique_and_in_page_order() -> None:
    links, problems = parse_listing(
        read("listing.html"), url=LISTING_URL, content_type="text/html", selectors=SELECTORS
    )
    assert problems == ()
    assert links == [
        # resolved against <base href>, fragment dropped, duplicate removed
        "https://tin.example.gov.vn/chuyen-muc/nghi-quyet-57-di-vao-cuoc-song.html",
        "https://tin.example.gov.vn/tin/hoi-nghi-quan-triet.html",
        # entity in href decoded
        "https://other.example.org/bai-viet?id=7&p=2",
        # protocol-relative
        "https://cdn.example.net/tin/ban-tin.html",
        # selector matched a wrapper: its first link is used
        "https://tin.example.gov.vn/van-ban/quyet-dinh-1169.html",
    ]


def test_listing_without_base_resolves_against_page_url() -> None:
    body = read("listing.html").replace(b'<base href="https://tin.example.gov.vn/chuyen-muc/">', b"")
    links, _ = parse_listing(
        body,
        url="https://mirror.example.org/a/b/list",
        content_type=None,
        selectors=PageSelectors(item_links="a.title"),
    )
    assert links[0] == "https://mirror.example.org/a/b/nghi-quyet-57-di-vao-cuoc-song.html"
    assert links[1] == "https://mirror.example.org/tin/hoi-nghi-quan-triet.html"


def test_listing_layout_changed_names_selector_and_url() -> None:
    links, problems = parse_listing(
        read("listing_redesigned.html"), url=LISTING_URL, content_type=None, selectors=SELECTORS
    )
    assert links == []
    assert problems == (f"layout changed? item_links selector 'li.news-item' matched nothing on {LISTING_URL}",)


def test_listing_matches_without_usable_links_is_a_problem() -> None:
    links, problems = parse_listing(
        read("listing_no_links.html"), url=LISTING_URL, content_type=None, selectors=SELECTORS
    )
    assert links == []
    assert len(problems) == 1
    assert "li.news-item" in problems[0] and "matched 2 element(s)" in problems[0]


def test_listing_invalid_selector_is_a_problem_not_an_exception() -> None:
    links, problems = parse_listing(
        read("listing.html"), url=LISTING_URL, content_type=None, selectors=PageSelectors(item_links="li[[[")
    )
    assert links == []
    assert len(problems) == 1 and "invalid CSS selector 'li[[['" in problems[0]


# --- article ---------------------------------------------------------------------------------


def test_article_fields_from_utf8_bom_page() -> None:
    entry, problems = article("article_utf8_bom.html", "text/html")
    assert problems == ()
    assert entry is not None
    assert entry.title == "Hội nghị quán triệt Nghị quyết 57 & Chương trình 1169"
    assert entry.guid == ARTICLE_URL
    assert entry.url == "https://tin.example.gov.vn/tin/hoi-nghi-quan-triet-nq57.html"  # canonical, made absolute
    assert entry.published == datetime(2024, 12, 23, 1, 15, tzinfo=UTC)
    assert entry.updated == datetime(2024, 12, 24, 2, 0, tzinfo=UTC)
    assert entry.language == "vi-VN"
    assert entry.author == "Phóng viên mẫu"
    assert entry.doc_number == "Số: 57-NQ/TW"
    assert entry.issuer == "Bộ Chính trị"
    assert entry.kind is None and entry.task is None
    # meta description is plain text: entities decoded, then escaped as an HTML fragment
    assert entry.summary == "Bộ KH&amp;CN tổ chức hội nghị quán triệt Nghị quyết 57-NQ/TW &lt;trực tuyến&gt;."


def test_article_content_is_inner_html_with_absolute_links_and_no_scripts() -> None:
    content = entry_of("article_utf8_bom.html").content
    assert content is not None
    assert not content.startswith("<article")
    assert "<script" not in content and "trackView" not in content
    assert "<style" not in content and "color:red" not in content
    assert "ghi chú biên tập" not in content  # comments dropped
    assert 'href="https://tin.example.gov.vn/van-ban/nq57.html"' in content
    assert 'src="https://tin.example.gov.vn/anh/hoi-nghi.jpg"' in content
    assert "https://tin.example.gov.vn/anh/hoi-nghi-480.jpg 480w" in content
    assert "https://tin.example.gov.vn/tin/anh/hoi-nghi-960.jpg 960w" in content
    assert 'href="#phu-luc"' in content  # in-page anchors stay in-page
    assert 'href="mailto:toasoan@example.gov.vn"' in content


def test_article_attachments_absolute_deduplicated_with_media_type() -> None:
    assert entry_of("article_utf8_bom.html").attachments == (
        Attachment(
            url="https://tin.example.gov.vn/tep/nq57-tom-tat.pdf",
            media_type="application/pdf",
            title="Tóm tắt Nghị quyết (PDF)",
        ),
        Attachment(
            url="https://files.example.gov.vn/tep/ke-hoach.docx",
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            title="Kế hoạch",
        ),
    )


def test_attachments_selector_can_be_widened_and_disabled() -> None:
    wide = PageSelectors(item_links="a", attachments=".attachments a")
    urls = [a.url for a in entry_of("article_utf8_bom.html", selectors=wide).attachments]
    assert "https://tin.example.gov.vn/tep/bao-cao.doc?v=2" in urls
    assert (
        entry_of("article_utf8_bom.html", selectors=PageSelectors(item_links="a", attachments=None)).attachments == ()
    )


def test_language_argument_wins_over_html_lang() -> None:
    assert entry_of("article_utf8_bom.html", language="en").language == "en"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("article_windows1258.html", None),  # <meta http-equiv> declares windows-1258
        ("article_windows1258.html", "text/html"),
        ("article_windows1258_http.html", "text/html; charset=windows-1258"),  # only HTTP says so
        ("article_windows1258_http.html", 'text/html; charset="Windows-1258"'),
    ],
)
def test_windows_1258_is_decoded_and_composed_to_nfc(name: str, content_type: str | None) -> None:
    entry, problems = article(name, content_type)
    assert problems == ()
    assert entry is not None
    title = "Đổi mới sáng tạo và chuyển đổi số: những điểm nhấn"
    assert entry.title == title
    assert unicodedata.is_normalized("NFC", entry.title)
    assert entry.content is not None and "đột phá quan trọng hàng đầu" in entry.content
    assert unicodedata.is_normalized("NFC", entry.content)
    assert entry.published == datetime(2024, 12, 23, 1, 15, tzinfo=UTC)  # "(GMT+7)" in the text


def test_undeclared_utf8_and_time_element_datetime_attribute() -> None:
    entry, problems = article("article_utf8_nodecl.html", "text/html")
    assert problems == ()
    assert entry is not None
    assert entry.title == "Tuyên Quang ra mắt chuyên mục “Nghị quyết 57 vào cuộc sống”"
    assert entry.published == datetime(2025, 7, 15, 8, 45, tzinfo=UTC)
    assert entry.language is None
    # no selector, no meta description: the first paragraph of the body
    assert entry.summary == "Chuyên mục được cập nhật hằng tuần với tin, ảnh và video về đổi mới sáng tạo ở địa phương."


def test_http_charset_wins_over_meta() -> None:
    body = read("article_utf8_nodecl.html").replace(b"<head>", b'<head><meta charset="windows-1258">')
    entry = parse_article(body, url=ARTICLE_URL, content_type="text/html; charset=utf-8", selectors=SELECTORS)[0]
    assert entry is not None and entry.title.startswith("Tuyên Quang ra mắt")


def test_nfd_page_gives_nfc_text_and_meta_date_fallback() -> None:
    assert read("article_nfd.html") != unicodedata.normalize("NFC", read("article_nfd.html").decode()).encode()
    entry, problems = article("article_nfd.html")
    assert entry is not None
    assert entry.title == "Nghị quyết về khoa học, công nghệ"
    assert entry.content == "<p>Tiếng Việt tổ hợp: đổi mới sáng tạo.</p>"
    # the date element holds no date: reported, then article:published_time is used
    assert problems == (
        f"no date could be read from 'cập nhật gần đây' (date selector '.date, .ngay, time') on {ARTICLE_URL}",
    )
    assert entry.published == datetime(2025, 1, 5, 12, 5, tzinfo=UTC)


def test_title_selector_missing_means_layout_changed() -> None:
    entry, problems = article("article_redesigned.html")
    assert entry is None
    assert problems == (f"layout changed? title selector 'h1' matched nothing on {ARTICLE_URL}",)


def test_body_and_date_selectors_missing_are_reported_but_entry_kept() -> None:
    entry, problems = article("article_no_body.html")
    assert entry is not None
    assert entry.title == "Bài không có thẻ article"
    assert entry.content is None and entry.published is None
    assert problems == (
        f"layout changed? body selector 'article, #noi-dung' matched nothing on {ARTICLE_URL}",
        f"layout changed? date selector '.date, .ngay, time' matched nothing on {ARTICLE_URL}",
    )


def test_summary_selector_and_custom_title_selector() -> None:
    selectors = PageSelectors(item_links="a", title="h1.article-title", summary=".sapo", body=".content")
    entry = entry_of("article_utf8_bom.html", selectors=selectors)
    assert entry.summary == "Sáng 23/12, Bộ Khoa học và Công nghệ tổ chức hội nghị quán triệt."


def test_guid_and_url_without_canonical_are_the_fetched_url() -> None:
    entry = entry_of("article_windows1258.html")
    assert entry.guid == ARTICLE_URL and entry.url == ARTICLE_URL


def test_decode_html_strips_bom_and_normalises() -> None:
    text = decode_html(b"\xef\xbb\xbf<p>" + unicodedata.normalize("NFD", "Việt").encode() + b"</p>")
    assert text == "<p>Việt</p>"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "text/html", "text/html; charset=bogus-42"]))
def test_arbitrary_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    links, problems = parse_listing(body, url=LISTING_URL, content_type=content_type, selectors=SELECTORS)
    assert links or problems
    entry, problems = parse_article(body, url=ARTICLE_URL, content_type=content_type, selectors=SELECTORS)
    assert entry is not None or problems


@pytest.mark.parametrize("label", ["utf-16", "unicode_escape", "bogus-42", "base64"])
def test_odd_charset_labels_fall_back_to_utf8(label: str) -> None:
    body = f'<html><head><meta charset="{label}"></head><body><h1>Việt \\x41</h1></body></html>'.encode()
    for content_type in (None, f"text/html; charset={label}"):
        entry, _ = parse_article(body, url=ARTICLE_URL, content_type=content_type, selectors=SELECTORS)
        assert entry is not None and entry.title == "Việt \\x41"


def test_plain_text_body_is_not_a_page() -> None:
    links, problems = parse_listing(b"index.html", url=LISTING_URL, content_type="text/plain", selectors=SELECTORS)
    assert links == [] and "matched nothing" in problems[0]
    entry, problems = parse_article(b"", url=ARTICLE_URL, content_type=None, selectors=SELECTORS)
    assert entry is None and "title selector 'h1' matched nothing" in problems[0]
