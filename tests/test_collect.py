"""Collection end to end: real files, real HTTP on loopback, real SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from syndicator.clock import FixedClock
from syndicator.collect import Collector, backoff, due
from syndicator.config import load_config
from syndicator.storage import schema as t
from syndicator.storage.store import Store
from tests.conftest import REPO, write_config

SAMPLES = REPO / "config" / "samples"


def count(store: Store, table: t.Table) -> int:  # type: ignore[name-defined]
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def events_of(store: Store, prefix: str) -> list[str]:
    return [e.type for e in store.iter_events(type_prefix=prefix)]


def test_default_config_collects_everything_once(db_url: str, clock: FixedClock) -> None:
    config = load_config(REPO / "config" / "syndicator.toml", env={})
    store = Store.open(db_url, clock)
    try:
        first = {r.source: r for r in Collector(config, store, clock).collect()}
        assert first["r57-documents"].new == 23 and not first["r57-documents"].failed
        assert first["st-tasks-sample"].new == 40 and not first["st-tasks-sample"].failed
        events = count(store, t.ledger_events)
        assert events == 63
        clock.advance(timedelta(hours=2))
        second = Collector(config, store, clock).collect()
        assert all(r.new == 0 and r.updated == 0 and not r.failed for r in second)
        assert sum(r.unchanged for r in second) == 63
        assert count(store, t.items) == 63 and count(store, t.item_versions) == 63
        assert count(store, t.ledger_events) == events  # nothing happened, nothing recorded
        restricted = [i for i in store.list_items(kind="task", limit=100) if i.restricted]
        assert len(restricted) == 5  # the five state-secret sample records
        assert store.verify_ledger().ok
    finally:
        store.close()


def _docs_config(tmp_path: Path, *extra_dirs: str) -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLES / "documents", docs)
    body = '[[sources]]\nname = "docs"\nkind = "directory"\npath = "docs"\nitem_kind = "document"\n'
    for name in extra_dirs:
        body += f'[[sources]]\nname = "{name}"\nkind = "directory"\npath = "{name}"\nitem_kind = "news"\n'
    return write_config(tmp_path, body)


def test_changed_entry_becomes_a_new_version_of_the_same_item(tmp_path: Path, store: Store, clock: FixedClock) -> None:
    cfg = load_config(_docs_config(tmp_path), env={})
    Collector(cfg, store, clock).collect()
    path = tmp_path / "docs" / "van-ban" / "nghi-quyet-71-NQ-CP.md"
    before = {i.id for i in store.list_items(limit=500)}
    path.write_text(path.read_text(encoding="utf-8") + "\nĐoạn bổ sung: cập nhật tiến độ thực hiện.\n", encoding="utf-8")
    clock.advance(timedelta(hours=1))
    (report,) = Collector(cfg, store, clock).collect()
    assert (report.new, report.updated, report.unchanged) == (0, 1, 22)
    assert {i.id for i in store.list_items(limit=500)} == before
    (changed,) = [i for i in store.list_items(limit=500) if i.current.number == 2]
    item = store.get_item(changed.id)
    assert [v.number for v in item.versions] == [1, 2]
    assert "Đoạn bổ sung" in (item.versions[1].content or "")
    assert item.versions[0].raw_hash != item.versions[1].raw_hash
    assert events_of(store, "item.versioned") == ["item.versioned"]


def test_one_document_in_two_sources_is_one_item_listing_both(tmp_path: Path, store: Store, clock: FixedClock) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copytree(SAMPLES / "documents", tmp_path / "docs")
    shutil.copy(tmp_path / "docs" / "van-ban" / "nghi-quyet-193-2025-QH15.html", mirror / "copy-of-193.html")
    body = ('[[sources]]\nname = "docs"\nkind = "directory"\npath = "docs"\n'
            '[[sources]]\nname = "mirror"\nkind = "directory"\npath = "mirror"\n')
    cfg = load_config(write_config(tmp_path, body), env={})
    reports = {r.source: r for r in Collector(cfg, store, clock).collect(["docs"])}
    assert reports["docs"].new == 23
    (mirror_report,) = Collector(cfg, store, clock).collect(["mirror"])
    assert mirror_report.new == 0
    shared = [i for i in store.list_items(limit=500) if i.current.doc_number == "193/2025/QH15"]
    assert len(shared) == 1
    item = store.get_item(shared[0].id)
    assert sorted(s.source for s in item.sources) == ["docs", "mirror"]
    assert events_of(store, "item.source_added") == ["item.source_added"]
    # and both sources stay quiet afterwards
    assert all(r.new == r.updated == 0 for r in Collector(cfg, store, clock).collect())


def test_bad_csv_rows_are_reported_and_the_rest_kept(tmp_path: Path, store: Store, clock: FixedClock) -> None:
    rows = (SAMPLES / "tasks.csv").read_text(encoding="utf-8").splitlines()
    header, good = rows[0], rows[1:4]
    bad_date = good[0].replace("MAU", "BAD", 1).split(",")
    bad_date[6] = "31/02/2025"
    no_code = good[1].split(",")
    no_code[0] = ""
    (tmp_path / "tasks.csv").write_text("\n".join([header, *good, ",".join(bad_date), ",".join(no_code)]) + "\n",
                                        encoding="utf-8")
    cfg_text = (REPO / "config" / "syndicator.toml").read_text(encoding="utf-8")
    tasks_part = cfg_text[cfg_text.index('[[sources]]\nname = "st-tasks-sample"'):].split("# Real sources")[0]
    cfg = load_config(write_config(tmp_path, tasks_part.replace("samples/tasks.csv", "tasks.csv")), env={})
    (report,) = Collector(cfg, store, clock).collect()
    assert report.new == 3 and not report.failed
    text = " | ".join(report.problems)
    assert "row 5" in text and "31/02/2025" in text
    assert "row 6" in text
    (status,) = store.list_sources()
    assert status.last_status == "ok, with problems" and status.item_count == 3


def _tasks_url_config(tmp_path: Path, url: str) -> Path:
    return write_config(tmp_path, f"""
        [fetch]
        backoff_base_seconds = 60
        backoff_max_seconds = 3600
        [[sources]]
        name = "remote-tasks"
        kind = "tasks"
        url = "{url}"
        format = "json"
        allow_private = true
        mapping = {{ task_code = "code", title = "title", secrecy = "secrecy", start_date = "start" }}
        """)


def test_failures_back_off_and_keep_what_was_stored(httpserver: HTTPServer, tmp_path: Path, store: Store,
                                                     clock: FixedClock) -> None:
    records = [{"code": "MAU-1", "title": "Nghiên cứu vật liệu mới", "secrecy": "công khai", "start": "01/02/2025"},
               {"code": "MAU-2", "title": "Hệ thống dự báo lũ", "secrecy": "công khai", "start": "01/03/2025"}]
    cfg = load_config(_tasks_url_config(tmp_path, httpserver.url_for("/tasks.json")), env={})
    httpserver.expect_ordered_request("/tasks.json").respond_with_json(records)
    assert Collector(cfg, store, clock).collect()[0].new == 2

    httpserver.expect_ordered_request("/tasks.json").respond_with_data("down", status=500)
    (r1,) = Collector(cfg, store, clock).collect()
    assert r1.failed and "server failed (500)" in (r1.error or "")
    (s,) = store.list_sources()
    assert s.error_count == 1 and s.next_run == clock.now() + timedelta(seconds=60)
    assert not due(store, "remote-tasks", clock.now() + timedelta(seconds=30))
    assert due(store, "remote-tasks", clock.now() + timedelta(seconds=61))

    httpserver.expect_ordered_request("/tasks.json").respond_with_data("busy", status=429, headers={"Retry-After": "900"})
    (r2,) = Collector(cfg, store, clock).collect()
    assert r2.failed
    (s,) = store.list_sources()
    assert s.error_count == 2 and s.next_run == clock.now() + timedelta(seconds=900)

    httpserver.expect_ordered_request("/tasks.json").respond_with_data("<html><body>Lỗi</body></html>",
                                                                       content_type="text/html")
    (r3,) = Collector(cfg, store, clock).collect()
    assert r3.failed and r3.new == 0
    assert store.count_items() == 2  # nothing stored before is lost

    httpserver.expect_ordered_request("/tasks.json").respond_with_json(records)
    (r4,) = Collector(cfg, store, clock).collect()
    assert not r4.failed and r4.unchanged == 2
    assert events_of(store, "source.") == ["source.failed"] * 3 + ["source.recovered"]
    (s,) = store.list_sources()
    assert s.error_count == 0 and s.last_status == "ok"


def test_backoff_grows_and_is_capped() -> None:
    waits = [backoff(n, base=60, cap=3600).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(1, base=60, cap=3600, retry_after=7200).total_seconds() == 3600


def test_a_source_never_runs_twice_at_once(tmp_path: Path, store: Store, clock: FixedClock) -> None:
    cfg = load_config(_docs_config(tmp_path), env={})
    claimed, _ = store.claim_sources([("docs", "directory")], owner="other-host:1",
                                     until=clock.now() + timedelta(minutes=5))
    assert claimed == {"docs"}
    (report,) = Collector(cfg, store, clock).collect()
    assert "another run" in (report.error or "") and report.new == 0
    clock.advance(timedelta(minutes=6))  # the other run's lease expired (it crashed)
    (report,) = Collector(cfg, store, clock).collect()
    assert report.new == 23


LISTING = """<html><body><ul class="news">
<li><a href="/bai/1.html">Bài 1</a></li><li><a href="bai/2.html">Bài 2</a></li></ul></body></html>"""
ARTICLE = """<html lang="vi"><head><meta charset="utf-8"></head><body>
<h1 class="t">{title}</h1><span class="d">Thứ Hai, 23/12/2024 - 08:15</span>
<div class="c"><p>{body}</p><a href="/files/{n}.pdf">Tải văn bản</a></div></body></html>"""


def test_page_source_and_layout_change(httpserver: HTTPServer, tmp_path: Path, store: Store, clock: FixedClock) -> None:
    for n, title in ((1, "Tỉnh ra mắt chuyên mục Nghị quyết 57"), (2, "Hội thảo chuyển đổi số")):
        httpserver.expect_request(f"/bai/{n}.html").respond_with_data(
            ARTICLE.format(title=title, body="Nội dung " * 20, n=n), content_type="text/html; charset=utf-8")
    httpserver.expect_ordered_request("/list").respond_with_data(LISTING, content_type="text/html")
    cfg = load_config(write_config(tmp_path, f"""
        [[sources]]
        name = "portal"
        kind = "page"
        url = "{httpserver.url_for('/list')}"
        allow_private = true
        [sources.selectors]
        item_links = "ul.news a"
        title = "h1.t"
        date = "span.d"
        body = "div.c"
        """), env={})
    (report,) = Collector(cfg, store, clock).collect()
    assert report.new == 2, report
    item = next(i for i in store.list_items() if i.current.title.startswith("Tỉnh"))
    assert item.current.published is not None and item.current.published.isoformat() == "2024-12-23T01:15:00+00:00"
    assert item.current.attachments[0].url == httpserver.url_for("/files/1.pdf")

    httpserver.expect_ordered_request("/list").respond_with_data("<html><body><div class='grid'></div></body></html>",
                                                                 content_type="text/html")
    (report,) = Collector(cfg, store, clock).collect()
    assert report.failed and "layout changed?" in (report.error or "")
    assert store.count_items() == 2


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tin Nghị quyết 57</title><link>https://example.org/</link>
<description>d</description>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://example.org/tin/{n}?utm_source=rss</link>
<guid isPermaLink="false">tin-{n}</guid><pubDate>Mon, 23 Dec 2024 08:15:00 +0700</pubDate>
<description>Tóm tắt tin số {n} về chuyển đổi số.</description></item>"""


