"""Newsroom feeds end to end: collect the embedded default, publish, serve over real HTTP on loopback."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import feedparser
import httpx
import pytest
import uvicorn
from lxml import etree
from pytest_httpserver import HTTPServer

from feeds.service import FeedService
from syndicator.clock import FixedClock
from syndicator.collect import Collector
from syndicator.config import load_config
from syndicator.storage.store import Store
from syndicator.tagging.gate import may_leave
from tests.conftest import REPO

KEY = "k" * 8 + "newsroom-key-0001"
OTHER_KEY = "o" * 8 + "newsroom-key-0002"
REVOKED = "r" * 8 + "newsroom-key-old1"
RNG = REPO / "tests" / "data" / "schemas" / "atom.rng"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    base: str
    store: Store
    service: FeedService
    clock: FixedClock
    hub: HTTPServer
    config_path: Path


def _config(tmp_path: Path, port: int, hub_url: str) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    path = tmp_path / "config" / "syndicator.toml"
    text = path.read_text(encoding="utf-8").replace('public_url = "http://127.0.0.1:8157"',
                                                    f'public_url = "http://127.0.0.1:{port}"')
    text += f"""
[feeds]
page_size = 5
max_age_seconds = 120
hubs = ["{hub_url}"]

[[feeds.define]]
name = "press-kit"
title = "Bộ tư liệu báo chí"
description = "Key-only feed for partner newsrooms"
filter = {{ kinds = ["document"] }}
access = "key"

[[subscribers]]
name = "bao-mau"
organisation = "Báo Mẫu (sample newsroom)"
category = "national_press"
keys = ["{KEY}"]
revoked_keys = ["{REVOKED}"]

