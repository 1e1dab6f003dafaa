"""Rate-limit bounds, shared by the entity's limit (entity_settings.py) and a key's own limit."""

from __future__ import annotations

from app.errors import BadUserInput

# One request per 100 s at least: a smaller rate would answer Retry-After in years.
MIN_RATE_PER_SECOND = 0.01
MAX_RATE_PER_SECOND = 100_000
MAX_BURST = 1_000_000


def check_rate_limit(per_second: float | None, burst: int | None) -> None:
    """Refuse a sustained rate outside [0.01, 100000] per second or a burst outside [1, 1000000]."""
    if per_second is not None and not MIN_RATE_PER_SECOND <= per_second <= MAX_RATE_PER_SECOND:
        raise BadUserInput(
            f"Must be between {MIN_RATE_PER_SECOND} and {MAX_RATE_PER_SECOND} requests per second",
            field="rateLimitPerSecond",
        )
    if burst is not None and not 1 <= burst <= MAX_BURST:
        raise BadUserInput(f"Must be between 1 and {MAX_BURST}", field="rateLimitBurst")
