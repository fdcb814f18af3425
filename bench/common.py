"""Shared pieces of the benchmark scripts: synthetic feeds, a loopback feed server, child runs.

The feed server answers from pre-rendered bytes held in memory, with a strong
ETag and Last-Modified on every feed and a 304 to a matching conditional GET,
over HTTP/1.1 keep-alive on one asyncio event loop. It is meant to be started
in its own process (:func:`start_server`) so its CPU time is not charged to the
contender being measured; ``GET /_stats`` reports what it served and the CPU
time it used, so a bench can check every request got the answer it expected
and show that the server was not the bottleneck.

Nothing here is part of the engine; benches are scripts, not tests.
"""

from __future__ import annotations

import asyncio
import collections
import cProfile
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from pathlib import Path
from typing import Any

ICT = timezone(timedelta(hours=7))
BASE_TIME = datetime(2025, 6, 2, 8, 0, tzinfo=ICT)

# ---------------------------------------------------------------- synthetic feeds

_ORGS = (
    "Bộ Khoa học và Công nghệ",
    "Viện Hàn lâm Khoa học và Công nghệ Việt Nam",
    "Đại học Quốc gia Hà Nội",
    "Sở Khoa học và Công nghệ TP. Hồ Chí Minh",
    "Trung tâm Đổi mới sáng tạo Quốc gia",
    "Quỹ Phát triển khoa học và công nghệ Quốc gia",
    "Ủy ban nhân dân tỉnh Thừa Thiên Huế",
)
_ACTS = (
    "công bố kế hoạch triển khai",
    "nghiệm thu kết quả",
    "mở chương trình hỗ trợ",
    "phê duyệt danh mục nhiệm vụ",
    "lấy ý kiến dự thảo hướng dẫn",
    "tổng kết một năm thực hiện",
)
_TOPICS = (
    "Nghị quyết 57-NQ/TW",
    "chuyển đổi số quốc gia",
    "trí tuệ nhân tạo",
    "công nghiệp bán dẫn và vi mạch",
    "khởi nghiệp đổi mới sáng tạo",
    "dữ liệu mở của cơ quan nhà nước",
    "năng lượng tái tạo",
    "công nghệ sinh học nông nghiệp",
)
_PLACES = ("Hà Nội", "Đà Nẵng", "Cần Thơ", "Huế", "Hải Phòng", "TP. Hồ Chí Minh", "Quảng Ninh")
_SENTENCES = (
    "Nghị quyết 57-NQ/TW xác định khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số là đột phá "
    "quan trọng hàng đầu.",
    "Theo kế hoạch, các đơn vị hoàn thành việc rà soát thủ tục hành chính trước ngày 30 tháng 6.",
    "Đại diện {org} cho biết kinh phí thực hiện được bố trí từ ngân sách nhà nước và nguồn xã hội hóa.",
    "Nhiều doanh nghiệp công nghệ trong nước đã tham gia góp ý cho dự thảo.",
    "Hội thảo tại {place} thu hút hơn {n} nhà khoa học, chuyên gia và đại diện các địa phương.",
    "Các nhiệm vụ khoa học và công nghệ cấp quốc gia sẽ được công khai trên cổng thông tin điện tử.",
    "Lãnh đạo {org} nhấn mạnh yêu cầu nâng cao chất lượng nguồn nhân lực số.",
    "Dự kiến đến năm 2030, tỷ trọng kinh tế số đạt ít nhất 30% GDP.",
    "Người dân có thể tra cứu kết quả trên Cổng Dịch vụ công quốc gia.",
    "Chương trình ưu tiên các đề tài có khả năng thương mại hóa cao về {topic}.",
    "Báo cáo chỉ ra những khó khăn về hạ tầng dữ liệu và cơ chế tài chính cho nghiên cứu.",
    "Các trường đại học được khuyến khích hợp tác với doanh nghiệp trong nghiên cứu ứng dụng.",
    "Trung tâm dữ liệu quốc gia sẽ kết nối với cơ sở dữ liệu của các bộ, ngành và địa phương.",
    "Hồ sơ đăng ký được tiếp nhận trực tuyến đến hết ngày {d} tháng {m}.",
    "Kết quả bước đầu cho thấy thời gian xử lý hồ sơ giảm gần một nửa so với năm trước.",
)


@dataclass(frozen=True, slots=True)
class SynthEntry:
    """One synthetic entry, before it is written as RSS or Atom."""

    guid: str
    link: str
    title: str
    summary: str
    html: str
    author: str
    published: datetime


def feed_path(index: int) -> str:
    """The URL path of feed ``index`` (0-based): ``/feeds/0001.xml`` for the first."""
    return f"/feeds/{index + 1:04d}.xml"


