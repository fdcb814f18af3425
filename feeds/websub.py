"""WebSub publisher pings: tell each hub that a feed changed (``hub.mode=publish``), with retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

log = logging.getLogger("syndicator.websub")
_RETRY = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class PingReport:
    """Which (hub, topic) pings succeeded and which failed for good."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)


async def ping(
    client: httpx.AsyncClient, hubs: Sequence[str], topics: Sequence[str], *, tries: int = 3, delay: float = 1.0
) -> PingReport:
    """POST ``hub.mode=publish&hub.url=TOPIC`` to every hub for every topic; retry transient failures."""
    report = PingReport()

    async def one(hub: str, topic: str) -> None:
        error = ""
        for attempt in range(1, tries + 1):
            try:
                resp = await client.post(hub, data={"hub.mode": "publish", "hub.url": topic})
                if 200 <= resp.status_code < 300:
                    report.sent.append((hub, topic))
                    return
                error = f"HTTP {resp.status_code}"
                if resp.status_code not in _RETRY:
                    break
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}"
            if attempt < tries:
                await asyncio.sleep(delay * 2 ** (attempt - 1))
        log.warning("WebSub ping to %s for %s failed: %s", hub, topic, error)
        report.failed.append((hub, topic, error))

    await asyncio.gather(*(one(h, t) for h in hubs for t in topics))
    return report


def ping_sync(hubs: Sequence[str], topics: Sequence[str], *, timeout: float = 10.0, tries: int = 3,
              delay: float = 1.0) -> PingReport:
    """:func:`ping` with a client of its own, for synchronous callers."""

    async def run() -> PingReport:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            return await ping(client, hubs, topics, tries=tries, delay=delay)

    if not hubs or not topics:
        return PingReport()
    return asyncio.run(run())
