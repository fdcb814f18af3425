"""One error hierarchy for the engine.

Every error a person may see says what happened and what to do about it.
"""

from __future__ import annotations


class SyndicatorError(Exception):
    """Root of every error the engine raises on purpose."""


class ConfigError(SyndicatorError):
    """The configuration cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class FetchError(SyndicatorError):
    """A source could not be retrieved (network, HTTP status, limits, refused address)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class RefusedAddressError(FetchError):
    """A URL resolved to a private, loopback or link-local address and the source does not allow it."""


class ParseError(SyndicatorError):
    """A retrieved document could not be read at all (partial results are reported as problems instead)."""


class StorageError(SyndicatorError):
    """The database is unusable (cannot connect, cannot migrate)."""


class NotFoundError(SyndicatorError):
    """A requested object (item, source, event) does not exist."""


class ConflictError(SyndicatorError):
    """The request contradicts the stored state (e.g. lifting the restriction of a state-secret record)."""
