"""HTML pages (catalog, item, taxonomy) and the OPML list, rendered with Jinja2 (autoescaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

from jinja2 import Environment, FileSystemLoader, select_autoescape

from syndicator.errors import NotFoundError
from syndicator.storage.store import Store
from syndicator.tagging.gate import may_leave
from syndicator.tagging.taxonomy import SECTIONS, Taxonomy

from .catalog import Catalog, FeedSpec
from .entries import Urls, full_content, labels

_GROUPS = (
    ("all", "Tất cả", "Everything"), ("pillar", "Trụ cột", "Pillars"), ("audience", "Đối tượng", "Audiences"),
    ("doc", "Loại văn bản", "Document types"), ("lang", "Ngôn ngữ", "Languages"),
    ("issuer", "Cơ quan ban hành", "Issuers"), ("place", "Tỉnh, thành phố", "Provinces and cities"),
    ("custom", "Nguồn tin riêng", "Custom feeds"),
)


class PageRenderer:
    """Renders the server's HTML pages and OPML."""

    def __init__(self, store: Store, catalog: Catalog, urls: Urls, taxonomy: Taxonomy | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.urls = urls
        self.taxonomy = taxonomy
        self.env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                               autoescape=select_autoescape(["html"]))

    def catalog_page(self, feeds: Sequence[FeedSpec], updates: dict[str, datetime]) -> str:
        """The HTML catalog: every feed the caller may see, with subscribe links and last update."""
        groups = []
        for key, vi, en in _GROUPS:
            members = [
                {
                    "title": f.title, "title_en": f.title_en, "key_only": f.key_only,
                    "url_rss": self.urls.feed(f.name, "rss"), "url_atom": self.urls.feed(f.name, "atom"),
                    "url_json": self.urls.feed(f.name, "json"),
                    "updated": updates[f.name].strftime("%Y-%m-%d %H:%M UTC") if f.name in updates else None,
                }
                for f in feeds
                if f.group == key
            ]
            if members:
                groups.append({"vi": vi, "en": en, "feeds": members})
        return self.env.get_template("catalog.html").render(
            groups=groups, base=self.urls.base, opml=f"{self.urls.base}/feeds.opml")

    def opml(self, feeds: Sequence[FeedSpec]) -> bytes:
        """OPML 2.0 listing every feed the caller may see (Atom links; RSS and JSON Feed beside them)."""
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "<head>",
                 "<title>Nguồn tin Nghị quyết 57 / Resolution 57 feeds</title>",
                 f"<ownerId>{self.urls.catalog()}</ownerId>", "</head>", "<body>"]
        for f in feeds:
            lines.append(
                f'<outline type="rss" text={quoteattr(f.title)} title={quoteattr(f.title_en)} '
                f'xmlUrl={quoteattr(self.urls.feed(f.name, "atom"))} htmlUrl={quoteattr(self.urls.catalog())} '
                f'description={quoteattr(f.description)}/>'
            )
        lines += ["</body>", "</opml>", ""]
        return "\n".join(lines).encode("utf-8")

    def item_page(self, item_id: str) -> str | None:
        """An item's own page (the link of entries without a source URL); None when it may not be shown."""
        try:
            item = self.store.get_item(item_id)
        except NotFoundError:
            return None
        if not may_leave(item):
            return None
        v = item.current
        return self.env.get_template("item.html").render(
            title=v.title, lang=v.language or "vi", when=(v.published or item.first_seen).strftime("%Y-%m-%d"),
            doc_number=v.doc_number, issuer=v.issuer, url=v.url,
            content=full_content(v),
            tags=[t.name for t in item.tags if t.name != "restricted"],
        )

    def taxonomy_page(self) -> str:
        """The tag schemes categories point at."""
        if self.taxonomy is None:
            return self.env.get_template("taxonomy.html").render(sections=[])
        names = labels(self.taxonomy)
        sections = [{"prefix": prefix, "tags": sorted((k, v) for k, v in names.items() if k.startswith(prefix + ":"))}
                    for prefix in SECTIONS.values()]
        return self.env.get_template("taxonomy.html").render(sections=sections)
