"""The time services read: injected (``Container.clock``), never the wall clock directly.

Services, the key verifier and the unit of work ask ``clock.now()`` for the current time (an
aware UTC datetime). A deployment runs on ``SystemClock``; tests move time with ``OffsetClock``
(the wall clock shifted by what the test added) or ``FrozenClock`` (stands still until moved)
instead of editing rows. Model default factories (``created_at``) may still use ``utcnow``;
use cases that depend on a row's age set it from the clock.

Durations measured inside one process (cache TTLs, flush intervals, retry timers) use
``time.monotonic`` and are not the clock's business.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _delta(by: timedelta | float) -> timedelta:
    return by if isinstance(by, timedelta) else timedelta(seconds=by)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware datetime")
    return at.astimezone(UTC)


class OffsetClock:
    """The wall clock moved by ``advance``: time keeps flowing, from wherever the test put it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta | float) -> None:
        """Jump ahead (or back, with a negative amount) by a duration or a number of seconds."""
        self.offset += _delta(by)

    def set(self, at: datetime) -> None:
        """Make ``now()`` answer ``at`` from this moment on (and keep flowing from there)."""
        self.offset = _aware(at) - datetime.now(UTC)


class FrozenClock:
    """A clock that stands still at ``at`` (default: the wall clock when built) until moved."""

    def __init__(self, at: datetime | None = None) -> None:
        self._now = _aware(at) if at is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta | float) -> None:
        self._now += _delta(by)

    def set(self, at: datetime) -> None:
        self._now = _aware(at)
