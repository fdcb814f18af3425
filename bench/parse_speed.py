"""Parse speed of the ``feed`` parser: the lxml fast path against feedparser.

Generates 200 feeds x 50 entries (RSS 2.0 and Atom 1.0 alternating;
Vietnamese text, about 1.5 KB of HTML content per entry, relative links,
enclosures, authors, categories) and prints entries per second of CPU time (one core), median of 5
runs, for:

* ``parse_feed`` (the fast path; the bench stops if any feed is declined,
  because a bench that measures the fallback is worthless),
* ``parse_feed_slow`` (feedparser with ``sanitize_html=False``, as the
  fallback runs it), and, with ``--feedparser-default``, feedparser with its
  defaults (sanitising), which is what lemon24/reader runs.

Target: fast path >= 6x ``parse_feed_slow``.

Usage::

    .venv/bin/python bench/parse_speed.py
    .venv/bin/python bench/parse_speed.py --quick
    .venv/bin/python bench/parse_speed.py --feedparser-default
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicator.sources.feed import fast_path_refusal, parse_feed, parse_feed_slow  # noqa: E402

TARGET = 6.0
VOCABULARY = (
    "Nghị quyết 57 khoa học công nghệ đổi mới sáng tạo chuyển đổi số quốc gia nhiệm vụ ngân sách nhà nước "
    "truyền thông Chương trình 1169 doanh nghiệp viện nghiên cứu trường đại học địa phương hạ tầng dữ liệu "
    "trí tuệ nhân tạo bán dẫn vệ tinh nông nghiệp thông minh chính phủ số người dân cơ sở báo chí"
)
WORDS = VOCABULARY.split()


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _content(rng: random.Random, number: int) -> str:
    """About 1.5 KB of article HTML with relative links and images."""
    paragraphs = []
    for index in range(4):
        paragraphs.append(
            f"<p>{_sentence(rng, 28)} &amp; {_sentence(rng, 6)}. "
            f'<a href="/tin/{number}-{index}.html">Xem thêm</a> '
            f'<img src="anh/{number}-{index}.jpg" alt="{_sentence(rng, 3)}"/></p>'
        )
    return "\n".join(paragraphs)


def rss_feed(rng: random.Random, feed: int, entries: int) -> bytes:
    items = []
    for number in range(entries):
        day = 1 + number % 28
        items.append(
            f"<item><title>{_sentence(rng, 10)} – số {number}</title>"
            f"<link>https://bao{feed}.example.vn/tin/{number}.html</link>"
            f'<guid isPermaLink="false">bao{feed}-{number}</guid>'
            f"<pubDate>Mon, {day:02d} Jun 2025 08:{number % 60:02d}:00 +0700</pubDate>"
            f"<dc:creator>Phóng viên {_sentence(rng, 2)}</dc:creator><category>KH&amp;CN</category>"
            f"<description><![CDATA[<p>{_sentence(rng, 20)}</p>]]></description>"
            f"<content:encoded><![CDATA[{_content(rng, number)}]]></content:encoded>"
            f'<enclosure url="/media/{number}.jpg" length="12345" type="image/jpeg"/></item>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Báo số {feed}</title><link>https://bao{feed}.example.vn/</link>"
        f"<description>Chuyên mục Nghị quyết 57</description><language>vi</language>{''.join(items)}</channel></rss>"
    ).encode()


def atom_feed(rng: random.Random, feed: int, entries: int) -> bytes:
    parts = []
    for number in range(entries):
        day = 1 + number % 28
        parts.append(
            f"<entry><id>tag:cong{feed}.example.gov.vn,2025:{number}</id><title>{_sentence(rng, 10)}</title>"
            f'<link rel="alternate" type="text/html" href="/tin/{number}.html"/>'
            f'<link rel="enclosure" type="application/pdf" length="2048" href="/tep/{number}.pdf"/>'
            f"<published>2025-06-{day:02d}T08:00:00+07:00</published>"
            f"<updated>2025-06-{day:02d}T09:30:00+07:00</updated>"
            f"<author><name>Cổng thông tin {feed}</name></author>"
            f'<summary type="html">{_escape(f"<p>{_sentence(rng, 20)}</p>")}</summary>'
            f'<content type="html">{_escape(_content(rng, number))}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi" xml:base="https://cong{feed}.example.gov.vn/">'
        f"<title>Cổng {feed}</title><id>tag:cong{feed}.example.gov.vn,2025:feed</id>"
        f"<updated>2025-06-30T00:00:00Z</updated>{''.join(parts)}</feed>"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def make_feeds(count: int, entries: int) -> list[tuple[str, bytes]]:
    rng = random.Random(57)
    return [
        (f"https://bao{n}.example.vn/rss", (rss_feed if n % 2 == 0 else atom_feed)(rng, n, entries))
        for n in range(count)
    ]


def measure(
    contenders: dict[str, Callable[[bytes, str], int]], feeds: list[tuple[str, bytes]], runs: int
) -> dict[str, float]:
    """Median entries per second of each contender over *runs* passes over all feeds.

    Time is the process's CPU time, so that other work on the machine does not
    count, and passes are interleaved (A, B, A, B, …) so that both contenders
    see the same cache and frequency conditions.
    """
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, parse in contenders.items():
            start = time.process_time()
            entries = sum(parse(body, url) for url, body in feeds)
            rates[name].append(entries / (time.process_time() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20 feeds, 3 runs")
    parser.add_argument("--feedparser-default", action="store_true", help="also time feedparser with sanitising")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.runs = 20, 3
    feeds = make_feeds(args.feeds, args.entries)
    size = sum(len(body) for _, body in feeds) / (args.feeds * args.entries)
    print(f"{args.feeds} feeds x {args.entries} entries (RSS 2.0 / Atom 1.0), {size:.0f} bytes per entry")

    for url, body in feeds:  # the bench is meaningless if the fast path declines
        reason = fast_path_refusal(body, url=url)
        if reason is not None:
            raise SystemExit(f"CHECK FAILED: fast path declined {url}: {reason}")
        result = parse_feed(body, url=url)
        if len(result.entries) != args.entries or result.problems:
            raise SystemExit(f"CHECK FAILED: {url}: {len(result.entries)} entries, problems {result.problems}")

    contenders: dict[str, Callable[[bytes, str], int]] = {
        "fast": lambda body, url: len(parse_feed(body, url=url).entries),
        "slow": lambda body, url: len(parse_feed_slow(body, url=url).entries),
    }
    if args.feedparser_default:
        import io

        import feedparser

        def default(body: bytes, url: str) -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                headers = {"content-location": url, "content-type": "application/xml"}
                return len(feedparser.parse(io.BytesIO(body), response_headers=headers).entries)

        contenders["default"] = default
    rates = measure(contenders, feeds, args.runs)
    fast, slow = rates["fast"], rates["slow"]
    ratio = fast / slow
    print(f"parse_feed       (lxml fast path) : {fast:10,.0f} entries/s")
    print(f"parse_feed_slow  (feedparser)     : {slow:10,.0f} entries/s")
    print(f"ratio fast / slow                 : {ratio:10.1f}x   (target >= {TARGET:.0f}x)")
    if "default" in rates:
        reference = rates["default"]
        print(f"feedparser.parse (defaults)       : {reference:10,.0f} entries/s   (fast = {fast / reference:.1f}x)")
    if ratio < TARGET:
        raise SystemExit(f"TARGET MISSED: {ratio:.1f}x < {TARGET:.0f}x")


if __name__ == "__main__":
    main()
