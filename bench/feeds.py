"""Feed serving benchmark: our feed server against a static file, at 10k, 100k and 1M items.

For each database size, three cases run side by side under wrk (its own
process, loopback only), each against a uvicorn server in its own process
(one worker, uvloop + httptools, the settings ``syndicator serve`` uses):

* full: ``GET /feeds/all.atom`` from our server, a 200 with the 50-entry Atom document;
* 304:  the same request with ``If-None-Match`` set to the current ETag;
* static: the same bytes served by Starlette ``StaticFiles`` on the same uvicorn set-up;
* memory: the same bytes from a Starlette endpoint that returns them from memory
  (``Response(body)``): not a target, but the ceiling of the stack, since
  ``StaticFiles`` pays several worker-thread hops per request.

Databases are written straight into the engine's tables (SQLAlchemy Core bulk
inserts, no collector, no ledger) and cached under ``bench/out/feeds/`` by
size and schema, so reruns skip the build. Only the subscription document of
``all`` is rendered (page 0, through the publisher's own ``_documents``): the
archive pages of a 1M-item feed (20,000 of them) are not needed to serve it.

Before measuring, every server is checked (the 200 parses with feedparser and
has 50 entries, the 304 has an empty body, the static bytes are the feed's),
and after every wrk run our server's own fetch counters must match what wrk
counted; a failure stops the bench.

Usage::

    .venv/bin/python bench/feeds.py                          # 10k, 100k, 1M; 3 rounds of 10 s per case
    .venv/bin/python bench/feeds.py --quick                  # 10k and 100k
    .venv/bin/python bench/feeds.py --sizes 10000 --rounds 1 --duration 3 --profile
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder is sys.path[0], and this file would shadow the engine's ``feeds`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from feeds.service import FeedService  # noqa: E402
from syndicator.clock import SystemClock  # noqa: E402
from syndicator.config import Config, load_config  # noqa: E402
from syndicator.normalize import item_id_for  # noqa: E402
from syndicator.storage import schema as t  # noqa: E402
from syndicator.storage.store import Store  # noqa: E402

OUT = ROOT / "bench" / "out" / "feeds"
FEED, PATH, PAGE_SIZE = "all", "/feeds/all.atom", 50
BUILDER = 1  # bump when the generated data changes, so cached databases are rebuilt
CHUNK, COMMIT_EVERY = 10_000, 200_000
TARGET_FULL, TARGET_304, TARGET_LATENCY = 0.30, 0.80, 1.5
CASES = ("static", "memory", "full", "304")
REFERENCE = {"static": "static", "memory": "memory"}  # cases served by a reference server, not ours
BASE = datetime(2025, 1, 1, tzinfo=UTC)

_ORGS = ("Bộ Khoa học và Công nghệ", "Viện Hàn lâm Khoa học và Công nghệ Việt Nam", "Đại học Quốc gia Hà Nội",
         "Sở Khoa học và Công nghệ Đà Nẵng", "Quỹ Phát triển khoa học và công nghệ Quốc gia")
_ACTS = ("triển khai kế hoạch", "nghiệm thu nhiệm vụ", "công bố chương trình", "lấy ý kiến dự thảo", "sơ kết")
_TOPICS = ("thực hiện Nghị quyết 57-NQ/TW", "về trí tuệ nhân tạo", "phát triển vi mạch bán dẫn",
           "hỗ trợ khởi nghiệp sáng tạo", "chuyển đổi số trong giáo dục", "dữ liệu mở")
_PARAGRAPHS = (
    "Nghị quyết 57-NQ/TW coi khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số là đột phá quan trọng hàng đầu.",
    "Các đơn vị được giao hoàn thành rà soát thủ tục và báo cáo kết quả trước ngày 30 tháng 6.",
    "Kinh phí thực hiện được bố trí từ ngân sách nhà nước và các nguồn vốn hợp pháp khác.",
    "Hội thảo thu hút hơn 200 nhà khoa học, chuyên gia và đại diện doanh nghiệp công nghệ trong nước.",
    "Dự kiến đến năm 2030, kinh tế số chiếm ít nhất 30% GDP và năng lực nghiên cứu đạt mức tiên tiến.",
)


# ------------------------------------------------------------------ databases


def _config(out: Path) -> Config:
    path = out / "bench.toml"
    # public_url is baked into the stored documents, so it cannot follow the servers' ephemeral ports.
    path.write_text(f'sources = []\n\n[engine]\ndata_dir = "{out}"\npublic_url = "http://127.0.0.1:8157"\n\n'
                    f"[feeds]\npage_size = {PAGE_SIZE}\n", encoding="utf-8")
    return load_config(path, env={})


def _schema_key() -> str:
    tables = ("items", "item_versions", "item_keys", "item_sources", "item_tags", "feed_entries", "feed_documents")
    shape = [(n, sorted(c.name for c in t.metadata.tables[n].c)) for n in tables if n in t.metadata.tables]
    return hashlib.sha256(json.dumps([BUILDER, shape]).encode()).hexdigest()[:16]


def _rows(i: int, tag_pool: dict[str, list[str]], tags_in_json: bool) -> dict[str, Any]:
    """Every row of item number ``i`` (1-based), deterministic."""
    source = f"bench-{i % 20:02d}"
    guid = f"urn:bench:{i}"
    url = f"https://example.gov.vn/{source}/tin-{i}.html"
    iid = item_id_for(f"g:{source}:{guid}")
    seen = BASE + timedelta(seconds=30 * i)
    document = i % 5 == 0
    title = f"{_ORGS[i % 5]} {_ACTS[i % 5 if i % 7 else 0]} {_TOPICS[i % 6]} (số {i})"
    paras = [_PARAGRAPHS[(i + k) % 5] for k in range(4)]
    content = "".join(f"<p>{p}</p>" for p in paras)
    digest = hashlib.sha256(str(i).encode()).hexdigest()
    names = ["lang:vi", f"pillar:{tag_pool['pillars'][i % len(tag_pool['pillars'])]}",
             f"place:{tag_pool['places'][i % len(tag_pool['places'])]}"]
    if document:
        names += [f"doc:{tag_pool['doc_types'][i % len(tag_pool['doc_types'])]}",
                  f"issuer:{tag_pool['issuers'][i % len(tag_pool['issuers'])]}"]
    tags = [(n, "bench", "synthetic", None) for n in names]
    version = {
        "item_id": iid, "number": 1, "source": source, "title": title, "url": url, "summary": paras[0],
        "content": content, "published": seen - timedelta(minutes=5), "updated": None, "language": "vi",
        "author": None, "doc_number": f"{i}/QĐ-BKHCN" if document else None,
        "issuer": _ORGS[0] if document else None,
        "attachments": [{"url": f"{url[:-5]}.pdf", "media_type": "application/pdf", "length": 120_000 + i,
                         "title": None}] if document else [],
        "task": None, "content_hash": digest, "raw_hash": digest, "collected_at": seen,
    }
    if tags_in_json:  # the layout of syndicator/storage/schema.py: [[name, tagger, rule, confidence], …]
        version["tags"] = [list(tg) for tg in tags]
    return {
        "item": {"id": iid, "kind": "document" if document else "news", "restricted": False, "first_seen": seen,
                 "updated_at": seen, "current_version": 1, "current_hash": digest, "title": title,
                 "first_source": source},
        "version": version,
        "keys": [{"key": f"g:{source}:{guid}", "item_id": iid}, {"key": f"u:{url}", "item_id": iid}],
        "source": {"item_id": iid, "source": source, "guid": guid, "url": url, "last_hash": digest,
                   "first_seen": seen, "last_seen": seen},
        "tags": [] if tags_in_json else [dict(zip(("item_id", "version", "name", "tagger", "rule", "confidence"),
                                                  (iid, 1, *tg), strict=True)) for tg in tags],
        "entry": {"feed": FEED, "position": i, "item_id": iid, "version": 1, "published_at": seen + timedelta(minutes=1)},
    }


def _bulk_insert(store: Store, size: int, tag_pool: dict[str, list[str]]) -> None:
    from sqlalchemy import insert

    # Tags were a table (item_tags) and are becoming a JSON column of item_versions: fill whichever exists.
    tags_table = t.metadata.tables.get("item_tags")
    tags_in_json = tags_table is None
    if tags_in_json and "tags" not in t.item_versions.c:
        raise SystemExit("bench/feeds.py: the schema has neither item_tags nor item_versions.tags; update the builder")
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA synchronous=OFF")  # a bench database: losing it on a crash only means a rebuild
        raw.execute("PRAGMA cache_size=-262144")  # 256 MiB: the primary keys are random strings
        for start in range(1, size + 1, CHUNK):
            rows = [_rows(i, tag_pool, tags_in_json) for i in range(start, min(size, start + CHUNK - 1) + 1)]
            conn.execute(insert(t.items), [r["item"] for r in rows])
            conn.execute(insert(t.item_versions), [r["version"] for r in rows])
            conn.execute(insert(t.item_keys), [k for r in rows for k in r["keys"]])
            conn.execute(insert(t.item_sources), [r["source"] for r in rows])
            if tags_table is not None:
                conn.execute(insert(tags_table), [tg for r in rows for tg in r["tags"]])
            conn.execute(insert(t.feed_entries), [r["entry"] for r in rows])
            if (start - 1 + CHUNK) % COMMIT_EVERY == 0:
                conn.commit()
        conn.commit()


def _render_subscription(service: FeedService, store: Store) -> float:
    """Render and store page 0 of ``all`` in every format, as ``Publisher._render_feed`` does for page 0."""
    pub, spec = service.publisher, service.catalog.get(FEED)
    assert spec is not None
    began = time.perf_counter()
    with store.read() as conn:
        size = pub.feeds.size(conn, FEED)
        rows = pub.feeds.latest(conn, FEED, 3 * spec.page_size)
        docs = pub._documents(conn, spec, 0, size // spec.page_size, rows, store.clock.now())
    with store.write() as conn:
        generation = pub.feeds.get_state(conn, "documents.generation") + 1
        pub.feeds.save_documents(conn, [replace(d, generation=generation) for d in docs])
        pub.feeds.set_state(conn, "documents.generation", generation)
    return time.perf_counter() - began


@dataclass
class Database:
    size: int
    url: str
    path: Path
    build_s: float
    render_s: float
    cached: bool
    newest_item: str


def build_database(size: int, config: Config, out: Path, rebuild: bool) -> Database:
    """The database of ``size`` items, from the cache when it matches this builder and schema."""
    path = out / f"feeds-{size}.db"
    meta_path = out / f"feeds-{size}.json"
    url = f"sqlite:///{path}"
    key = _schema_key()
    if not rebuild and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            return Database(size, url, path, meta["build_s"], meta["render_s"], True, meta["newest_item"])
    for p in (path, meta_path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    clock = SystemClock()
    began = time.perf_counter()
    store = Store.open(url, clock)
    service = FeedService.build(config, store, clock)
    pool = {s: [e.slug for e in service.taxonomy.entries(s)] for s in ("pillars", "places", "doc_types", "issuers")}
    _bulk_insert(store, size, pool)
    build_s = time.perf_counter() - began
    render_s = _render_subscription(service, store)
    newest = _rows(size, pool, True)["item"]["id"]
    item = store.list_items(ids=[newest], limit=1)
    names = {tg.name for tg in item[0].tags} if item else set()
    if "lang:vi" not in names or len(names) < 3:
        raise SystemExit(f"CHECK FAILED: item {newest} reads back with tags {sorted(names)}")
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    meta_path.write_text(json.dumps({"key": key, "size": size, "build_s": build_s, "render_s": render_s,
                                     "newest_item": newest}))
    return Database(size, url, path, build_s, render_s, False, newest)


# ------------------------------------------------------------------ servers (children)


def serve(kind: str, target: str, config_path: str, profile_out: str | None) -> None:
    """Child process: one uvicorn server on an ephemeral loopback port, printed on stdout."""
    import logging

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    # As ``syndicator serve`` sets up logging (syndicator/cli.py): root at INFO, secrets masked.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if os.environ.get("BENCH_LOG_LEVEL"):
        logging.getLogger().setLevel(os.environ["BENCH_LOG_LEVEL"].upper())
    app: Any
    if kind == "memory":
        from starlette.responses import Response
        from starlette.routing import Route

        body = (Path(target) / "feeds" / "all.atom").read_bytes()

        async def document(request: Any) -> Response:
            return Response(body, media_type="application/atom+xml")

        app = Starlette(routes=[Route(PATH, document)])
    elif kind == "ours":
        from syndicator.cli import _mask_logs

        config = load_config(config_path, env={})
        _mask_logs(config)
        store = Store.open(target, SystemClock(), run_migrations=False)
        app = FeedService.build(config, store, store.clock).app()
    else:
        app = Starlette(routes=[Mount("/feeds", StaticFiles(directory=Path(target) / "feeds"))])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    # The settings of syndicator/engine.py, with the fast loop and parser named so both servers get them.
    server = uvicorn.Server(uvicorn.Config(app, access_log=False, log_level="warning", lifespan="off",
                                           loop="uvloop", http="httptools"))
    if profile_out:
        import cProfile

        # uvicorn re-raises the SIGTERM it caught once it has shut down; with this handler we live to dump.
        signal.signal(signal.SIGTERM, lambda *_: None)
        profiler = cProfile.Profile(time.process_time)  # CPU time: wall time on a busy machine counts waits
        profiler.runcall(server.run, sockets=[sock])
        profiler.dump_stats(profile_out)
    else:
        server.run(sockets=[sock])


@dataclass
class Server:
    kind: str
    size: int
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def fetches(self) -> dict[str, int]:
        """Our server's own count of answers for ``all`` by status (prometheus text from /metrics).

        Read until it stops moving: when wrk stops, the server may still be answering its last
        requests, which must not be counted in the next run.
        """
        last: dict[str, int] | None = None
        for _ in range(50):
            _, _, body = self.get("/metrics")
            out: dict[str, int] = {}
            for m in re.finditer(r'^syndicator_feed_fetches_total\{([^}]*)\} ([0-9.e+]+)$', body.decode(), re.M):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
                if labels.get("feed") == FEED:
                    out[labels["status"]] = out.get(labels["status"], 0) + int(float(m.group(2)))
            if out == last:
                return out
            last = out
            time.sleep(0.1)
        raise SystemExit(f"CHECK FAILED: the {self.kind} server keeps answering after wrk stopped")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(kind: str, size: int, target: str, config_path: Path, log: Path, profile_out: str | None = None,
                 log_level: str | None = None) -> Server:
    argv = [sys.executable, str(Path(__file__).resolve()), "--serve", kind, "--target", target,
            "--config", str(config_path)] + (["--profile-out", profile_out] if profile_out else [])
    env = dict(os.environ) | ({"BENCH_LOG_LEVEL": log_level} if log_level else {})
    with log.open("wb") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.kill()
        raise SystemExit(f"server {kind} did not start; see {log}")
    server = Server(kind, size, proc, int(line), log)
    deadline = time.monotonic() + 30
    while True:
        try:
            server.get("/healthz" if kind == "ours" else PATH)
            return server
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                server.stop()
                raise SystemExit(f"server {kind} is not answering; see {log}") from None
            time.sleep(0.05)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"CHECK FAILED: {message}")


def check_servers(ours: Server, references: list[Server], db: Database, urls_item: str) -> tuple[str, int]:
    """Correctness before measuring; returns the current ETag and body length."""
    import feedparser

    status, headers, body = ours.get(PATH)
    _check(status == 200, f"{db.size}: ours answered {status}")
    _check(headers.get("content-type", "").startswith("application/atom+xml"), f"content-type {headers}")
    parsed = feedparser.parse(body)
    _check(not parsed.bozo, f"{db.size}: feedparser: {parsed.get('bozo_exception')}")
    _check(len(parsed.entries) == PAGE_SIZE, f"{db.size}: {len(parsed.entries)} entries, not {PAGE_SIZE}")
    _check(parsed.entries[0].id == urls_item, f"{db.size}: newest entry {parsed.entries[0].id}, not {urls_item}")
    etag = headers["etag"]
    status, _, empty = ours.get(PATH, {"If-None-Match": etag})
    _check(status == 304 and empty == b"", f"{db.size}: conditional GET gave {status} with {len(empty)} bytes")
    for ref in references:
        status, _, same = ref.get(PATH)
        _check(status == 200 and same == body, f"{db.size}: {ref.kind} answered {status}, bytes equal: {same == body}")
    return etag, len(body)


# ------------------------------------------------------------------ load (wrk)

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass
class Run:
    size: int
    case: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bytes_per_response: float
    server_cpu_us: float
    wrk_cpu_s: float


def wrk(server: Server, case: str, etag: str, duration: float, connections: int, threads: int) -> Run:
    """One wrk run; checks its counts against the server's."""
    headers = ["-H", f"If-None-Match: {etag}"] if case == "304" else []
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--latency",
            "--timeout", "5s", *headers, f"http://127.0.0.1:{server.port}{PATH}"]
    before = server.fetches() if server.kind == "ours" else {}
    cpu0, kids0 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    cpu1, kids1 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    dist = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))

    def ms(value: str) -> float:
        m = re.fullmatch(r"([0-9.]+)(us|ms|s)", value)
        assert m, value
        return float(m.group(1)) * _UNITS[m.group(2)]

    done = re.search(r"(\d+) requests in [0-9.]+\w+, ([0-9.]+)(B|KB|MB|GB) read", out)
    _check(done is not None and "50" in dist and "99" in dist, f"cannot read wrk output:\n{out}")
    assert done is not None
    requests = int(done.group(1))
    _check("Non-2xx or 3xx" not in out, f"{server.kind} {case}: error answers:\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    _check(errors is None, f"{server.kind} {case}: socket errors: {errors.group(1) if errors else ''}")
    if server.kind == "ours":
        after = server.fetches()
        delta = {s: after.get(s, 0) - before.get(s, 0) for s in set(after) | set(before)}
        want, other = ("200", "304") if case == "full" else ("304", "200")
        _check(requests <= delta.get(want, 0) <= requests + connections and not delta.get(other, 0),
               f"{server.size} {case}: wrk counted {requests}, the server {delta}")
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    wrk_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    return Run(server.size, case, rps, ms(dist["50"]), ms(dist["99"]), requests,
               float(done.group(2)) * _BYTES[done.group(3)] / max(requests, 1),
               (cpu1 - cpu0) / max(requests, 1) * 1e6, wrk_cpu)


# ------------------------------------------------------------------ report


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "wrk": " ".join(wrk_version.split()[:2]), "uvicorn": dist_version("uvicorn"),
            "uvloop": dist_version("uvloop"), "httptools": dist_version("httptools"),
            "starlette": dist_version("starlette"), "load": " ".join(Path("/proc/loadavg").read_text().split()[:3])}


