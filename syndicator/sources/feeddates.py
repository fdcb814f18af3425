"""Dates as feeds really write them, turned into aware UTC datetimes.

Both feed readers (the lxml fast path and the feedparser fallback) hand the
*raw* date string to :func:`parse_feed_date`, so that one parser decides for
both and the two paths cannot disagree about a date.

Accepted, beyond the standards (RFC 822/2822 for RSS, RFC 3339 for Atom and
JSON Feed), because real feeds write them (see ``shared/contracts/feeds.md`` §4):

- ``UTC``, ``UT``, ``Z`` or ``GMT+7`` where RFC 822 wants ``GMT`` or ``+0700``;
  ``+07:00`` with a colon; a doubled zone (``+0200 +0200``); a handful of
  common zone abbreviations including ``ICT`` (Indochina Time, UTC+7);
- missing seconds, single-digit day, hour without a leading zero, ``AM``/``PM``,
  two-digit years (00–49 → 20xx, 50–99 → 19xx, as RFC 2822 says), a missing
  or wrong weekday (ignored), full month names, "May 25 2020" order;
- ISO 8601 in RSS, with ``T`` or a space, with or without seconds, fraction
  or zone, in basic (``20250602T083000Z``) or extended form, or a bare date;
- ``dd/mm/yyyy [HH:MM[:SS]]`` as Vietnamese sites write it. When both
  numbers are ≤ 12 the day comes first (the Vietnamese order); when the
  second is > 12 the date is read as US ``mm/dd/yyyy``.

A date without any zone is taken as UTC (callers that know a source's local
zone should store it with the source, not guess here). Anything else returns
``None``; callers report the raw string as a problem.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["parse_feed_date"]

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip

# Offsets in hours. Only unambiguous abbreviations: "IST" or "CST" in Asia
# would silently be wrong, so ambiguous ones are better reported than guessed.
# (CST/CDT etc. are the RFC 822 North American zones, which RFC 822 defines.)
_ZONES = {
    "ut": 0.0, "utc": 0.0, "gmt": 0.0, "z": 0.0, "wet": 0.0,
    "est": -5.0, "edt": -4.0, "cst": -6.0, "cdt": -5.0,
    "mst": -7.0, "mdt": -6.0, "pst": -8.0, "pdt": -7.0,
    "cet": 1.0, "cest": 2.0, "met": 1.0, "mest": 2.0, "bst": 1.0, "eet": 2.0, "eest": 3.0,
    "msk": 3.0, "ict": 7.0, "wib": 7.0, "hkt": 8.0, "sgt": 8.0, "awst": 8.0,
    "jst": 9.0, "kst": 9.0, "aest": 10.0, "aedt": 11.0, "nzst": 12.0, "nzdt": 13.0,
}  # fmt: skip

# A zone: a name, a numeric offset, or GMT/UTC followed by an offset.
_ZONE = r"""
    (?P<zone>
        (?:(?:gmt|utc|ut)\s*)?(?P<sign>[+-])\s*(?P<zh>\d{1,2})(?::?(?P<zm>\d{2}))?
      | (?P<zname>[a-z]{1,5})
    )
"""
# Junk that real feeds append after a zone: a doubled zone, "(UTC)", etc.
_TRAILER = r"(?:\s+(?:[+-]\d{2}:?\d{2}|[a-z]{1,5}|\([^)]*\)))?"

_TIME = r"""
    (?P<hour>\d{1,2})[:h.](?P<minute>\d{2})
    (?::(?P<second>\d{2})(?:[.,]\d+)?)?
    \s*(?P<ampm>[ap]\.?m\.?)?
