"""The fetcher against real HTTP servers on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicator.clock import FixedClock
from syndicator.errors import FetchError, RefusedAddressError
from syndicator.fetch import Fetcher, is_public_address, retry_after_seconds


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Sends every request to one loopback server, keeping the Host the URL named.

    It lets a test use public-looking host names (that the injected resolver
    answers) while the bytes go to a real local server.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Host"] = request.url.netloc.decode()
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve


PUBLIC = {"news.example": ["93.184.216.34"], "other.example": ["93.184.216.35"],
          "internal.example": ["10.1.2.3"], "mixed.example": ["93.184.216.36", "192.168.1.9"]}


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def make_fetcher(clock: FixedClock, *, port: int | None = None, **kw: Any) -> Fetcher:
    transport = LoopbackTransport(port) if port else None
    client = httpx.AsyncClient(transport=transport, timeout=kw.pop("timeout", 5.0))
    return Fetcher(client, clock=clock, contact_url="https://example.org/contact", resolver=resolver(PUBLIC), **kw)


def test_conditional_get_gets_304(httpserver: HTTPServer, clock: FixedClock) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response("<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Wed, 18 Nov 2026 10:00:00 GMT",
                                             "Content-Type": "application/rss+xml"})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    f = make_fetcher(clock, port=httpserver.port)
    first = run(f.get("http://news.example/feed"))
    assert first.status == 200 and first.body == b"<rss/>" and first.etag == '"v1"'
    assert first.last_modified == "Wed, 18 Nov 2026 10:00:00 GMT"
    second = run(f.get("http://news.example/feed", etag=first.etag, last_modified=first.last_modified))
    assert second.not_modified and second.body == b""
    req = httpserver.log[-1][0]
    assert req.headers["If-Modified-Since"] == "Wed, 18 Nov 2026 10:00:00 GMT"
    assert "syndicator/" in req.headers["User-Agent"] and "https://example.org/contact" in req.headers["User-Agent"]


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/latest/meta-data",
                                 "http://10.0.0.8/", "http://internal.example/", "http://mixed.example/",
                                 "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"])
def test_private_addresses_are_refused(url: str, clock: FixedClock) -> None:
    f = make_fetcher(clock)
    with pytest.raises(RefusedAddressError, match="allow_private"):
        run(f.get(url))


def test_allow_private_lets_loopback_through(httpserver: HTTPServer, clock: FixedClock) -> None:
    httpserver.expect_request("/ok").respond_with_data("fine")
    f = make_fetcher(clock)
    assert run(f.get(httpserver.url_for("/ok"), allow_private=True)).body == b"fine"


def test_redirect_to_private_address_is_refused_on_that_hop(httpserver: HTTPServer, clock: FixedClock) -> None:
    httpserver.expect_request("/start").respond_with_data("", status=302, headers={"Location": "http://internal.example/x"})
    f = make_fetcher(clock, port=httpserver.port)
    with pytest.raises(RefusedAddressError, match="internal.example"):
        run(f.get("http://news.example/start"))


def test_redirects_are_followed_and_limited(httpserver: HTTPServer, clock: FixedClock) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=301, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "http://other.example/c"})
    httpserver.expect_request("/c").respond_with_data("arrived")
    f = make_fetcher(clock, port=httpserver.port)
    got = run(f.get("http://news.example/a"))
    assert got.body == b"arrived" and got.url.endswith("/c")
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="more than 2 redirects"):
        run(make_fetcher(clock, port=httpserver.port, max_redirects=2).get("http://news.example/loop"))


def test_oversized_body_is_refused(httpserver: HTTPServer, clock: FixedClock) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    f = make_fetcher(clock, port=httpserver.port, max_bytes=1000)
    with pytest.raises(FetchError, match="over the limit of 1000"):
        run(f.get("http://news.example/big"))

    def chunked(_request: Request) -> Response:  # no Content-Length: the limit must hold while streaming
        return Response((b"y" * 400 for _ in range(10)), direct_passthrough=True)

    httpserver.expect_request("/stream").respond_with_handler(chunked)
    with pytest.raises(FetchError, match="over the limit"):
        run(f.get("http://news.example/stream"))


@pytest.mark.parametrize("status, words", [(404, "does not exist"), (410, "gone for good"), (500, "server failed"),
                                            (503, "server failed"), (403, "refuses us")])
def test_http_errors_say_what_to_do(httpserver: HTTPServer, clock: FixedClock, status: int, words: str) -> None:
    httpserver.expect_request("/e").respond_with_data("nope", status=status)
    with pytest.raises(FetchError, match=words) as info:
        run(make_fetcher(clock, port=httpserver.port).get("http://news.example/e"))
    assert info.value.status == status


def test_retry_after_is_read(httpserver: HTTPServer, clock: FixedClock) -> None:
    httpserver.expect_request("/slow-down").respond_with_data("", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError, match="429") as info:
        run(make_fetcher(clock, port=httpserver.port).get("http://news.example/slow-down"))
    assert info.value.retry_after == 120
    assert retry_after_seconds("Fri, 20 Nov 2026 03:10:00 GMT", clock) == 600


def test_timeout(httpserver: HTTPServer, clock: FixedClock) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(FetchError, match="timed out"):
        run(make_fetcher(clock, port=httpserver.port, timeout=0.2).get("http://news.example/slow"))


def test_public_address_rules() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946")
    for bad in ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.1.1", "::1", "fe80::1", "fc00::1",
                "100.64.0.1", "0.0.0.0", "224.0.0.1"):
        assert not is_public_address(bad), bad
