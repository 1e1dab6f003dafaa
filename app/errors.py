"""Domain errors with stable codes. The edges translate them (GraphQL ``extensions.code``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EXCERPT_CHARS = 60
LISTED_VALUES = 10


def excerpt(value: str, limit: int = EXCERPT_CHARS) -> str:
    """A value the caller sent, cut for an error message: a message names what was wrong
    without echoing a 100 KB input back (and into every log line that quotes it)."""
    return value if len(value) <= limit else f"{value[:limit]}... ({len(value)} characters)"


def listing(values: Sequence[str], limit: int = LISTED_VALUES) -> str:
    """The first ``limit`` values, each an ``excerpt``, comma-separated, and how many more."""
    shown = ", ".join(excerpt(v) for v in values[:limit])
    return shown if len(values) <= limit else f"{shown} and {len(values) - limit} more"


class DomainError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    @property
    def extensions(self) -> dict[str, Any]:
        """Read by graphql-core when it wraps this error: becomes ``errors[].extensions``."""
        data: dict[str, Any] = {"code": self.code, **self.extra}
        if self.field is not None:
            data["field"] = self.field
        return data


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"


class Conflict(DomainError):
    code = "CONFLICT"


class FeatureDisabled(DomainError):
    """Turned off in this deployment's configuration; ``setting`` names the variable."""

    code = "FEATURE_DISABLED"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
