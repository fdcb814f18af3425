"""The coverage ledger: typed, append-only, hash-chained events.

Every state change of an item, a feed entry or a delivery, and every newsroom
fetch of a feed, is recorded as exactly one event, written by storage in the
same transaction as the change. Each event's hash covers the previous event's
hash and a canonical encoding of the event, so any edit, deletion or
reordering breaks the chain and :func:`verify_chain` finds where.

Event types are named ``noun.past_verb``. The full set the engine will write
is declared here, so that reports and verification can rely on it:

=====================  =============  =========================================
type                   subject        written when
=====================  =============  =========================================
item.collected         item           a new item is stored (its version 1)
item.versioned         item           a changed entry becomes a new version
item.source_added      item           another source is found to carry the item
item.tagged            item           tags of a version are set or changed
item.tag_overridden    item           an operator adds/removes a tag (actor, reason)
item.restricted        item           an item is marked not public
item.unrestricted      item           an operator lifts a restriction (reason)
item.withdrawn         item           an item is withdrawn (tombstoned)
source.failed          source         a collection attempt failed
source.recovered       source         a failing source succeeds again
feed.entry_published   feed           an item version enters a feed
feed.fetched           subscriber     a newsroom fetched a feed with its key
delivery.queued        delivery       an item version is routed to a channel
delivery.sent          delivery       a channel confirmed a post (receipt)
delivery.retrying      delivery       an attempt failed and will be retried
delivery.failed        delivery       a delivery gave up
delivery.unknown       delivery       the outcome could not be known
delivery.reconciled    delivery       an unknown outcome was settled
delivery.cancelled     delivery       an operator cancelled (reason)
channel.paused         channel        a channel's breaker opened
channel.resumed        channel        a channel resumed
report.published       report         a coverage report was published
=====================  =============  =========================================

Secrets never enter the ledger: :func:`check_payload` refuses keys that name
one, and callers pass ids and hashes, not content.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64

EVENT_TYPES: Mapping[str, str] = {
    "item.collected": "item",
    "item.versioned": "item",
    "item.source_added": "item",
    "item.tagged": "item",
    "item.tag_overridden": "item",
    "item.restricted": "item",
    "item.unrestricted": "item",
    "item.withdrawn": "item",
    "source.failed": "source",
    "source.recovered": "source",
    "feed.entry_published": "feed",
    "feed.fetched": "subscriber",
    "delivery.queued": "delivery",
    "delivery.sent": "delivery",
    "delivery.retrying": "delivery",
    "delivery.failed": "delivery",
    "delivery.unknown": "delivery",
    "delivery.reconciled": "delivery",
    "delivery.cancelled": "delivery",
    "channel.paused": "channel",
    "channel.resumed": "channel",
    "report.published": "report",
}

_SECRET_KEY = re.compile(r"(secret|token|password|passwd|api[_-]?key|authorization|cookie|^key$)", re.I)


@dataclass(frozen=True, slots=True)
class Event:
    """An event to record. ``seq``, ``prev_hash`` and ``hash`` are set by the chain."""

    type: str
    subject_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    item_id: str | None = None
    actor: str = "system"

    @property
    def subject_type(self) -> str:
        return EVENT_TYPES[self.type]


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored in the chain."""

    seq: int
    occurred_at: datetime
    type: str
    actor: str
    subject_type: str
    subject_id: str
    item_id: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str
    payload_json: str = ""  # the stored text of the payload, when the chain just made it

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form for export."""
        return {
            "seq": self.seq,
            "occurred_at": _ts(self.occurred_at),
            "type": self.type,
            "actor": self.actor,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "item_id": self.item_id,
            "payload": dict(self.payload),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def check_payload(event: Event) -> None:
    """Refuse unknown event types and payload keys that would carry a secret."""
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown ledger event type '{event.type}'; declare it in syndicator.ledger.EVENT_TYPES")

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                if _secret_key(str(k)):
                    raise ValueError(f"ledger payload key '{path}{k}' looks like a secret; secrets never enter the ledger")
                if isinstance(v, (Mapping, list, tuple)):
                    walk(v, f"{path}{k}.")
        elif isinstance(node, (list, tuple)):
            for v in node:
                if isinstance(v, (Mapping, list, tuple)):
                    walk(v, path)

    walk(event.payload, "")


@functools.lru_cache(maxsize=1024)
def _secret_key(key: str) -> bool:
    # Payload keys come from a small vocabulary: each is checked once per process.
    return _SECRET_KEY.search(key) is not None


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(
    *,
    seq: int,
    occurred_at: datetime,
    type: str,
    actor: str,
    subject_type: str,
    subject_id: str,
    item_id: str | None,
    payload: Mapping[str, Any] | orjson.Fragment,
) -> bytes:
    """The canonical encoding hashed into the chain: sorted-key compact JSON, UTF-8 (RFC 8259, orjson).

    ``payload`` may be given already encoded (a Fragment of :func:`payload_text`): the bytes are the same.
    """
    doc = {
        "seq": seq,
        "at": _ts(occurred_at),
        "type": type,
        "actor": actor,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "item_id": item_id,
        "payload": payload,
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS, default=str)


def payload_text(payload: Mapping[str, Any]) -> str:
    """The stored text form of a payload (the same canonical JSON)."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str).decode()


