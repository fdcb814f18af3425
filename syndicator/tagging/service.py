"""Tagging as the pipeline uses it: loading the tools once per process, tagging entries and versions."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..domain import Entry, ItemKind, Tag, Version
from .language import LanguageDetector
from .taggers import Subject, Tools, tag
from .taxonomy import load_taxonomy

BUNDLED_TAXONOMY = Path(__file__).resolve().parents[2] / "config" / "taxonomy.toml"


@lru_cache(maxsize=4)
def _tools(path: str, _mtime_ns: int) -> Tools:
    return Tools(load_taxonomy(path), LanguageDetector())


def load_tools(path: str | os.PathLike[str]) -> Tools:
    """Taggers' tools for a taxonomy file, built once per process and rebuilt when the file changes."""
    p = Path(path).resolve()
    return _tools(str(p), p.stat().st_mtime_ns if p.exists() else 0)


def subject_of_entry(entry: Entry) -> Subject:
    """What the taggers read of a normalised entry."""
    return Subject(
        source=entry.source, kind=entry.kind, title=entry.title, summary=entry.summary, content=entry.content,
        url=entry.url, language=entry.language, doc_number=entry.doc_number, issuer=entry.issuer,
        author=entry.author, task=entry.task,
    )


def subject_of_version(version: Version, kind: ItemKind) -> Subject:
    """What the taggers read of a stored version."""
    return Subject(
        source=version.source, kind=kind, title=version.title, summary=version.summary, content=version.content,
        url=version.url, language=version.language, doc_number=version.doc_number, issuer=version.issuer,
        author=version.author, task=version.task,
    )


def tag_entry(entry: Entry, tools: Tools) -> Entry:
    """The entry with its tags."""
    return replace(entry, tags=tag(subject_of_entry(entry), tools))


def apply_overrides(tags: Iterable[Tag], overrides: Iterable[tuple[str, str, str, str]]) -> tuple[Tag, ...]:
    """Effective tags: version tags with operators' overrides (op, name, actor, reason) applied in order."""
    by_name = {t.name: t for t in tags}
    for op, name, actor, reason in overrides:
        if op == "+":
            by_name[name] = Tag(name, "manual", f"{actor}: {reason}", 1.0)
        else:
            by_name.pop(name, None)
    return tuple(sorted(by_name.values(), key=lambda t: t.name))