def summarise(runs: list[Run], sizes: list[int]) -> dict[tuple[int, str], dict[str, float]]:
    out = {}
    for size in sizes:
        for case in CASES:
            rs = [r for r in runs if r.size == size and r.case == case]
            out[(size, case)] = {
                "rps": statistics.median(r.rps for r in rs), "rps_min": min(r.rps for r in rs),
                "rps_max": max(r.rps for r in rs), "p50": statistics.median(r.p50_ms for r in rs),
                "p99": statistics.median(r.p99_ms for r in rs), "cpu": statistics.median(r.server_cpu_us for r in rs),
                "bytes": statistics.median(r.bytes_per_response for r in rs),
                "wrk_cpu": statistics.median(r.wrk_cpu_s for r in rs),
            }
    return out


def print_report(summary: dict[tuple[int, str], dict[str, float]], sizes: list[int], duration: float) -> None:
    print(f"\n{'items':>9}  {'case':<6} {'req/s':>7} {'(min–max)':>13} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'srv CPU µs/req':>14} {'wrk CPU %':>9} {'B/resp':>7}")
    for size in sizes:
        for case in CASES:
            s = summary[(size, case)]
            print(f"{size:>9,}  {case:<6} {s['rps']:>7,.0f} {s['rps_min']:>6,.0f}–{s['rps_max']:<6,.0f} "
                  f"{s['p50']:>7.2f} {s['p99']:>7.2f} {s['cpu']:>14.0f} {100 * s['wrk_cpu'] / duration:>9.0f} "
                  f"{s['bytes']:>7,.0f}")
    print(f"\n{'ratio':<40} {'measured':>9} {'target':>8}  verdict")

    def line(name: str, value: float, target: float, at_least: bool) -> None:
        ok = value >= target if at_least else value <= target
        print(f"{name:<40} {value:>9.2f} {('≥ ' if at_least else '≤ ') + f'{target:.2f}':>8}  "
              f"{'met' if ok else 'NOT MET'}")

    for size in sizes:
        static = summary[(size, "static")]["rps"]
        line(f"{size:,}: full / static (req/s)", summary[(size, "full")]["rps"] / static, TARGET_FULL, True)
        line(f"{size:,}: 304 / static (req/s)", summary[(size, "304")]["rps"] / static, TARGET_304, True)
    for size in sizes:  # no target: how far ours is from the stack's own ceiling
        memory = summary[(size, "memory")]["rps"]
        print(f"{f'{size:,}: full / memory (req/s)':<40} {summary[(size, 'full')]['rps'] / memory:>9.2f}"
              f"{'':>8}  (reference)")
        print(f"{f'{size:,}: 304 / memory (req/s)':<40} {summary[(size, '304')]['rps'] / memory:>9.2f}"
              f"{'':>8}  (reference)")
    if len(sizes) > 1:
        big, small = max(sizes), min(sizes)
        for q in ("p50", "p99"):
            line(f"full {q}: {big:,} / {small:,}", summary[(big, "full")][q] / summary[(small, "full")][q],
                 TARGET_LATENCY, False)


