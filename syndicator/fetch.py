"""Polite, safe HTTP retrieval.

Conditional GET (ETag / Last-Modified), explicit limits (timeout, response
size, redirects), a per-host concurrency limit, an honest User-Agent with a
contact URL, Retry-After read back to the scheduler, and refusal of private,
loopback and link-local addresses: every hop's host name is resolved and
every address it resolves to is checked before the request is sent.
Redirects are followed here, hop by hop, so each one gets that check.

Known limit: the HTTP stack resolves the name once more when it connects, so
a DNS server that answers differently within milliseconds (DNS rebinding)
could slip past; sources are configured by operators, which bounds the risk.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__
from .clock import Clock
from .domain import Fetched
from .errors import FetchError, RefusedAddressError

Resolver = Callable[[str, int], Awaitable[list[str]]]

_REDIRECTS = {301, 302, 303, 307, 308}
_REASONS = {
    404: "the page does not exist (404) — check the source's url",
    410: "the page is gone for good (410) — remove the source or change its url",
    401: "the server wants credentials (401) — set headers with a ${SECRET} in the source",
    403: "the server refuses us (403) — ask the publisher to allow the User-Agent, or check credentials",
    429: "the server says we ask too often (429) — the engine waits as told by Retry-After",
}


def user_agent(contact_url: str) -> str:
    """The User-Agent the engine sends: its name, version and a contact URL."""
    return f"syndicator/{__version__} (+{contact_url})"


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, via the operating system."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


def retry_after_seconds(value: str | None, clock: Clock) -> float | None:
    """Read a Retry-After header: seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - clock.now()).total_seconds())


class Fetcher:
    """Fetches documents over an injected ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        clock: Clock,
        contact_url: str,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        per_host: int = 2,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.client = client
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.per_host = per_host
        self.resolver = resolver
        self.user_agent = user_agent(contact_url)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def check_address(self, url: str, *, allow_private: bool) -> None:
        """Refuse a URL whose host is, or resolves to, a non-public address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"'{url}' is not an http(s) URL")
        if allow_private:
            return
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = await self.resolver(host, port)
            except OSError as e:
                raise FetchError(f"cannot resolve host '{host}' ({e}) — check the url") from e
        bad = [a for a in addresses if not is_public_address(a)]
        if bad or not addresses:
            raise RefusedAddressError(
                f"refused {url}: host '{host}' resolves to a private/loopback/link-local address "
                f"({', '.join(bad) or 'none'}); set allow_private = true on the source if this is intended"
            )

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET ``url`` politely; a 304 comes back as ``Fetched(status=304)`` with no body."""
        req_headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        req_headers.update(headers or {})
        if etag:
            req_headers["If-None-Match"] = etag
        if last_modified:
            req_headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self.max_redirects + 1):
            await self.check_address(current, allow_private=allow_private)
            host = urlsplit(current).hostname or ""
            sem = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
            async with sem:
                result = await self._one(current, req_headers)
            if isinstance(result, Fetched):
                return result
            current = result
        raise FetchError(f"more than {self.max_redirects} redirects from {url} — check the url")

    async def _one(self, url: str, headers: Mapping[str, str]) -> Fetched | str:
        try:
            async with self.client.stream("GET", url, headers=headers, follow_redirects=False) as resp:
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        raise FetchError(f"{url} answered {resp.status_code} without a Location header")
                    return str(urljoin(url, location))
                if resp.status_code == 304:
                    return Fetched(url=url, body=b"", status=304, etag=resp.headers.get("etag"),
                                   last_modified=resp.headers.get("last-modified"), headers=dict(resp.headers))
                if resp.status_code >= 400:
                    reason = _REASONS.get(resp.status_code) or (
                        f"the server failed ({resp.status_code}) — it may recover; the engine retries with back-off"
                        if resp.status_code >= 500 else f"HTTP {resp.status_code}"
                    )
                    raise FetchError(
                        f"{url}: {reason}", status=resp.status_code,
                        retry_after=retry_after_seconds(resp.headers.get("retry-after"), self.clock),
                    )
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"{url}: response of {int(declared)} bytes is over the limit of {self.max_bytes} "
                                     "(fetch.max_bytes)")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"{url}: response is over the limit of {self.max_bytes} bytes (fetch.max_bytes)")
                    chunks.append(chunk)
                return Fetched(
                    url=str(resp.url), body=b"".join(chunks), status=resp.status_code,
                    content_type=resp.headers.get("content-type"), etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"), headers=dict(resp.headers),
                )
        except httpx.TimeoutException as e:
            raise FetchError(f"{url}: timed out ({type(e).__name__}) — the server is slow or down") from e
        except httpx.HTTPError as e:
            raise FetchError(f"{url}: {type(e).__name__}: {e}") from e


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~15 ms; a process needs it once, not once per collection pass.
    return ssl.create_default_context()


def make_client(timeout: float, concurrency: int) -> httpx.AsyncClient:
    """The HTTP client the engine uses (no redirects of its own: the Fetcher follows them)."""
    return httpx.AsyncClient(
        verify=_tls_context(),
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        follow_redirects=False,
        trust_env=False,
    )
