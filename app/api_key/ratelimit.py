"""Token-bucket rate limits (per key, and per client IP for requests without a valid key):
in-process by default, shared through Redis when set. While Redis is unreachable each process
limits on its own (the same rates, so N replicas allow up to N times the limit together),
logged once per outage; the shared buckets are used again as soon as Redis answers."""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger("portal.ratelimit")


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int  # bucket size (burst)
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until one token is available (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        values = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            values.append((b"retry-after", str(self.retry_after_seconds).encode()))
        return values


def decide(tokens: float, rate: float, burst: int) -> RateDecision:
    """``tokens`` is what is left after taking one (negative: refused, nothing taken)."""
    allowed = tokens >= 0
    left = max(tokens, 0.0)
    return RateDecision(
        allowed=allowed,
        limit=burst,
        remaining=math.floor(left),
        reset_seconds=math.ceil((burst - left) / rate),
        retry_after_seconds=0 if allowed else max(1, math.ceil(-tokens / rate)),
    )


class RateLimiter(Protocol):
    async def hit(self, bucket: str, rate: float, burst: int) -> RateDecision: ...
    async def close(self) -> None: ...


class LocalRateLimiter:
    """Buckets in a bounded LRU. The bucket evicted first is the one idle longest, normally a
    full one (forgetting it loses nothing), so a flood of new clients (or IPv6 prefixes) cannot
    reset the limits of busy keys by pushing the table over its size."""

    def __init__(self, max_buckets: int = 100_000) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.max_buckets = max_buckets

    async def hit(self, bucket: str, rate: float, burst: int) -> RateDecision:
        now = time.monotonic()
        tokens, updated = self._buckets.get(bucket, (float(burst), now))
        tokens = min(float(burst), tokens + (now - updated) * rate)
        if tokens >= 1:
            tokens -= 1
            self._store(bucket, tokens, now)
            return decide(tokens, rate, burst)
        self._store(bucket, tokens, now)
        return decide(tokens - 1, rate, burst)

    def _store(self, bucket: str, tokens: float, now: float) -> None:
        self._buckets[bucket] = (tokens, now)
        self._buckets.move_to_end(bucket)
        while len(self._buckets) > self.max_buckets:
            self._buckets.popitem(last=False)

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV rate, burst. Uses the server clock so every replica agrees.
_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local result
if tokens >= 1 then
  tokens = tokens - 1
  result = tokens
else
  result = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(result)
"""


class RedisRateLimiter:
    """Shared buckets in Redis; a ``LocalRateLimiter`` while Redis fails (tried again every
    ``RETRY_SECONDS``)."""

    RETRY_SECONDS = 1.0

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # Bounded waits and one immediate retry (a pooled connection a restarted server dropped).
        self.client = redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 1)
        )
        self.script = self.client.register_script(_LUA)
        self.fallback = LocalRateLimiter()
        self._down_until: float | None = None
        self.fallback_hits = 0  # decisions made in this process while Redis was away

    @property
    def degraded(self) -> bool:
        return self._down_until is not None

    async def hit(self, bucket: str, rate: float, burst: int) -> RateDecision:
        from redis.exceptions import RedisError

        down = self._down_until
        if down is None or time.monotonic() >= down:
            try:
                raw = await self.script(keys=[f"portal:rl:{bucket}"], args=[rate, burst])
            except (RedisError, OSError) as exc:
                if down is None:
                    logger.warning(
                        "rate limits: Redis unavailable; limiting per process until it returns",
                        extra={"fields": {"error": repr(exc)[:300]}},
                    )
                self._down_until = time.monotonic() + self.RETRY_SECONDS
            else:
                if down is not None:
                    self._down_until = None
                    logger.warning("rate limits: Redis is back; limits are shared again")
                return decide(float(raw), rate, burst)
        self.fallback_hits += 1
        return await self.fallback.hit(bucket, rate, burst)

    async def close(self) -> None:
        await self.client.aclose()
