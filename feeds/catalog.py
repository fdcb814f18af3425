"""The feed catalog: built-in feeds from the taxonomy plus the operator's own, and which items each carries.

Built-in feeds: ``all``; one per pillar, audience, document type, language
(``lang-vi``, ``lang-en``), issuer and place. The per-issuer and per-province
feeds are the standing "Resolution 57 columns" a ministry or province embeds.
Selection is pure: :func:`matches` looks at an item's kind, source and
effective tags only; the secrecy gate is asked separately, always.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from syndicator.domain import Item
from syndicator.errors import ConfigError
from syndicator.feedconfig import FeedFilter, FeedsConfig, Subscriber
from syndicator.tagging.taxonomy import SECTIONS, Taxonomy

# How each taxonomy section appears among the built-in feeds: (section, tag prefix, feed-name prefix, vi, en)
_BUILTIN = (
    ("pillars", "pillar", "pillar", "Trụ cột", "Pillar"),
    ("audiences", "audience", "audience", "Đối tượng", "Audience"),
    ("doc_types", "doc", "doc", "Loại văn bản", "Document type"),
    ("issuers", "issuer", "issuer", "Cơ quan ban hành", "Issuer"),
    ("places", "place", "place", "Địa phương", "Province"),
)
LANGUAGES = (("vi", "Tiếng Việt", "Vietnamese"), ("en", "Tiếng Anh", "English"))


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed the server publishes."""

    name: str
    title: str
    title_en: str
    description: str
    filter: FeedFilter
    page_size: int
    access: str = "public"  # "public" or "key"
    group: str = "custom"  # for the catalog page: all, pillar, audience, doc, lang, issuer, place, custom

    @property
    def key_only(self) -> bool:
        return self.access == "key"


@dataclass(frozen=True)
class Catalog:
    """Every feed by name, in catalog order."""

    feeds: tuple[FeedSpec, ...]
    by_name: dict[str, FeedSpec] = field(default_factory=dict)

    def get(self, name: str) -> FeedSpec | None:
        return self.by_name.get(name)

    def visible(self, subscriber: Subscriber | None) -> list[FeedSpec]:
        """Feeds a caller may see: public ones, plus the key-only ones the subscriber is allowed."""
        return [f for f in self.feeds if may_read(f, subscriber)]


def may_read(feed: FeedSpec, subscriber: Subscriber | None) -> bool:
    """Public feeds for everyone; key-only feeds for subscribers whose list allows them (empty list = all)."""
    if not feed.key_only:
        return True
    return subscriber is not None and (not subscriber.feeds or feed.name in subscriber.feeds)


def build_catalog(config: FeedsConfig, taxonomy: Taxonomy, subscribers: Sequence[Subscriber] = ()) -> Catalog:
    """The catalog for a config and taxonomy; a definition naming an unknown tag or feed is a ConfigError."""
    size = config.page_size
    feeds: list[FeedSpec] = []
    if config.builtin:
        feeds.append(FeedSpec("all", "Tất cả nội dung Nghị quyết 57", "Everything on Resolution 57",
                              "Mọi văn bản, nhiệm vụ KH&CN và tin tức / every document, S&T task and news item",
                              FeedFilter(), size, group="all"))
        for section, prefix, feed_prefix, vi, en in _BUILTIN:
            for entry in taxonomy.entries(section):
                name_vi = entry.name_vi or entry.name or entry.slug
                name_en = entry.name_en or entry.name or entry.slug
                feeds.append(FeedSpec(
                    f"{feed_prefix}-{entry.slug}", f"{vi}: {name_vi}", f"{en}: {name_en}",
                    f"Nghị quyết 57 — {name_vi} / Resolution 57 — {name_en}",
                    FeedFilter(tags=[f"{prefix}:{entry.slug}"]), size, group=prefix,
                ))
        for code, vi, en in LANGUAGES:
            feeds.append(FeedSpec(f"lang-{code}", f"Ngôn ngữ: {vi}", f"Language: {en}", f"{vi} / {en}",
                                  FeedFilter(language=code), size, group="lang"))
    known_tags = taxonomy.tag_names()
    problems: list[str] = []
    names = {f.name for f in feeds}
    for d in config.define:
        if d.name in names:
            problems.append(f"feeds.define '{d.name}': the name is taken by a built-in feed — fix: choose another name")
        for t in [*d.filter.tags, *d.filter.any_tags]:
            if t.split(":", 1)[0] in SECTIONS.values() and t not in known_tags:
                problems.append(f"feeds.define '{d.name}': unknown tag '{t}' — fix: use a tag from the taxonomy")
        feeds.append(FeedSpec(d.name, d.title, d.title, d.description, d.filter, d.page_size or size, d.access))
        names.add(d.name)
    for s in subscribers:
        for f in s.feeds:
            if f not in names:
                problems.append(f"subscribers '{s.name}'.feeds: unknown feed '{f}' — fix: use a feed name from /feeds.opml")
    if problems:
        raise ConfigError(problems)
    return Catalog(tuple(feeds), {f.name: f for f in feeds})


def matches(flt: FeedFilter, item: Item, tags: Iterable[str] | None = None) -> bool:
    """Whether an item belongs in a feed with this filter (the gate is asked separately)."""
    names = set(tags) if tags is not None else {t.name for t in item.tags}
    if flt.kinds and item.kind.value not in flt.kinds:
        return False
    if flt.tags and not all(t in names for t in flt.tags):
        return False
    if flt.any_tags and not any(t in names for t in flt.any_tags):
        return False
    if flt.language and f"lang:{flt.language}" not in names:
        return False
    if flt.issuer and f"issuer:{flt.issuer}" not in names:
        return False
    if flt.place and f"place:{flt.place}" not in names:
        return False
    return not (flt.source and item.current.source != flt.source)
