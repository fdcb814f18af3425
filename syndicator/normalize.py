"""Turning parsed entries into normalised entries: pure functions.

Canonical URLs (tracking parameters stripped), sanitised HTML (nh3 allow-list),
NFC text, and the hashes the decider keys on.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
import orjson

from .domain import Attachment, Entry, ItemKind, ParsedEntry

# Query parameters that only track the reader; two URLs differing in these are one page.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl|"
    r"zarsrc|zaloapp|ref_src|cmpid|spm|at_[a-z_]+)$",
    re.I,
)
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Substantial text is needed before equal text is taken as proof of the same item across sources;
# short boilerplate ("Thông báo") would otherwise merge unrelated items.
FINGERPRINT_MIN_CHARS = 80

_ALLOWED_SCHEMES = {"http", "https", "mailto"}


def nfc(text: str) -> str:
    """NFC-normalised text with XML-forbidden control characters removed."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def canonical_url(url: str | None) -> str | None:
    """An absolute http(s) URL in canonical form, or None.

    Lower-case scheme and host, no default port, no fragment, no tracking
    parameters; the order of the remaining parameters is kept (it can matter).
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" + (f":{port}" if port and (scheme, port) not in (("http", 80), ("https", 443)) else "")
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def sanitize_html(fragment: str | None) -> str | None:
    """HTML reduced to an allow-list: no scripts, frames, event handlers or ``javascript:`` URLs."""
    if not fragment:
        return None
    cleaned = nh3.clean(
        nfc(fragment),
        url_schemes=_ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
    return cleaned or None


_MARKUP = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)


def plain_text(fragment: str | None) -> str:
    """Text of an HTML fragment, entities decoded and whitespace collapsed.

    Meant for markup that is already sanitised (or a title): tags are cut, not parsed.
    """
    if not fragment:
        return ""
    return _WS.sub(" ", html.unescape(_MARKUP.sub(" ", fragment))).strip()


def clean_title(title: str | None) -> str:
    """A one-line title: tags stripped, entities decoded, NFC, whitespace collapsed."""
    if not title:
        return ""
    text = plain_text(title) if "<" in title or "&" in title else _WS.sub(" ", title).strip()
    return nfc(text)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt else None


def content_hash(entry: Entry | ParsedEntry, *, kind: ItemKind, url: str | None) -> str:
    """Hash of everything that makes a version: a different hash means a new version."""
    doc = {
        "k": kind.value,
        "t": entry.title,
        "u": url,
        "s": entry.summary,
        "c": entry.content,
        "p": _iso(entry.published),
        "m": _iso(entry.updated),
        "l": entry.language,
        "a": entry.author,
        "n": entry.doc_number,
        "i": entry.issuer,
        "f": [[a.url, a.media_type, a.length, a.title] for a in entry.attachments],
        "x": entry.task.as_dict() if entry.task else None,
    }
    return sha256_hex(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))


def fingerprint(entry: Entry) -> str | None:
    """Hash of the readable text, used to find one document published by two sources.

    None when the text is too short to prove anything.
    """
    text = plain_text(entry.content or entry.summary)
    body = f"{entry.title.casefold()}\n{text.casefold()}"
    if len(text) < FINGERPRINT_MIN_CHARS:
        return None
    return sha256_hex(body.encode())


def normalize_entry(
    parsed: ParsedEntry,
    *,
    source: str,
    default_kind: ItemKind,
    default_language: str | None,
    raw_hash: str,
) -> Entry:
    """Normalise one parsed entry: pure, deterministic."""
    url = canonical_url(parsed.url)
    title = clean_title(parsed.title)
    summary_html = sanitize_html(parsed.summary)
    content_html = sanitize_html(parsed.content)
    if not title:
        # A readable fallback keeps the item usable; the original had no title.
        title = (plain_text(summary_html or content_html)[:80] or url or parsed.guid or "(untitled)").strip()
    attachments = tuple(
        Attachment(url=u, media_type=a.media_type, length=a.length, title=clean_title(a.title) or None)
        for a in parsed.attachments
        if (u := canonical_url(a.url))
    )
    kind = parsed.kind or default_kind
    language = (parsed.language or default_language or None)
    entry = Entry(
        source=source,
        kind=kind,
        title=title,
        guid=nfc(parsed.guid.strip()) if parsed.guid and parsed.guid.strip() else None,
        url=url,
        summary=summary_html,
        content=content_html,
        published=parsed.published,
        updated=parsed.updated,
        language=language.lower() if language else None,
        author=clean_title(parsed.author) or None,
        doc_number=nfc(parsed.doc_number.strip()) if parsed.doc_number else None,
        issuer=clean_title(parsed.issuer) or None,
        attachments=attachments,
        task=parsed.task,
        content_hash="",
        raw_hash=raw_hash,
    )
    return _with_hash(entry)


def _with_hash(entry: Entry) -> Entry:
    from dataclasses import replace

    return replace(entry, content_hash=content_hash(entry, kind=entry.kind, url=entry.url),
                   fingerprint=fingerprint(entry))


def item_id_for(first_key: str) -> str:
    """A stable item id derived from the first identity key the item was found by."""
    digest = hashlib.sha256(first_key.encode()).digest()[:15]
    return base64.b32encode(digest).decode().lower()
