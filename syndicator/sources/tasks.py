"""Publicly funded S&T task records from CSV or JSON, with a column mapping from config.

Pure: bytes in, ParseResult out, never an exception for bad input. A bad row
is rejected with a problem naming its row number, field and value, and the
other rows are kept. Secrecy fails safe: only a value listed as public makes a
record public; anything else, including nothing, is treated as a state secret.

Row numbers: for CSV, the line in the file where the record starts, counting
the header as line 1 (what a spreadsheet shows); for JSON, the 0-based index
in the list of records ("record 3").
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from ..domain import ItemKind, ParsedEntry, ParseResult, Secrecy, TaskFields
from .page import absolute_url
from .vndate import DEFAULT_TZ, clean_text, parse_date

__all__ = ["FIELDS", "TaskMapping", "check_mapping", "parse_tasks"]

FIELDS = (
    "task_code",
    "title",
    "host_org",
    "principal_investigator",
    "managing_body",
    "budget_vnd",
    "start_date",
    "end_date",
    "status",
    "summary",
    "secrecy",
    "url",
)
REQUIRED = ("task_code", "title")
_DELIMITERS = (",", ";", "\t")
# Whole VND amounts: plain digits, or digits grouped by threes with one consistent separator.
_BUDGET = re.compile(r"[0-9]{1,18}|[0-9]{1,3}(?:([., ])[0-9]{3})(?:\1[0-9]{3}){0,4}")
_CURRENCY = re.compile(r"\s*(?:vnđ|vnd|đồng|đ)\.?$", re.IGNORECASE)
_STRFTIME_HINTS = (("%d", "DD"), ("%m", "MM"), ("%Y", "YYYY"), ("%y", "YY"), ("%b", "Mon"), ("%B", "Month"))
_DEFAULT_DATE_HINT = "DD/MM/YYYY or YYYY-MM-DD"


@dataclass(frozen=True, slots=True)
class TaskMapping:
    """How the columns (CSV) or keys (JSON) of an input map to our task fields."""

    columns: Mapping[str, str]  # our field -> column name / JSON key (dotted for nested JSON)
    public_values: tuple[str, ...] = ("public", "công khai", "cong khai", "cong_khai", "0")
    records_path: str | None = None  # JSON: dotted path to the list of records, e.g. "data.items"
    date_format: str | None = None  # strptime format; else vndate.parse_date


def check_mapping(mapping: TaskMapping) -> list[str]:
    """Problems with a mapping itself (unknown fields, missing required ones); empty when usable."""
    problems = []
    unknown = sorted(set(mapping.columns) - set(FIELDS))
    if unknown:
        problems.append(f"unknown task field(s) {', '.join(unknown)} in the mapping; known fields: {', '.join(FIELDS)}")
    missing = [f for f in REQUIRED if not mapping.columns.get(f)]
    if missing:
        problems.append(f"the mapping must name a column for {', '.join(missing)}")
    return problems


def parse_tasks(
    body: bytes,
    *,
    fmt: Literal["csv", "json"],
    mapping: TaskMapping,
    language: str | None = "vi",
    source_url: str | None = None,
) -> ParseResult:
    """Task records as ParsedEntry(kind=TASK, guid="task:<code>"), plus problems.

    ``source_url`` is where the input came from; relative record URLs are
    resolved against it. ``published`` is the start date at local midnight
    (Asia/Ho_Chi_Minh) in UTC.
    """
    problems = check_mapping(mapping)
    if problems:
        return ParseResult(entries=(), problems=tuple(problems))
    text, decode_problem = _decode(body)
    if decode_problem:
        problems.append(decode_problem)
    if fmt == "csv":
        rows, found = _csv_rows(text, mapping)
        label = "row"
    elif fmt == "json":
        rows, found = _json_rows(text, mapping)
        label = "record"
    else:
        return ParseResult(entries=(), problems=(f"unknown task format '{fmt}'; use csv or json",))
    problems.extend(found)
    if "secrecy" not in mapping.columns:
        problems.append("no secrecy column is mapped: every record is treated as restricted (state secret)")
    entries: list[ParsedEntry] = []
    first_row: dict[str, int] = {}
    for number, values, notes in rows:
        problems.extend(f"{label} {number}: {note}" for note in notes)
        if values is None:
            continue
        entry, row_problems = _entry(
            values, mapping=mapping, where=f"{label} {number}", language=language, source_url=source_url
        )
        problems.extend(row_problems)
        if entry is None or entry.task is None:
            continue
        code = entry.task.task_code
        if code in first_row:
            problems.append(
                f"{label} {number}: duplicate task_code '{code}' (first seen in {label} {first_row[code]}); row skipped"
            )
            continue
        first_row[code] = number
        entries.append(entry)
    return ParseResult(entries=tuple(entries), problems=tuple(problems), language=language)


def _decode(body: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM), else windows-1258; NFC either way."""
    try:
        text, problem = body.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        text = body.decode("cp1258", errors="replace")
        problem = "input is not UTF-8; read as windows-1258" + (
            " with unreadable bytes replaced" if "\ufffd" in text else ""
        )
    return unicodedata.normalize("NFC", text), problem


