"""The engine in one process: scheduler (collect, then publish) and the feed server.

``syndicator serve`` runs only the server; ``syndicator run`` adds the
scheduler. The server runs in the foreground (uvicorn handles Ctrl-C and
SIGTERM); jobs that are running when it stops are let finish.
"""

from __future__ import annotations

import logging
import signal
import threading

from . import __version__
from .config import Config
from .storage.store import Store

log = logging.getLogger("syndicator")


def run_engine(config: Config, store: Store, *, with_scheduler: bool, host: str | None, port: int | None,
               where: str, access_log: bool = False) -> int:
    """Run until stopped; returns the exit code."""
    # The access log costs a quarter of a feed request: on request only.
    logging.getLogger("syndicator.feeds").setLevel(logging.INFO if access_log else logging.WARNING)
    import uvicorn

    from feeds.service import FeedService

    stop = threading.Event()
    server: uvicorn.Server | None = None

    def on_signal(signum: int, _frame: object) -> None:
        # Before the server starts (and again when uvicorn hands the signal back after its own
        # clean shutdown) a stop request just ends the run: no traceback, exit code 0.
        stop.set()
        if server is not None:
            server.should_exit = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    from .collect import Collector
    from .scheduler import build_scheduler

    service = FeedService.build(config, store, store.clock)
    publish_lock = threading.Lock()

    def publish() -> None:
        with publish_lock:  # one publisher at a time in this process; positions are unique across processes
            report, pings = service.publish()
            if report.entries or report.documents:
                log.info("published %d entr(ies) into %d feed(s); %d WebSub ping(s)", report.entries,
                         len(report.feeds), len(pings.sent))

    publish()
    if not service.publisher.feeds.generation():
        service.publisher.render_all()  # first start: every feed exists, even before it has entries
    feeds_cfg = config.file.feeds
    host = host or feeds_cfg.host
    port = port if port is not None else feeds_cfg.port
    scheduler = None
    if with_scheduler:
        collector = Collector(config, store, store.clock)
        scheduler = build_scheduler(config, collector, store.clock, after_collect=publish)
        scheduler.start()
    sources = len([s for s in config.sources if s.enabled]) if with_scheduler else 0
    print(f"syndicator {__version__}: data in {where}; "
          + (f"{sources} source(s) scheduled; " if with_scheduler else "")
          + f"feeds at http://{host}:{port}/ (catalog), http://{host}:{port}/feeds.opml. Ctrl-C stops.", flush=True)
    server = uvicorn.Server(uvicorn.Config(service.app(), host=host, port=port, access_log=False, log_level="warning",
                                           lifespan="off"))
    try:
        if not stop.is_set():
            server.run()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
    return 0
