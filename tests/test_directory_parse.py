"""Local files: scanning a folder and parsing Markdown, text, HTML and JSON."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicator.domain import Attachment, ItemKind, ParsedEntry, ParseResult
from syndicator.sources.directory import parse_file, scan_directory

DATA = Path(__file__).parent / "data" / "directory"
FILES = DATA / "files"
TREE = DATA / "tree"
SAMPLES = Path(__file__).parent.parent / "config" / "samples" / "documents"


def parse(name: str, **kwargs: str) -> ParseResult:
    return parse_file((FILES / name).read_bytes(), relpath=name, **kwargs)


def only(name: str, **kwargs: str) -> ParsedEntry:
    result = parse(name, **kwargs)
    assert len(result.entries) == 1, result.problems
    return result.entries[0]


# --- scanning --------------------------------------------------------------------------------


def test_scan_is_recursive_sorted_and_skips_hidden_and_unsupported() -> None:
    files, problems = scan_directory(TREE, max_bytes=1_000_000)
    assert problems == []
    assert [rel for rel, _ in files] == [
        "Z-cuoi.markdown",
        "a-dau.htm",
        "danh-sach.json",
        "tin-tuc/bai.HTML",
        "tin-tuc/hop-bao.txt",
        "van-ban/nghi-quyet-57.md",
    ]
    assert all(path == TREE / rel for rel, path in files)


def test_scan_reports_files_over_the_limit() -> None:
    limit = (TREE / "van-ban" / "nghi-quyet-57.md").stat().st_size - 1
    files, problems = scan_directory(TREE, max_bytes=limit)
    rels = [rel for rel, _ in files]
    assert "van-ban/nghi-quyet-57.md" not in rels and "a-dau.htm" not in rels
    assert "tin-tuc/hop-bao.txt" in rels
    assert f"van-ban/nghi-quyet-57.md: {limit + 1} bytes is over the limit of {limit}; file skipped" in problems


def test_scan_skips_symlinks_with_a_problem(tmp_path: Path) -> None:
    (tmp_path / "that.md").write_text("# Thật\n", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text("# Ngoài\n", encoding="utf-8")
    (tmp_path / "link.md").symlink_to(outside)
    files, problems = scan_directory(tmp_path, max_bytes=1000)
    assert [rel for rel, _ in files] == ["that.md"]
    assert problems == ["link.md: symbolic link skipped; copy the file into the folder instead"]


def test_scan_of_missing_folder_is_a_problem(tmp_path: Path) -> None:
    files, problems = scan_directory(tmp_path / "khong-co", max_bytes=1000)
    assert files == [] and len(problems) == 1 and "not a directory" in problems[0]


# --- Markdown and text -----------------------------------------------------------------------


def test_markdown_front_matter_all_keys() -> None:
    result = parse("front_matter_full.md")
    assert result.problems == ()
    (entry,) = result.entries
    assert entry.title == "Nghị quyết 57-NQ/TW: đột phá về khoa học, công nghệ"
    assert entry.summary == "Tóm tắt về KH&amp;CN &lt;ngắn gọn&gt;."
    assert entry.url == "https://example.org/van-ban/nghi-quyet-57-nq-tw"
    assert entry.published == datetime(2024, 12, 22, 3, 0, tzinfo=UTC)
    assert entry.updated == datetime(2025, 1, 14, 1, 30, tzinfo=UTC)  # a vndate format in front matter
    assert entry.language == "vi"
    assert entry.doc_number == "57-NQ/TW"
    assert entry.issuer == "Bộ Chính trị"
    assert entry.kind is ItemKind.DOCUMENT
    assert entry.author == "Ban biên tập mẫu"
    assert entry.guid == "sample-doc-57"
    assert entry.attachments == (
        Attachment(
            url="https://example.org/tep/nq57.pdf",
            media_type="application/pdf",
            length=248310,
            title="Bản tóm tắt (PDF)",
        ),
        Attachment(
            url="https://example.org/tep/phu-luc.docx",
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    )


def test_markdown_renders_commonmark_without_raw_html() -> None:
    content = only("front_matter_full.md").content
    assert content is not None
    # the front matter gives the title, so the heading stays in the body
    assert content.startswith("<h1>Nghị quyết 57-NQ/TW của Bộ Chính trị</h1>")
    assert "<strong>22/12/2024</strong>" in content
    assert "<script" not in content and "&lt;script&gt;" in content
    assert '<li>Xem <a href="https://example.org/van-ban/57">văn bản</a>.</li>' in content
    assert "+++" not in content


def test_markdown_title_from_first_heading_is_removed_from_body() -> None:
    entry = only("heading_title.md")
    assert entry.title == "Chương trình 1169 và S.T.I.D"
    assert entry.content is not None
    assert "<h1>" not in entry.content
    assert entry.content.startswith("<p>Đoạn thứ nhất.</p>")
    assert "# không phải tiêu đề" in entry.content  # a '#' line in a code block is not a heading
    assert "<h2>Mục hai</h2>" in entry.content
    assert entry.guid == "heading_title.md"


def test_markdown_without_heading_uses_first_line_of_text() -> None:
    entry = only("code_comment_first.md")
    assert entry.title == "Đoạn văn đầu tiên là tiêu đề dự phòng."


def test_text_file_first_line_is_title_and_paragraphs_are_escaped() -> None:
    entry = only("plain.txt")
    assert entry.title == "Họp báo về Chương trình 1169 & Luật 93/2025/QH15"
    assert entry.content == (
        "<p>Đoạn một có ký tự &lt;b&gt;không phải thẻ&lt;/b&gt; và một dòng nối tiếp.</p>\n<p>Đoạn hai.</p>"
    )
    assert entry.published is None and entry.url is None and entry.kind is None


def test_text_file_with_front_matter_title_keeps_first_line() -> None:
    entry = only("plain_front_matter.txt")
    assert entry.title == "Tiêu đề từ front matter"
    assert entry.content == "<p>Dòng đầu không phải tiêu đề</p>\n<p>Đoạn hai.</p>"
    assert entry.published == datetime(2024, 12, 23, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_front_matter.md", "bad_front_matter.md: malformed TOML front matter: "),
        (
            "unclosed_front_matter.md",
            "unclosed_front_matter.md: malformed TOML front matter: front matter opened",
        ),
    ],
)
def test_malformed_front_matter_gives_no_entry_and_names_file(name: str, message: str) -> None:
    result = parse(name)
    assert result.entries == ()
    assert len(result.problems) == 1 and result.problems[0].startswith(message)


def test_bad_toml_error_says_where() -> None:
    assert "line 1" in parse("bad_front_matter.md").problems[0]


def test_unknown_and_bad_keys_are_problems_but_not_fatal() -> None:
    result = parse("unknown_keys.md")
    (entry,) = result.entries
    assert entry.title == "Khóa lạ"
    assert entry.kind is None and entry.published is None and entry.language is None
    problems = "\n".join(result.problems)
    assert "unknown_keys.md: unknown key 'tags' ignored" in problems
    assert "kind 'bao-cao' is not one of document, task, news" in problems
    assert "published 'không rõ ngày' is not a date we can read" in problems
    assert "'language' must be a string, found int" in problems
    assert len(result.problems) == 4


def test_relative_urls_are_dropped_with_problems_and_toml_dates_are_local() -> None:
    result = parse("relative_url.md")
    (entry,) = result.entries
    assert entry.url is None
    assert entry.attachments == (Attachment(url="https://example.org/tep/tuyet-doi.pdf", media_type="application/pdf"),)
    assert entry.published == datetime(2025, 2, 28, 17, 0, tzinfo=UTC)  # TOML date: local midnight
    assert entry.updated == datetime(2025, 3, 2, 1, 0, tzinfo=UTC)  # TOML local datetime: Asia/Ho_Chi_Minh
    assert result.problems == (
        "relative_url.md: url '/van-ban/tuong-doi' is not an absolute http(s) URL; ignored",
        "relative_url.md: attachments[0]: url 'tep/tuong-doi.pdf' is not an absolute http(s) URL; skipped",
        "relative_url.md: attachments[1]: unknown key(s) color ignored",
        "relative_url.md: attachments[1]: length must be a whole number of bytes; ignored",
    )


def test_tz_argument_applies_to_naive_dates() -> None:
    entry = only("relative_url.md", tz="UTC")
    assert entry.published == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["empty.txt", "blank.md"])
def test_empty_file_is_a_problem(name: str) -> None:
    result = parse(name)
    assert result.entries == ()
    assert result.problems == (f"{name}: empty file",)


def test_bom_crlf_nfd_and_windows_1258() -> None:
    assert only("bom.md").title == "Có BOM ở đầu tệp"
    crlf = only("crlf.md")
    assert crlf.title == "Dòng kết thúc CRLF" and crlf.content == "<p>Đoạn một.</p>\n<p>Đoạn hai.</p>"
    nfd = only("nfd.txt")
    assert nfd.title == "Tiêu đề tổ hợp: Nghị quyết"
    assert unicodedata.is_normalized("NFC", nfd.content or "")
    legacy = parse("windows1258.txt")
    assert [e.title for e in legacy.entries] == ["Tin cũ"]
    assert legacy.entries[0].content == "<p>Nội dung.</p>"
    assert len(legacy.problems) == 1 and "read as windows-1258" in legacy.problems[0]


def test_language_argument_is_only_a_default() -> None:
    assert only("plain.txt", language="vi").language == "vi"
    assert only("front_matter_full.md", language="en").language == "vi"


# --- HTML ------------------------------------------------------------------------------------


def test_html_file_fields() -> None:
    result = parse("page.html")
    assert result.problems == ()
    (entry,) = result.entries
    assert entry.title == "Quyết định 1169/QĐ-TTg & Chương trình truyền thông"
    assert entry.summary == "Chương trình truyền thông về Nghị quyết 57."
    assert entry.published == datetime(2025, 6, 15, 17, 0, tzinfo=UTC)  # DC.Date, any case
    assert entry.url == "https://example.org/van-ban/quyet-dinh-1169"
    assert entry.guid == "page.html"
    assert entry.language == "vi"
    assert entry.doc_number == "1169/QĐ-TTg"
    assert entry.issuer == "Thủ tướng Chính phủ"
    assert entry.kind is ItemKind.DOCUMENT
    assert entry.author == "Ban biên tập"


def test_html_file_content_from_article_with_links_resolved_against_canonical() -> None:
    entry = only("page.html")
    assert entry.content is not None
    assert entry.content.startswith("<h1>Quyết định 1169/QĐ-TTg</h1>")
    assert "Trang chủ" not in entry.content  # header is outside <article>
    assert "<script" not in entry.content
    assert 'href="https://example.org/van-ban/phu-luc.html"' in entry.content
    assert [(a.url, a.media_type) for a in entry.attachments] == [
        ("https://example.org/tep/1169.pdf", "application/pdf"),
        (
            "https://example.org/tep/bang.xlsx?v=1",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("https://example.org/tep/goi.ZIP", "application/zip"),
    ]


def test_html_file_main_then_h1_title_and_time_element() -> None:
    result = parse("page_main.html")
    (entry,) = result.entries
    assert entry.title == "Tiêu đề từ h1"
    assert entry.content is not None and "Menu" not in entry.content and entry.content.startswith("<h1>")
    assert entry.published == datetime(2025, 2, 18, 17, 0, tzinfo=UTC)
    assert entry.attachments == ()  # relative and nothing to resolve it against
    assert result.problems == (
        "page_main.html: attachment link 'tep/ke-hoach.pdf' is relative and the page has no canonical URL; skipped",
    )


def test_html_file_body_fallback_and_relative_canonical() -> None:
    result = parse("page_body.html")
    (entry,) = result.entries
    assert entry.content == "<p>Only a body.</p>"
    assert entry.url is None and entry.language == "en"
    assert result.problems == ("page_body.html: canonical link is not an absolute http(s) URL; ignored",)


def test_html_file_without_title_is_skipped() -> None:
    result = parse("page_no_title.html")
    assert result.entries == ()
    assert result.problems == ("page_no_title.html: no <title> or <h1>; file skipped",)


# --- JSON ------------------------------------------------------------------------------------


def test_json_list_keeps_good_objects_and_reports_bad_ones() -> None:
    result = parse("list.json")
    assert [(e.title, e.guid) for e in result.entries] == [
        ("Bản tin thứ nhất", "list.json#0"),
        ("Bản tin thứ ba", "tin-3"),
        ("Bản tin thứ năm", "list.json#4"),
    ]
    first, third, fifth = result.entries
    assert first.content == "<p>Nội dung <b>HTML</b>.</p>"
    assert first.kind is ItemKind.NEWS
    assert first.published == datetime(2025, 12, 5, 3, 0, tzinfo=UTC)
    assert third.content == "<p>Đoạn một &amp; &lt;hai&gt;.</p>\n<p>Đoạn hai.</p>"
    assert third.language == "en"
    assert fifth.url is None and fifth.published is None
    assert "list.json[1]: missing title" in result.problems
    assert "list.json[3]: expected an object, found str; skipped" in result.problems
    assert any(p.startswith("list.json[2]: unknown key 'extra'") for p in result.problems)
    assert "list.json[4]: url 'ftp://example.org/x' is not an absolute http(s) URL; ignored" in result.problems
    assert "list.json[4]: published must be a date or a string, found int; ignored" in result.problems
    assert len(result.problems) == 5


def test_json_object_guid_is_relpath() -> None:
    entry = only("object.json")
    assert entry.guid == "object.json"
    assert entry.content == "<p>Nội dung thuần.</p>"
    assert entry.published == datetime(2025, 1, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad.json", "bad.json: not valid JSON at line 3 column 1: "),
        ("scalar.json", "scalar.json: expected a JSON object or a list of objects, found int"),
    ],
)
def test_unreadable_json(name: str, message: str) -> None:
    result = parse(name)
    assert result.entries == ()
    assert len(result.problems) == 1 and result.problems[0].startswith(message)


def test_unsupported_extension() -> None:
    result = parse_file(b"%PDF-1.4", relpath="tep/a.pdf")
    assert result.entries == () and result.problems == ("tep/a.pdf: unsupported file type '.pdf'",)


# --- properties and the bundled samples ------------------------------------------------------


def test_same_relpath_same_guid_across_edits() -> None:
    before = parse_file("Tiêu đề\n\nBản đầu.".encode(), relpath="tin/a.txt").entries[0]
    after = parse_file("Tiêu đề mới\n\nBản sửa.".encode(), relpath="tin/a.txt").entries[0]
    assert before.guid == after.guid == "tin/a.txt"


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=1500), st.sampled_from(["a.md", "a.txt", "a.html", "a.json", "a.markdown"]))
def test_arbitrary_bytes_never_raise(body: bytes, relpath: str) -> None:
    result = parse_file(body, relpath=relpath)
    assert result.entries or result.problems
    for entry in result.entries:
        assert entry.title and entry.guid and entry.guid.startswith(relpath)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_arbitrary_markdown_text_parses_to_nfc(text: str) -> None:
    result = parse_file(text.encode(), relpath="x.md")
    for entry in result.entries:
        assert unicodedata.is_normalized("NFC", entry.title)


def test_every_bundled_sample_parses_without_problems() -> None:
    files, problems = scan_directory(SAMPLES, max_bytes=10 * 1024 * 1024)
    assert problems == []
    assert len(files) >= 10
    guids: set[str] = set()
    for rel, path in files:
        result = parse_file(path.read_bytes(), relpath=rel)
        assert result.problems == (), rel
        assert result.entries, rel
        for entry in result.entries:
            assert entry.title and entry.content, rel
            assert entry.guid not in guids, rel
            guids.add(entry.guid or "")


def test_html_file_in_windows_1258_uses_its_meta_charset() -> None:
    result = parse("windows1258.html")
    assert result.problems == ()
    (entry,) = result.entries
    assert entry.title == "Tin cũ"
    assert entry.content is not None and "Đổi mới sáng tạo và chuyển đổi số" in entry.content
    assert unicodedata.is_normalized("NFC", entry.content)


def test_relative_links_in_content_resolved_against_the_item_url() -> None:
    content = only("relative_links.md").content
    assert content is not None
    assert 'href="https://example.org/van-ban/lien-ket/phu-luc.html"' in content
    assert 'href="https://example.org/"' in content
    assert 'href="#muc"' in content
    assert 'src="https://example.org/anh/a.png"' in content
    # without a url nothing can be resolved, and nothing is invented
    assert 'href="https://example.org/van-ban/57"' in (only("front_matter_full.md").content or "")
    assert 'href="tep/ke-hoach.pdf"' in (only("page_main.html").content or "")


def test_heading_that_repeats_the_front_matter_title_is_not_shown_twice() -> None:
    same = '+++\ntitle = "Nghị quyết 57-NQ/TW"\n+++\n# Nghị quyết  57-NQ/TW\n\nNội dung.\n'
    result = parse_file(same.encode(), relpath="a.md")
    (entry,) = result.entries
    assert entry.title == "Nghị quyết 57-NQ/TW"
    assert "<h1>" not in (entry.content or "") and "Nội dung." in (entry.content or "")
    other = '+++\ntitle = "Tóm tắt"\n+++\n# Nghị quyết 57-NQ/TW\n\nNội dung.\n'
    (entry,) = parse_file(other.encode(), relpath="b.md").entries
    assert "<h1>Nghị quyết 57-NQ/TW</h1>" in (entry.content or "")