"""

_RFC822 = re.compile(
    rf"""^
    (?:[a-z]+\.?\s*,?\s*)?                       # weekday, ignored
    (?:
        (?P<day>\d{{1,2}})[\s-]+(?P<mon>[a-z]+)\.?
      | (?P<mon2>[a-z]+)\.?[\s-]+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s*,?
    )
    [\s-]+(?P<year>\d{{4}}|\d{{2}})
    (?:(?:\s+|\s*,\s*|t){_TIME})?
    \s*\(?{_ZONE}?\)?{_TRAILER}
    $""",
    re.VERBOSE | re.IGNORECASE,
)

_ISO = re.compile(
    rf"""^
    (?P<year>\d{{4}})
    (?:(?P<sep>[-/.]?)(?P<month>\d{{2}})
       (?:(?P=sep)(?P<day>\d{{2}})
          (?:(?:t|\s+)
             (?P<hour>\d{{2}}):?(?P<minute>\d{{2}})
             (?::?(?P<second>\d{{2}})(?:[.,]\d+)?)?
          )?
       )?
    )?
    \s*{_ZONE}?{_TRAILER}
    $""",
    re.VERBOSE | re.IGNORECASE,
)

# The canonical forms, read without the lenient patterns below.
_CANONICAL_RFC822 = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}|GMT|UTC|Z)"
)
_CANONICAL_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")

_DMY = re.compile(
    rf"""^
    (?:[^\d,]+,\s*)?                              # "Thứ hai," or "Monday,"
    (?P<a>\d{{1,2}})[/.-](?P<b>\d{{1,2}})[/.-](?P<year>\d{{4}})
    (?:(?:\s*[,\s-]\s*|t){_TIME})?
    \s*\(?{_ZONE}?\)?{_TRAILER}
    $""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_feed_date(raw: str | None) -> datetime | None:
    """Return *raw* as an aware UTC datetime, or ``None`` when it cannot be read.

    Never raises. See the module docstring for the accepted forms.
    """
    if not raw:
        return None
    text = raw.strip()
    fast = _CANONICAL_RFC822.fullmatch(text)
    if fast is not None:  # by far the most common form: skip the lenient readers
        day, month_name, year, hour, minute, second, zone = fast.groups()
        month = _MONTHS.get(month_name.lower())
        if month is not None:
            minutes = (
                0
                if zone in ("GMT", "UTC", "Z")
                else (1 - 2 * (zone[0] == "-")) * (int(zone[1:3]) * 60 + int(zone[3:5]))
            )
            return _utc(int(year), month, int(day), int(hour), int(minute), int(second), minutes)
    if _CANONICAL_ISO.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed.astimezone(UTC).replace(microsecond=0)
    text = " ".join(text.split())
    if not text or len(text) > 120:
        return None
    for pattern, builder in _READERS:
        match = pattern.match(text)
        if match is not None:
            return builder(match)
    return None


def _utc(year: int, month: int, day: int, hour: int, minute: int, second: int, offset: int) -> datetime | None:
    """The UTC datetime of a local time *offset* minutes east of UTC; ``None`` if out of range."""
    if not 1800 <= year <= 2200 or abs(offset) > 14 * 60:
        return None
    try:
        local = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except ValueError:
        return None
    return local - timedelta(minutes=offset)


def _offset(match: re.Match[str]) -> int | None:
    """The zone of a match in minutes east of UTC; ``None`` for an unknown zone name."""
    if match.group("sign"):
        hours = int(match.group("zh"))
        minutes = int(match.group("zm") or 0)
        if hours > 14 or minutes > 59:
            return None
        return -(hours * 60 + minutes) if match.group("sign") == "-" else hours * 60 + minutes
    name = match.group("zname")
    if name is None:
        return 0  # no zone: taken as UTC (see module docstring)
    zone_hours = _ZONES.get(name.lower())
    return None if zone_hours is None else int(zone_hours * 60)


def _build(
    match: re.Match[str], year: int, month: int, day: int, *, two_digit_year: bool = False, ampm: str | None = None
) -> datetime | None:
    """Assemble the datetime from the parts of a match; ``None`` if out of range."""
    if two_digit_year:
        year += 2000 if year < 50 else 1900
    hour = int(match.group("hour") or 0)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = (hour % 12) + (12 if ampm[0] in "pP" else 0)
    offset = _offset(match)
    if offset is None:
        return None
    return _utc(year, month, day, hour, int(match.group("minute") or 0), int(match.group("second") or 0), offset)


def _from_rfc822(match: re.Match[str]) -> datetime | None:
    month_name = (match.group("mon") or match.group("mon2")).lower()
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    day = int(match.group("day") or match.group("day2"))
    year_text = match.group("year")
    return _build(match, int(year_text), month, day, two_digit_year=len(year_text) == 2, ampm=match.group("ampm"))


def _from_iso(match: re.Match[str]) -> datetime | None:
    return _build(match, int(match.group("year")), int(match.group("month") or 1), int(match.group("day") or 1))


def _from_dmy(match: re.Match[str]) -> datetime | None:
    first, second = int(match.group("a")), int(match.group("b"))
    # Vietnamese order (day first) unless that cannot be a date.
    day, month = (second, first) if second > 12 else (first, second)
    return _build(match, int(match.group("year")), month, day, ampm=match.group("ampm"))


_READERS = ((_RFC822, _from_rfc822), (_ISO, _from_iso), (_DMY, _from_dmy))
