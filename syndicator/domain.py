"""Domain types shared by every part of the engine.

All of them are frozen dataclasses: parsers produce them, the pure decider
consumes them, storage turns them into rows. SQLAlchemy models never leave
``syndicator.storage``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ItemKind(enum.StrEnum):
    """What an item is: a policy document, an S&T task record, or a news article."""

    DOCUMENT = "document"
    TASK = "task"
    NEWS = "news"


class Secrecy(enum.StrEnum):
    """Secrecy class of a task record. Anything but ``PUBLIC`` is restricted."""

    PUBLIC = "public"
    STATE_SECRET = "state_secret"


# No slots: it crosses process boundaries, and slotted dataclasses pickle several times slower.
@dataclass(frozen=True)
class Attachment:
    """A file linked from an item (PDF of a decision, annex, image)."""

    url: str
    media_type: str | None = None
    length: int | None = None
    title: str | None = None


# No slots: it crosses process boundaries, and slotted dataclasses pickle several times slower.
@dataclass(frozen=True)
class TaskFields:
    """Fields of a publicly funded S&T task record (see shared/reference/st_task_record_fields.md)."""

    task_code: str
    host_org: str | None = None
    principal_investigator: str | None = None
    managing_body: str | None = None
    budget_vnd: int | None = None
    start_date: str | None = None  # ISO date, YYYY-MM-DD
    end_date: str | None = None
    status: str | None = None
    secrecy: Secrecy = Secrecy.PUBLIC

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form, for storage and output."""
        return {
            "task_code": self.task_code,
            "host_org": self.host_org,
            "principal_investigator": self.principal_investigator,
            "managing_body": self.managing_body,
            "budget_vnd": self.budget_vnd,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "status": self.status,
            "secrecy": self.secrecy.value,
        }


# No slots: it crosses process boundaries, and slotted dataclasses pickle several times slower.
@dataclass(frozen=True)
class Tag:
    """A tag on an item version, with where it came from.

    ``name`` is ``prefix:value`` (``pillar:science``, ``place:tuyen-quang``,
    ``lang:vi``) or a bare flag (``restricted``). ``tagger`` names the tagger,
    ``rule`` what made it fire (the term matched, the document number, the
    config rule), ``confidence`` is set where the tagger has one.
    """

    name: str
    tagger: str
    rule: str
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry exactly as a parser read it, before normalisation.

    Dates are timezone-aware UTC (parsers convert at the edge). ``summary`` and
    ``content`` may hold HTML; normalisation sanitises them. ``url`` may still
    carry tracking parameters; normalisation canonicalises it.
    """

    title: str
    guid: str | None = None
    url: str | None = None
    summary: str | None = None
    content: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None
    author: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    attachments: tuple[Attachment, ...] = ()
    kind: ItemKind | None = None
    task: TaskFields | None = None


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a parser got out of one retrieved document.

    ``problems`` are non-fatal findings a person can act on (malformed XML that
    was recovered, CSV rows rejected with their row numbers, selectors that
    matched nothing). A document that yields nothing at all and has problems
    is reported as a failure of the source.
    """

    entries: tuple[ParsedEntry, ...]
    problems: tuple[str, ...] = ()
    title: str | None = None
    language: str | None = None


# No slots: it crosses process boundaries, and slotted dataclasses pickle several times slower.
@dataclass(frozen=True)
class Fetched:
    """A retrieved document: bytes plus what HTTP said about them."""

    url: str
    body: bytes
    status: int = 200
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.status == 304


# No slots: it crosses process boundaries, and slotted dataclasses pickle several times slower.
@dataclass(frozen=True)
class Entry:
    """A normalised entry, ready for the decider: canonical URL, sanitised HTML, hashes."""

    source: str
    kind: ItemKind
    title: str
    guid: str | None
    url: str | None
    summary: str | None
    content: str | None
    published: datetime | None
    updated: datetime | None
    language: str | None
    author: str | None
    doc_number: str | None
    issuer: str | None
    attachments: tuple[Attachment, ...]
    task: TaskFields | None
    content_hash: str
    raw_hash: str
    tags: tuple[Tag, ...] = ()  # derived, so not part of content_hash
    fingerprint: str | None = None  # hash of the readable text, when long enough to identify the item

    @property
    def restricted(self) -> bool:
        """True when the record itself says it is not public (state secret)."""
        return self.task is not None and self.task.secrecy is not Secrecy.PUBLIC


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of an item."""

    item_id: str
    number: int
    source: str
    title: str
    url: str | None
    summary: str | None
    content: str | None
    published: datetime | None
    updated: datetime | None
    language: str | None
    author: str | None
    doc_number: str | None
    issuer: str | None
    attachments: tuple[Attachment, ...]
    task: TaskFields | None
    content_hash: str
    raw_hash: str
    collected_at: datetime
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemSource:
    """Where an item was found: one row per (item, source)."""

    source: str
    guid: str | None
    url: str | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Item:
    """An item with its identity, current state and history."""

    id: str
    kind: ItemKind
    restricted: bool
    first_seen: datetime
    updated_at: datetime
    current: Version
    versions: tuple[Version, ...] = ()
    sources: tuple[ItemSource, ...] = ()
    tags: tuple[Tag, ...] = ()  # effective tags: the current version's, with operators' overrides applied
    withdrawn_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What ``syndicator sources`` shows for one source."""

    name: str
    kind: str
    last_run: datetime | None
    last_status: str | None
    last_error: str | None
    error_count: int
    item_count: int
    next_run: datetime | None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class SourceReport:
    """Outcome of collecting one source once."""

    source: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: bool = False
    not_modified: bool = False
    error: str | None = None
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form for ``--json`` output."""
        return {
            "source": self.source,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "not_modified": self.not_modified,
            "error": self.error,
            "problems": list(self.problems),
        }
