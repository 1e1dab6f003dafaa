"""The in-process token buckets under a flood of new clients; the Redis buckets shared by
replicas (real Redis), with the hits of a process coalesced, and the fallback while Redis is
away."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis.exceptions import RedisError

from app.api_key.ratelimit import LocalRateLimiter, RedisRateLimiter


class TestLocalRateLimiter:
    async def test_a_flood_of_new_buckets_does_not_refill_a_busy_one(self) -> None:
        limiter = LocalRateLimiter(max_buckets=3)
        assert [(await limiter.hit("key_busy", 0.001, 2)).allowed for _ in range(3)] == [
            True,
            True,
            False,
        ]
        for n in range(50):  # new addresses, one request each; the busy key keeps calling
            await limiter.hit(f"anon:198.51.100.{n}", 10, 20)
            assert not (await limiter.hit("key_busy", 0.001, 2)).allowed
        assert len(limiter._buckets) <= 3

    async def test_the_bucket_idle_longest_is_forgotten_first(self) -> None:
        limiter = LocalRateLimiter(max_buckets=2)
        await limiter.hit("a", 1, 5)
        await limiter.hit("b", 1, 5)
        await limiter.hit("a", 1, 5)
        await limiter.hit("c", 1, 5)
        assert list(limiter._buckets) == ["a", "c"]


# Redis: shared buckets, hits coalesced per process ----------------------------------------------

REDIS_DB = 7  # the rate-limit tests' database (tests/api/test_key_rate_limits.py); own bucket names


def _redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[RedisRateLimiter, RedisRateLimiter, str]]:
    """Two limiters ("replicas") on one Redis, and a bucket name of this test's own."""
    a, b = RedisRateLimiter(_redis_url()), RedisRateLimiter(_redis_url())
    bucket = f"test_{uuid.uuid4().hex}"
    try:
        await a.client.ping()
    except RedisError as exc:
        await a.close()
        await b.close()
        pytest.fail(f"Redis is required for the shared rate-limit tests and is unreachable: {exc}")
    try:
        yield a, b, bucket
    finally:
        await a.client.delete(f"portal:rl:{bucket}")
        await a.close()
        await b.close()


class TestRedisRateLimiter:
    async def test_two_replicas_together_allow_the_bucket_once(
        self, replicas: tuple[RedisRateLimiter, RedisRateLimiter, str]
    ) -> None:
        a, b, bucket = replicas
        decisions = await asyncio.gather(
            *[(a if n % 2 else b).hit(bucket, 0.001, 50) for n in range(300)]
        )
        assert sum(d.allowed for d in decisions) == 50
        assert sorted(d.remaining for d in decisions if d.allowed) == list(range(50))
        refused = [d for d in decisions if not d.allowed]
        assert {(d.remaining, d.retry_after_seconds) for d in refused} == {(0, 1000)}
        # 300 concurrent hits, a handful of round trips (one call per batch, not per hit)
        assert a.shared_hits == b.shared_hits == 150
        assert a.round_trips + b.round_trips <= 6
        assert a.fallback_hits == b.fallback_hits == 0

    async def test_sequential_hits_decide_as_before(
        self, replicas: tuple[RedisRateLimiter, RedisRateLimiter, str]
    ) -> None:
        a, b, bucket = replicas
        first = await a.hit(bucket, 1, 3)
        assert (first.allowed, first.limit, first.remaining, first.reset_seconds) == (
            True,
            3,
            2,
            1,
        )
        assert first.headers() == [
            (b"ratelimit-limit", b"3"),
            (b"ratelimit-remaining", b"2"),
            (b"ratelimit-reset", b"1"),
        ]
        assert (await b.hit(bucket, 1, 3)).remaining == 1
        assert (await a.hit(bucket, 1, 3)).remaining == 0
        refused = await b.hit(bucket, 1, 3)
        assert not refused.allowed
        assert (b"retry-after", b"1") in refused.headers()
        assert a.round_trips == b.round_trips == 2

    async def test_several_buckets_in_one_batch_keep_their_own_limits(
        self, replicas: tuple[RedisRateLimiter, RedisRateLimiter, str]
    ) -> None:
        a, _, bucket = replicas
        other = bucket + "_other"
        try:
            decisions = await asyncio.gather(
                *[a.hit(bucket, 0.001, 2) for _ in range(4)],
                *[a.hit(other, 0.001, 3) for _ in range(4)],
            )
        finally:
            await a.client.delete(f"portal:rl:{other}")
        assert [d.allowed for d in decisions] == [True, True, False, False] + [True] * 3 + [False]
        assert {d.limit for d in decisions[:4]} == {2}
        assert {d.limit for d in decisions[4:]} == {3}
        assert a.round_trips == 1

    async def test_redis_away_every_waiting_hit_is_decided_locally_logged_once(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        limiter = RedisRateLimiter("redis://127.0.0.1:1/0")  # nothing listens there
        try:
            with caplog.at_level(logging.WARNING, logger="portal.ratelimit"):
                decisions = await asyncio.gather(*[limiter.hit("k", 0.001, 3) for _ in range(5)])
                later = await limiter.hit("k", 0.001, 3)
        finally:
            await limiter.close()
        assert [d.allowed for d in decisions] == [True] * 3 + [False] * 2
        assert not later.allowed
        assert limiter.degraded
        assert limiter.fallback_hits == 6
        assert limiter.shared_hits == 0
        unavailable = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(unavailable) == 1
