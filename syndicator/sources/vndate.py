"""Reading the dates Vietnamese sites print: pure functions, no clock.

Vietnamese pages write dates day first ("23/12/2024"), often behind a weekday
("Thứ Hai, 23/12/2024 - 08:15") and sometimes with an offset ("(GMT+7)").
Feeds and meta tags use ISO 8601 or RFC 822. Every reader here takes the text
in the site's local time zone and returns an aware UTC datetime, or None when
the text holds no real date — parsers must never fail on a bad date string.

Decisions worth knowing:

* Day first, always. "05/01/2025" is 5 January, never May 1st.
* A date without a time means local midnight of that day.
* "AM"/"PM" (and the Vietnamese "SA"/"CH") turn a 12-hour clock into a 24-hour
  one: 12 AM is 00:xx, 12 PM is 12:xx. Sites that print "13:05 PM" mean 13:05,
  so the marker is ignored when the hour is already past 12.
* The weekday ("Thứ Hai", "Chủ nhật") is ignored: the date numbers win if the
  two disagree.
* An explicit offset in the text ("GMT+7", "+07:00", "Z") wins over ``tz``.
* Relative dates ("2 giờ trước") return None: reading them needs a clock.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["parse_date", "parse_datetime"]

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# Every kind of space a CMS may emit (nbsp, narrow nbsp, thin space, ideographic space, BOM).
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# US zone names RFC 822 allows; other letters are obsolete and read as unknown (local tz).
_RFC822_ZONES = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}
_RFC822 = re.compile(
    r"^(?:[a-z]{3},?\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{4}|\d{2})"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
    r"(?:\s*([+-]\d{4}|[a-z]{1,3}))?$",
    re.IGNORECASE,
)

# Day-first numeric dates; the look-arounds keep "123/12/2024" or "23/12/20245" from matching.
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)")
_VI_LONG = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:,|năm)?\s*(\d{4})(?!\d)", re.IGNORECASE)
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")

_TIME = re.compile(
    r"(?<![\d:])(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})(?:\s*(?::|phút)\s*(\d{2}))?(?![\d])"
    r"(?:\s*(am|pm|a\.m\.|p\.m\.|sa|ch)\b)?",
    re.IGNORECASE,
)
_GMT = re.compile(r"\b(?:GMT|UTC)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?", re.IGNORECASE)
_TRAILING_OFFSET = re.compile(r"^\s*(Z|[+-]\d{2}:?\d{2})(?![\d])", re.IGNORECASE)

_STRICT_DATE_FORMATS = (
    re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"),
    re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"),
    re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"),
)


def clean_text(text: str) -> str:
    """NFC text with every run of (non-breaking) whitespace made one space, stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def parse_datetime(text: str, *, tz: str = DEFAULT_TZ) -> datetime | None:
    """Read a date (and time) the way Vietnamese sites print them; aware UTC or None.

    Accepts, among others: "Thứ Hai, 23/12/2024 - 08:15", "23/12/2024, 08:15 (GMT+7)",
    "23-12-2024 08:15", "08:15 23/12/2024", "23/12/2024 08:15:30", "Ngày 23 tháng 12
    năm 2024", "23 tháng 12, 2024", "5/1/2025 7:05 PM", ISO 8601 and RFC 822. Naive
    times are read in ``tz`` (an IANA name; an unknown name raises, as it is a
    configuration error). Text with no date, or with an impossible one, gives None.
    """
    if not isinstance(text, str):
        return None
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > 500:
        return None
    local = ZoneInfo(tz)
    for reader in (_read_iso, _read_rfc822, _read_vietnamese):
        try:
            found = reader(cleaned, local)
        except (ValueError, OverflowError):
            # An impossible date (31/02) or one at the edge of the calendar: no date.
            return None
        if found is not None:
            return found
    return None


