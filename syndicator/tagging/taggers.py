"""The taggers: pure functions from an item version to tags with provenance.

Each tagger reads a :class:`Subject` (the text cut into tokens once) and
yields :class:`Tag` objects saying which tagger fired, on what (the term, the
document number, the rule) and, where it has one, with what confidence. The
registry lists the built-ins explicitly; :func:`tag` runs them all, then the
config rules, and returns the tags sorted and de-duplicated by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from ..domain import ItemKind, Secrecy, Tag, TaskFields
from ..normalize import plain_text
from .docnumber import DocNumber, find_doc_numbers
from .language import LanguageDetector
from .taxonomy import SECTIONS, RuleWhen, Taxonomy, normalize_code
from .text import Document, Match, Matcher, Term, outside

# Work is capped, never the item: very long documents are tagged on their first part.
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class Subject:
    """What the taggers read: one version's fields."""

    source: str
    kind: ItemKind
    title: str
    summary: str | None = None
    content: str | None = None
    url: str | None = None
    language: str | None = None  # as declared by the source
    doc_number: str | None = None
    issuer: str | None = None
    author: str | None = None
    task: TaskFields | None = None

    @cached_property
    def summary_text(self) -> str:
        return plain_text(self.summary)[:MAX_TEXT_CHARS]

    @cached_property
    def content_text(self) -> str:
        return plain_text(self.content)[:MAX_TEXT_CHARS]

    @cached_property
    def body_text(self) -> str:
        text, content = self.summary_text, self.content_text
        if content and content not in text:
            text = f"{text} {content}" if text else content
        return text[:MAX_TEXT_CHARS]

    @cached_property
    def task_text(self) -> str:
        if not self.task:
            return ""
        return " ".join(x for x in (self.task.host_org, self.task.managing_body) if x)

    @cached_property
    def title_doc(self) -> Document:
        return Document(self.title)

    @cached_property
    def body_doc(self) -> Document:
        parts = [self.summary_text, self.content_text, self.task_text]
        return Document(*(p for p in parts if p))

    @cached_property
    def numbers(self) -> list[DocNumber]:
        """Document numbers this version is (its own field first), then those its title names."""
        found = find_doc_numbers(self.doc_number) if self.doc_number else []
        for n in find_doc_numbers(self.title):
            if all(n.text != f.text for f in found):
                found.append(n)
        return found


@dataclass(frozen=True)
class Tools:
    """Compiled, shareable state the taggers need (picklable for worker processes)."""

    taxonomy: Taxonomy
    detector: LanguageDetector

    @cached_property
    def matchers(self) -> tuple[Matcher, Matcher]:
        """One matcher over every section's terms and one over every exclusion phrase: one pass each."""
        terms = [t for ts in self.taxonomy.terms.values() for t in ts]
        excludes = [t for ts in self.taxonomy.excludes.values() for t in ts]
        return Matcher(terms), Matcher(excludes)

    def find(self, section: str, doc: Document) -> list[Match]:
        """Matches of a section's terms, minus those inside an excluded context of their tag."""
        scan = doc.cache.get(id(self))
        if scan is None:
            scan = self._scan(doc)
            doc.cache[id(self)] = scan
        assert isinstance(scan, dict)
        found: list[Match] = scan.get(SECTIONS[section], [])
        return found

    def _scan(self, doc: Document) -> dict[str, list[Match]]:
        terms, excludes = self.matchers
        found = terms.find(doc)
        if not found:
            return {}
        spans: dict[str, list[Match]] = {}
        if any(m.term.label in self.taxonomy.excludes for m in found):  # exclusions only when they can matter
            for m in excludes.find(doc):
                spans.setdefault(m.term.label, []).append(m)
        by_prefix: dict[str, list[Match]] = {}
        for m in found:
            ex = spans.get(m.term.label)
            if ex and not outside([m], ex):
                continue
            by_prefix.setdefault(m.term.label.split(":", 1)[0], []).append(m)
        return by_prefix


Tagger = Callable[[Subject, Tools], Iterable[Tag]]


def _term_tags(tagger: str, section: str, subject: Subject, tools: Tools, *, body_min: int = 1) -> Iterator[Tag]:
    """Tags for every term found in the title, or found ``body_min`` times in the body."""
    title_hits: dict[str, Term] = {}
    for m in tools.find(section, subject.title_doc):
        title_hits.setdefault(m.term.label, m.term)
    body_hits: dict[str, list[Term]] = {}
    for m in tools.find(section, subject.body_doc):
        body_hits.setdefault(m.term.label, []).append(m.term)
    for label, term in title_hits.items():
        yield Tag(label, tagger, f"title: {term.text!r}", 0.95)
    for label, terms in body_hits.items():
        if label in title_hits or len(terms) < body_min:
            continue
        conf = min(0.9, 0.5 + 0.1 * len(terms))
        yield Tag(label, tagger, f"text: {terms[0].text!r} ×{len(terms)}", round(conf, 2))


