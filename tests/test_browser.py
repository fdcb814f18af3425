"""The HTML pages as people see them: headless Chromium against the real server on loopback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from syndicator.tagging.gate import may_leave
from tests.test_feeds_server import World, world  # noqa: F401  (the module-scoped server fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `apt-get install chromium` (`make test` and .ci/run do this)")
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=90, check=False)


def test_catalog_renders_in_a_browser(world: World, tmp_path: Path) -> None:  # noqa: F811
    dom = chromium("--dump-dom", world.base + "/", profile=tmp_path / "p1").stdout
    page = lxml_html.fromstring(dom)
    assert "Nguồn tin Nghị quyết 57" in page.findtext(".//h1") and "Resolution 57 feeds" in dom
    public = [f for f in world.service.catalog.feeds if not f.key_only]
    atom_links = [a.get("href") for a in page.iter("a") if (a.get("href") or "").endswith(".atom")]
    assert len(atom_links) == len(public)
    assert f"{world.base}/feeds/place-ha-noi.atom" in atom_links
    shot = tmp_path / "catalog.png"
    chromium("--window-size=1200,1400", f"--screenshot={shot}", world.base + "/", profile=tmp_path / "p2")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_item_page_renders_and_the_gate_holds(world: World, tmp_path: Path) -> None:  # noqa: F811
    items = world.store.list_items(limit=500)
    shown = next(i for i in items if may_leave(i) and i.kind.value == "document")
    dom = chromium("--dump-dom", f"{world.base}/items/{shown.id}", profile=tmp_path / "p3").stdout
    assert shown.current.title in lxml_html.fromstring(dom).findtext(".//h1")
    secret = next(i for i in items if not may_leave(i))
    dom = chromium("--dump-dom", f"{world.base}/items/{secret.id}", profile=tmp_path / "p4").stdout
    assert "Not found" in dom and secret.current.title not in dom
