"""The secrecy gate holds on every output path, whatever happens to the item afterwards."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from syndicator.cli import main
from syndicator.clock import FixedClock
from syndicator.collect import Collector
from syndicator.config import load_config
from syndicator.errors import ConflictError
from syndicator.retag import retag
from syndicator.storage.store import Store
from syndicator.tagging.gate import may_leave
from syndicator.tagging.service import load_tools
from tests.conftest import REPO


@pytest.fixture
def world(tmp_path: Path, clock: FixedClock) -> tuple[Path, Store]:
    shutil.copytree(REPO / "config", tmp_path / "config")
    cfg = tmp_path / "config" / "syndicator.toml"
    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}", clock)
    Collector(load_config(cfg, env={}), store, clock).collect()
    return cfg, store


def secret_rows(config_dir: Path) -> list[list[str]]:
    import csv

    with (config_dir / "samples" / "tasks.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return [r for r in rows[1:] if r[10] != "công khai"]


def all_outputs(cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Everything the console can show: listings, every item, the ledger."""
    db = ["--config", str(cfg), "--db", f"sqlite:///{tmp_path / 'g.db'}"]
    out = []
    for args in (["items", "list", "--limit", "500"], ["items", "list", "--limit", "500", "--json"],
                 ["audit", "events"], ["sources", "--json"]):
        assert main([*db, *args]) == 0
        out.append(capsys.readouterr().out)
    assert main([*db, "items", "list", "--limit", "500", "--json"]) == 0
    for item in json.loads(capsys.readouterr().out):
        for args in (["items", "show", item["id"]], ["items", "show", item["id"], "--json"]):
            assert main([*db, *args]) == 0
            out.append(capsys.readouterr().out)
    return "\n".join(out)


def assert_nothing_leaks(text: str, rows: list[list[str]]) -> None:
    for row in rows:
        code, title, host, pi, _body, budget = row[0], row[1], row[2], row[3], row[4], row[5]
        for value in (code, title, host, pi, row[9]):
            assert value not in text, f"restricted value leaked: {value!r}"
        assert budget not in text or len(budget) < 6


def test_secret_records_never_leave_through_the_console(world: tuple[Path, Store], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    cfg, store = world
    rows = secret_rows(cfg.parent)
    assert len(rows) == 5
    text = all_outputs(cfg, tmp_path, capsys)
    assert_nothing_leaks(text, rows)
    assert text.count("content withheld") >= 5  # they are counted and visible as existing, nothing more
    restricted = [i for i in store.list_items(kind="task", limit=100) if not may_leave(i)]
    assert len(restricted) == 5


def test_gate_holds_after_new_version_retag_manual_tag_and_rule_change(
    world: tuple[Path, Store], tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, store = world
    rows = secret_rows(cfg.parent)
    # 1. a new version of a secret record that now claims to be public
    csv_path = cfg.parent / "samples" / "tasks.csv"
    text = csv_path.read_text(encoding="utf-8")
    first = rows[0]
    changed_line = next(line for line in text.splitlines() if line.startswith(first[0]))
    public_again = changed_line.replace(f",{first[10]},", ",công khai,").replace(first[9][:20], "Tóm tắt mới " + first[9][:20])
    csv_path.write_text(text.replace(changed_line, public_again), encoding="utf-8")
    clock.advance(timedelta(hours=1))
    (report, ) = Collector(load_config(cfg, env={}), store, clock).collect(["st-tasks-sample"])
    assert report.updated == 1
    # 2. a rule that tries to remove the restricted tag, then a re-tag
    tax = cfg.parent / "taxonomy.toml"
    tax.write_text(tax.read_text(encoding="utf-8") + '\n[[rules]]\nname = "lift"\nwhen = { kind = "task" }\n'
                   'remove = ["restricted"]\nadd = ["audience:research"]\n', encoding="utf-8")
    retag(store, load_tools(tax))
    # 3. an operator tries to lift the restriction by hand
    secret_item = next(i for i in store.list_items(kind="task", limit=100) if not may_leave(i))
    with pytest.raises(ConflictError, match="state-secret"):
        store.override_tags(secret_item.id, add=[], remove=["restricted"], actor="op", reason="test")
    store.override_tags(secret_item.id, add=["pillar:science"], remove=[], actor="op", reason="manual tag")
    assert not may_leave(store.get_item(secret_item.id))
    assert_nothing_leaks(all_outputs(cfg, tmp_path, capsys), rows)
    assert len([i for i in store.list_items(kind="task", limit=100) if not may_leave(i)]) == 5


def test_operator_restriction_holds_an_item_back_and_can_be_lifted(world: tuple[Path, Store]) -> None:
    _, store = world
    item = next(i for i in store.list_items(kind="document", limit=100))
    assert may_leave(item)
    store.override_tags(item.id, add=["restricted"], remove=[], actor="auditor-1", reason="under legal review")
    held = store.get_item(item.id)
    assert not may_leave(held)
    retag(store, load_tools(REPO / "config" / "taxonomy.toml"))
    assert not may_leave(store.get_item(item.id))  # kept across re-tagging
    store.override_tags(item.id, add=[], remove=["restricted"], actor="auditor-1", reason="review done")
    assert may_leave(store.get_item(item.id))
    (ev1, ev2) = [e for e in store.iter_events(type_prefix="item.tag_overridden")]
    assert ev1.actor == "auditor-1" and ev1.payload["reason"] == "under legal review" and ev1.payload["restricted"]
    assert ev2.payload["removed"] == ["restricted"] and not ev2.payload["restricted"]


def test_retag_after_taxonomy_change_records_new_facts(world: tuple[Path, Store], clock: FixedClock) -> None:
    cfg, store = world
    tax = cfg.parent / "taxonomy.toml"
    before = {i.id: {t.name for t in i.tags} for i in store.list_items(limit=500)}
    tax.write_text(tax.read_text(encoding="utf-8") + '\n[[rules]]\nname = "r57"\nwhen = { field = "title", '
                   'regex = "57" }\nadd = ["topic:r57"]\n', encoding="utf-8")
    report = retag(store, load_tools(tax))
    after = {i.id: {t.name for t in i.tags} for i in store.list_items(limit=500)}
    gained = [i for i in after if "topic:r57" in after[i]]
    assert report.items == 63 and report.changed == len(gained) > 0
    assert all(after[i] - before[i] == {"topic:r57"} for i in gained)
    events = list(store.iter_events(type_prefix="item.tagged"))
    assert len(events) == len(gained) and all(e.payload["added"] == ["topic:r57"] for e in events)
    assert retag(store, load_tools(tax)).changed == 0  # nothing changed, nothing recorded
    assert len(list(store.iter_events(type_prefix="item.tagged"))) == len(gained)
