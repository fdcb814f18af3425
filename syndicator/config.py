"""Configuration: TOML, validated on load.

Every problem names the file, the key and the fix, and all problems are
reported together (``syndicator check-config``). Secrets are written as
``${ENV_NAME}``; their values are collected in :attr:`Config.secrets` so that
logs and output can mask them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .feedconfig import FeedsConfig, Subscriber

DEFAULT_CONFIG = Path("config/syndicator.toml")
SOURCE_KINDS = ("feed", "page", "tasks", "directory")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def parse_duration(value: str | int | float) -> timedelta:
    """Read ``"90s"``, ``"30m"``, ``"6h"``, ``"1d"`` or a number of seconds."""
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError("must be positive")
        return timedelta(seconds=float(value))
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"'{value}' is not a duration; write e.g. \"90s\", \"30m\", \"6h\" or \"1d\"")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    seconds = float(m.group(1)) * unit
    if seconds <= 0:
        raise ValueError("must be positive")
    return timedelta(seconds=seconds)


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
        raise ValueError(f"'{value}' is not an absolute http(s) URL; write it as https://host/path")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EngineConfig(_Model):
    """Engine-wide settings: where data lives and how the engine introduces itself."""

    data_dir: str = "data"
    timezone: str = "Asia/Ho_Chi_Minh"
    contact_url: str = "https://github.com/syndicator-r57/syndicator"
    public_url: str = "http://127.0.0.1:8157"
    taxonomy: str | None = None  # default: taxonomy.toml beside the config file, else the bundled one

    @field_validator("contact_url", "public_url")
    @classmethod
    def _url(cls, v: str) -> str:
        _check_url(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone '{v}'; use an IANA name such as Asia/Ho_Chi_Minh") from e
        return v


class FetchConfig(_Model):
    """Politeness and safety limits for every HTTP fetch."""

    timeout_seconds: float = Field(20.0, gt=0, le=600)
    max_bytes: int = Field(10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    per_host_concurrency: int = Field(2, ge=1, le=64)
    concurrency: int = Field(16, ge=1, le=512)
    backoff_base_seconds: float = Field(60.0, gt=0)
    backoff_max_seconds: float = Field(6 * 3600.0, gt=0)
    parse_workers: int = Field(0, ge=0, le=64, description="worker processes for big passes; 0 = one per core")


class PageSelectorsConfig(_Model):
    """CSS selectors of a ``page`` source."""

    item_links: str
    title: str = "h1"
    date: str | None = None
    body: str = "article"
    summary: str | None = None
    attachments: str | None = "a[href$='.pdf'], a[href$='.doc'], a[href$='.docx']"
    doc_number: str | None = None
    issuer: str | None = None


class _SourceBase(_Model):
    name: str
    item_kind: Literal["document", "task", "news"] = "news"
    language: str | None = None
    interval: str | None = None
    cron: str | None = None
    jitter_seconds: int = Field(60, ge=0, le=86400)
    allow_private: bool = False
    enabled: bool = True
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                f"'{v}' is not a usable source name; use lowercase letters, digits, '-', '_' or '.' (max 64)"
            )
        return v

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(v)
            except ValueError as e:
                raise ValueError(f"'{v}' is not a crontab expression ({e}); write e.g. \"*/30 * * * *\"") from e
        return v

    @model_validator(mode="after")
    def _one_schedule(self) -> _SourceBase:
        if self.interval and self.cron:
            raise ValueError("set either interval or cron, not both")
        return self

    def schedule_interval(self) -> timedelta:
        """The run interval (default one hour when neither interval nor cron is set)."""
        return parse_duration(self.interval) if self.interval else timedelta(hours=1)


class FeedSource(_SourceBase):
    """An RSS, Atom or JSON Feed document over HTTP."""

    kind: Literal["feed"]
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)


class PageSource(_SourceBase):
    """An HTML listing page whose links lead to article pages."""

    kind: Literal["page"]
    url: str
    selectors: PageSelectorsConfig
    max_articles: int = Field(30, ge=1, le=1000)
    refetch_known: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)


class TasksSource(_SourceBase):
    """S&T task records from a CSV or JSON file or HTTP endpoint."""

    kind: Literal["tasks"]
    item_kind: Literal["document", "task", "news"] = "task"
    url: str | None = None
    path: str | None = None
    format: Literal["csv", "json"] = "csv"
    mapping: dict[str, str]
    public_values: list[str] = Field(
        default_factory=lambda: ["public", "công khai", "cong khai", "cong_khai", "0"]
    )
    records_path: str | None = None
    date_format: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _check_url(v)

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, v: dict[str, str]) -> dict[str, str]:
        known = (
            "task_code", "title", "host_org", "principal_investigator", "managing_body", "budget_vnd",
            "start_date", "end_date", "status", "summary", "secrecy", "url",
        )
        unknown = sorted(set(v) - set(known))
        if unknown:
            raise ValueError(f"unknown task field(s) {', '.join(unknown)}; known fields: {', '.join(known)}")
        missing = [f for f in ("task_code", "title") if f not in v]
        if missing:
            raise ValueError(f"the mapping must name a column for {', '.join(missing)}")
        return v

    @model_validator(mode="after")
    def _where(self) -> TasksSource:
        if (self.url is None) == (self.path is None):
            raise ValueError("set exactly one of url (HTTP endpoint) or path (local file)")
        return self


class DirectorySource(_SourceBase):
    """Local files (HTML, Markdown, text, JSON) in a folder."""

    kind: Literal["directory"]
    path: str


SourceConfig = Annotated[FeedSource | PageSource | TasksSource | DirectorySource, Field(discriminator="kind")]


class FileConfig(_Model):
    """The whole configuration file."""

    engine: EngineConfig = Field(default_factory=lambda: EngineConfig())
    fetch: FetchConfig = Field(default_factory=lambda: FetchConfig())  # type: ignore[call-arg]
    sources: list[SourceConfig] = Field(default_factory=list)
    feeds: FeedsConfig = Field(default_factory=lambda: FeedsConfig())  # type: ignore[call-arg]
    subscribers: list[Subscriber] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> FileConfig:
        seen: set[str] = set()
        for s in self.sources:
            if s.name in seen:
                raise ValueError(f"two sources are named '{s.name}'; give each source its own name")
            seen.add(s.name)
        names = [s.name for s in self.subscribers]
        keys = [k for s in self.subscribers for k in s.keys]
        if len(set(names)) != len(names):
            raise ValueError("two subscribers share a name; give each newsroom its own name")
        if len(set(keys)) != len(keys):
            raise ValueError("two subscribers share a key; every key must be unique")
        return self


@dataclass(frozen=True)
class Config:
    """A loaded, validated configuration and where it came from."""

    path: Path
    file: FileConfig
    secrets: frozenset[str]

    @property
    def engine(self) -> EngineConfig:
        return self.file.engine

    @property
    def fetch(self) -> FetchConfig:
        return self.file.fetch

    @property
    def sources(self) -> list[FeedSource | PageSource | TasksSource | DirectorySource]:
        return list(self.file.sources)

    def source(self, name: str) -> FeedSource | PageSource | TasksSource | DirectorySource:
        """The source called ``name``; raises ConfigError naming the known ones."""
        for s in self.file.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.file.sources) or "(none)"
        raise ConfigError([f"{self.path}: no source named '{name}'; known sources: {known}"])

    def resolve_path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(value)
        return p if p.is_absolute() else (self.path.parent / p)

    def taxonomy_path(self) -> Path:
        """The taxonomy file: engine.taxonomy, else taxonomy.toml beside the config, else the bundled one."""
        if self.engine.taxonomy:
            return self.resolve_path(self.engine.taxonomy)
        beside = self.path.parent / "taxonomy.toml"
        if beside.exists():
            return beside
        from .tagging.service import BUNDLED_TAXONOMY

        return BUNDLED_TAXONOMY

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        for s in sorted(self.secrets, key=len, reverse=True):
            if s:
                text = text.replace(s, "***")
        return text


def _substitute(node: Any, where: str, env: Mapping[str, str], secrets: set[str], problems: list[str]) -> Any:
    """Replace ``${NAME}`` references from ``env``; every missing one is a problem."""
    if isinstance(node, dict):
        return {k: _substitute(v, f"{where}.{k}" if where else k, env, secrets, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, f"{where}[{i}]", env, secrets, problems) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                problems.append(
                    f"{where}: secret ${{{name}}} is not set — fix: export {name}=... in the engine's environment"
                )
                return ""
            secrets.add(env[name])
            return env[name]

        return _ENV_REF.sub(repl, node)
    return node


_FIXES = {
    "extra_forbidden": "unknown key — fix: remove it or correct its spelling",
    "missing": "required key is missing — fix: add it",
    "union_tag_invalid": "",
    "union_tag_not_found": "",
}


def _loc(loc: tuple[int | str, ...], raw: Mapping[str, Any]) -> str:
    """Render a pydantic location as a TOML key path, naming sources by their name."""
    parts: list[str] = []
    i = 0
    items = list(loc)
    while i < len(items):
        part = items[i]
        if part == "sources" and i + 1 < len(items) and isinstance(items[i + 1], int):
            idx = int(items[i + 1])
            name = None
            srcs = raw.get("sources")
            if isinstance(srcs, list) and idx < len(srcs) and isinstance(srcs[idx], dict):
                name = srcs[idx].get("name")
            parts.append(f"sources[{idx}]" + (f" ('{name}')" if name else ""))
            i += 2
            if i < len(items) and items[i] in SOURCE_KINDS:  # the discriminator tag pydantic inserts
                i += 1
            continue
        parts.append(f"[{part}]" if isinstance(part, int) else str(part))
        i += 1
    return ".".join(parts).replace(".[", "[")


def _describe(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = err.get("input", {}).get("kind") if isinstance(err.get("input"), dict) else None
        if given is None:
            return f"source has no kind — fix: set kind to one of {', '.join(SOURCE_KINDS)}"
        return f"unknown source kind '{given}' — fix: use one of {', '.join(SOURCE_KINDS)}"
    if kind in _FIXES:
        return _FIXES[kind]
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg} (got {err.get('input')!r}) — fix: write a value of that type"
    return msg


def load_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate a config file; raise :class:`ConfigError` listing every problem."""
    cfg_path = Path(path or os.environ.get("SYNDICATOR_CONFIG") or DEFAULT_CONFIG)
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError([f"{cfg_path}: file not found — fix: pass --config PATH or set SYNDICATOR_CONFIG"]) from e
    except UnicodeDecodeError as e:
        raise ConfigError([f"{cfg_path}: not UTF-8 ({e}) — fix: save the file as UTF-8"]) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([f"{cfg_path}: not valid TOML: {e} — fix: correct the syntax there"]) from e
    problems: list[str] = []
    secrets: set[str] = set()
    data = _substitute(raw, "", env, secrets, problems)
    try:
        file = FileConfig.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            problems.append(f"{cfg_path}: {_loc(tuple(err['loc']), raw)}: {_describe(err)}")
        raise ConfigError([f"{p}" if p.startswith(str(cfg_path)) else f"{cfg_path}: {p}" for p in problems]) from e
    if problems:
        raise ConfigError([f"{cfg_path}: {p}" for p in problems])
    config = Config(path=cfg_path, file=file, secrets=frozenset(secrets))
    missing_paths = [
        f"{cfg_path}: sources ('{s.name}').path: '{s.path}' does not exist (relative paths are read from "
        f"{cfg_path.parent}) — fix: correct the path"
        for s in file.sources
        if isinstance(s, (DirectorySource, TasksSource)) and s.path and not config.resolve_path(s.path).exists()
    ]
    if missing_paths:
        raise ConfigError(missing_paths)
    return config