def _pick_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most fields (ties: , then ; then tab)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_count = ",", 0
    for delimiter in _DELIMITERS:
        try:
            count = len(next(csv.reader([first], delimiter=delimiter), []))
        except csv.Error:
            continue
        if count > best_count:
            best, best_count = delimiter, count
    return best


# (row number, {field: value} or None when the row cannot be used, notes about the row)
_Row = tuple[int, Mapping[str, Any] | None, tuple[str, ...]]


def _csv_rows(text: str, mapping: TaskMapping) -> tuple[list[_Row], list[str]]:
    """One _Row per non-blank data row; problems for errors of the whole file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_pick_delimiter(text))
    records = _read_csv(reader)
    try:
        header_line, header = next(records)
    except StopIteration:
        return [], ["the CSV input is empty: no header row"]
    except csv.Error as e:
        return [], [f"the CSV header cannot be read: {e}"]
    names = [clean_text(h) for h in header]
    index: dict[str, int] = {}
    missing = []
    for field, column in mapping.columns.items():
        position = _column_position(names, column)
        if position is None:
            missing.append(f"'{column}' (for {field})")
        else:
            index[field] = position
    if missing:
        found = ", ".join(f"'{n}'" for n in names) or "(none)"
        return [], [
            f"the CSV header (line {header_line}) lacks mapped column(s) {', '.join(missing)}; "
            f"columns found: {found} — fix the mapping or the file"
        ]
    rows: list[_Row] = []
    problems: list[str] = []
    try:
        for line, row in records:
            notes = (
                ()
                if len(row) >= len(names)
                else (f"has {len(row)} of the header's {len(names)} columns; the missing ones are read as empty",)
            )
            rows.append((line, {f: row[i] if i < len(row) else "" for f, i in index.items()}, notes))
    except csv.Error as e:
        problems.append(f"CSV cannot be read past line {reader.line_num}: {e}; later rows skipped")
    return rows, problems


def _read_csv(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted field may span lines)."""
    start = 1
    for row in reader:
        if any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num + 1


def _column_position(names: Sequence[str], column: str) -> int | None:
    """Where ``column`` is in the header: exact match first, then ignoring case."""
    wanted = clean_text(column)
    if wanted in names:
        return list(names).index(wanted)
    folded = [n.casefold() for n in names]
    return folded.index(wanted.casefold()) if wanted.casefold() in folded else None


def _json_rows(text: str, mapping: TaskMapping) -> tuple[list[_Row], list[str]]:
    """One _Row per element of the records list; problems for errors of the whole document."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as e:
        return [], [f"not valid JSON at line {e.lineno} column {e.colno} (char {e.pos}): {e.msg}"]
    except RecursionError:
        return [], ["JSON is nested too deeply to read"]
    except ValueError as e:
        # Python refuses integers of thousands of digits (int_max_str_digits) with a plain ValueError.
        return [], [f"JSON cannot be read: {e}"]
    if mapping.records_path:
        for step in mapping.records_path.split("."):
            if not isinstance(data, dict) or step not in data:
                return [], [f"records_path '{mapping.records_path}' not found in the JSON (no key '{step}')"]
            data = data[step]
    if not isinstance(data, list):
        hint = "" if mapping.records_path else "; set records_path to the key that holds the list"
        return [], [f"expected a JSON list of records, found {type(data).__name__}{hint}"]
    rows: list[_Row] = []
    for i, record in enumerate(data):
        if isinstance(record, dict):
            rows.append((i, {f: _lookup(record, key) for f, key in mapping.columns.items()}, ()))
        else:
            rows.append((i, None, (f"expected an object, found {type(record).__name__}; row skipped",)))
    return rows, []


def _lookup(record: Mapping[str, Any], key: str) -> Any:
    """``record[key]``, or a dotted path into nested objects when there is no such key."""
    if key in record:
        return record[key]
    value: Any = record
    for step in key.split("."):
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def _as_text(value: Any) -> str | None:
    """A scalar as trimmed NFC text; None for missing, empty or non-scalar values."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)) or None


