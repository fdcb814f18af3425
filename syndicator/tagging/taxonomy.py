"""The taxonomy (``config/taxonomy.toml``): pillars, audiences, document types, issuers, places, rules.

Loaded and validated like the main config: a duplicate slug, a duplicate or
malformed term, an unknown key or a rule naming an unknown tag is an error
naming the file, the entry and the fix, and every problem is reported at once.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError
from .text import Term, make_term

SECTIONS = {"pillars": "pillar", "audiences": "audience", "doc_types": "doc", "issuers": "issuer", "places": "place"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_TAG = re.compile(r"^[a-z_]+:[a-z0-9][a-z0-9_-]*$|^[a-z][a-z0-9_-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Entry(_Model):
    """One taxonomy entry; which keys are used depends on the section."""

    slug: str
    name_vi: str | None = None
    name_en: str | None = None
    name: str | None = None
    full_name: str | None = None
    terms_vi: list[str] = Field(default_factory=list)
    terms_en: list[str] = Field(default_factory=list)
    former: list[str] = Field(default_factory=list)
    number_codes: list[str] = Field(default_factory=list)
    exclude_contexts: list[str] = Field(default_factory=list)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"'{v}' is not a usable slug; use lowercase ASCII letters, digits, '-' or '_'")
        return v

    def terms(self) -> list[str]:
        """Every term that names this entry (names included)."""
        seen: list[str] = []
        for t in [*self.terms_vi, *self.terms_en, *self.former, *( [self.name] if self.name else [])]:
            if t not in seen:
                seen.append(t)
        return seen


class RuleWhen(_Model):
    """Conditions of a rule; all that are set must hold."""

    source: str | None = None
    kind: Literal["document", "task", "news"] | None = None
    field: Literal["title", "summary", "content", "url", "doc_number", "issuer", "author"] | None = None
    regex: str | None = None
    doc_number: str | None = None  # a regex over the parsed document number
    task_field: str | None = None  # a key of the task record
    task_value: str | None = None  # a regex over that value

    @field_validator("regex", "doc_number", "task_value")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"'{v}' is not a valid regular expression ({e})") from e
        return v


class Rule(_Model):
    """Add or remove tags when the conditions hold."""

    name: str
    when: RuleWhen
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)

    @field_validator("add", "remove")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if not _TAG.match(t)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not tag names; write e.g. \"type:task\" or \"pillar:science\"")
        return v


class TaxonomyFile(_Model):
    """The whole taxonomy file."""

    version: int = 1
    pillars: list[Entry] = Field(default_factory=list)
    audiences: list[Entry] = Field(default_factory=list)
    doc_types: list[Entry] = Field(default_factory=list)
    issuers: list[Entry] = Field(default_factory=list)
    places: list[Entry] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy with its terms compiled."""

    path: Path
    file: TaxonomyFile
    terms: dict[str, list[Term]]  # section -> terms labelled with their tag
    excludes: dict[str, list[Term]]  # tag -> exclusion phrases
    number_codes: dict[str, dict[str, str]]  # "doc"/"issuer" -> CODE -> tag

    def entries(self, section: str) -> list[Entry]:
        return list(getattr(self.file, section))

    def tag_names(self) -> set[str]:
        """Every tag the taxonomy can produce."""
        return {f"{prefix}:{e.slug}" for section, prefix in SECTIONS.items() for e in self.entries(section)}


def normalize_code(code: str) -> str:
    """A number code as looked up: upper case, Đ kept, trailing legislature number dropped (QH15 → QH)."""
    return re.sub(r"\d+$", "", code.strip().upper())


def load_taxonomy(path: str | os.PathLike[str]) -> Taxonomy:
    """Load, validate and compile a taxonomy file; raise ConfigError with every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError([f"{path}: taxonomy file not found — fix: create it or point engine.taxonomy at it"]) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([f"{path}: not valid TOML: {e} — fix: correct the syntax there"]) from e
    try:
        file = TaxonomyFile.model_validate(raw)
    except ValidationError as e:
        shape: list[str] = []
        for err in e.errors():
            loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key — fix: remove it or correct its spelling"
            shape.append(f"{path}: {loc}: {msg}")
        raise ConfigError(shape) from e
    problems: list[str] = []
    terms: dict[str, list[Term]] = {}
    excludes: dict[str, list[Term]] = {}
    codes: dict[str, dict[str, str]] = {"doc": {}, "issuer": {}}
    for section, prefix in SECTIONS.items():
        slugs: set[str] = set()
        seen_terms: dict[str, str] = {}
        compiled: list[Term] = []
        for i, entry in enumerate(getattr(file, section)):
            where = f"{path}: {section}[{i}] ('{entry.slug}')"
            if entry.slug in slugs:
                problems.append(f"{where}: duplicate slug — fix: give each entry of {section} its own slug")
            slugs.add(entry.slug)
            tag = f"{prefix}:{entry.slug}"
            for text in entry.terms():
                term = make_term(tag, text, proper=section == "places")
                if term is None:
                    problems.append(f"{where}: term {text!r} has no letters or digits — fix: remove or rewrite it")
                    continue
                # Folded, because unaccented text matches the folded form: two tags sharing one is ambiguous.
                key = " ".join(term.folded)
                if key in seen_terms and seen_terms[key] != tag:
                    problems.append(f"{where}: term {text!r} also names {seen_terms[key]} (diacritics aside) — "
                                    "fix: keep it in one entry")
                seen_terms.setdefault(key, tag)
                compiled.append(term)
            excl = [t for t in (make_term(tag, x) for x in entry.exclude_contexts) if t]
            if excl:
                excludes[tag] = excl
            if prefix in codes:
                for code in entry.number_codes:
                    norm = normalize_code(code)
                    owner = codes[prefix].get(norm)
                    if owner and owner != tag:
                        problems.append(f"{where}: number code {code!r} also belongs to {owner} — fix: keep it in one entry")
                    codes[prefix].setdefault(norm, tag)
        terms[section] = compiled
    known = {f"{p}:{e.slug}" for s, p in SECTIONS.items() for e in getattr(file, s)}
    for i, rule in enumerate(file.rules):
        for tag in [*rule.add, *rule.remove]:
            if ":" in tag and tag.split(":", 1)[0] in SECTIONS.values() and tag not in known:
                problems.append(f"{path}: rules[{i}] ('{rule.name}'): unknown tag '{tag}' — fix: use a slug from the taxonomy")
    if problems:
        raise ConfigError(problems)
    return Taxonomy(path, file, terms, excludes, codes)
