"""The ``syndicator`` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from .clock import SystemClock
from .config import Config, load_config
from .errors import ConfigError, SyndicatorError
from .storage.db import default_url
from .storage.store import Store


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="syndicator", description="Resolution 57 content syndication engine.")
    p.add_argument("--version", action="version", version=f"syndicator {__version__}")
    p.add_argument("--config", help="config file (default config/syndicator.toml, env SYNDICATOR_CONFIG)")
    p.add_argument("--db", help="database URL (default: SQLite under the data dir, env SYNDICATOR_DB)")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("check-config", help="validate the config and print every problem")

    c = sub.add_parser("collect", help="run one collection pass and print new/updated/unchanged/failed per source")
    c.add_argument("--source", action="append", help="only this source (repeatable)")
    c.add_argument("--json", action="store_true")

    s = sub.add_parser("sources", help="each source's last status, last error, item count and next run")
    s.add_argument("--json", action="store_true")

    items = sub.add_parser("items", help="stored items").add_subparsers(dest="items_command", required=True)
    il = items.add_parser("list", help="list items, newest change first")
    il.add_argument("--kind", choices=["document", "task", "news"])
    il.add_argument("--source")
    il.add_argument("--limit", type=int, default=50)
    il.add_argument("--json", action="store_true")
    ish = items.add_parser("show", help="one item: all versions, sources, raw hashes")
    ish.add_argument("id")
    ish.add_argument("--json", action="store_true")
    it = items.add_parser("tag", help="add (+TAG) or remove (-TAG) tags by hand, kept across re-tagging")
    it.add_argument("id")
    it.add_argument("changes", nargs="+", metavar="+TAG|-TAG")
    it.add_argument("--reason", required=True, help="why (recorded in the ledger)")
    it.add_argument("--actor", default=os.environ.get("SYNDICATOR_ACTOR") or os.environ.get("USER") or "operator",
                    help="who (default $SYNDICATOR_ACTOR or $USER)")
    iw = items.add_parser("withdraw", help="withdraw an item: it leaves every feed (Atom tombstone) for good")
    iw.add_argument("id")
    iw.add_argument("--reason", required=True)
    iw.add_argument("--actor", default=os.environ.get("SYNDICATOR_ACTOR") or os.environ.get("USER") or "operator")
    ir = items.add_parser("retag", help="re-run the taggers after a taxonomy or rule change")
    scope = ir.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every item")
    scope.add_argument("--since", help="items changed since this date (YYYY-MM-DD)")
    ir.add_argument("--json", action="store_true")

    audit = sub.add_parser("audit", help="the coverage ledger").add_subparsers(dest="audit_command", required=True)
    av = audit.add_parser("verify", help="recompute the hash chain; non-zero exit if it was tampered with")
    av.add_argument("--json", action="store_true")
    ae = audit.add_parser("events", help="print ledger events as JSON lines")
    ae.add_argument("--type", help="only types starting with this (e.g. item.)")
    ae.add_argument("--item")

    pub = sub.add_parser("publish", help="put new and changed items into feeds, render them, ping WebSub hubs")
    pub.add_argument("--json", action="store_true")
    sv = sub.add_parser("serve", help="serve the feeds over HTTP (catalog, RSS/Atom/JSON Feed, OPML, archives)")
    sv.add_argument("--host")
    sv.add_argument("--port", type=int)
    sv.add_argument("--access-log", action="store_true", help="log every request (keys masked)")
    run = sub.add_parser("run", help="scheduler + publishing + feed server in the foreground until Ctrl-C / SIGTERM")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--access-log", action="store_true", help="log every request (keys masked)")
    return p


def _db_url(args: argparse.Namespace, config: Config) -> str:
    return args.db or os.environ.get("SYNDICATOR_DB") or default_url(config.engine.data_dir)


def _dt(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "apscheduler", "httpx"):  # their INFO lines drown the engine's own
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"{len(e.problems)} problem(s) in the configuration:", file=sys.stderr)
        for problem in e.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    _mask_logs(config)
    if args.command == "check-config":
        from .tagging.taxonomy import load_taxonomy

        try:
            taxonomy = load_taxonomy(config.taxonomy_path())
        except ConfigError as e:
            print(f"{len(e.problems)} problem(s) in the taxonomy:", file=sys.stderr)
            for problem in e.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 2
        print(f"{config.path}: OK — {len(config.sources)} source(s): "
              + ", ".join(f"{s.name} ({s.kind})" for s in config.sources))
        print(f"{taxonomy.path}: OK — {len(taxonomy.tag_names())} tags, {len(taxonomy.file.rules)} rule(s)")
        return 0
    try:
        store = Store.open(_db_url(args, config), SystemClock())
    except SyndicatorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        return _dispatch(args, config, store)
    except SyndicatorError as e:
        print(f"error: {config.mask(str(e))}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _mask_logs(config: Config) -> None:
    """Keep secrets out of every log line."""

    class _Mask(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = config.mask(record.getMessage())
            record.args = None
            return True

    for handler in logging.getLogger().handlers:
        handler.addFilter(_Mask())


def _dispatch(args: argparse.Namespace, config: Config, store: Store) -> int:
    from .collect import Collector

    if args.command == "collect":
        reports = Collector(config, store, store.clock).collect(args.source)
        if args.json:
            _print_json([r.as_dict() for r in reports])
        else:
            print(f"{'source':<28} {'new':>5} {'updated':>8} {'unchanged':>10}  status")
            for r in reports:
                status = "FAILED: " + (r.error or "") if r.failed else ("not modified" if r.not_modified else "ok")
                if r.error and not r.failed:
                    status = r.error
                print(f"{r.source:<28} {r.new:>5} {r.updated:>8} {r.unchanged:>10}  {status}")
                for problem in r.problems[:10]:
                    print(f"{'':<28} ! {problem}")
            print(f"\n{store.count_items()} items stored in {_where(args, config)}")
        return 1 if reports and all(r.failed for r in reports) else 0
    if args.command == "sources":
        statuses = {s.name: s for s in store.list_sources()}
        rows: list[dict[str, Any]] = []
        for src in config.sources:
            st = statuses.get(src.name)
            rows.append({
                "name": src.name, "kind": src.kind, "enabled": src.enabled,
                "last_run": st.last_run if st else None, "last_status": st.last_status if st else "never run",
                "last_error": st.last_error if st else None, "error_count": st.error_count if st else 0,
                "item_count": st.item_count if st else 0, "next_run": st.next_run if st else None,
            })
        if args.json:
            _print_json(rows)
        else:
            print(f"{'source':<24} {'kind':<9} {'items':>6} {'errors':>6}  {'last run':<16} {'next run':<16} status")
            for row in rows:
                print(f"{row['name']:<24} {row['kind']:<9} {row['item_count']:>6} {row['error_count']:>6}  "
                      f"{_dt(row['last_run']):<16} {_dt(row['next_run']):<16} {row['last_status']}"
                      + (f" — {row['last_error']}" if row["last_error"] else ""))
        return 0
    if args.command == "items":
        from .present import item_detail, item_summary

        if args.items_command == "list":
            items = store.list_items(kind=args.kind, source=args.source, limit=args.limit)
            if args.json:
                _print_json([item_summary(i) for i in items])
            else:
                for i in items:
                    title = item_summary(i)["title"] or "[restricted: content withheld]"
                    print(f"{i.id}  {i.kind.value:<8} v{i.current.number:<2} {_dt(i.updated_at)}  {title[:80]}")
            return 0
        if args.items_command == "tag":
            return _tag_command(args, store)
        if args.items_command == "retag":
            return _retag_command(args, config, store)
        if args.items_command == "withdraw":
            item = store.withdraw(args.id, actor=args.actor, reason=args.reason)
            print(f"{item.id}: withdrawn; it leaves every feed at the next publish (`syndicator publish`)")
            return 0
        item = store.get_item(args.id)
        detail = item_detail(item)
        if args.json:
            _print_json(detail)
        else:
            _print_item(detail)
        return 0
    if args.command == "audit":
        if args.audit_command == "verify":
            report = store.verify_ledger()
            if args.json:
                _print_json(report.as_dict())
            else:
                print(("OK" if report.ok else "TAMPERED") + f": {report.events} events, head {report.head_hash}")
                for p in report.problems:
                    print(f"  - {p}")
            return 0 if report.ok else 3
        for ev in store.iter_events(type_prefix=args.type, item_id=args.item):
            print(json.dumps(ev.as_dict(), ensure_ascii=False))
        return 0
    if args.command == "publish":
        from feeds.service import FeedService

        service = FeedService.build(config, store, store.clock)
        published, pings = service.publish()
        if args.json:
            _print_json({"items": published.items, "entries": published.entries, "feeds": published.feeds,
                         "documents": published.documents, "pinged": len(pings.sent), "ping_failures": pings.failed})
        else:
            print(f"{published.items} item(s) considered, {published.entries} new feed entr(ies) in "
                  f"{len(published.feeds)} feed(s), {published.documents} document(s) rendered")
            for hub, topic, error in pings.failed:
                print(f"  ! WebSub ping to {hub} for {topic} failed: {error}")
        return 0
    if args.command in ("serve", "run"):
        from .engine import run_engine

        return run_engine(config, store, with_scheduler=args.command == "run", host=args.host, port=args.port,
                          where=_where(args, config), access_log=args.access_log)
    raise AssertionError(args.command)


def _tag_command(args: argparse.Namespace, store: Store) -> int:
    add: list[str] = []
    remove: list[str] = []
    bad: list[str] = []
    for change in args.changes:
        if len(change) > 1 and change[0] in "+-":
            (add if change[0] == "+" else remove).append(change[1:])
        else:
            bad.append(change)
    if bad:
        print(f"error: {', '.join(bad)}: write +TAG to add or -TAG to remove (e.g. +place:ha-noi -pillar:science)",
              file=sys.stderr)
        return 2
    item = store.override_tags(args.id, add=add, remove=remove, actor=args.actor, reason=args.reason)
    print(f"{item.id}: tags now " + " ".join(t.name for t in item.tags))
    return 0


def _retag_command(args: argparse.Namespace, config: Config, store: Store) -> int:
    from .retag import progress_bar, retag
    from .tagging.service import load_tools

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"error: --since '{args.since}' is not a date; write YYYY-MM-DD", file=sys.stderr)
            return 2
        if since.tzinfo is None:
            from zoneinfo import ZoneInfo

            since = since.replace(tzinfo=ZoneInfo(config.engine.timezone))
    report = retag(store, load_tools(config.taxonomy_path()), since=since, progress=progress_bar())
    if args.json:
        _print_json({"items": report.items, "changed": report.changed, "added": report.added,
                     "removed": report.removed})
    else:
        print(f"re-tagged {report.items} item(s); {report.changed} changed")
        for name, n in sorted(report.added.items()):
            print(f"  +{name}: {n}")
        for name, n in sorted(report.removed.items()):
            print(f"  -{name}: {n}")
    return 0


def _where(args: argparse.Namespace, config: Config) -> str:
    url = _db_url(args, config)
    if url.startswith("sqlite:///"):
        return str(Path(url.removeprefix("sqlite:///")).resolve())
    return url.split("@")[-1]  # never print credentials


def _print_item(d: dict[str, Any]) -> None:
    print(f"{d['id']}  {d['kind']}  version {d['current_version']}  first seen {d['first_seen']}"
          + ("  [RESTRICTED: never leaves the system]" if d["restricted"] else ""))
    if d.get("withheld"):
        print("content withheld: this item is restricted (state secret or operator's decision)")
        for v in d["versions"]:
            print(f"version {v['number']} at {v['collected_at']}  content hash {v['content_hash']}  raw hash {v['raw_hash']}")
        return
    print("tags:")
    for t in d["tags"]:
        conf = f" ({t['confidence']:.2f})" if t["confidence"] is not None else ""
        print(f"  {t['name']:<40} {t['tagger']}: {t['rule']}{conf}")
    print("sources:")
    for s in d["sources"]:
        print(f"  - {s['source']}  guid={s['guid']}  url={s['url']}  first={s['first_seen']}  last={s['last_seen']}")
    for v in d["versions"]:
        print(f"version {v['number']} from {v['source']} at {v['collected_at']}")
        print(f"  title:     {v['title']}")
        for key in ("url", "published", "updated", "language", "doc_number", "issuer", "author"):
            if v.get(key):
                print(f"  {key + ':':<10} {v[key]}")
        if v.get("task"):
            print("  task:      " + ", ".join(f"{k}={val}" for k, val in v["task"].items() if val is not None))
        for a in v["attachments"]:
            print(f"  attachment {a['url']} ({a.get('media_type') or '?'})")
        print(f"  content hash {v['content_hash']}  raw hash {v['raw_hash']}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