def _sentence(rng: random.Random) -> str:
    return rng.choice(_SENTENCES).format(
        org=rng.choice(_ORGS),
        place=rng.choice(_PLACES),
        topic=rng.choice(_TOPICS),
        n=rng.randint(50, 900),
        d=rng.randint(1, 28),
        m=rng.randint(1, 12),
    )


def _entry(rng: random.Random, base_url: str, feed: int, n: int) -> SynthEntry:
    tag = f"{feed + 1:04d}-{n + 1:04d}"
    title = f"{rng.choice(_ORGS)} {rng.choice(_ACTS)} {rng.choice(_TOPICS)} tại {rng.choice(_PLACES)} (tin {tag})"
    link = f"{base_url}/news/{feed + 1:04d}/{n + 1:04d}.html"
    target = rng.randint(1000, 1450)  # bytes of UTF-8 HTML
    parts = [f"<p><strong>{escape(_sentence(rng))}</strong></p>"]
    size = len(parts[0].encode())
    closing = f'<p>Xem thêm: <a href="{link}">{escape(title)}</a>. Mã tin: {tag}.</p>'
    size += len(closing.encode())
    while size < target:
        kind = rng.random()
        if kind < 0.7:
            para = "<p>" + " ".join(escape(_sentence(rng)) for _ in range(rng.randint(1, 3))) + "</p>"
        elif kind < 0.85:
            para = "<ul>" + "".join(f"<li>{escape(_sentence(rng))}</li>" for _ in range(2)) + "</ul>"
        else:
            para = (
                f'<p><img src="{base_url}/img/{tag}.jpg" alt="Ảnh minh họa {tag}"> '
                f"<em>{escape(_sentence(rng))}</em></p>"
            )
        parts.append(para)
        size += len(para.encode())
    parts.append(closing)
    published = BASE_TIME - timedelta(hours=n * 3, minutes=feed % 60)
    return SynthEntry(
        guid=f"urn:syndicator-bench:{tag}",
        link=link,
        title=title,
        summary=_sentence(rng) + f" ({tag})",
        html="".join(parts),
        author=f"Phóng viên {rng.choice(_PLACES)}",
        published=published,
    )


def _rss(index: int, base_url: str, entries: Sequence[SynthEntry]) -> str:
    items = []
    for e in entries:
        items.append(
            "<item>"
            f"<title>{escape(e.title)}</title>"
            f"<link>{e.link}</link>"
            f'<guid isPermaLink="false">{e.guid}</guid>'
            f"<pubDate>{format_datetime(e.published)}</pubDate>"
            f"<dc:creator>{escape(e.author)}</dc:creator>"
            "<category>Khoa học - Công nghệ</category>"
            f"<description>{escape(e.summary)}</description>"
            f"<content:encoded><![CDATA[{e.html}]]></content:encoded>"
            "</item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "<channel>"
        f"<title>Tin khoa học và công nghệ số {index + 1:04d}</title>"
        f"<link>{base_url}/news/{index + 1:04d}/</link>"
        f'<atom:link href="{base_url}{feed_path(index)}" rel="self" type="application/rss+xml"/>'
        "<description>Tin tức về khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số</description>"
        "<language>vi</language>"
        f"<lastBuildDate>{format_datetime(entries[0].published)}</lastBuildDate>\n"
        + "".join(items)
        + "</channel></rss>\n"
    )


def _atom(index: int, base_url: str, entries: Sequence[SynthEntry]) -> str:
    out = []
    for e in entries:
        stamp = e.published.isoformat()
        out.append(
            "<entry>"
            f"<title>{escape(e.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{e.link}"/>'
            f"<id>{e.guid}</id>"
            f"<published>{stamp}</published><updated>{stamp}</updated>"
            f"<author><name>{escape(e.author)}</name></author>"
            f'<summary type="text">{escape(e.summary)}</summary>'
            f'<content type="html">{escape(e.html)}</content>'
            "</entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">'
        f"<title>Bản tin đổi mới sáng tạo số {index + 1:04d}</title>"
        f"<id>urn:syndicator-bench:feed:{index + 1:04d}</id>"
        f"<updated>{entries[0].published.isoformat()}</updated>"
        f'<link rel="self" type="application/atom+xml" href="{base_url}{feed_path(index)}"/>'
        f'<link rel="alternate" type="text/html" href="{base_url}/news/{index + 1:04d}/"/>\n'
        + "".join(out)
        + "</feed>\n"
    )


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    """A feed as the server sends it."""

    path: str
    body: bytes
    content_type: str
    etag: str
    last_modified: str
    modified_at: datetime


