"""Invariants of collection, checked on generated inputs through the real pipeline (files → SQLite)."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicator.clock import FixedClock
from syndicator.collect import Collector
from syndicator.config import load_config
from syndicator.decide import decide
from syndicator.domain import ItemKind, ParsedEntry
from syndicator.normalize import normalize_entry
from syndicator.storage.store import Store

VI = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ "
text = st.text(alphabet=VI + "&<>\"'0123456789.,-", min_size=1, max_size=60).map(str.strip).filter(bool)
entry = st.fixed_dictionaries(
    {"title": text, "text": st.text(alphabet=VI, min_size=0, max_size=200)},
    optional={
        "guid": st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12),
        "url": st.sampled_from(["https://example.org/a", "https://example.org/b?utm_source=x", "https://example.org/c#top"]),
    },
)
entries = st.lists(entry, min_size=1, max_size=12)


def _collect(root: Path, store: Store, clock: FixedClock) -> tuple[int, int, int]:
    cfg = load_config(root / "s.toml", env={})
    (r,) = Collector(cfg, store, clock).collect()
    assert not r.failed, r.error
    return r.new, r.updated, r.unchanged


def _setup(root: Path, items: list[dict[str, Any]]) -> None:
    (root / "d").mkdir(exist_ok=True)
    (root / "d" / "items.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    (root / "s.toml").write_text('[[sources]]\nname = "gen"\nkind = "directory"\npath = "d"\n', encoding="utf-8")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=entries, which=st.integers(min_value=0), suffix=text)
def test_same_input_twice_stores_nothing_and_one_change_makes_one_version(
    items: list[dict[str, Any]], which: int, suffix: str
) -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _setup(root, items)
        store = Store.open(f"sqlite:///{root / 'db.sqlite'}", clock)
        try:
            new, updated, _ = _collect(root, store, clock)
            stored = store.count_items()
            assert new == stored and updated == 0
            events = sum(1 for _ in store.iter_events())
            clock.advance(timedelta(hours=1))
            assert _collect(root, store, clock)[:2] == (0, 0)
            assert store.count_items() == stored
            assert sum(1 for _ in store.iter_events()) == events

            # Change one entry that the first pass stored as an item of its own.
            i = which % len(items)
            items[i] = dict(items[i], text=items[i]["text"] + " " + suffix + " (sửa đổi)")
            _setup(root, items)
            clock.advance(timedelta(hours=1))
            new, updated, _ = _collect(root, store, clock)
            assert store.count_items() == stored + new
            assert (new, updated) in ((0, 1), (1, 0)), (new, updated)
            # (1, 0) only when the entry was an exact repeat of an earlier one and so had no item of its own
            assert _collect(root, store, clock)[:2] == (0, 0)
            assert store.verify_ledger().ok
        finally:
            store.close()


@settings(max_examples=200, deadline=None)
@given(items=entries)
def test_decider_is_deterministic_and_idempotent(items: list[dict[str, Any]]) -> None:
    parsed = [
        normalize_entry(
            ParsedEntry(title=e["title"], guid=e.get("guid"), url=e.get("url"), content=f"<p>{e['text']}</p>"),
            source="s", default_kind=ItemKind.NEWS, default_language="vi", raw_hash="r",
        )
        for e in items
    ]
    first = decide(parsed, known_keys={}, states={})
    assert first == decide(parsed, known_keys={}, states={})
    assert first.new + first.unchanged == len(parsed)
