"""The ``syndicator`` command as operators use it: real processes, real files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from syndicator.cli import _parser, main
from tests.conftest import REPO, write_config


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def default_copy(tmp_path: Path) -> Path:
    """The embedded default config and samples, copied so tests never write into the repo."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "syndicator.toml"


def test_collect_items_and_audit(default_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--config", str(default_copy), "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    assert main([*db, "collect", "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert {r["source"]: r["new"] for r in reports} == {"r57-documents": 23, "st-tasks-sample": 40}
    assert main([*db, "collect"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"r57-documents\s+0\s+0\s+23\s+ok", out), out

    assert main([*db, "items", "list", "--kind", "task", "--limit", "100", "--json"]) == 0
    tasks = json.loads(capsys.readouterr().out)
    assert len(tasks) == 40 and sum(t["restricted"] for t in tasks) == 5
    item_id = next(t["id"] for t in tasks if not t["restricted"])
    assert main([*db, "items", "show", item_id, "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["id"] == item_id and detail["sources"][0]["source"] == "st-tasks-sample"
    assert re.fullmatch(r"[0-9a-f]{64}", detail["versions"][0]["raw_hash"])
    assert main([*db, "items", "show", "nope"]) == 1
    assert "no item 'nope'" in capsys.readouterr().err

    assert main([*db, "sources", "--json"]) == 0
    sources = json.loads(capsys.readouterr().out)
    assert {s["name"]: s["item_count"] for s in sources} == {"r57-documents": 23, "st-tasks-sample": 40}
    assert all(s["next_run"] for s in sources)

    assert main([*db, "audit", "verify"]) == 0
    assert "OK: 63 events" in capsys.readouterr().out
    con = sqlite3.connect(tmp_path / "x.db")
    con.execute("UPDATE ledger_events SET payload = '{}' WHERE seq = 7")
    con.commit()
    con.close()
    assert main([*db, "audit", "verify"]) == 3
    assert "event 7" in capsys.readouterr().out


def test_collect_reports_failed_source_without_stopping_the_others(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REPO / "config" / "samples" / "documents", tmp_path / "docs")
    cfg = write_config(tmp_path, """
        [[sources]]
        name = "docs"
        kind = "directory"
        path = "docs"
        [[sources]]
        name = "refused"
        kind = "feed"
        url = "http://127.0.0.1:9/feed.xml"
        """)
    assert main(["--config", str(cfg), "--db", f"sqlite:///{tmp_path / 'y.db'}", "collect"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"docs\s+23", out)
    assert "refused" in out and "FAILED" in out and "allow_private" in out


def test_run_starts_collects_and_stops_on_sigterm(default_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    env = dict(os.environ, SYNDICATOR_CONFIG=str(default_copy), SYNDICATOR_DB=f"sqlite:///{db}")
    port = str(_free_port())
    proc = subprocess.Popen([sys.executable, "-m", "syndicator", "run", "--port", port], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        items = 0
        while time.monotonic() < deadline and items < 63:
            time.sleep(0.5)
            if db.exists():
                try:
                    with sqlite3.connect(db) as con:
                        items = con.execute("SELECT count(*) FROM items").fetchone()[0]
                except sqlite3.OperationalError:
                    pass  # tables not created yet
        assert items == 63
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the feed server comes up and serves what was collected
            try:
                if httpx.get(f"http://127.0.0.1:{port}/feeds/all.atom", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        atom = httpx.get(f"http://127.0.0.1:{port}/feeds/all.atom", timeout=5)
        assert atom.status_code == 200 and b"<entry" in atom.content
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "data in" in out and "2 source(s) scheduled" in out


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in _parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():  # type: ignore[attr-defined]
        assert f"syndicator {name}" in readme, f"README does not document `syndicator {name}`"
        for action in parser._actions:
            if action.dest == "items_command" or action.dest == "audit_command":
                for subname in action.choices:
                    assert f"syndicator {name} {subname}" in readme, f"README misses `syndicator {name} {subname}`"


def test_readme_config_example_is_valid(tmp_path: Path) -> None:
    from feeds.catalog import build_catalog
    from syndicator.config import load_config
    from syndicator.tagging.taxonomy import load_taxonomy

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[feeds\].*?)```", readme, re.S)
    assert block, "README lost its [feeds] example"
    path = write_config(tmp_path, block.group(1))
    config = load_config(path, env={"KEY_BAO_MAU": "a" * 24, "KEY_BAO_MAU_NEXT": "b" * 24})
    catalog = build_catalog(config.file.feeds, load_taxonomy(REPO / "config" / "taxonomy.toml"),
                            config.file.subscribers)
    assert catalog.get("press-kit") is not None and catalog.get("press-kit").key_only  # type: ignore[union-attr]
