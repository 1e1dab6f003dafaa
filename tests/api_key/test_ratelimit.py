"""The in-process token buckets under a flood of new clients."""

from __future__ import annotations

from app.api_key.ratelimit import LocalRateLimiter


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
