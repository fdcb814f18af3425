"""Ingest benchmark: our collector against lemon24's ``reader`` over the same loopback feeds.

N feeds of M entries each (RSS 2.0 and Atom 1.0, alternating; Vietnamese text,
about 1-1.5 KB of HTML per entry) are served from memory by a small asyncio
HTTP/1.1 server in its own process, with ETag and Last-Modified. Each run of a
contender is a fresh interpreter with a fresh SQLite file, so its peak RSS is
its own:

* ours: first pass (fetch, parse, normalise, de-duplicate, store) then a second
  pass in which every feed answers 304 to the conditional GET;
* reader: ``make_reader``, ``add_feed`` for every feed (not timed), then
  ``update_feeds(workers=W)`` and a second ``update_feeds(workers=W, scheduled=False)``
  (reader 3.26 only updates feeds that are due unless ``scheduled=False``).

Every pass is checked against the server's own counters (N answers of 200 on a
first pass, N of 304 on a second) and the stored entry count; a failure stops
the bench, because a bench that measures failures is worthless.

Usage::

    .venv/bin/python bench/ingest.py                  # 200 feeds x 50 entries, 3 repeats
    .venv/bin/python bench/ingest.py --quick          # a smoke run
    .venv/bin/python bench/ingest.py --profile        # also profile one in-process run of ours
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:  # run as a script (bench/ on sys.path) or as ``python -m bench.ingest``
    import common
except ImportError:  # pragma: no cover
    from bench import common  # type: ignore[no-redef]

SCRIPT = os.path.abspath(__file__)
TARGET_FIRST = 2.0  # ours first pass >= 2x reader's best first pass
TARGET_SECOND = 1.0  # ours second pass >= reader's best second pass
TARGET_304_SPEEDUP = 20.0  # ours second pass >= 20x faster than ours first pass


# ---------------------------------------------------------------- children


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"CHECK FAILED: {message}")


def _write_config(tmp: Path, base_url: str, feeds: int, per_host: int, concurrency: int, parse_workers: int) -> Path:
    lines = [
        "[engine]",
        f'data_dir = "{tmp}"',
        "",
        "[fetch]",
        f"per_host_concurrency = {per_host}",
        f"concurrency = {concurrency}",
        f"parse_workers = {parse_workers}",
        "",
    ]
    for i in range(feeds):
        lines += [
            "[[sources]]",
            f'name = "f{i + 1:04d}"',
            'kind = "feed"',
            f'url = "{base_url}{common.feed_path(i)}"',
            "allow_private = true",
            'item_kind = "news"',
            "",
        ]
    path = tmp / "bench.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def child_ours(args: argparse.Namespace) -> dict[str, Any]:
    """Two passes of our collector on a fresh SQLite file."""
    from syndicator.clock import SystemClock
    from syndicator.collect import Collector
    from syndicator.config import load_config
    from syndicator.storage.store import Store

    n, m, url = args.feeds, args.entries, args.url
    profiling = args.profile_child
    profiles = common.ThreadProfiles()
    if profiling:
        # Instrument the collector's storage thread (cProfile sees one thread only); bench-only, in this child.
        import syndicator.collect

        syndicator.collect.ThreadPoolExecutor = profiles.pool_class()
    with tempfile.TemporaryDirectory(prefix="bench-ours-") as d:
        tmp = Path(d)
        config = load_config(
            _write_config(tmp, url, n, args.per_host, args.concurrency, 1 if profiling else args.parse_workers)
        )
        store = Store.open(f"sqlite:///{tmp / 'syndicator.db'}", SystemClock())
        baseline = common.current_rss_mib()
        result: dict[str, Any] = {"baseline_rss": baseline, "profile": {}}
        for name in ("first", "second"):
            profiles.reset()
            before = common.server_stats(url)
            t0 = time.perf_counter()
            if profiling:
                profiles.main.enable()
            reports = Collector(config, store, store.clock).collect()
            if profiling:
                profiles.main.disable()
            elapsed = time.perf_counter() - t0
            served = common.stats_delta(before, common.server_stats(url))
            failed = [r for r in reports if r.failed]
            _check(not failed, f"ours {name} pass: {len(failed)} sources failed, e.g. {failed[:1]}")
            _check(len(reports) == n, f"ours {name} pass: {len(reports)} reports for {n} feeds")
            if name == "first":
                wrong = [r for r in reports if r.new != m or r.not_modified]
                _check(not wrong, f"ours first pass: sources without {m} new entries, e.g. {wrong[:1]}")
                _check(served["200"] == n and served["304"] == 0, f"ours first pass: server saw {served}")
            else:
                wrong = [r for r in reports if not r.not_modified]
                _check(not wrong, f"ours second pass: sources not 'not modified', e.g. {wrong[:1]}")
                _check(served["304"] == n and served["200"] == 0, f"ours second pass: server saw {served}")
            result[name] = {
                "seconds": elapsed,
                "served": served,
                "new": sum(r.new for r in reports),
                "not_modified": sum(r.not_modified for r in reports),
                "problems": sum(len(r.problems) for r in reports),
            }
            if profiling:
                threads = list(profiles.threads.values())
                result["profile"][name] = {
                    "main": common.stage_breakdown([profiles.main]),
                    "storage": common.stage_breakdown(threads),
                    "top": common.top_cumulative([profiles.main, *threads], args.profile_top),
                }
        store.close()
        with sqlite3.connect(tmp / "syndicator.db") as db:
            stored = db.execute("SELECT count(*) FROM items").fetchone()[0]
            events = db.execute("SELECT count(*) FROM ledger_events").fetchone()[0]
        _check(stored == n * m, f"ours stored {stored} items, expected {n * m}")
        result["stored"] = stored
        result["ledger_events"] = events
    result["rss"] = common.peak_rss_mib()
    return result


def child_stages(args: argparse.Namespace) -> dict[str, Any]:
    """Each stage of our first pass alone, on one thread, without a profiler: what each one costs.

    The documents are fetched once beforehand; then parse, normalise, tag, the
    storage steps and the 304-pass bookkeeping run one after another exactly as
    the collector calls them, but with nothing running beside them.
    """
    import collections
    from datetime import timedelta

    import httpx
    from sqlalchemy import event

    from syndicator.clock import SystemClock
    from syndicator.config import load_config
    from syndicator.decide import all_candidate_keys, decide
    from syndicator.domain import Fetched, ItemKind
    from syndicator.normalize import normalize_entry, sha256_hex
    from syndicator.sources.kinds import default_registry
    from syndicator.storage.store import Store
    from syndicator.tagging.service import load_tools, tag_entry

    n, url = args.feeds, args.url
    out: dict[str, float] = {}

    def timed(label: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        value = fn()
        out[label] = time.perf_counter() - t0
        return value

    with tempfile.TemporaryDirectory(prefix="bench-stages-") as d:
        tmp = Path(d)
        config = load_config(_write_config(tmp, url, n, args.per_host, args.concurrency, 1))
        sources = config.sources
        with httpx.Client(trust_env=False) as client:
            docs = []
            for s in sources:
                r = client.get(s.url)
                docs.append(
                    Fetched(
                        url=str(r.url),
                        body=r.content,
                        status=r.status_code,
                        content_type=r.headers.get("content-type"),
                        etag=r.headers.get("etag"),
                        last_modified=r.headers.get("last-modified"),
                        headers=dict(r.headers),
                    )
                )
        kind = default_registry().get("feed")
        tools = load_tools(str(config.taxonomy_path()))
        parsed = timed(
            "parse (FeedKind.parse)", lambda: [kind.parse(s, doc) for s, doc in zip(sources, docs, strict=True)]
        )
        normed = timed(
            "normalise (normalize_entry, incl. nh3)",
            lambda: [
                [
                    normalize_entry(
                        p,
                        source=s.name,
                        default_kind=ItemKind(s.item_kind),
                        default_language=s.language or r.language,
                        raw_hash=sha256_hex(doc.body),
                    )
                    for p in r.entries
                ]
                for s, r, doc in zip(sources, parsed, docs, strict=True)
            ],
        )
        tagged = timed("tag (tag_entry)", lambda: [[tag_entry(e, tools) for e in es] for es in normed])
        timed(
            "candidate keys, once (fingerprint: nh3 to plain text)", lambda: [all_candidate_keys(es) for es in tagged]
        )
        store = Store.open(f"sqlite:///{tmp / 'stages.db'}", SystemClock())
        cursor: collections.Counter[str] = collections.Counter()

        @event.listens_for(store.engine, "before_cursor_execute")
        def _before(conn: Any, *_: Any) -> None:
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(store.engine, "after_cursor_execute")
        def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            cursor[" ".join(statement.split()[:3])[:32]] += time.perf_counter() - conn.info["bench_t0"]

        parts: dict[str, float] = collections.defaultdict(float)
        t_store = time.perf_counter()
        for s, es, doc in zip(sources, tagged, docs, strict=True):
            t0 = time.perf_counter()
            store.claim_source(s.name, s.kind, owner="bench", until=store.clock.now() + timedelta(hours=1))
            with store.read() as conn:
                store.source_row(conn, s.name)
            t1 = time.perf_counter()
            at = store.clock.now()
            with store.write() as conn:
                ta = time.perf_counter()
                known, states = store.lookup(conn, all_candidate_keys(es))
                tb = time.perf_counter()
                decision = decide(es, known_keys=known, states=states)
                tc = time.perf_counter()
                store.apply(conn, decision, at=at)
                td = time.perf_counter()
            te = time.perf_counter()
            with store.write() as conn:
                store.ensure_source(conn, s.name, s.kind)
                store.update_source(
                    conn,
                    s.name,
                    etag=doc.etag,
                    last_modified=doc.last_modified,
                    last_run=at,
                    last_status="ok",
                    last_error=None,
                    error_count=0,
                    next_run=at + timedelta(hours=1),
                )
            store.release_source(s.name, owner="bench")
            tf = time.perf_counter()
            parts["  lookup (candidate keys + SELECTs)"] += tb - ta
            parts["  decide (candidate keys again + rules)"] += tc - tb
            parts["  apply (INSERTs + ledger events)"] += td - tc
            parts["  commit of the entries transaction"] += te - td
            parts["  claim, state, success, release (4 transactions)"] += (t1 - t0) + (tf - te)
        out["storage, all of it (one thread)"] = time.perf_counter() - t_store
        out.update(parts)
        t0 = time.perf_counter()
        for s, doc in zip(sources, docs, strict=True):  # what a 304 pass asks of storage
            store.claim_source(s.name, s.kind, owner="bench", until=store.clock.now() + timedelta(hours=1))
            with store.read() as conn:
                store.source_row(conn, s.name)
            at = store.clock.now()
            with store.write() as conn:
                store.ensure_source(conn, s.name, s.kind)
                store.update_source(
                    conn,
                    s.name,
                    last_run=at,
                    last_status="not modified",
                    last_error=None,
                    error_count=0,
                    etag=doc.etag,
                    last_modified=doc.last_modified,
                    next_run=at + timedelta(hours=1),
                )
            store.release_source(s.name, owner="bench")
        out["304 pass: storage bookkeeping (4 transactions a feed)"] = time.perf_counter() - t0
        store.close()

    async def conditional(width: int) -> float:
        limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
        async with httpx.AsyncClient(trust_env=False, limits=limits) as client:
            gate = asyncio.Semaphore(width)

            async def one(doc: Any) -> None:
                async with gate:
                    headers = {"If-None-Match": doc.etag, "If-Modified-Since": doc.last_modified}
                    resp = await client.get(doc.url, headers=headers)
                    assert resp.status_code == 304, resp.status_code

            t0 = time.perf_counter()
            await asyncio.gather(*(one(doc) for doc in docs))
            return time.perf_counter() - t0

    for width in (1, 4, 16):
        out[f"304 pass: {n} conditional GETs, httpx.AsyncClient, {width} in flight"] = asyncio.run(conditional(width))
    return {"stages": out, "sql": [(k, round(v, 3)) for k, v in cursor.most_common(8)]}


def child_reader(args: argparse.Namespace) -> dict[str, Any]:
    """Two passes of reader.update_feeds(workers=W) on a fresh SQLite file."""
    from reader import make_reader

    n, m, url, workers = args.feeds, args.entries, args.url, args.workers
    with tempfile.TemporaryDirectory(prefix="bench-reader-") as d:
        reader = make_reader(str(Path(d) / "reader.sqlite"))
        for i in range(n):
            reader.add_feed(f"{url}{common.feed_path(i)}")
        baseline = common.current_rss_mib()
        result: dict[str, Any] = {"baseline_rss": baseline}
        for name in ("first", "second"):
            before = common.server_stats(url)
            t0 = time.perf_counter()
            if name == "first":
                reader.update_feeds(workers=workers)
            else:
                # Every feed was just updated, so none is due; scheduled=False asks them all again.
                reader.update_feeds(workers=workers, scheduled=False)
            elapsed = time.perf_counter() - t0
            served = common.stats_delta(before, common.server_stats(url))
            broken = [(f.url, f.last_exception) for f in reader.get_feeds(broken=True)]
            _check(not broken, f"reader {name} pass: {len(broken)} feeds broken, e.g. {broken[:1]}")
            total = reader.get_entry_counts().total
            _check(total == n * m, f"reader {name} pass: {total} entries stored, expected {n * m}")
            if name == "first":
                _check(served["200"] == n and served["304"] == 0, f"reader first pass: server saw {served}")
            else:
                _check(served["304"] == n and served["200"] == 0, f"reader second pass: server saw {served}")
            result[name] = {"seconds": elapsed, "served": served, "stored": total}
        result["stored"] = reader.get_entry_counts().total
        reader.close()
    result["rss"] = common.peak_rss_mib()
    return result


def child_probe(args: argparse.Namespace) -> dict[str, Any]:
    """How fast the server answers a plain httpx client, and how much CPU each answer costs it."""
    import httpx

    url, n = args.url, args.feeds
    paths = [common.feed_path(i % n) for i in range(200)]
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, trust_env=False) as client:
        etags = {p: client.get(p).headers["etag"] for p in set(paths)}
        for label, conditional in (("sync_200", False), ("sync_304", True)):
            before = common.server_stats(url)
            t0 = time.perf_counter()
            for p in paths:
                resp = client.get(p, headers={"If-None-Match": etags[p]} if conditional else None)
                assert resp.status_code == (304 if conditional else 200), resp.status_code
            elapsed = time.perf_counter() - t0
            served = common.stats_delta(before, common.server_stats(url))
            out[label] = {
                "rps": len(paths) / elapsed,
                "server_cpu_per_request": served["cpu_seconds"] / len(paths),
                "mb_per_s": served["bytes"] / elapsed / 1e6,
            }

    async def concurrent(conditional: bool) -> dict[str, float]:
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        async with httpx.AsyncClient(base_url=url, limits=limits, trust_env=False) as client:
            sem = asyncio.Semaphore(16)

            async def one(p: str) -> None:
                async with sem:
                    resp = await client.get(p, headers={"If-None-Match": etags[p]} if conditional else None)
                    assert resp.status_code == (304 if conditional else 200), resp.status_code

            await asyncio.gather(*(one(p) for p in paths[:16]))  # open the connections first
            before = common.server_stats(url)
            t0 = time.perf_counter()
            await asyncio.gather(*(one(p) for p in paths))
            elapsed = time.perf_counter() - t0
            served = common.stats_delta(before, common.server_stats(url))
            return {
                "rps": len(paths) / elapsed,
                "server_cpu_per_request": served["cpu_seconds"] / len(paths),
                "mb_per_s": served["bytes"] / elapsed / 1e6,
            }

    out["async16_200"] = asyncio.run(concurrent(False))
    out["async16_304"] = asyncio.run(concurrent(True))
    return out


# ---------------------------------------------------------------- the parent


def _child_argv(kind: str, args: argparse.Namespace, url: str, **extra: Any) -> list[str]:
    argv = [
        SCRIPT,
        "--_child",
        kind,
        "--url",
        url,
        "--feeds",
        str(args.feeds),
        "--entries",
        str(args.entries),
        "--per-host",
        str(args.per_host),
        "--concurrency",
        str(args.concurrency),
        "--parse-workers",
        str(args.parse_workers),
    ]
    for key, value in extra.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        else:
            argv += [flag, str(value)]
    return argv


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def main_parent(args: argparse.Namespace) -> int:
    n, m = args.feeds, args.entries
    total = n * m
    workers = [int(w) for w in args.reader_workers.split(",") if w.strip()]
    info = common.machine()
    started = time.time()
    server = common.start_server(SCRIPT, n, m)
    print(f"syndicator ingest bench: {n} feeds x {m} entries = {total} entries; medians of {args.repeat} runs")
    print(f"machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}")
    print(
        f"feed server: asyncio.Protocol, own process, {server.base_url}, HTTP/1.1 keep-alive, "
        f"{server.total_bytes / 1e6:.1f} MB pre-rendered (RSS 2.0 and Atom 1.0 alternating), ETag + Last-Modified"
    )
    print(
        f"note: our collector runs with fetch.per_host_concurrency = {args.per_host} and fetch.concurrency = "
        f"{args.concurrency}; the default per-host limit (2) would serialise all {n} feeds on 127.0.0.1. "
        "reader has no per-host limit."
    )
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], **{f"reader W={w}": [] for w in workers}}
    try:
        probe = common.run_child(_child_argv("probe", args, server.base_url))
        print("server capacity (200 requests from a plain httpx client; server CPU per answer measured in the server):")
        for label, p in probe.items():
            cpu_us = p["server_cpu_per_request"] * 1e6
            print(
                f"  {label:<12} {p['rps']:>8,.0f} req/s  {p['mb_per_s']:>7.1f} MB/s  "
                f"server CPU {cpu_us:>6.0f} us/answer (~{1 / max(p['server_cpu_per_request'], 1e-7):,.0f} req/s "
                "on one core)"
            )
        for r in range(args.repeat):
            for key in runs:
                if key == "ours":
                    argv = _child_argv("ours", args, server.base_url)
                else:
                    argv = _child_argv("reader", args, server.base_url, workers=int(key.split("=")[1]))
                res = common.run_child(argv)
                runs[key].append(res)
                print(
                    f"  run {r + 1}/{args.repeat} {key:<12} first {res['first']['seconds']:7.2f} s  "
                    f"second {res['second']['seconds']:6.3f} s  peak RSS {res['rss']['self']:.0f} MiB",
                    flush=True,
                )
        profile = stages = None
        if args.profile:
            stages = common.run_child(_child_argv("stages", args, server.base_url))
            profile = common.run_child(
                _child_argv("ours", args, server.base_url, profile_child=True, profile_top=args.profile_top)
            )
    finally:
        server.stop()

    print()
    header = (
        f"{'contender':<14}{'pass':<14}{'median s':>10}{'min s':>9}{'max s':>9}{'entries/s':>12}"
        f"{'conns':>7}{'srv CPU s':>11}{'peak RSS MiB':>15}{'pool max':>10}"
    )
    print(header)
    print("-" * len(header))
    med: dict[tuple[str, str], float] = {}
    for key, results in runs.items():
        for name in ("first", "second"):
            secs = [x[name]["seconds"] for x in results]
            med[(key, name)] = common.median(secs)
            srv = common.median([x[name]["served"]["cpu_seconds"] for x in results])
            conns = common.median([x[name]["served"]["connections"] for x in results])
            rss = max(x["rss"]["self"] for x in results)
            pool = max(x["rss"]["children"] for x in results)
            label = "first" if name == "first" else "second (304)"
            print(
                f"{key:<14}{label:<14}{med[(key, name)]:>10.3f}{min(secs):>9.3f}{max(secs):>9.3f}"
                f"{_fmt_rate(total / med[(key, name)]):>12}{conns:>7.0f}{srv:>11.3f}"
                f"{(f'{rss:.0f}' if name == 'first' else ''):>15}{(f'{pool:.0f}' if name == 'first' and pool else ''):>10}"
            )
    readers = [k for k in runs if k != "ours"]
    best_first = min(readers, key=lambda k: med[(k, "first")])
    best_second = min(readers, key=lambda k: med[(k, "second")])
    r1 = med[(best_first, "first")] / med[("ours", "first")]
    r2 = med[(best_second, "second")] / med[("ours", "second")]
    r3 = med[("ours", "first")] / med[("ours", "second")]
    print()
    print("ratios (throughput, higher is better for ours):")
    for label, value, target, vs in (
        ("ours first / reader best first", r1, TARGET_FIRST, best_first),
        ("ours second / reader best second", r2, TARGET_SECOND, best_second),
        ("ours first-pass time / ours second-pass time", r3, TARGET_304_SPEEDUP, None),
    ):
        verdict = "met" if value >= target else "NOT met"
        print(
            f"  {label:<46} {value:>7.2f}x   target >= {target:g}x: {verdict}"
            + (f"   (reader best = {vs})" if vs else "")
        )
    ours0 = runs["ours"][0]
    print()
    print(
        f"checks: every pass of every run asserted: ours {n} reports, none failed, {m} new each on the first pass "
        f"and all not-modified on the second; server answered {n} x 200 then {n} x 304 to each contender; "
        f"stored entries: ours {ours0['stored']} items ({ours0['ledger_events']} ledger events), "
        + ", ".join(f"{k} {runs[k][0]['stored']}" for k in readers)
        + "."
    )
    print(
        "peak RSS: max over runs of ru_maxrss of the contender's own process; 'pool max' is its largest "
        "parse-worker process (ours forks one per core for big passes). conns: TCP connections the server "
        "accepted during the pass; srv CPU s: CPU time the feed server spent during the pass."
    )
    print(
        f"baseline RSS after imports and setup: ours {runs['ours'][0]['baseline_rss']:.0f} MiB, "
        + ", ".join(f"{k} {runs[k][0]['baseline_rss']:.0f} MiB" for k in readers)
    )
    print(f"wall time of the bench: {time.time() - started:.0f} s")
    if stages:
        print()
        print("=== ours, stage by stage: each alone on one thread, no profiler (seconds for the whole pass) ===")
        for label, secs in stages["stages"].items():
            print(f"  {secs:8.3f}  {label}")
        print(
            "  SQL cursor time by statement (inside 'apply' and 'lookup'): "
            + "; ".join(f"{k} {v:.3f}" for k, v in stages["sql"])
        )
    if profile:
        for name in ("first", "second"):
            prof = profile["profile"][name]
            print()
            print(
                f"=== cProfile of ours, {name} pass: {profile[name]['seconds']:.2f} s under the profiler "
                "(parse_workers = 1, so parsing runs on the event-loop thread; wall-clock times) ==="
            )
            for label in ("main", "storage"):
                print(
                    f"  own time by stage, {label} thread: "
                    + "; ".join(f"{stage} {secs:.2f}" for stage, secs in prof[label])
                )
            print(f"  top {args.profile_top} by cumulative time, both threads:")
            print(prof["top"])
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--feeds", type=int, default=200, help="number of feeds (default 200)")
    p.add_argument("--entries", type=int, default=50, help="entries per feed (default 50)")
    p.add_argument("--repeat", type=int, default=3, help="runs per contender; medians are shown (default 3)")
    p.add_argument("--reader-workers", default="1,4,8", help="reader update_feeds(workers=...) values (default 1,4,8)")
    p.add_argument("--quick", action="store_true", help="a smoke run: 20 feeds x 20 entries, 1 run")
    p.add_argument("--per-host", type=int, default=16, help="our fetch.per_host_concurrency (default 16)")
    p.add_argument("--concurrency", type=int, default=32, help="our fetch.concurrency (default 32)")
    p.add_argument(
        "--parse-workers", type=int, default=0, help="our fetch.parse_workers (default 0 = the engine's default)"
    )
    p.add_argument("--profile", action="store_true", help="also profile one run of ours (cProfile, in-process)")
    p.add_argument("--profile-top", type=int, default=15, help="lines of profile to print (default 15)")
    p.add_argument("--_serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_child", choices=("ours", "reader", "probe", "stages"), help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.feeds, args.entries, args.repeat = 20, 20, 1
    if args._serve:
        asyncio.run(common.serve(args.feeds, args.entries))
        return 0
    if args._child:
        fn = {"ours": child_ours, "reader": child_reader, "probe": child_probe, "stages": child_stages}[args._child]
        common.emit(fn(args))
        return 0
    return main_parent(args)


if __name__ == "__main__":
    sys.exit(main())
