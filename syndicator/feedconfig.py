"""Configuration of newsroom feeds and of the newsrooms that subscribe to them.

``[feeds]`` sets the server and the defaults, ``[[feeds.define]]`` adds named
feeds next to the built-in ones, and ``[[subscribers]]`` lists newsrooms with
their keys (``${ENV}`` secrets, several per newsroom so keys can be rotated).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
SUBSCRIBER_CATEGORIES = (
    "national_press", "local_press", "broadcaster", "foreign_press", "digital_platform", "education",
    "enterprise", "research", "government", "other",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FeedFilter(_Model):
    """Which items a feed carries; every condition that is set must hold."""

    tags: list[str] = Field(default_factory=list)  # all of these
    any_tags: list[str] = Field(default_factory=list)  # at least one of these
    kinds: list[Literal["document", "task", "news"]] = Field(default_factory=list)
    language: str | None = None
    issuer: str | None = None  # an issuer slug from the taxonomy
    place: str | None = None  # a place slug from the taxonomy
    source: str | None = None


class FeedDefinition(_Model):
    """A named feed defined by an operator."""

    name: str
    title: str
    description: str = ""
    filter: FeedFilter = Field(default_factory=FeedFilter)
    page_size: int | None = Field(None, ge=1, le=500)
    access: Literal["public", "key"] = "public"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"'{v}' is not a usable feed name; use lowercase letters, digits, '-', '_' or '.'")
        return v


class FeedsConfig(_Model):
    """The feed server and its defaults."""

    host: str = "127.0.0.1"
    port: int = Field(8157, ge=1, le=65535)
    page_size: int = Field(50, ge=1, le=500)
    max_age_seconds: int = Field(300, ge=0, le=86400)
    hubs: list[str] = Field(default_factory=list)
    authority: str | None = None  # tag: URI authority; default: the host of engine.public_url
    since: str = "2024-12-22"  # the date in tag: URIs (Resolution 57's date)
    builtin: bool = True
    define: list[FeedDefinition] = Field(default_factory=list)

    @field_validator("hubs")
    @classmethod
    def _hubs(cls, v: list[str]) -> list[str]:
        bad = [h for h in v if not re.match(r"^https?://[^\s/?#]+", h)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: a hub must be an absolute http(s) URL")
        return v

    @field_validator("since")
    @classmethod
    def _since(cls, v: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            raise ValueError(f"'{v}' is not a date; write YYYY-MM-DD")
        return v

    @model_validator(mode="after")
    def _unique(self) -> FeedsConfig:
        names = [d.name for d in self.define]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"feed(s) defined twice: {', '.join(dup)}")
        return self


class Subscriber(_Model):
    """A newsroom with its keys."""

    name: str
    organisation: str
    category: Literal[
        "national_press", "local_press", "broadcaster", "foreign_press", "digital_platform", "education",
        "enterprise", "research", "government", "other",
    ]
    keys: list[str] = Field(min_length=1)
    revoked_keys: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)  # key-only feeds it may read; empty = all

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"'{v}' is not a usable subscriber name; use lowercase letters, digits, '-', '_' or '.'")
        return v

    @field_validator("keys", "revoked_keys")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        for key in v:
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,128}", key):
                raise ValueError("a key must be 16–128 characters of letters, digits, '-' or '_' "
                                 "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(24))')")
        return v