def render_feeds(count: int, entries: int, base_url: str, *, seed: int = 57) -> list[RenderedFeed]:
    """``count`` feeds of ``entries`` entries each; even indexes are RSS 2.0, odd ones Atom 1.0."""
    import hashlib

    rng = random.Random(seed)
    feeds = []
    for i in range(count):
        items = [_entry(rng, base_url, i, n) for n in range(entries)]
        atom = i % 2 == 1
        text = _atom(i, base_url, items) if atom else _rss(i, base_url, items)
        body = text.encode("utf-8")
        newest = max(e.published for e in items).astimezone(UTC)
        feeds.append(
            RenderedFeed(
                path=feed_path(i),
                body=body,
                content_type="application/atom+xml; charset=utf-8" if atom else "application/rss+xml; charset=utf-8",
                etag='"' + hashlib.sha1(body).hexdigest()[:20] + '"',
                last_modified=format_datetime(newest, usegmt=True),
                modified_at=newest,
            )
        )
    return feeds


# ---------------------------------------------------------------- the feed server


class _Site:
    def __init__(self, feeds: Sequence[RenderedFeed]) -> None:
        self.by_path: dict[bytes, tuple[RenderedFeed, bytes, bytes]] = {}
        for f in feeds:
            common = (
                f"ETag: {f.etag}\r\nLast-Modified: {f.last_modified}\r\n"
                "Cache-Control: max-age=0\r\nServer: syndicator-bench\r\n"
            )
            ok = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {f.content_type}\r\nContent-Length: {len(f.body)}\r\n"
                + common
                + "\r\n"
            ).encode() + f.body
            not_modified = ("HTTP/1.1 304 Not Modified\r\n" + common + "\r\n").encode()
            self.by_path[f.path.encode()] = (f, ok, not_modified)
        self.counts: dict[str, int] = {"200": 0, "304": 0, "404": 0, "400": 0}
        self.connections = 0
        self.bytes_sent = 0

    def stats(self) -> bytes:
        body = json.dumps(
            {
                **self.counts,
                "connections": self.connections,
                "bytes": self.bytes_sent,
                "cpu_seconds": time.process_time(),
            }
        ).encode()
        return (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n\r\n"
        ).encode() + body


def _not_modified(feed: RenderedFeed, headers: dict[bytes, bytes]) -> bool:
    inm = headers.get(b"if-none-match")
    if inm is not None:  # RFC 9110 13.1.3: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix(b"W/") for t in inm.split(b",")}
        return b"*" in tags or feed.etag.encode() in tags
    ims = headers.get(b"if-modified-since")
    if ims is None:
        return False
    try:
        since = parsedate_to_datetime(ims.decode("latin-1"))
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and since >= feed.modified_at


class _FeedProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1: GET only, keep-alive, pipelining tolerated, no request bodies."""

    def __init__(self, site: _Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.site.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self._send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "400", close=True)
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            self._answer(head)

    def _send(self, data: bytes, code: str, *, close: bool) -> None:
        assert self.transport is not None
        self.site.counts[code] = self.site.counts.get(code, 0) + 1
        self.site.bytes_sent += len(data)
        self.transport.write(data)
        if close:
            self.transport.close()
            self.transport = None

    def _answer(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].split(b" ", 2)
        except ValueError:
            self._send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "400", close=True)
            return
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get(b"connection", b"").lower()
        close = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
        path = target.split(b"?", 1)[0]
        found = self.site.by_path.get(path)
        if method not in (b"GET", b"HEAD"):
            self._send(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n", "405", close=close)
        elif found is not None:
            feed, ok, not_modified = found
            if _not_modified(feed, headers):
                self._send(not_modified, "304", close=close)
            else:
                self._send(ok if method == b"GET" else ok[: ok.index(b"\r\n\r\n") + 4], "200", close=close)
        elif path == b"/_stats":
            self._send(self.site.stats(), "stats", close=close)
        else:
            self._send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "404", close=close)


async def serve(feeds: int, entries: int, *, host: str = "127.0.0.1") -> None:
    """Serve synthetic feeds on an ephemeral port; print ``READY <port> <bytes>`` once listening."""
    loop = asyncio.get_running_loop()
    holder: dict[str, _Site] = {}
    server = await loop.create_server(lambda: _FeedProtocol(holder["site"]), host, 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    rendered = render_feeds(feeds, entries, f"http://{host}:{port}")
    holder["site"] = _Site(rendered)
    print(f"READY {port} {sum(len(f.body) for f in rendered)}", flush=True)
    async with server:
        await server.serve_forever()


@dataclass
class ServerHandle:
    """A feed server running in its own process."""

    process: subprocess.Popen[str]
    port: int
    total_bytes: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(script: str, feeds: int, entries: int) -> ServerHandle:
    """Start ``script --_serve`` (which must call :func:`serve`) and wait until it listens."""
    proc = subprocess.Popen(
        [sys.executable, script, "--_serve", "--feeds", str(feeds), "--entries", str(entries)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if not line or line[0] != "READY":
        proc.kill()
        raise RuntimeError(f"the feed server did not start (said {line!r})")
    return ServerHandle(proc, int(line[1]), int(line[2]))


def server_stats(base_url: str) -> dict[str, Any]:
    """The server's counters and CPU time so far."""
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/_stats", timeout=10) as resp:
        data: dict[str, Any] = json.loads(resp.read())
    return data


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the server did between two :func:`server_stats` calls (the later stats call excluded)."""
    out = {k: after.get(k, 0) - before.get(k, 0) for k in ("200", "304", "404", "400", "connections", "bytes")}
    out["connections"] -= 1  # the later stats call opened one of its own
    out["cpu_seconds"] = round(after["cpu_seconds"] - before["cpu_seconds"], 4)
    return out


# ---------------------------------------------------------------- child processes and figures


def peak_rss_mib() -> dict[str, float]:
    """Peak resident set of this process and of its largest waited-for child (e.g. a pool worker), MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(own, 1), "children": round(children, 1)}