[[subscribers]]
name = "dai-mau"
organisation = "Đài Mẫu"
category = "broadcaster"
keys = ["{OTHER_KEY}"]
feeds = ["all"]
"""
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from datetime import UTC, datetime

    tmp = tmp_path_factory.mktemp("feeds")
    hub = HTTPServer(host="127.0.0.1", port=0)
    hub.start()
    hub.expect_request("/hub", method="POST").respond_with_data("", status=204)
    port = free_port()
    cfg_path = _config(tmp, port, hub.url_for("/hub"))
    config = load_config(cfg_path, env={})
    clock = FixedClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp / 'feeds.db'}", clock)
    Collector(config, store, clock).collect()
    service = FeedService.build(config, store, clock)
    service.publish()
    service.publisher.render_all()
    server = uvicorn.Server(uvicorn.Config(service.app(check_every=0.0), host="127.0.0.1", port=port,
                                           access_log=False, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield World(f"http://127.0.0.1:{port}", store, service, clock, hub, cfg_path)
    server.should_exit = True
    thread.join(timeout=10)
    hub.stop()
    store.close()


def get(world: World, path: str, **headers: str) -> httpx.Response:
    return httpx.get(world.base + path, headers=headers, timeout=10)


def secret_titles(world: World) -> list[str]:
    return [i.current.title for i in world.store.list_items(kind="task", limit=100) if not may_leave(i)]


def test_every_builtin_feed_in_every_format(world: World) -> None:
    names = [f.name for f in world.service.catalog.feeds if not f.key_only]
    assert len(names) > 80  # all, pillars, audiences, doc types, issuers, 34 provinces, languages
    secrets = secret_titles(world)
    assert len(secrets) == 5
    schema = etree.RelaxNG(etree.parse(str(RNG)))
    for name in names:
        for fmt, ctype in (("rss", "application/rss+xml"), ("atom", "application/atom+xml"),
                           ("json", "application/feed+json")):
            resp = get(world, f"/feeds/{name}.{fmt}")
            assert resp.status_code == 200, (name, fmt)
            assert resp.headers["content-type"] == f"{ctype}; charset=utf-8"
            if fmt == "json":  # feedparser 6.0 does not read JSON Feed: check the 1.1 shape directly
                doc = json.loads(resp.content)
                assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["title"]
                assert doc["feed_url"] == f"{world.base}/feeds/{name}.json"
                assert len(doc["items"]) <= 5 and all(i["id"].startswith("tag:") and i["url"] for i in doc["items"])
            else:
                parsed = feedparser.parse(resp.content,
                                          response_headers={"content-type": resp.headers["content-type"]})
                assert not parsed.bozo, (name, fmt, parsed.get("bozo_exception"))
                assert len(parsed.entries) <= 5
            assert not any(s in resp.text for s in secrets), f"restricted item in {name}.{fmt}"
            if fmt == "atom":
                assert schema.validate(etree.fromstring(resp.content)), (name, schema.error_log)


def test_conditional_get_gzip_head_and_caching(world: World) -> None:
    first = get(world, "/feeds/all.atom")
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{40}(-gz)?"', etag)
    assert first.headers["cache-control"] == "public, max-age=120"
    assert first.headers["vary"] == "Accept-Encoding"
    assert 'rel="hub"' in first.headers["link"] and 'rel="self"' in first.headers["link"]
    assert get(world, "/feeds/all.atom", **{"If-None-Match": etag}).status_code == 304
    not_mod = get(world, "/feeds/all.atom", **{"If-Modified-Since": modified})
    assert not_mod.status_code == 304 and not_mod.headers["etag"] and not_mod.content == b""
    plain = httpx.get(world.base + "/feeds/all.atom", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    raw = httpx.Client().send(httpx.Request("GET", world.base + "/feeds/all.atom",
                                            headers={"Accept-Encoding": "gzip"}), stream=True)
    compressed = b"".join(raw.iter_raw())
    assert raw.headers["content-encoding"] == "gzip" and gzip.decompress(compressed) == plain.content
    head = httpx.head(world.base + "/feeds/all.rss")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


def test_archives_hold_the_whole_history(world: World) -> None:
    seen: set[str] = set()
    url = "/feeds/all.atom"
    pages = 0
    while url:
        doc = feedparser.parse(get(world, url).content)
        assert not doc.bozo
        seen.update(e.id for e in doc.entries)
        prev = [link.href for link in doc.feed.get("links", []) if link.rel == "prev-archive"]
        if pages:
            assert any(link.rel == "current" for link in doc.feed.links)
            assert "fh_archive" in doc.feed or b"fh:archive" in get(world, url).content
        url = prev[0].removeprefix(world.base) if prev else ""
        pages += 1
    releasable = [i for i in world.store.list_items(limit=500) if may_leave(i)]
    assert pages > 10
    assert {world.service.urls.item_id(i.id) for i in releasable} <= seen
    archive = get(world, "/feeds/all/archive/1.atom")
    assert archive.headers["cache-control"] == "public, max-age=86400"


def test_keys_and_the_fetch_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    assert get(world, "/feeds/press-kit.atom").status_code == 404  # key-only feeds never answer without a key
    caplog.set_level("INFO", logger="syndicator.feeds")
    ok = get(world, f"/k/{KEY}/feeds/press-kit.atom", **{"Accept-Encoding": "identity"})
    assert ok.status_code == 200 and ok.headers["cache-control"].startswith("private")
    assert get(world, f"/feeds/all.rss?key={KEY}").status_code == 200
    assert get(world, f"/k/{KEY}/feeds/all.rss", **{"If-None-Match": ok.headers["etag"]}).status_code == 200
    assert get(world, f"/k/{REVOKED}/feeds/all.rss").status_code == 404
    assert get(world, "/k/not-a-valid-key-at-all-000/feeds/all.rss").status_code == 404
    assert get(world, f"/k/{OTHER_KEY}/feeds/press-kit.atom").status_code == 404  # not in its list
    deadline = time.monotonic() + 15  # the fetch log is written after the response: wait for it
    events = list(world.store.iter_events(type_prefix="feed.fetched"))
    while len(events) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        events = list(world.store.iter_events(type_prefix="feed.fetched"))
    assert [(e.payload["feed"], e.payload["status"]) for e in events[-3:]] == [
        ("press-kit", 200), ("all", 200), ("all", 200)]
    last = events[-3]
    assert last.subject_id == "bao-mau" and last.payload["entries"] > 0
    assert last.payload["bytes"] == len(ok.content)  # bytes sent (this request asked for no compression)
    assert all(KEY not in str(e.as_dict()) for e in events)
    assert KEY not in caplog.text and REVOKED not in caplog.text and "/k/***/" in caplog.text
    opml_public = get(world, "/feeds.opml").text
    opml_keyed = get(world, f"/k/{KEY}/feeds.opml").text
    assert "press-kit" not in opml_public and "press-kit" in opml_keyed
    assert world.store.verify_ledger().ok


def test_catalog_opml_and_errors(world: World) -> None:
    page = get(world, "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Nguồn tin Nghị quyết 57" in page.text and "Resolution 57 feeds" in page.text
    assert f"{world.base}/feeds/place-tuyen-quang.atom" in page.text
    opml = etree.fromstring(get(world, "/feeds.opml").content)
    outlines = opml.findall(".//outline")
    assert len(outlines) == len([f for f in world.service.catalog.feeds if not f.key_only])
    assert all(o.get("xmlUrl", "").startswith(world.base) for o in outlines)
    missing = get(world, "/feeds/nope.atom")
    assert missing.status_code == 404 and "feeds.opml" in missing.text
    assert get(world, "/feeds/all.xml").status_code == 404
    assert get(world, "/feeds/all/archive/x1.atom").status_code == 400
    assert get(world, "/feeds/all/archive/999.atom").status_code == 404
    assert get(world, "/healthz").text.startswith("ok")
    metrics = get(world, "/metrics").text
    assert "syndicator_feed_fetches" in metrics
    assert 'syndicator_items{kind="task"} 40.0' in metrics and 'syndicator_items{kind="document"}' in metrics
    assert "syndicator_items_restricted 5.0" in metrics
    assert 'syndicator_source_errors_in_a_row{source="st-tasks-sample"} 0.0' in metrics
    assert re.search(r"syndicator_ledger_events \d+", metrics) and "syndicator_publisher_lag_events" in metrics


def test_item_pages_respect_the_gate(world: World) -> None:
    items = world.store.list_items(limit=500)
    public = next(i for i in items if may_leave(i) and not i.current.url)
    secret = next(i for i in items if not may_leave(i))
    assert get(world, f"/items/{public.id}").status_code == 200
    assert get(world, f"/items/{secret.id}").status_code == 404


def test_withdrawal_tombstones_and_websub(world: World) -> None:
    urls = world.service.urls
    current = feedparser.parse(get(world, "/feeds/all.atom").content)
    in_window = current.entries[0].id.rsplit("/", 1)[1]
    archived_entry = feedparser.parse(get(world, "/feeds/all/archive/1.atom").content).entries[0]
    old = archived_entry.id.rsplit("/", 1)[1]
    for item_id in (in_window, old):
        world.store.withdraw(item_id, actor="editor", reason="superseded")
    world.hub.clear_log()
    report, pings = world.service.publish()
    assert "all" in report.feeds and pings.sent and not pings.failed
    posted = [dict(req.form) for req, _ in world.hub.log]
    assert {"hub.mode": "publish", "hub.url": f"{world.base}/feeds/all.atom"} in posted
    atom = get(world, "/feeds/all.atom").text
    rss = get(world, "/feeds/all.rss").text
    assert f'ref="{urls.item_id(in_window)}"' in atom and "deleted-entry" in atom
    assert urls.item_id(in_window) not in rss
    archive = get(world, "/feeds/all/archive/1.atom").text  # the gate wins over archive immutability
    assert f'ref="{urls.item_id(old)}"' in archive and f"<id>{urls.item_id(old)}</id>" not in archive
    assert archived_entry.title not in get(world, "/feeds/all/archive/1.rss").text


def test_publish_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """Collect, tag, publish and render on PostgreSQL: the same documents as on SQLite."""
    from datetime import UTC, datetime

    clock = FixedClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    shutil.copytree(REPO / "config", tmp_path / "config")
    config = load_config(tmp_path / "config" / "syndicator.toml", env={})
    store = Store.open(pg_url, clock)
    try:
        reports = Collector(config, store, clock).collect()
        assert sum(r.new for r in reports) == 63
        service = FeedService.build(config, store, clock)
        report, _ = service.publish()
        assert report.items == 63 and report.entries > 63
        doc = service.publisher.feeds.document("all", "atom", 0)
        assert doc is not None and doc.entries == 50
        parsed = feedparser.parse(doc.body)
        assert not parsed.bozo and len(parsed.entries) == 50
        assert not any(s in doc.body.decode() for s in secret_titles_of(store))
        assert service.publish()[0].entries == 0  # nothing new, nothing published
        assert store.verify_ledger().ok
    finally:
        store.close()


def secret_titles_of(store: Store) -> list[str]:
    return [i.current.title for i in store.list_items(kind="task", limit=100) if not may_leave(i)]


def test_bad_query_values_and_enormous_items(world: World) -> None:
    assert get(world, "/feeds/all.atom?key=").status_code == 400
    assert get(world, "/feeds/all.atom?key=bad%20key").status_code == 400
    assert get(world, "/feeds/all.atom?key=" + "z" * 20).status_code == 404  # well-formed but unknown
    from feeds.entries import MAX_CONTENT_CHARS, to_entry

    item = next(i for i in world.store.list_items(kind="document", limit=100) if may_leave(i))
    from dataclasses import replace

    huge = replace(item.current, content="<p>" + "chuyển đổi số " * (MAX_CONTENT_CHARS // 10) + "</p>")
    entry = to_entry(huge, tags=item.tags, urls=world.service.urls, tag_labels={}, first_seen=item.first_seen)
    assert entry.content_html is None and entry.summary and entry.link


def test_websub_ping_retries_then_reports(httpserver: HTTPServer) -> None:
    from feeds.websub import ping_sync

    httpserver.expect_ordered_request("/hub", method="POST").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hub", method="POST").respond_with_data("", status=204)
    report = ping_sync([httpserver.url_for("/hub")], ["http://127.0.0.1:8157/feeds/all.atom"], delay=0.01)
    assert report.sent == [(httpserver.url_for("/hub"), "http://127.0.0.1:8157/feeds/all.atom")]
    assert len(httpserver.log) == 2
    httpserver.clear()
    httpserver.expect_request("/gone", method="POST").respond_with_data("no", status=410)
    report = ping_sync([httpserver.url_for("/gone")], ["http://127.0.0.1:8157/feeds/all.atom"], delay=0.01)
    assert not report.sent and report.failed[0][2] == "HTTP 410" and len(httpserver.log) == 1  # no retry on 410


def test_a_new_feed_definition_gets_the_whole_history(world: World) -> None:
    from feeds.catalog import build_catalog
    from feeds.publish import Publisher
    from syndicator.feedconfig import FeedDefinition, FeedFilter

    config = load_config(world.config_path, env={})
    feeds_cfg = config.file.feeds.model_copy(update={"define": [
        *config.file.feeds.define,
        FeedDefinition(name="hcm-docs", title="Văn bản TP.HCM", filter=FeedFilter(place="ho-chi-minh")),
    ]})
    catalog = build_catalog(feeds_cfg, world.service.taxonomy, config.file.subscribers)
    publisher = Publisher(world.store, catalog, world.service.taxonomy, world.service.urls, world.clock)
    report = publisher.publish()
    assert report.entries > 0 and "hcm-docs" in report.feeds
    doc = publisher.feeds.document("hcm-docs", "atom", 0)
    assert doc is not None and doc.entries > 0
    assert publisher.publish().entries == 0  # and only once


def test_a_new_tag_publishes_and_a_removed_tag_unpublishes_nothing(world: World) -> None:
    item = next(i for i in world.store.list_items(kind="document", limit=100)
                if may_leave(i) and "place:lai-chau" not in {t.name for t in i.tags})
    entry_id = world.service.urls.item_id(item.id)

    def in_feed() -> bool:
        return any(r.item_id == item.id for r in _history(world, "place-lai-chau"))

    assert not in_feed()
    world.store.override_tags(item.id, add=["place:lai-chau"], remove=[], actor="editor", reason="covers Lai Châu")
    report, _ = world.service.publish()
    assert "place-lai-chau" in report.feeds and in_feed()
    assert entry_id in get(world, "/feeds/place-lai-chau.atom").text
    world.store.override_tags(item.id, add=[], remove=["place:lai-chau"], actor="editor", reason="mistake")
    world.service.publish()
    assert in_feed()  # published stays published: a removed tag unsends nothing


def _history(world: World, feed: str) -> list:  # type: ignore[type-arg]
    with world.store.read() as conn:
        return world.service.publisher.feeds.latest(conn, feed, 1000)


def test_source_quirks_never_break_a_feed(world: World) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from feeds.entries import language_tag, to_entry
    from feeds.render import FeedMeta
    from syndicator.domain import Attachment

    assert language_tag("vi_VN") == "vi-VN" and language_tag("Vietnamese") is None and language_tag("und") is None
    item = next(i for i in world.store.list_items(kind="document", limit=100) if may_leave(i))
    odd = replace(item.current, language="Tiếng Việt",
                  attachments=(Attachment("https://example.org/a.pdf", media_type="pdf", length=None),))
    entry = to_entry(odd, tags=(), urls=world.service.urls, tag_labels={}, first_seen=item.first_seen)
    assert entry.language is None and entry.enclosures[0].media_type == "application/octet-stream"
    # An entry the renderer refuses anyway is left out of the document; the feed still renders.
    bad = replace(entry, id="tag:x,2024:item/bad", link="/relative/link")
    meta = FeedMeta(id="tag:x,2024:feed/t", title="t", description="d", language=None,
                    site_url=world.service.urls.catalog(), self_url=world.service.urls.feed("t", "atom"),
                    updated=datetime(2026, 1, 1, tzinfo=UTC))
    body = world.service.publisher._render_format("atom", meta, [entry, bad], [])
    parsed = feedparser.parse(body)
    assert not parsed.bozo and [e.id for e in parsed.entries] == [entry.id]
