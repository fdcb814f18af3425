"""A small JSON Feed 1.1 writer (https://www.jsonfeed.org/version/1.1/).

feedgen writes only RSS and Atom, so this module plays feedgen's part for JSON:
a document model of already-clean values and one serialiser. It knows nothing
about syndicator's domain types; ``feeds.render`` maps ``FeedMeta``/``FeedEntry``
onto it after text hygiene, exactly as it maps them onto feedgen for XML.

The serialiser is deterministic: keys are written in one fixed order (the order
the specification lists them), so equal documents give equal bytes, which the
feed server relies on for strong ETags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERSION = "https://jsonfeed.org/version/1.1"
RFC5005_ABOUT = "https://www.rfc-editor.org/rfc/rfc5005"


@dataclass(frozen=True, slots=True)
class JsonAttachment:
    """One ``attachments`` member; ``size_in_bytes`` is omitted when unknown."""

    url: str
    mime_type: str
    size_in_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class JsonItem:
    """One ``items`` member. JSON Feed needs ``content_html`` or ``content_text``."""

    id: str
    url: str
    title: str
    date_published: datetime
    date_modified: datetime
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    language: str | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    attachments: tuple[JsonAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class JsonArchive:
    """RFC 5005 archive links, carried in the ``_rfc5005`` extension object.

    JSON Feed has no archive vocabulary; the specification reserves keys that
    start with an underscore for extensions, and asks them to carry ``about``.
    """

    archive: bool = False
    current: str | None = None
    prev_archive: str | None = None
    next_archive: str | None = None


@dataclass(frozen=True, slots=True)
class JsonFeedDocument:
    """The top-level JSON Feed object."""

    title: str
    home_page_url: str
    feed_url: str
    description: str | None = None
    language: str | None = None
    authors: tuple[str, ...] = ()
    hubs: tuple[str, ...] = ()
    next_url: str | None = None
    archive: JsonArchive | None = None
    items: tuple[JsonItem, ...] = ()


def format_date(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, e.g. ``2025-01-31T08:00:00Z``."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: JSON Feed dates need a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_object(item: JsonItem) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": item.id, "url": item.url, "title": item.title}
    if item.content_html is not None:
        obj["content_html"] = item.content_html
    if item.content_text is not None or item.content_html is None:
        # The spec requires one of the two; an empty text is still "present".
        obj["content_text"] = item.content_text or ""
    if item.summary:
        obj["summary"] = item.summary
    obj["date_published"] = format_date(item.date_published)
    obj["date_modified"] = format_date(item.date_modified)
    if item.authors:
        obj["authors"] = [{"name": name} for name in item.authors]
    if item.tags:
        obj["tags"] = list(item.tags)
    if item.language:
        obj["language"] = item.language
    if item.attachments:
        obj["attachments"] = [_attachment_object(a) for a in item.attachments]
    return obj


def _attachment_object(attachment: JsonAttachment) -> dict[str, Any]:
    obj: dict[str, Any] = {"url": attachment.url, "mime_type": attachment.mime_type}
    if attachment.size_in_bytes:
        obj["size_in_bytes"] = attachment.size_in_bytes
    return obj


def _archive_object(archive: JsonArchive) -> dict[str, Any] | None:
    obj: dict[str, Any] = {"about": RFC5005_ABOUT}
    if archive.archive:
        obj["archive"] = True
    for key, url in (
        ("current", archive.current),
        ("prev_archive", archive.prev_archive),
        ("next_archive", archive.next_archive),
    ):
        if url:
            obj[key] = url
    return obj if len(obj) > 1 else None


def dump_json_feed(doc: JsonFeedDocument) -> bytes:
    """Serialise ``doc`` to UTF-8 JSON bytes (not ASCII-escaped, newline-terminated)."""
    obj: dict[str, Any] = {
        "version": VERSION,
        "title": doc.title,
        "home_page_url": doc.home_page_url,
        "feed_url": doc.feed_url,
    }
    if doc.description:
        obj["description"] = doc.description
    if doc.next_url:
        obj["next_url"] = doc.next_url
    if doc.authors:
        obj["authors"] = [{"name": name} for name in doc.authors]
    if doc.language:
        obj["language"] = doc.language
    if doc.hubs:
        obj["hubs"] = [{"type": "WebSub", "url": url} for url in doc.hubs]
    if doc.archive is not None:
        archive = _archive_object(doc.archive)
        if archive is not None:
            obj["_rfc5005"] = archive
    obj["items"] = [_item_object(item) for item in doc.items]
    text = json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False)
    return text.encode("utf-8") + b"\n"