def parse_date(text: str) -> date | None:
    """Read a bare calendar date: DD/MM/YYYY, D/M/YYYY, DD-MM-YYYY, DD.MM.YYYY or YYYY-MM-DD.

    The whole text (after trimming) must be the date; anything else, or an
    impossible date, gives None. Meant for data columns, where strictness
    catches mistakes that a lenient reader would hide.
    """
    if not isinstance(text, str):
        return None
    cleaned = clean_text(text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", cleaned)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        for pattern in _STRICT_DATE_FORMATS:
            m = pattern.fullmatch(cleaned)
            if m:
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


def _offset(sign: str, hours: str, minutes: str | None) -> tzinfo | None:
    h, m = int(hours), int(minutes or 0)
    if h > 14 or m > 59:
        return None
    delta = timedelta(hours=h, minutes=m)
    return timezone(-delta if sign == "-" else delta)


def _parse_offset(text: str) -> tzinfo | None:
    """A tzinfo for "Z", "+07:00", "+0700" or "+07"."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    return _offset(text[0], digits[:2], digits[2:4] or None)


def _to_utc(naive: datetime, zone: tzinfo) -> datetime:
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _read_iso(text: str, local: tzinfo) -> datetime | None:
    m = _ISO.match(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, off = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    naive = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0), micro)
    zone = local
    if off:
        parsed = _parse_offset(off)
        if parsed is None:
            return None
        zone = parsed
    return _to_utc(naive, zone)


def _read_rfc822(text: str, local: tzinfo) -> datetime | None:
    m = _RFC822.match(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss, zone_text = m.groups()
    month = _MONTHS.get(mon[:3].lower())
    if month is None:
        return None
    y = int(year)
    if len(year) == 2:
        # RFC 2822 §4.3: two-digit years below 50 are 20xx.
        y += 2000 if y < 50 else 1900
    naive = datetime(y, month, int(day), int(hh or 0), int(mm or 0), int(ss or 0))
    zone: tzinfo = local
    if zone_text:
        if zone_text[0] in "+-":
            if zone_text == "-0000":
                # RFC 2822: "-0000" is UTC with the local offset unknown.
                zone = UTC
            else:
                found = _offset(zone_text[0], zone_text[1:3], zone_text[3:5])
                if found is None:
                    return None
                zone = found
        elif zone_text.upper() in _RFC822_ZONES:
            zone = timezone(timedelta(hours=_RFC822_ZONES[zone_text.upper()]))
        elif not hh:
            return None
    return _to_utc(naive, zone)


def _find_date(text: str) -> tuple[date, int, int] | None:
    """The first day-first date in ``text`` with its span; raises ValueError when impossible."""
    candidates: list[tuple[int, int, date]] = []
    for pattern, order in ((_VI_LONG, "dmy"), (_DMY, "dmy"), (_YMD, "ymd")):
        m = pattern.search(text)
        if not m:
            continue
        groups = [g for g in m.groups() if g not in ("/", ".", "-")]
        if order == "dmy":
            d, mo, y = (int(g) for g in groups)
        else:
            y, mo, d = (int(g) for g in groups)
        candidates.append((m.start(), m.end(), date(y, mo, d)))
    if not candidates:
        return None
    start, end, found = min(candidates, key=lambda c: c[0])
    return found, start, end


def _find_time(text: str) -> tuple[time, int] | None:
    """The first clock time in ``text`` and where it ends; raises ValueError when impossible."""
    m = _TIME.search(text)
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    second = int(m.group(3) or 0)
    marker = (m.group(4) or "").lower().replace(".", "")
    if marker and hour <= 12:
        if marker in ("am", "sa"):
            hour = 0 if hour == 12 else hour
        elif hour != 12:
            hour += 12
    return time(hour, minute, second), m.end()


def _read_vietnamese(text: str, local: tzinfo) -> datetime | None:
    found_date = _find_date(text)
    if found_date is None:
        return None
    day, start, end = found_date
    # Blank the date out so its digits are not read again as a time or an offset.
    rest = text[:start] + " " * (end - start) + text[end:]
    found_time = _find_time(rest)
    zone: tzinfo = local
    gmt = _GMT.search(rest)
    if gmt:
        sign, hours, minutes = gmt.groups()
        parsed = _offset(sign, hours, minutes) if sign else UTC
        if parsed is None:
            return None
        zone = parsed
    elif found_time is not None:
        trailing = _TRAILING_OFFSET.match(rest[found_time[1] :])
        if trailing:
            parsed = _parse_offset(trailing.group(1))
            if parsed is None:
                return None
            zone = parsed
    clock = found_time[0] if found_time else time(0, 0)
    return _to_utc(datetime.combine(day, clock), zone)