def tag_language(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``lang:xx`` from the title, summary and start of the text."""
    text = f"{subject.title}. {subject.body_text[:600]}"
    guess = tools.detector.detect(text, declared=subject.language)
    yield Tag(f"lang:{guess.code}", "language", guess.method, guess.probability)


def tag_kind(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``kind:document|task|news``."""
    yield Tag(f"kind:{subject.kind.value}", "kind", "item kind from the source")


def tag_doc_type(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``doc:…``: from the document number, else from how the title names the document."""
    if subject.kind is ItemKind.TASK:
        yield Tag("doc:task_summary", "doc_type", "task record", 1.0)
        return
    if subject.kind is ItemKind.NEWS:
        yield Tag("doc:news", "doc_type", "news item", 1.0)
        return
    codes = tools.taxonomy.number_codes["doc"]
    title_types = [m for m in tools.find("doc_types", subject.title_doc) if m.start <= 2]
    for number in subject.numbers[:1]:
        for code in number.codes[:1]:
            tag = codes.get(normalize_code(code))
            if tag:
                yield Tag(tag, "doc_type", f"document number {number.text}", 1.0)
                return
        if len(number.codes) == 1 and normalize_code(number.codes[0]) == "QH":
            # N/YYYY/QHnn: a law, unless the document calls itself a resolution
            said = {m.term.label for m in title_types}
            tag = "doc:resolution" if "doc:resolution" in said else "doc:law"
            yield Tag(tag, "doc_type", f"document number {number.text} (National Assembly)", 0.9)
            return
    if title_types:
        first = min(title_types, key=lambda m: m.start)
        yield Tag(first.term.label, "doc_type", f"title starts with {first.term.text!r}", 0.85)


def tag_issuer(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``issuer:…``: a document's issuer from its number or issuer field; for other items the bodies named."""
    codes = tools.taxonomy.number_codes["issuer"]
    found: set[str] = set()
    if subject.kind is ItemKind.DOCUMENT:
        for number in subject.numbers[:1]:
            for code in number.codes[1:] if len(number.codes) > 1 else number.codes:
                tag = codes.get(normalize_code(code))
                if tag and tag not in found:
                    found.add(tag)
                    yield Tag(tag, "issuer", f"document number {number.text}", 1.0)
        if subject.issuer:
            for m in tools.find("issuers", Document(subject.issuer)):
                if m.term.label not in found:
                    found.add(m.term.label)
                    yield Tag(m.term.label, "issuer", f"issuer field: {m.term.text!r}", 0.95)
        if found:
            return
        for t in _term_tags("issuer", "issuers", Subject(subject.source, subject.kind, subject.title), tools):
            yield t
        return
    if subject.task and subject.task.managing_body:
        for m in tools.find("issuers", Document(subject.task.managing_body)):
            if m.term.label not in found:
                found.add(m.term.label)
                yield Tag(m.term.label, "issuer", f"managing body: {m.term.text!r}", 0.95)
    for t in _term_tags("issuer", "issuers", subject, tools):
        if t.name not in found:
            found.add(t.name)
            yield t


def tag_pillars(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``pillar:science|technology|innovation|digital``."""
    yield from _term_tags("pillar", "pillars", subject, tools)


def tag_audiences(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``audience:…``: the five lines of action of Programme 1169."""
    yield from _term_tags("audience", "audiences", subject, tools)


def tag_places(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``place:…``: the 34 provincial units; a pre-2025 name tags the unit it joined."""
    yield from _term_tags("place", "places", subject, tools)


def tag_secrecy(subject: Subject, tools: Tools) -> Iterator[Tag]:
    """``restricted`` for task records whose secrecy is anything but public."""
    if subject.task is not None and subject.task.secrecy is not Secrecy.PUBLIC:
        yield Tag("restricted", "secrecy", f"task secrecy is {subject.task.secrecy.value}", 1.0)


BUILTIN_TAGGERS: Sequence[tuple[str, Tagger]] = (
    ("language", tag_language),
    ("kind", tag_kind),
    ("doc_type", tag_doc_type),
    ("issuer", tag_issuer),
    ("pillar", tag_pillars),
    ("audience", tag_audiences),
    ("place", tag_places),
    ("secrecy", tag_secrecy),
)


def _rule_fires(w: RuleWhen, subject: Subject) -> bool:
    """Whether every condition a rule sets holds for this subject."""
    if w.source and w.source != subject.source:
        return False
    if w.kind and w.kind != subject.kind.value:
        return False
    if w.regex and not re.search(w.regex, str(getattr(subject, w.field or "title", None) or ""), re.I):
        return False
    if w.doc_number and not any(re.search(w.doc_number, n.text) for n in subject.numbers):
        return False
    if w.task_field:
        value = subject.task.as_dict().get(w.task_field) if subject.task else None
        if value is None or (w.task_value and not re.search(w.task_value, str(value), re.I)):
            return False
    return True


def tag(subject: Subject, tools: Tools, taggers: Sequence[tuple[str, Tagger]] = BUILTIN_TAGGERS) -> tuple[Tag, ...]:
    """Run every tagger, then the config rules; one tag per name (the first reason wins)."""
    by_name: dict[str, Tag] = {}
    for _name, tagger in taggers:
        for t in tagger(subject, tools):
            by_name.setdefault(t.name, t)
    for rule in tools.taxonomy.file.rules:
        if _rule_fires(rule.when, subject):
            for name in rule.remove:
                if name != "restricted":  # a rule never lifts the secrecy gate
                    by_name.pop(name, None)
            for name in rule.add:
                by_name.setdefault(name, Tag(name, "rule", f"rule {rule.name!r}", 1.0))
    return tuple(sorted(by_name.values(), key=lambda t: t.name))
