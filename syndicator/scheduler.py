"""The scheduler: one APScheduler job per source, rebuilt from config at start.

Durable state (validators, back-off, last run) lives in our own tables, never
in pickled jobs. A job never overlaps itself (``max_instances=1`` in this
process, and the source's run lock in the database across processes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .clock import Clock
from .collect import Collector, due
from .config import Config

log = logging.getLogger("syndicator.scheduler")


def build_scheduler(
    config: Config, collector: Collector, clock: Clock, *, after_collect: Callable[[], None] | None = None
) -> BackgroundScheduler:
    """A scheduler with one job per enabled source; ``after_collect`` runs after each job that stored something."""
    scheduler = BackgroundScheduler(timezone=config.engine.timezone)
    for source in config.sources:
        if not source.enabled:
            continue
        trigger: Any
        if source.cron:
            trigger = CronTrigger.from_crontab(source.cron, timezone=config.engine.timezone)
            if source.jitter_seconds:
                trigger.jitter = source.jitter_seconds
        else:
            trigger = IntervalTrigger(
                seconds=source.schedule_interval() / timedelta(seconds=1), jitter=source.jitter_seconds or None,
                timezone=config.engine.timezone,
            )
        scheduler.add_job(
            _job(source.name, collector, clock, after_collect), trigger=trigger, id=f"collect:{source.name}",
            name=f"collect {source.name}", max_instances=1, coalesce=True, misfire_grace_time=300,
            next_run_time=clock.now(),  # first pass right away
        )
    return scheduler


def _job(
    name: str, collector: Collector, clock: Clock, after_collect: Callable[[], None] | None
) -> Callable[[], None]:
    def run() -> None:
        if not due(collector.store, name, clock.now()):
            log.info("source %s is backing off after failures; skipping this run", name)
            return
        reports = collector.collect([name])
        if after_collect is not None and any(r.new or r.updated for r in reports):
            try:
                after_collect()
            except Exception:  # a publishing failure must not kill the scheduler; it is retried next run
                log.exception("publishing after collecting %s failed", name)
        for report in reports:
            if report.failed:
                log.warning("source %s failed: %s", name, report.error)
            else:
                log.info("source %s: %d new, %d updated, %d unchanged%s", name, report.new, report.updated,
                         report.unchanged, " (not modified)" if report.not_modified else "")

    return run