# ------------------------------------------------------------------ main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="item counts, comma-separated")
    ap.add_argument("--quick", action="store_true", help="only 10,000 and 100,000 items")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the server gets the other core)")
    ap.add_argument("--rounds", type=int, default=3, help="measurements per case, interleaved; medians are shown")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load per case first")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached databases")
    ap.add_argument("--log-level", choices=("info", "warning"), default="info",
                    help="our server's root log level: info as `syndicator serve` runs (one access line per request)")
    ap.add_argument("--profile", action="store_true", help="also profile our server (cProfile) over one full run")
    ap.add_argument("--keep-logs", action="store_true", help="keep the servers' stderr in bench/out/feeds/")
    ap.add_argument("--serve", choices=("ours", "static", "memory"), help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.target, args.config, args.profile_out)
        return 0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    sizes = [10_000, 100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    config = _config(OUT)
    info = machine()
    print(f"feeds bench: {', '.join(f'{s:,}' for s in sizes)} items; {info['nproc']} cores ({info['cpu']}), "
          f"Python {info['python']}, {info['wrk']}, uvicorn {info['uvicorn']} (uvloop {info['uvloop']}, "
          f"httptools {info['httptools']}), Starlette {info['starlette']}; load {info['load']}")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, {args.rounds} round(s), "
          f"warm-up {args.warmup:g}s; our server's log level: {args.log_level}")
    t0 = time.perf_counter()
    dbs = []
    for size in sizes:
        db = build_database(size, config, OUT, args.rebuild)
        mib = db.path.stat().st_size / 2**20
        print(f"  db {size:>9,}: build {db.build_s:7.1f} s, render page 0 (3 formats) {db.render_s:5.2f} s, "
              f"{mib:,.0f} MiB{' (cached)' if db.cached else ''}", flush=True)
        dbs.append(db)
    servers: list[Server] = []
    pairs: dict[int, tuple[dict[str, Server], str]] = {}
    try:
        for db in dbs:
            static_dir = OUT / f"static-{db.size}"
            (static_dir / "feeds").mkdir(parents=True, exist_ok=True)
            store = Store.open(db.url, SystemClock(), run_migrations=False)
            service = FeedService.build(config, store, store.clock)
            doc = service.publisher.feeds.document(FEED, "atom", 0)
            store.close()
            assert doc is not None
            (static_dir / "feeds" / "all.atom").write_bytes(doc.body)
            ours = start_server("ours", db.size, db.url, config.path, OUT / f"ours-{db.size}.log",
                                log_level=args.log_level)
            servers.append(ours)
            refs = [start_server(kind, db.size, str(static_dir), config.path, OUT / f"{kind}-{db.size}.log")
                    for kind in REFERENCE]
            servers.extend(refs)
            etag, length = check_servers(ours, refs, db, service.urls.item_id(db.newest_item))
            print(f"  checks {db.size:>9,}: 200 parses, {PAGE_SIZE} entries, {length:,} bytes, ETag {etag}; "
                  "304 empty; static and memory bytes equal", flush=True)
            pairs[db.size] = ({"full": ours, "304": ours, **{r.kind: r for r in refs}}, etag)
        if args.warmup > 0:
            for by_case, etag in pairs.values():
                for case in CASES:
                    wrk(by_case[case], case, etag, args.warmup, args.connections, args.threads)
        runs: list[Run] = []
        for rnd in range(args.rounds):
            k = rnd % len(CASES)
            order = CASES[k:] + CASES[:k]  # rotate, so drift in the machine's load hits every case
            for size, (by_case, etag) in pairs.items():
                for case in order:
                    run = wrk(by_case[case], case, etag, args.duration, args.connections, args.threads)
                    runs.append(run)
                    print(f"  round {rnd + 1} {size:>9,} {case:<6} {run.rps:8,.0f} req/s  p50 {run.p50_ms:6.2f} ms  "
                          f"p99 {run.p99_ms:6.2f} ms  server {run.server_cpu_us:4.0f} µs/req", flush=True)
        print_report(summarise(runs, sizes), sizes, args.duration)
        if args.profile:
            profile(dbs[0], config.path, args)
    finally:
        for s in servers:
            s.stop()
        if not args.keep_logs:
            for s in servers:
                s.log.unlink(missing_ok=True)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; load average now {machine()['load']}")
    return 0


def profile(db: Database, config_path: Path, args: argparse.Namespace) -> None:
    """Profile a fresh server of ours over one run of each case of ours; print the top functions by own time."""
    import pstats

    for case in ("full", "304"):
        out = OUT / f"server-{case}.prof"
        server = start_server("ours", db.size, db.url, config_path, OUT / "profile.log", str(out), args.log_level)
        try:
            _, headers, _ = server.get(PATH)
            run = wrk(server, case, headers["etag"], args.duration, args.connections, args.threads)
        finally:
            server.stop()
            (OUT / "profile.log").unlink(missing_ok=True)
        print(f"\nprofile of our server, case {case}, {run.requests:,} requests (cProfile on CPU time, by own time):")
        pstats.Stats(str(out)).strip_dirs().sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    sys.exit(main())
