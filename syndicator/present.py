"""Plain-JSON views of domain objects, for ``--json`` output and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .domain import Item, Tag, Version
from .tagging.gate import may_leave


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def version_dict(v: Version) -> dict[str, Any]:
    """One version as plain JSON."""
    return {
        "number": v.number, "source": v.source, "title": v.title, "url": v.url, "summary": v.summary,
        "content": v.content, "published": _iso(v.published), "updated": _iso(v.updated), "language": v.language,
        "author": v.author, "doc_number": v.doc_number, "issuer": v.issuer,
        "attachments": [{"url": a.url, "media_type": a.media_type, "length": a.length, "title": a.title}
                        for a in v.attachments],
        "task": v.task.as_dict() if v.task else None, "content_hash": v.content_hash, "raw_hash": v.raw_hash,
        "collected_at": _iso(v.collected_at), "tags": [tag_dict(t) for t in v.tags],
    }


def tag_dict(t: Tag) -> dict[str, Any]:
    """A tag with its provenance."""
    return {"name": t.name, "tagger": t.tagger, "rule": t.rule, "confidence": t.confidence}


def withheld(item: Item) -> dict[str, Any]:
    """What may be shown of an item that must not leave the system: that it exists, nothing of its content."""
    return {
        "id": item.id, "kind": item.kind.value, "restricted": True, "withheld": True,
        "current_version": item.current.number, "first_seen": _iso(item.first_seen),
        "updated_at": _iso(item.updated_at), "title": None,
    }


def item_summary(item: Item) -> dict[str, Any]:
    """An item's identity and current title, for listings (content withheld when the gate says so)."""
    if not may_leave(item):
        return withheld(item)
    return {
        "id": item.id, "kind": item.kind.value, "restricted": item.restricted, "version": item.current.number,
        "title": item.current.title, "url": item.current.url, "language": item.current.language,
        "doc_number": item.current.doc_number, "first_seen": _iso(item.first_seen), "updated_at": _iso(item.updated_at),
        "tags": [t.name for t in item.tags],
    }


def item_detail(item: Item) -> dict[str, Any]:
    """An item with every version, source and tag (content withheld when the gate says so)."""
    if not may_leave(item):
        return withheld(item) | {"versions": [{"number": v.number, "collected_at": _iso(v.collected_at),
                                               "content_hash": v.content_hash, "raw_hash": v.raw_hash}
                                              for v in item.versions]}
    return {
        "id": item.id, "kind": item.kind.value, "restricted": item.restricted, "current_version": item.current.number,
        "first_seen": _iso(item.first_seen), "updated_at": _iso(item.updated_at),
        "sources": [{"source": s.source, "guid": s.guid, "url": s.url, "first_seen": _iso(s.first_seen),
                     "last_seen": _iso(s.last_seen)} for s in item.sources],
        "versions": [version_dict(v) for v in item.versions],
        "tags": [tag_dict(t) for t in item.tags],
    }
