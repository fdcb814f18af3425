"""Shared fixtures: real SQLite files, a real PostgreSQL database per test, configs on disk."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicator.clock import FixedClock
from syndicator.config import Config, load_config
from syndicator.storage.store import Store

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("SYNDICATOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))


def _pg_database() -> Iterator[str]:
    import psycopg

    name = f"syn_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:  # the machine runs PostgreSQL; its absence is a failure, not a skip
        raise RuntimeError(f"PostgreSQL is not reachable at {PG_ADMIN}: {e}; start it (see .ci/run)") from e
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    yield from _pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on a fresh SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'store.db'}", clock)
    yield s
    s.close()


def write_config(tmp_path: Path, body: str, name: str = "syndicator.toml") -> Path:
    """Write a config file (dedented) and return its path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def make_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(body: str, env: dict[str, str] | None = None) -> Config:
        return load_config(write_config(tmp_path, body), env=env or {})

    return make
