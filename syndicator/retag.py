"""Re-tagging stored items after a taxonomy or rule change.

Changed tags are new facts: each change is recorded as ``item.tagged`` (added
and removed tags), which routing reads; a removed tag never unsends anything.
Operators' manual overrides are kept: they apply on top of whatever the
taggers say.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from .storage.store import Store
from .tagging.service import subject_of_version
from .tagging.taggers import Tools, tag

PAGE = 500


@dataclass
class RetagReport:
    """What a re-tagging run changed."""

    items: int = 0
    changed: int = 0
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)


def retag(
    store: Store, tools: Tools, *, since: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RetagReport:
    """Re-run the taggers on the current version of every item (changed since ``since``)."""
    report = RetagReport()
    total = store.count_items()
    offset = 0
    while True:
        page = store.list_items(limit=PAGE, offset=offset, since=since)
        if not page:
            break
        for item in page:
            new_tags = tag(subject_of_version(item.current, item.kind), tools)
            added, removed = store.replace_tags(item.id, item.current.number, new_tags, reason="retag")
            report.items += 1
            if added or removed:
                report.changed += 1
                for name in added:
                    report.added[name] = report.added.get(name, 0) + 1
                for name in removed:
                    report.removed[name] = report.removed.get(name, 0) + 1
            if progress:
                progress(report.items, total)
        offset += PAGE
    return report


def progress_bar(stream: TextIO = sys.stderr, *, every: int = 100) -> Callable[[int, int], None]:
    """A one-line progress bar for long runs (only drawn on a terminal)."""

    def draw(done: int, total: int) -> None:
        if not stream.isatty() or total < every:
            return
        if done % every and done != total:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        stream.write(f"\rretag [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw
