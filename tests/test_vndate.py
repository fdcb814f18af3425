"""Reading Vietnamese dates: formats, offsets, impossible dates, odd text."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicator.sources.vndate import parse_date, parse_datetime

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ Hai, 23/12/2024 - 08:15", utc(2024, 12, 23, 1, 15)),
        ("Thứ hai, 23/12/2024, 08:15 (GMT+7)", utc(2024, 12, 23, 1, 15)),
        ("23/12/2024", utc(2024, 12, 22, 17, 0)),
        ("23-12-2024 08:15", utc(2024, 12, 23, 1, 15)),
        ("23.12.2024 08:15", utc(2024, 12, 23, 1, 15)),
        ("23/12/2024 08:15:30", utc(2024, 12, 23, 1, 15, 30)),
        ("08:15 23/12/2024", utc(2024, 12, 23, 1, 15)),
        ("08h15 ngày 23/12/2024", utc(2024, 12, 23, 1, 15)),
        ("Ngày 23 tháng 12 năm 2024", utc(2024, 12, 22, 17, 0)),
        ("ngày 5 tháng 1 năm 2025", utc(2025, 1, 4, 17, 0)),
        ("23 tháng 12, 2024", utc(2024, 12, 22, 17, 0)),
        ("Cập nhật lúc 14:30 ngày 1/7/2025", utc(2025, 7, 1, 7, 30)),
        ("2024-12-23", utc(2024, 12, 22, 17, 0)),
        ("2024-12-23T08:15:00", utc(2024, 12, 23, 1, 15)),
        ("2024-12-23T08:15:00Z", utc(2024, 12, 23, 8, 15)),
        ("2024-12-23T08:15:00.250+07:00", datetime(2024, 12, 23, 1, 15, 0, 250000, tzinfo=UTC)),
        ("2024-12-23 08:15+0700", utc(2024, 12, 23, 1, 15)),
        ("Mon, 23 Dec 2024 08:15:00 +0700", utc(2024, 12, 23, 1, 15)),
        ("Mon, 23 Dec 2024 08:15:00 GMT", utc(2024, 12, 23, 8, 15)),
        ("23 Dec 2024 08:15:00 -0000", utc(2024, 12, 23, 8, 15)),
        ("Mon, 23 Dec 2024 08:15:00", utc(2024, 12, 23, 1, 15)),  # no zone: local time
        ("Mon, 23 Dec 24 08:15 EST", utc(2024, 12, 23, 13, 15)),
    ],
)
def test_reads_site_formats_as_utc(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chủ nhật, 5/1/2025 7:05 PM", utc(2025, 1, 5, 12, 5)),
        ("5/1/2025 7:05 AM", utc(2025, 1, 5, 0, 5)),
        ("5/1/2025 12:05 AM", utc(2025, 1, 4, 17, 5)),  # 12 AM is just after midnight
        ("5/1/2025 12:05 PM", utc(2025, 1, 5, 5, 5)),  # 12 PM is noon
        ("5/1/2025 07:05 CH", utc(2025, 1, 5, 12, 5)),  # Vietnamese "chiều"
        ("5/1/2025 13:05 PM", utc(2025, 1, 5, 6, 5)),  # marker ignored past 12
    ],
)
def test_twelve_hour_clock(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_day_first_always() -> None:
    assert parse_datetime("05/01/2025") == utc(2025, 1, 4, 17, 0)
    assert parse_date("05/01/2025") == date(2025, 1, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/12/2024 08:15 (GMT+9)", utc(2024, 12, 22, 23, 15)),
        ("23/12/2024 08:15 GMT", utc(2024, 12, 23, 8, 15)),
        ("23/12/2024 08:15 +05:30", utc(2024, 12, 23, 2, 45)),
        ("23/12/2024 08:15 UTC-3", utc(2024, 12, 23, 11, 15)),
    ],
)
def test_explicit_offset_wins_over_tz(text: str, expected: datetime) -> None:
    assert parse_datetime(text, tz="Europe/Paris") == expected


def test_naive_text_is_read_in_given_tz() -> None:
    assert parse_datetime("23/12/2024 08:15", tz="Europe/Paris") == utc(2024, 12, 23, 7, 15)
    assert parse_datetime("2024-07-01T08:15", tz="Europe/Paris") == utc(2024, 7, 1, 6, 15)  # summer time


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hôm qua",
        "2 giờ trước",
        "Thứ Hai",
        "08:15",
        "31/02/2025",
        "29/02/2025",
        "32/01/2025",
        "15/13/2025",
        "23/12/2024 25:10",
        "23/12/2024 08:61",
        "2025-02-30",
        "2024-12-23T08:15:00+25:00",
        "Mon, 31 Feb 2025 08:00:00 +0700",
        "123/12/20245",
        "Số 57-NQ/TW",
        "x" * 10_000,
    ],
)
def test_no_date_or_impossible_date_is_none(text: str) -> None:
    assert parse_datetime(text) is None


def test_leap_day_is_a_real_date() -> None:
    assert parse_datetime("29/02/2024") == utc(2024, 2, 28, 17, 0)


def test_nfd_nbsp_and_extra_whitespace() -> None:
    text = unicodedata.normalize("NFD", "Thứ\u00a0Hai,\u202f 23/12/2024\u00a0-\u00a0\u00a008:15\n")
    assert text != unicodedata.normalize("NFC", text)
    assert parse_datetime(text) == utc(2024, 12, 23, 1, 15)
    assert parse_datetime(unicodedata.normalize("NFD", "Ngày 23 tháng 12 năm 2024")) == utc(2024, 12, 22, 17, 0)


def test_result_is_aware_utc() -> None:
    result = parse_datetime("23/12/2024 08:15")
    assert result is not None
    assert result.tzinfo is UTC
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/12/2024", date(2024, 12, 23)),
        ("5/1/2025", date(2025, 1, 5)),
        ("05-01-2025", date(2025, 1, 5)),
        ("05.01.2025", date(2025, 1, 5)),
        ("2025-01-05", date(2025, 1, 5)),
        (" 2025-1-5\u00a0", date(2025, 1, 5)),
    ],
)
def test_parse_date_formats(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "31/02/2025", "2025/01/05", "05/01/25", "Ngày 5/1/2025", "5/1/2025 08:00", "01-02.2025", "abc"],
)
def test_parse_date_rejects_other_text(text: str) -> None:
    assert parse_date(text) is None


# Asia/Ho_Chi_Minh has had no offset change since 1975, so every local time maps to one instant.
_aware = st.datetimes(min_value=datetime(1976, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@given(_aware)
def test_round_trips_dd_mm_yyyy_hh_mm(moment: datetime) -> None:
    local = moment.astimezone(HCM)
    assert parse_datetime(local.strftime("%d/%m/%Y %H:%M")) == moment


@given(_aware)
def test_round_trips_iso_with_offset(moment: datetime) -> None:
    offset = timezone(timedelta(hours=-5))
    assert parse_datetime(moment.astimezone(offset).isoformat()) == moment


@given(st.text(max_size=200))
def test_never_raises_and_always_utc(text: str) -> None:
    result = parse_datetime(text)
    assert result is None or result.tzinfo is UTC


@given(st.dates(min_value=date(1000, 1, 1)))
def test_parse_date_round_trips(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.isoformat()) == day
