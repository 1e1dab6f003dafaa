"""The retry schedule: delays, jitter bounds, the 60 s floor and the Retry-After clamp."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.webhook.retry import (
    MAX_ATTEMPTS,
    SCHEDULE,
    next_attempt_at,
    next_delay,
    parse_retry_after,
)

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


class Fixed:
    """A ``random`` that always answers the same point of the interval (0: low end, 1: high)."""

    def __init__(self, where: float) -> None:
        self.where = where

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.where


class TestNextDelay:
    def test_schedule_is_svix_eight_attempts(self) -> None:
        assert SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
        assert MAX_ATTEMPTS == 8

    @pytest.mark.parametrize("attempts", range(1, 8))
    def test_without_jitter_each_delay_is_the_schedule(self, attempts: int) -> None:
        assert next_delay(attempts, rng=Fixed(0.5)) == pytest.approx(SCHEDULE[attempts])

    @pytest.mark.parametrize("attempts", range(1, 8))
    def test_jitter_stays_within_twenty_percent(self, attempts: int) -> None:
        assert next_delay(attempts, rng=Fixed(0)) == pytest.approx(SCHEDULE[attempts] * 0.8)
        assert next_delay(attempts, rng=Fixed(1)) == pytest.approx(SCHEDULE[attempts] * 1.2)

    def test_seeded_random_jitters_between_bounds(self) -> None:
        rng = random.Random(7)
        delays = {next_delay(2, rng=rng) for _ in range(50)}
        assert len(delays) > 40
        assert all(d is not None and 240 <= d <= 360 for d in delays)

    def test_exhausted_after_eight_attempts(self) -> None:
        assert next_delay(8, rng=Fixed(0.5)) is None

    def test_timeout_or_429_waits_at_least_sixty_seconds(self) -> None:
        assert next_delay(1, throttled=True, rng=Fixed(0.5)) == 60
        assert next_delay(2, throttled=True, rng=Fixed(0.5)) == pytest.approx(300)

    def test_retry_after_longer_than_twice_is_clamped(self) -> None:
        assert next_delay(2, retry_after=10_000, rng=Fixed(0.5)) == pytest.approx(600)

    def test_retry_after_shorter_than_schedule_is_raised(self) -> None:
        assert next_delay(2, retry_after=1, rng=Fixed(0.5)) == pytest.approx(300)

    def test_retry_after_within_bounds_is_honoured(self) -> None:
        assert next_delay(2, retry_after=450, rng=Fixed(0.5)) == pytest.approx(450)

    def test_retry_after_clamped_above_the_throttle_floor(self) -> None:
        assert next_delay(1, throttled=True, retry_after=500, rng=Fixed(0.5)) == 120


class TestParseRetryAfter:
    def test_seconds(self) -> None:
        assert parse_retry_after("120", NOW) == 120

    def test_http_date(self) -> None:
        later = NOW + timedelta(minutes=7)
        assert parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"), NOW) == 420

    @pytest.mark.parametrize("value", [None, "", "soon", "-5"])
    def test_unreadable_is_ignored(self, value: str | None) -> None:
        assert parse_retry_after(value, NOW) is None


class TestNextAttemptAt:
    def test_adds_the_delay_to_now(self) -> None:
        at = next_attempt_at(NOW, 1, rng=Fixed(0.5), retry_after=None)
        assert at == NOW + timedelta(seconds=5)

    def test_retry_after_header_is_parsed(self) -> None:
        at = next_attempt_at(NOW, 1, throttled=True, retry_after="90", rng=Fixed(0.5))
        assert at == NOW + timedelta(seconds=90)
