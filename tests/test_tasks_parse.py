"""S&T task records from CSV and JSON: mapping, secrecy, budgets, bad rows, encodings."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicator.domain import ItemKind, ParsedEntry, ParseResult, Secrecy, TaskFields
from syndicator.sources.tasks import FIELDS, TaskMapping, check_mapping, parse_tasks
from syndicator.sources.vndate import clean_text

DATA = Path(__file__).parent / "data" / "tasks"

VI_MAPPING = TaskMapping(
    columns={
        "task_code": "Mã nhiệm vụ",
        "title": "Tên nhiệm vụ",
        "host_org": "Tổ chức chủ trì",
        "principal_investigator": "Chủ nhiệm",
        "managing_body": "Cơ quan chủ quản",
        "budget_vnd": "Kinh phí (VNĐ)",
        "start_date": "Ngày bắt đầu",
        "end_date": "Ngày kết thúc",
        "status": "Tình trạng",
        "summary": "Tóm tắt",
        "secrecy": "Mức độ mật",
        "url": "Liên kết",
    }
)
BAD_ROWS_MAPPING = TaskMapping(
    columns={
        "task_code": "code",
        "title": "title",
        "start_date": "start",
        "end_date": "end",
        "budget_vnd": "budget",
        "secrecy": "secrecy",
        "url": "link",
    }
)
SHORT_MAPPING = TaskMapping(columns={"task_code": "ma", "title": "ten", "start_date": "bat_dau", "secrecy": "mat"})
JSON_MAPPING = TaskMapping(
    columns={
        "task_code": "ma",
        "title": "ten",
        "budget_vnd": "kinh_phi",
        "start_date": "bat_dau",
        "end_date": "ket_thuc",
        "secrecy": "mat",
        "host_org": "chu_tri.ten",
        "url": "lien_ket",
    },
    records_path="data.items",
)


def parse(name: str, mapping: TaskMapping, source_url: str | None = None) -> ParseResult:
    fmt: Literal["csv", "json"] = "json" if name.endswith(".json") else "csv"
    return parse_tasks((DATA / name).read_bytes(), fmt=fmt, mapping=mapping, source_url=source_url)


def by_code(result: ParseResult) -> dict[str, ParsedEntry]:
    return {e.task.task_code: e for e in result.entries if e.task}


def test_full_csv_with_bom_and_vietnamese_headers() -> None:
    result = parse("tasks_good_bom.csv", VI_MAPPING, source_url="https://nhiemvu.example.gov.vn/ds/tasks.csv")
    assert result.problems == ()
    assert [e.guid for e in result.entries] == [
        "task:ĐTĐL.CN-01/25",
        "task:KC.4.0-02/25",
        "task:NV-03",
        "task:NV-04",
        "task:NV-05",
    ]
    first = result.entries[0]
    assert first.kind is ItemKind.TASK
    assert first.title == "Nghiên cứu, phát triển chip AI cho thiết bị biên"
    assert first.summary == 'Thiết kế vi mạch "tiết kiệm năng lượng" cho camera &amp; cảm biến.'
    assert first.url == "https://nhiemvu.example.gov.vn/nv/dtdl-cn-01-25"
    assert first.published == datetime(2025, 2, 28, 17, 0, tzinfo=UTC)  # 01/03/2025 00:00 in Hà Nội
    assert first.language == "vi"
    assert first.task == TaskFields(
        task_code="ĐTĐL.CN-01/25",
        host_org="Viện Công nghệ mẫu",
        principal_investigator="PGS.TS. Nguyễn Văn A",
        managing_body="Bộ Khoa học và Công nghệ",
        budget_vnd=4_500_000_000,
        start_date="2025-03-01",
        end_date="2027-02-28",
        status="Đang thực hiện",
        secrecy=Secrecy.PUBLIC,
    )


def test_relative_record_url_resolved_against_source_url() -> None:
    entries = by_code(parse("tasks_good_bom.csv", VI_MAPPING, source_url="https://nhiemvu.example.gov.vn/ds/x.csv"))
    assert entries["KC.4.0-02/25"].url == "https://nhiemvu.example.gov.vn/nv/kc40-02-25"
    assert entries["NV-03"].url is None


def test_relative_record_url_without_source_url_is_dropped_with_problem() -> None:
    result = parse("tasks_good_bom.csv", VI_MAPPING)
    assert by_code(result)["KC.4.0-02/25"].url is None
    assert result.problems == ("row 3: url '/nv/kc40-02-25' is not an absolute http(s) URL; ignored",)


@pytest.mark.parametrize(
    ("code", "budget"),
    [
        ("ĐTĐL.CN-01/25", 4_500_000_000),
        ("KC.4.0-02/25", 4_500_000_000),
        ("NV-03", 4_500_000_000),
        ("NV-04", 12_000_000_000),
        ("NV-05", None),
    ],
)
def test_budget_formats(code: str, budget: int | None) -> None:
    task = by_code(parse("tasks_good_bom.csv", VI_MAPPING))[code].task
    assert task is not None and task.budget_vnd == budget


@pytest.mark.parametrize(
    ("code", "secrecy"),
    [
        ("ĐTĐL.CN-01/25", Secrecy.PUBLIC),  # "Công khai"
        ("KC.4.0-02/25", Secrecy.PUBLIC),  # "public"
        ("NV-03", Secrecy.PUBLIC),  # "CONG KHAI " — case and spaces do not matter
        ("NV-04", Secrecy.STATE_SECRET),  # "Mật"
        ("NV-05", Secrecy.PUBLIC),
    ],  # "0"
)
def test_secrecy_values(code: str, secrecy: Secrecy) -> None:
    task = by_code(parse("tasks_good_bom.csv", VI_MAPPING))[code].task
    assert task is not None and task.secrecy is secrecy


def test_multiline_quoted_field_and_dates_in_several_formats() -> None:
    entries = by_code(parse("tasks_good_bom.csv", VI_MAPPING))
    assert entries["KC.4.0-02/25"].summary == "Dòng một. Dòng hai của tóm tắt."
    nv03 = entries["NV-03"].task
    assert nv03 is not None and (nv03.start_date, nv03.end_date) == ("2025-01-05", "2026-01-05")
    nv04 = entries["NV-04"].task
    assert nv04 is not None and (nv04.start_date, nv04.end_date) == ("2025-06-01", "2026-12-31")
    assert entries["NV-05"].published is None


def test_bad_rows_rejected_with_line_numbers_rest_kept() -> None:
    result = parse("tasks_bad_rows.csv", BAD_ROWS_MAPPING)
    assert [e.guid for e in result.entries] == [
        "task:OK-1",
        "task:OK-3",
        "task:OK-4",
        "task:OK-5",
        "task:OK-6",
    ]
    assert result.problems == (
        "row 3: missing task_code; row skipped",
        "row 4: missing title; row skipped",
        "row 5: bad start_date '31/02/2025' (expected DD/MM/YYYY or YYYY-MM-DD); row skipped",
        # line 6 is blank: skipped silently, but still counted
        "row 7: bad end_date 'sớm thôi' (expected DD/MM/YYYY or YYYY-MM-DD); row skipped",
        "row 8: end_date '01/01/2025' is before start_date '01/06/2025'; row skipped",
        "row 9: duplicate task_code 'OK-1' (first seen in row 2); row skipped",
        "row 10: budget_vnd 'khoảng 4 tỷ' is not a whole VND amount; budget left empty",
        "row 10: url 'javascript:alert(1)' is not an absolute http(s) URL; ignored",
        "row 11: budget_vnd '1.5' is not a whole VND amount; budget left empty",
        "row 11: no secrecy value; treated as restricted",
        # the record on line 12 spans two lines; the next record starts on line 14
        "row 14: has 2 of the header's 7 columns; the missing ones are read as empty",
        "row 14: no secrecy value; treated as restricted",
    )
    entries = by_code(result)
    assert entries["OK-1"].title == "Hợp lệ một"  # the first of the duplicates is kept
    assert entries["OK-4"].task is not None and entries["OK-4"].task.secrecy is Secrecy.STATE_SECRET
    assert entries["OK-5"].title == "Tên có xuống dòng"
    assert entries["OK-3"].url is None


def test_date_format_from_config() -> None:
    mapping = TaskMapping(columns=SHORT_MAPPING.columns, date_format="%Y-%m-%d")
    result = parse("tasks_semicolon.csv", mapping)
    assert [e.guid for e in result.entries] == ["task:SC-2"]
    assert result.problems == ("row 2: bad start_date '01/02/2025' (expected YYYY-MM-DD); row skipped",)
    tab = parse("tasks_tab.tsv", mapping)
    assert tab.problems == () and tab.entries[0].task is not None
    assert tab.entries[0].task.start_date == "2025-02-01"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("tasks_semicolon.csv", "Nhiệm vụ dùng dấu chấm phẩy, có dấu phẩy trong tên"),
        ("tasks_tab.tsv", "Nhiệm vụ, phân cách bằng tab; có dấu chấm phẩy"),
    ],
)
def test_delimiter_is_sniffed(name: str, title: str) -> None:
    result = parse(name, SHORT_MAPPING)
    assert result.problems == ()
    assert result.entries[0].title == title


def test_windows_1258_csv_is_read_and_composed() -> None:
    mapping = TaskMapping(
        columns={
            "task_code": "Mã",
            "title": "Tên nhiệm vụ",
            "host_org": "Chủ trì",
            "start_date": "Bắt đầu",
            "secrecy": "Mật",
        }
    )
    result = parse("tasks_windows1258.csv", mapping)
    (entry,) = result.entries
    assert entry.title == "Nghiên cứu đổi mới sáng tạo ở địa phương"
    assert entry.task is not None and entry.task.host_org == "Sở Khoa học và Công nghệ"
    assert entry.task.secrecy is Secrecy.PUBLIC
    assert result.problems == ("input is not UTF-8; read as windows-1258",)


def test_missing_mapped_columns_is_one_config_problem() -> None:
    result = parse("tasks_missing_column.csv", SHORT_MAPPING)
    assert result.entries == ()
    assert result.problems == (
        "the CSV header (line 1) lacks mapped column(s) 'ten' (for title), 'mat' (for secrecy); "
        "columns found: 'ma', 'ten nhiem vu', 'bat_dau' — fix the mapping or the file",
    )


def test_header_match_ignores_case() -> None:
    mapping = TaskMapping(columns={"task_code": "MA", "title": "Ten", "secrecy": "MAT"})
    assert [e.guid for e in parse("tasks_semicolon.csv", mapping).entries] == ["task:SC-1", "task:SC-2"]


def test_no_secrecy_column_means_everything_restricted() -> None:
    mapping = TaskMapping(columns={"task_code": "ma", "title": "ten"})
    result = parse("tasks_semicolon.csv", mapping)
    assert all(e.task is not None and e.task.secrecy is Secrecy.STATE_SECRET for e in result.entries)
    assert result.problems == ("no secrecy column is mapped: every record is treated as restricted (state secret)",)


def test_custom_public_values() -> None:
    mapping = TaskMapping(columns=SHORT_MAPPING.columns, public_values=("Công Khai",))
    entries = by_code(parse("tasks_semicolon.csv", mapping))
    assert entries["SC-1"].task is not None and entries["SC-1"].task.secrecy is Secrecy.PUBLIC
    assert entries["SC-2"].task is not None and entries["SC-2"].task.secrecy is Secrecy.STATE_SECRET  # "cong_khai"


# --- JSON ------------------------------------------------------------------------------------


def test_json_records_path_nested_keys_and_bad_records() -> None:
    result = parse("tasks_records.json", JSON_MAPPING, source_url="https://api.example.gov.vn/v1/tasks")
    assert [e.guid for e in result.entries] == ["task:J-1", "task:3", "task:J-5"]
    j1 = result.entries[0]
    assert j1.task is not None
    assert j1.task.budget_vnd == 4_500_000_000 and j1.task.host_org == "Viện JSON"
    assert j1.task.secrecy is Secrecy.PUBLIC  # the number 0
    assert j1.url == "https://api.example.gov.vn/v1/chi-tiet/j-1"
    three = result.entries[1].task
    assert three is not None and three.secrecy is Secrecy.STATE_SECRET  # false is not a public value
    assert result.problems == (
        "record 1: bad start_date '31/02/2025' (expected DD/MM/YYYY or YYYY-MM-DD); row skipped",
        "record 2: expected an object, found str; row skipped",
        "record 3: budget_vnd '1.5' is not a whole VND amount; budget left empty",
        "record 4: title must be text, found list; row skipped",
        "record 5: no secrecy value; treated as restricted",
    )


def test_json_top_level_list() -> None:
    result = parse("tasks_list.json", SHORT_MAPPING)
    assert [e.guid for e in result.entries] == ["task:L-1"] and result.problems == ()


def test_json_syntax_error_names_position() -> None:
    result = parse("tasks_bad.json", SHORT_MAPPING)
    assert result.entries == ()
    assert result.problems == ("not valid JSON at line 2 column 1 (char 38): Expecting ',' delimiter",)


@pytest.mark.parametrize(
    ("records_path", "problem"),
    [
        ("data.rows", "records_path 'data.rows' not found in the JSON (no key 'rows')"),
        ("meta", "expected a JSON list of records, found dict"),
        (
            None,
            "expected a JSON list of records, found dict; set records_path to the key that holds the list",
        ),
    ],
)
def test_json_records_path_problems(records_path: str | None, problem: str) -> None:
    mapping = TaskMapping(columns=JSON_MAPPING.columns, records_path=records_path)
    result = parse("tasks_records.json", mapping)
    assert result.entries == () and result.problems == (problem,)


def test_unusable_mapping_is_reported() -> None:
    mapping = TaskMapping(columns={"title": "ten", "colour": "mau"})
    assert check_mapping(mapping) == [
        f"unknown task field(s) colour in the mapping; known fields: {', '.join(FIELDS)}",
        "the mapping must name a column for task_code",
    ]
    result = parse_tasks(b"ten\nX\n", fmt="csv", mapping=mapping)
    assert result.entries == () and len(result.problems) == 2


def test_empty_csv() -> None:
    result = parse_tasks(b"", fmt="csv", mapping=SHORT_MAPPING)
    assert result.entries == () and result.problems == ("the CSV input is empty: no header row",)


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["csv", "json"]))
def test_never_raises_on_arbitrary_bytes(body: bytes, fmt: Literal["csv", "json"]) -> None:
    result = parse_tasks(body, fmt=fmt, mapping=SHORT_MAPPING)
    for entry in result.entries:
        assert entry.kind is ItemKind.TASK and entry.task is not None
        assert entry.guid == f"task:{entry.task.task_code}"


_cell = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
PUBLIC = {"public", "công khai", "cong khai", "cong_khai", "0"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_cell, _cell, _cell), max_size=15), st.sampled_from([",", ";", "\t"]))
def test_csv_only_listed_public_values_are_public(rows: list[tuple[str, str, str]], delimiter: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["ma", "ten", "bat_dau", "mat"])
    writer.writerows([(f"T-{i}", title, start, secrecy) for i, (title, start, secrecy) in enumerate(rows)])
    result = parse_tasks(out.getvalue().encode(), fmt="csv", mapping=SHORT_MAPPING)
    for entry in result.entries:
        assert entry.task is not None
        secrecy = rows[int(entry.task.task_code.removeprefix("T-"))][2]
        assert (entry.task.secrecy is Secrecy.PUBLIC) == (clean_text(secrecy).casefold() in PUBLIC)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=20),
            st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(sorted(PUBLIC)), st.text(max_size=8)),
        ),
        max_size=10,
    )
)
def test_json_secrecy_fails_safe(records: list[tuple[str, object]]) -> None:
    body = json.dumps([{"ma": f"T-{i}", "ten": title, "mat": mat} for i, (title, mat) in enumerate(records)])
    result = parse_tasks(body.encode(), fmt="json", mapping=SHORT_MAPPING)
    assert len(result.entries) == sum(1 for title, _ in records if clean_text(title))
    for entry in result.entries:
        assert entry.task is not None
        mat = records[int(entry.task.task_code.removeprefix("T-"))][1]
        public = mat is not None and not isinstance(mat, bool) and clean_text(str(mat)).casefold() in PUBLIC
        assert (entry.task.secrecy is Secrecy.PUBLIC) == public
