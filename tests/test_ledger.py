"""The ledger: chained, verifiable, tamper-evident, secret-free — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update

from syndicator.clock import FixedClock
from syndicator.ledger import EVENT_TYPES, Event, verify_chain
from syndicator.storage import schema as t
from syndicator.storage.store import Store


def _fill(store: Store, clock: FixedClock, n: int = 5) -> None:
    for i in range(n):
        store.record([Event("source.failed", f"src{i}", {"error": f"boom {i}", "errors_in_a_row": i + 1})])
        clock.advance(timedelta(seconds=1))


def test_chain_verifies_and_is_ordered(db_url: str, clock: FixedClock) -> None:
    store = Store.open(db_url, clock)
    try:
        _fill(store, clock)
        report = store.verify_ledger()
        assert report.ok, report.problems
        events = list(store.iter_events())
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert events[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
        assert events[2].payload == {"error": "boom 2", "errors_in_a_row": 3}
    finally:
        store.close()


@pytest.mark.parametrize(
    "tamper, expected",
    [
        (lambda c: c.execute(update(t.ledger_events).where(t.ledger_events.c.seq == 3)
                             .values(payload='{"error":"nothing happened","errors_in_a_row":3}')), "edited"),
        (lambda c: c.execute(delete(t.ledger_events).where(t.ledger_events.c.seq == 2)), "missing or reordered"),
        (lambda c: c.execute(delete(t.ledger_events).where(t.ledger_events.c.seq == 5)), "deleted from the end"),
        (lambda c: c.execute(update(t.ledger_events).where(t.ledger_events.c.seq == 4)
                             .values(type="source.recovered")), "edited"),
    ],
    ids=["edit-payload", "delete-middle", "delete-last", "change-type"],
)
def test_tampering_is_detected(db_url: str, clock: FixedClock, tamper, expected: str) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(db_url, clock)
    try:
        _fill(store, clock)
        with store.write() as conn:
            tamper(conn)
        report = store.verify_ledger()
        assert not report.ok
        assert any(expected in p for p in report.problems), report.problems
    finally:
        store.close()


def test_reordering_is_detected(store: Store, clock: FixedClock) -> None:
    _fill(store, clock)
    with store.write() as conn:  # swap the seq numbers of two events
        conn.execute(text("UPDATE ledger_events SET seq = 100 WHERE seq = 2"))
        conn.execute(text("UPDATE ledger_events SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE ledger_events SET seq = 3 WHERE seq = 100"))
    report = store.verify_ledger()
    assert not report.ok


def test_secret_like_payload_keys_are_refused(store: Store) -> None:
    for key in ("token", "api_key", "password", "Authorization", "client_secret"):
        with pytest.raises(ValueError, match="secret"):
            store.record([Event("source.failed", "s", {key: "x"})])
    with pytest.raises(ValueError, match="secret"):
        store.record([Event("source.failed", "s", {"nested": {"access_token": "x"}})])
    assert store.verify_ledger().events == 0  # nothing half-written


def test_unknown_event_type_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown ledger event type"):
        store.record([Event("item.teleported", "x")])


def test_event_model_covers_every_stage() -> None:
    for needed in ("item.collected", "item.versioned", "source.failed", "feed.fetched", "delivery.sent",
                   "delivery.unknown", "delivery.cancelled", "item.tag_overridden", "report.published"):
        assert needed in EVENT_TYPES


def test_verify_chain_on_empty_ledger() -> None:
    report = verify_chain([], head=(0, "0" * 64))
    assert report.ok and report.events == 0