def current_rss_mib() -> float:
    """Resident set of this process now, MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def emit(result: dict[str, Any]) -> None:
    """Print a child's result as its last stdout line, for :func:`run_child`."""
    print("RESULT " + json.dumps(result), flush=True)


def run_child(argv: Sequence[str], *, timeout: float = 900) -> dict[str, Any]:
    """Run ``python argv…`` in a fresh interpreter and return what it passed to :func:`emit`."""
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=timeout)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise RuntimeError(f"child {' '.join(argv[:3])}… failed with exit code {proc.returncode}")
    if proc.stderr.strip():
        sys.stderr.write(proc.stderr[-2000:])
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "python": sys.version.split()[0], "cpu": cpu}


# ---------------------------------------------------------------- profiling


class ThreadProfiles:
    """cProfile of the calling thread plus of every task run by an instrumented thread pool.

    cProfile sees only the thread that enabled it; the collector does its storage
    work on a thread of its own, so a bench swaps in :meth:`pool_class` to see it.
    Times are wall-clock: where two threads contend for the GIL, waiting for it is
    charged to whatever C call was releasing it (sqlite3, epoll).
    """

    def __init__(self) -> None:
        self.main = cProfile.Profile()
        self.threads: dict[int, cProfile.Profile] = {}

    def pool_class(self) -> type[ThreadPoolExecutor]:
        profiles = self

        class ProfiledThreadPool(ThreadPoolExecutor):
            def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
                def run() -> Any:
                    prof = profiles.threads.setdefault(threading.get_ident(), cProfile.Profile())
                    prof.enable()
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        prof.disable()

                return super().submit(run)

        return ProfiledThreadPool

    def reset(self) -> None:
        self.main = cProfile.Profile()
        self.threads = {}


# Stages of an ingest pass, by where a function lives (first match wins).
_STAGES = (
    ("tagging", ("/syndicator/tagging/", "langdetect")),
    ("parse (feed, lxml, feedparser)", ("/sources/feed", "fpcompat", "feeddates", "lxml", "feedparser", "vndate")),
    ("normalise (nh3, urls, text)", ("normalize.py", "nh3", "unicodedata", "urllib/parse")),
    ("decide", ("decide.py",)),
    ("ledger", ("ledger.py",)),
    ("SQL (SQLAlchemy, sqlite3, store)", ("sqlalchemy", "sqlite3", "/storage/")),
    ("fetch (httpx, httpcore, h11)", ("httpx", "httpcore", "h11", "/syndicator/fetch.py", "anyio", "ipaddress")),
    ("waiting in epoll (idle or GIL)", ("select.epoll",)),
    ("asyncio machinery", ("asyncio",)),
    ("threads, futures, pickling", ("concurrent/futures", "threading.py", "queue.py", "_thread", "pickle")),
    ("json, hashlib", ("json", "hashlib", "sha256")),
    ("re (regular expressions)", ("re.Pattern",)),
)


def stage_breakdown(profilers: Sequence[cProfile.Profile], top: int = 10) -> list[tuple[str, float]]:
    """Own time (tottime) of the profiled calls, summed by stage, largest first."""
    import pstats

    if not profilers:
        return []
    stats = pstats.Stats(*profilers)
    sums: collections.Counter[str] = collections.Counter()
    for (path, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path} {func}"
        stage = next((name for name, marks in _STAGES if any(mk in where for mk in marks)), None)
        sums[stage or f"other: {Path(path).name if path != '~' else func[:40]}"] += tottime
    return [(k, round(v, 3)) for k, v in sums.most_common(top)]


def top_cumulative(profilers: Sequence[cProfile.Profile], top: int) -> str:
    """The ``top`` entries by cumulative time, as pstats prints them."""
    import pstats

    out = io.StringIO()
    pstats.Stats(*profilers, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    return text[text.find("   ncalls") :] if "   ncalls" in text else text
