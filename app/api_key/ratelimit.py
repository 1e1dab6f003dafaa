"""Token-bucket rate limits (per key, and per client IP for requests without a valid key):
in-process by default, shared through Redis when set. While Redis is unreachable each process
limits on its own (the same rates, so N replicas allow up to N times the limit together),
logged once per outage; the shared buckets are used again as soon as Redis answers. The hits of
one process go to Redis in batches (one script call per batch, see ``RedisRateLimiter``): one
round trip per request cost a worker about a third of its CPU under load."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from app.outage import Outage

logger = logging.getLogger("portal.ratelimit")


@dataclass(slots=True)  # not frozen: one per request, and a frozen init costs ~4x as much
class RateDecision:
    allowed: bool
    limit: int  # bucket size (burst)
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until one token is available (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        values = [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset_seconds),
        ]
        if not self.allowed:
            values.append((b"retry-after", b"%d" % self.retry_after_seconds))
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


# KEYS[i] a bucket (the same bucket may come more than once); ARGV[2i-1], ARGV[2i] its rate and
# burst. The hits are taken in order, each as the one-hit-per-call script took it, all at the
# server clock's one "now" (so every replica agrees); each bucket is read and written once. The
# answer is one string, the tokens left after each hit separated by spaces (negative: refused).
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local seen = {}
local order = {}
local out = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local s = seen[key]
  if not s then
    local state = redis.call('HMGET', key, 'tokens', 'ts')
    s = {tokens = tonumber(state[1]) or burst, ts = tonumber(state[2]) or now}
    seen[key] = s
    order[#order + 1] = key
  end
  local tokens = math.min(burst, s.tokens + math.max(0, now - s.ts) * rate)
  if tokens >= 1 then
    tokens = tokens - 1
    out[i] = tostring(tokens)
  else
    out[i] = tostring(tokens - 1)
  end
  s.tokens = tokens
  s.ts = now
  s.ttl = math.ceil(burst / rate) + 1
end
for _, key in ipairs(order) do
  local s = seen[key]
  redis.call('HSET', key, 'tokens', s.tokens, 'ts', s.ts)
  redis.call('EXPIRE', key, s.ttl)
end
return table.concat(out, ' ')
"""

# One queued hit: the Redis key, rate, burst, and the answer (the tokens left as Redis wrote
# them, or None: decide locally, Redis is away).
_Hit = tuple[str, float, int, asyncio.Future[bytes | None]]


class RedisRateLimiter:
    """Shared buckets in Redis; a ``LocalRateLimiter`` while Redis fails (tried again every
    ``RETRY_SECONDS``).

    The hits of one process are coalesced: those arriving while no call is in flight go out
    together at the next turn of the event loop, and those arriving while one is in flight go
    out as soon as it returns, as one ``EVALSHA`` (at most ``MAX_BATCH`` hits) that takes them
    in arrival order. Each decision is the one the shared bucket gives at that point, exactly
    as with one call per hit; a hit only waits at most the round trip in flight."""

    RETRY_SECONDS = 1.0
    MAX_BATCH = 512

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
        self.outage = Outage(
            logger,
            "rate limits: Redis unavailable; limiting per process until it returns",
            "rate limits: Redis is back; limits are shared again",
        )
        self.fallback_hits = 0  # decisions made in this process while Redis was away
        self.round_trips = 0  # script calls (each carries a batch of hits)
        self.shared_hits = 0  # hits decided by Redis
        self._queue: list[_Hit] = []
        self._sender: asyncio.Task[None] | None = None

    @property
    def degraded(self) -> bool:
        return self._down_until is not None

    async def hit(self, bucket: str, rate: float, burst: int) -> RateDecision:
        down = self._down_until
        if down is None or time.monotonic() >= down:
            answer: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
            self._queue.append((f"portal:rl:{bucket}", rate, burst, answer))
            if self._sender is None:
                self._sender = asyncio.create_task(self._send())
            raw = await answer
            if raw is not None:
                return decide(float(raw), rate, burst)
        self.fallback_hits += 1
        return await self.fallback.hit(bucket, rate, burst)

    async def _send(self) -> None:
        """Runs while hits are queued: one script call per batch, one call in flight."""
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.MAX_BATCH], self._queue[self.MAX_BATCH :]
                await self._call(batch)
        finally:
            self._sender = None
            for *_, answer in self._queue:  # cancelled (closing): decided locally
                if not answer.done():
                    answer.set_result(None)
            self._queue = []

    async def _call(self, batch: list[_Hit]) -> None:
        from redis.exceptions import RedisError

        down = self._down_until
        results: list[bytes] | None = None
        if down is None or time.monotonic() >= down:
            args: list[float | int] = []
            for _, rate, burst, _ in batch:
                args += (rate, burst)
            try:
                raw = await self.script(keys=[hit[0] for hit in batch], args=args)
                results = raw.split()
            except (RedisError, OSError) as exc:
                self.outage.down(exc)
                self._down_until = time.monotonic() + self.RETRY_SECONDS
            except asyncio.CancelledError:  # closing: decided locally
                for *_, answer in batch:
                    if not answer.done():
                        answer.set_result(None)
                raise
            except Exception as exc:  # not Redis's: each waiting hit raises it, as before
                for *_, answer in batch:
                    if not answer.done():
                        answer.set_exception(exc)
                return
            else:
                self.round_trips += 1
                self.shared_hits += len(batch)
                if down is not None:
                    self._down_until = None
                    self.outage.up()
        for index, (*_, answer) in enumerate(batch):
            if not answer.done():  # a request cancelled meanwhile: its token is spent anyway
                answer.set_result(None if results is None else results[index])

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        await self.client.aclose()