def link(prev_hash: str, body: bytes) -> str:
    """The hash of one chain link."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(b"\n")
    h.update(body)
    return h.hexdigest()


def chain(
    events: Iterable[Event], *, head_seq: int, head_hash: str, at: datetime
) -> list[RecordedEvent]:
    """Pure: number and hash ``events`` after the head (seq, hash)."""
    out: list[RecordedEvent] = []
    seq, prev = head_seq, head_hash
    for ev in events:
        check_payload(ev)
        seq += 1
        text = payload_text(ev.payload)  # what is stored is what is hashed
        body = canonical_bytes(
            seq=seq, occurred_at=at, type=ev.type, actor=ev.actor, subject_type=ev.subject_type,
            subject_id=ev.subject_id, item_id=ev.item_id, payload=orjson.Fragment(text),
        )
        h = link(prev, body)
        out.append(RecordedEvent(seq, at, ev.type, ev.actor, ev.subject_type, ev.subject_id, ev.item_id, ev.payload,
                                 prev, h, text))
        prev = h
    return out


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of checking the chain."""

    ok: bool
    events: int
    problems: tuple[str, ...]
    head_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "problems": list(self.problems), "head_hash": self.head_hash}


def verify_chain(
    events: Iterable[RecordedEvent], *, head: tuple[int, str] | None, max_problems: int = 50
) -> VerifyReport:
    """Recompute every link; report edits, gaps (deletions), reordering and a moved head."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    last_hash = GENESIS
    for ev in events:
        count += 1
        if ev.seq != expected_seq:
            problems.append(f"event {ev.seq}: expected seq {expected_seq} — events missing or reordered")
        if ev.prev_hash != prev:
            problems.append(f"event {ev.seq}: prev_hash does not match the event before it — chain broken here")
        body = canonical_bytes(
            seq=ev.seq, occurred_at=ev.occurred_at, type=ev.type, actor=ev.actor, subject_type=ev.subject_type,
            subject_id=ev.subject_id, item_id=ev.item_id, payload=ev.payload,
        )
        if link(ev.prev_hash, body) != ev.hash:
            problems.append(f"event {ev.seq}: content does not match its hash — the event was edited")
        prev, last_hash = ev.hash, ev.hash
        expected_seq = ev.seq + 1
        if len(problems) >= max_problems:
            problems.append("… stopped after too many problems")
            break
    if head is not None and (head[0] != expected_seq - 1 or head[1] != last_hash):
        problems.append(
            f"the recorded head (seq {head[0]}) does not match the last event (seq {expected_seq - 1}) — "
            "events were deleted from the end"
        )
    return VerifyReport(not problems, count, tuple(problems), last_hash)
