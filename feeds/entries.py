"""From stored versions to feed entries: pure.

Ids are ``tag:`` URIs that never change across versions (RFC 4151); links are
absolute (the item's own URL, else its page on this server); ``updated``
moves with each new version; categories carry the tags with their scheme and
human label; a task record's fields become a small table in the content.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from syndicator.domain import Tag, Version
from syndicator.normalize import plain_text
from syndicator.tagging.taxonomy import SECTIONS, Taxonomy

from .render import Category, Enclosure, FeedEntry

# Above this, an entry carries its summary and link only (feeds of several MB get refused by readers).
MAX_CONTENT_CHARS = 100_000
# Tags newsrooms get as categories (internal flags like "restricted" never leave).
_PUBLIC_PREFIXES = {*SECTIONS.values(), "lang", "kind"}
_TASK_LABELS = (
    ("task_code", "Mã nhiệm vụ / Task code"),
    ("host_org", "Tổ chức chủ trì / Host organisation"),
    ("principal_investigator", "Chủ nhiệm / Principal investigator"),
    ("managing_body", "Cơ quan quản lý / Managing body"),
    ("budget_vnd", "Kinh phí (VND) / Budget (VND)"),
    ("start_date", "Bắt đầu / Start"),
    ("end_date", "Kết thúc / End"),
    ("status", "Trạng thái / Status"),
)


@dataclass(frozen=True)
class Urls:
    """Where things live on this server."""

    base: str  # engine.public_url, no trailing slash
    authority: str  # tag: URI authority
    since: str  # tag: URI date

    @classmethod
    def make(cls, public_url: str, authority: str | None, since: str) -> Urls:
        base = public_url.rstrip("/")
        return cls(base, authority or (urlsplit(base).hostname or "localhost"), since)

    def item_id(self, item_id: str) -> str:
        return f"tag:{self.authority},{self.since}:item/{item_id}"

    def feed_id(self, feed: str) -> str:
        return f"tag:{self.authority},{self.since}:feed/{feed}"

    def item_page(self, item_id: str) -> str:
        return f"{self.base}/items/{item_id}"

    def feed(self, feed: str, fmt: str, page: int = 0) -> str:
        return f"{self.base}/feeds/{feed}.{fmt}" if page == 0 else f"{self.base}/feeds/{feed}/archive/{page}.{fmt}"

    def catalog(self) -> str:
        return f"{self.base}/"

    def scheme(self, prefix: str) -> str:
        return f"{self.base}/taxonomy#{prefix}"


def labels(taxonomy: Taxonomy) -> dict[str, str]:
    """Human labels of every taxonomy tag ("pillar:science" → "Khoa học / Science")."""
    out: dict[str, str] = {}
    for section, prefix in SECTIONS.items():
        for e in taxonomy.entries(section):
            vi = e.name_vi or e.name or e.slug
            en = e.name_en or ""
            out[f"{prefix}:{e.slug}"] = f"{vi} / {en}" if en and en != vi else vi
    return out


_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_MEDIA = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")  # type/subtype, as feeds require


def language_tag(value: str | None) -> str | None:
    """A BCP 47 language tag, or None: sources write "vi_VN" or "Vietnamese" too."""
    if not value:
        return None
    tag = value.strip().replace("_", "-")
    return tag if _LANG.match(tag) and tag.lower() != "und" else None


def full_content(v: Version) -> str:
    """What an entry or item page shows: the version's HTML, then its task-record fields as a table."""
    return (v.content or v.summary or "") + _task_table(v)


def _task_table(v: Version) -> str:
    if v.task is None:
        return ""
    data = v.task.as_dict()
    rows = []
    for key, label in _TASK_LABELS:
        value = data.get(key)
        if value in (None, ""):
            continue
        shown = f"{value:,}".replace(",", ".") if key == "budget_vnd" and isinstance(value, int) else str(value)
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{html.escape(shown)}</td></tr>")
    return f"<table>{''.join(rows)}</table>" if rows else ""


def to_entry(
    v: Version, *, tags: tuple[Tag, ...], urls: Urls, tag_labels: dict[str, str], first_seen: datetime
) -> FeedEntry:
    """The feed entry for one stored version."""
    lang = next((t.name.split(":", 1)[1] for t in tags if t.name.startswith("lang:")), None)
    if lang == "und":
        lang = v.language
    summary = plain_text(v.summary) or plain_text(v.content)
    content = full_content(v)
    if len(content) > MAX_CONTENT_CHARS:
        # An enormous document would make the whole feed too big for readers: the entry keeps its
        # (truncated) summary and its link to the full text instead.
        content = ""
    categories = tuple(
        Category(t.name, urls.scheme(t.name.split(":", 1)[0]), tag_labels.get(t.name))
        for t in tags
        if ":" in t.name and t.name.split(":", 1)[0] in _PUBLIC_PREFIXES
    )
    enclosures = tuple(
        Enclosure(a.url, a.media_type if a.media_type and _MEDIA.match(a.media_type) else "application/octet-stream",
                  a.length or 0)
        for a in v.attachments
    )
    published = v.published if v.published and v.published <= v.collected_at else first_seen
    return FeedEntry(
        id=urls.item_id(v.item_id), title=v.title, link=v.url or urls.item_page(v.item_id),
        published=published, updated=v.collected_at, summary=summary, content_html=content or None,
        language=language_tag(lang or v.language), author=v.issuer or v.author or v.source, categories=categories,
        enclosures=enclosures,
    )