def _entry(
    values: Mapping[str, Any],
    *,
    mapping: TaskMapping,
    where: str,
    language: str | None,
    source_url: str | None,
) -> tuple[ParsedEntry | None, list[str]]:
    """One record as a task entry, or None with the reasons it was rejected."""
    text = {f: _as_text(values.get(f)) for f in FIELDS}
    problems: list[str] = []
    errors: list[str] = []
    for field in FIELDS:
        if isinstance(values.get(field), (dict, list)):
            kind = type(values[field]).__name__
            (errors if field in REQUIRED else problems).append(f"{field} must be text, found {kind}")
        elif field in REQUIRED and not text[field]:
            errors.append(f"missing {field}")
    start = _date_field("start_date", text["start_date"], mapping, errors)
    end = _date_field("end_date", text["end_date"], mapping, errors)
    if start and end and end < start:
        errors.append(f"end_date '{text['end_date']}' is before start_date '{text['start_date']}'")
    if errors:
        return None, [f"{where}: {'; '.join(errors)}; row skipped"]
    problems = [f"{where}: {p}; ignored" for p in problems]

    budget = _budget(values.get("budget_vnd"))
    if budget is None and text["budget_vnd"]:
        problems.append(f"{where}: budget_vnd '{text['budget_vnd']}' is not a whole VND amount; budget left empty")
    secrecy = _secrecy(text["secrecy"], mapping.public_values)
    if text["secrecy"] is None and "secrecy" in mapping.columns:
        problems.append(f"{where}: no secrecy value; treated as restricted")
    url = None
    if text["url"]:
        url = absolute_url(urljoin(source_url, text["url"]) if source_url else text["url"], None)
        if url is None:
            problems.append(f"{where}: url '{text['url']}' is not an absolute http(s) URL; ignored")

    code, title = text["task_code"] or "", text["title"] or ""
    task = TaskFields(
        task_code=code,
        host_org=text["host_org"],
        principal_investigator=text["principal_investigator"],
        managing_body=text["managing_body"],
        budget_vnd=budget,
        start_date=start.isoformat() if start else None,
        end_date=end.isoformat() if end else None,
        status=text["status"],
        secrecy=secrecy,
    )
    local = ZoneInfo(DEFAULT_TZ)
    entry = ParsedEntry(
        title=title,
        guid=f"task:{code}",
        url=url,
        # Summaries are HTML fragments in ParsedEntry; the input holds plain text.
        summary=html.escape(text["summary"], quote=False) if text["summary"] else None,
        published=datetime.combine(start, time(0, 0), tzinfo=local).astimezone(UTC) if start else None,
        language=language,
        kind=ItemKind.TASK,
        task=task,
    )
    return entry, problems


def _date_field(field: str, value: str | None, mapping: TaskMapping, errors: list[str]) -> date | None:
    """The date in ``value`` (None if empty); a bad one is added to ``errors``."""
    if not value:
        return None
    parsed: date | None
    if mapping.date_format:
        try:
            parsed = datetime.strptime(value, mapping.date_format).date()
        except ValueError:
            parsed = None
        hint = mapping.date_format
        for code, readable in _STRFTIME_HINTS:
            hint = hint.replace(code, readable)
    else:
        parsed, hint = parse_date(value), _DEFAULT_DATE_HINT
    if parsed is None:
        errors.append(f"bad {field} '{value}' (expected {hint})")
    return parsed


def _budget(value: Any) -> int | None:
    """A whole VND amount: 4500000000, "4.500.000.000", "4,500,000,000", "4 500 000 000", "… đ"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if not isinstance(value, str):
        return None
    text = _CURRENCY.sub("", clean_text(value))
    if not _BUDGET.fullmatch(text):
        return None
    return int(re.sub(r"[^0-9]", "", text))


def _secrecy(value: str | None, public_values: Sequence[str]) -> Secrecy:
    """PUBLIC only for a listed public value; anything else, or nothing, is a state secret."""
    if value is None:
        return Secrecy.STATE_SECRET
    public = {clean_text(v).casefold() for v in public_values}
    return Secrecy.PUBLIC if clean_text(value).casefold() in public else Secrecy.STATE_SECRET