def _feed_config(tmp_path: Path, url: str) -> Path:
    return write_config(tmp_path, f"""
        [[sources]]
        name = "most-rss"
        kind = "feed"
        url = "{url}"
        allow_private = true
        """)


def test_feed_source_conditional_get_and_versions(httpserver: HTTPServer, tmp_path: Path, store: Store,
                                                  clock: FixedClock) -> None:
    from werkzeug import Request, Response

    body = {"xml": RSS.format(items="".join(ITEM.format(n=n, title=f"Tin {n}") for n in range(3)))}

    def handler(request: Request) -> Response:
        etag = f'"{abs(hash(body["xml"]))}"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body["xml"], headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    httpserver.expect_request("/rss").respond_with_handler(handler)
    cfg = load_config(_feed_config(tmp_path, httpserver.url_for("/rss")), env={})
    (r1,) = Collector(cfg, store, clock).collect()
    assert (r1.new, r1.updated, r1.failed) == (3, 0, False)
    item = next(i for i in store.list_items() if i.current.title == "Tin 1")
    assert item.current.url == "https://example.org/tin/1"  # tracking parameter gone
    assert item.current.published is not None and item.current.published.isoformat() == "2024-12-23T01:15:00+00:00"
    events = count(store, t.ledger_events)

    (r2,) = Collector(cfg, store, clock).collect()  # the server answers 304: nothing parsed, nothing stored
    assert r2.not_modified and (r2.new, r2.updated) == (0, 0)
    assert count(store, t.ledger_events) == events
    assert httpserver.log[-1][1].status_code == 304
    (status,) = store.list_sources()
    assert status.last_status == "not modified" and status.etag

    body["xml"] = body["xml"].replace("Tin 1<", "Tin 1 (cập nhật)<")
    (r3,) = Collector(cfg, store, clock).collect()
    assert (r3.new, r3.updated, r3.unchanged) == (0, 1, 2)
    assert [v.title for v in store.get_item(item.id).versions] == ["Tin 1", "Tin 1 (cập nhật)"]


def test_malformed_feed_keeps_what_could_be_read(httpserver: HTTPServer, tmp_path: Path, store: Store,
                                                clock: FixedClock) -> None:
    broken = RSS.format(items="".join(ITEM.format(n=n, title=f"Tin {n}") for n in range(3))) \
        .replace("</channel></rss>", "<item><title>cắt ngang")
    httpserver.expect_request("/rss").respond_with_data(broken, content_type="application/rss+xml")
    cfg = load_config(_feed_config(tmp_path, httpserver.url_for("/rss")), env={})
    (report,) = Collector(cfg, store, clock).collect()
    assert not report.failed and report.new >= 3
    assert report.problems and any("malformed" in p.lower() or "xml" in p.lower() for p in report.problems)
    (status,) = store.list_sources()
    assert status.last_status == "ok, with problems"
