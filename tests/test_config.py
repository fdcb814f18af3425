"""Config validation: every problem names file, key and fix; all are reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicator.cli import main
from syndicator.config import load_config, parse_duration
from syndicator.errors import ConfigError
from tests.conftest import REPO, write_config

GOOD_FEED = """
[[sources]]
name = "most"
kind = "feed"
url = "https://example.org/rss"
"""


def problems_of(tmp_path: Path, body: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, body), env=env or {})
    return info.value.problems


def test_default_config_is_valid() -> None:
    config = load_config(REPO / "config" / "syndicator.toml", env={})
    assert [s.name for s in config.sources] == ["r57-documents", "st-tasks-sample"]
    assert config.fetch.max_bytes == 10 * 1024 * 1024


def test_unknown_key_names_file_key_and_fix(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD_FEED + 'colour = "blue"\n')
    assert len(problems) == 1
    p = problems[0]
    assert str(tmp_path / "syndicator.toml") in p
    assert "sources[0] ('most').colour" in p
    assert "unknown key" in p and "fix:" in p


def test_wrong_type(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[fetch]\ntimeout_seconds = "soon"\n')
    assert len(problems) == 1
    assert "fetch.timeout_seconds" in problems[0]
    assert "'soon'" in problems[0]


def test_bad_url(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD_FEED.replace("https://example.org/rss", "htp:/example"))
    assert len(problems) == 1
    assert "sources[0] ('most').url" in problems[0]
    assert "not an absolute http(s) URL" in problems[0]


def test_unknown_source_kind_lists_the_known_ones(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[[sources]]\nname = "x"\nkind = "twitter"\nurl = "https://e.org"\n')
    assert len(problems) == 1
    assert "unknown source kind 'twitter'" in problems[0]
    assert "feed, page, tasks, directory" in problems[0]


def test_missing_secret_is_named_and_present_secret_is_masked(tmp_path: Path) -> None:
    body = GOOD_FEED + 'headers = { Authorization = "Bearer ${MOST_TOKEN}" }\n'
    problems = problems_of(tmp_path, body)
    assert any("${MOST_TOKEN} is not set" in p and "export MOST_TOKEN" in p for p in problems)
    config = load_config(write_config(tmp_path, body), env={"MOST_TOKEN": "s3cr3t-value"})
    assert config.sources[0].headers["Authorization"] == "Bearer s3cr3t-value"
    assert config.mask("sent Bearer s3cr3t-value") == "sent Bearer ***"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    body = """
    [fetch]
    max_bytes = -1
    [[sources]]
    name = "a"
    kind = "feed"
    url = "ftp://x"
    [[sources]]
    name = "b"
    kind = "tasks"
    mapping = { title = "ten" }
    path = "nowhere.csv"
    """
    problems = problems_of(tmp_path, body)
    joined = "\n".join(problems)
    assert "fetch.max_bytes" in joined
    assert "sources[0] ('a').url" in joined
    assert "task_code" in joined  # mapping without the required column
    assert len(problems) >= 3


def test_duplicate_source_names(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD_FEED + GOOD_FEED)
    assert any("two sources are named 'most'" in p for p in problems)


def test_missing_directory_path(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[[sources]]\nname = "d"\nkind = "directory"\npath = "no/such/dir"\n')
    assert any("'no/such/dir' does not exist" in p for p in problems)


def test_bad_toml_syntax(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "[[sources]\nname=")
    assert "not valid TOML" in problems[0]


def test_bad_schedule(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD_FEED + 'interval = "often"\n')
    assert "interval" in problems[0] and "duration" in problems[0]
    problems = problems_of(tmp_path, GOOD_FEED + 'cron = "every minute"\n')
    assert "cron" in problems[0] and "crontab" in problems[0]


def test_durations() -> None:
    assert parse_duration("90s").total_seconds() == 90
    assert parse_duration("30m").total_seconds() == 1800
    assert parse_duration("1d").total_seconds() == 86400
    with pytest.raises(ValueError):
        parse_duration("0m")


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write_config(tmp_path, GOOD_FEED + 'colour = "blue"\n[fetch]\nconcurrency = 0\n')
    assert main(["--config", str(bad), "check-config"]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err
    assert "colour" in err and "fetch.concurrency" in err
    assert main(["--config", str(REPO / "config" / "syndicator.toml"), "check-config"]) == 0
    assert "OK" in capsys.readouterr().out
