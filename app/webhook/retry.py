"""When to try a failed delivery again (REFERENCE.md, Svix's published schedule).

Attempt 1 is immediate; after a failure of attempt ``n`` the next one waits ``SCHEDULE[n]``
(5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): eight attempts over about 27.6 hours, then the
delivery has FAILED. Each delay gets +/-20 % jitter from an injectable ``random`` (tests pass a
seeded ``random.Random``); after a timeout or a 429 the wait is at least 60 s; a ``Retry-After``
answer (seconds or an HTTP date) is honoured, clamped to [scheduled delay, 2 x scheduled delay].
"""

from __future__ import annotations

import random as _random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

# SCHEDULE[n]: the wait after the n-th attempt failed (index 0 is the first, immediate attempt)
SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.2
THROTTLE_FLOOR_SECONDS = 60.0


class Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (None: absent or unreadable)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_delay(
    attempts_made: int,
    *,
    throttled: bool = False,
    retry_after: float | None = None,
    rng: Uniform | None = None,
) -> float | None:
    """Seconds until the next attempt after ``attempts_made`` attempts all failed; None when
    the retries are exhausted."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    base = SCHEDULE[attempts_made]
    delay = base * (rng or _random).uniform(1 - JITTER, 1 + JITTER)
    if throttled:
        delay = max(delay, THROTTLE_FLOOR_SECONDS)
    if retry_after is not None:
        delay = min(max(retry_after, delay), 2 * delay)
    return delay


def next_attempt_at(
    now: datetime,
    attempts_made: int,
    *,
    throttled: bool = False,
    retry_after: str | None = None,
    rng: Uniform | None = None,
) -> datetime | None:
    delay = next_delay(
        attempts_made,
        throttled=throttled,
        retry_after=parse_retry_after(retry_after, now),
        rng=rng,
    )
    return None if delay is None else now + timedelta(seconds=delay)
