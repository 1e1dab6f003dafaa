"""Sign-in counters in Redis: one Lua script per reservation, shared by every replica."""

from __future__ import annotations

from typing import Any

from app.auth.throttle_rules import Counter, Plan, Rule, Scope
from app.auth.throttle_stores import Outcome

# KEYS: pair, ip, email, slot. ARGV[1]: now (seconds); then per key: window, limit, sliding.
# Returns {refused (0 none, 1 pair, 2 ip, 3 email), then per key: window index, hits, previous}.
# Mirrors decide(): all or nothing, so a refused attempt is counted nowhere.
_RESERVE = """
local now = tonumber(ARGV[1])
local states = {}
for i = 1, 4 do
  local window = tonumber(ARGV[(i - 1) * 3 + 2])
  local limit = tonumber(ARGV[(i - 1) * 3 + 3])
  local sliding = ARGV[(i - 1) * 3 + 4] == '1'
  local w = math.floor(now / window)
  local s = redis.call('HMGET', KEYS[i], 'w', 'hits', 'prev')
  local sw = tonumber(s[1])
  local hits = tonumber(s[2]) or 0
  local prev = tonumber(s[3]) or 0
  if sw == nil then
    hits = 0
    prev = 0
  elseif sw >= w then
    w = sw
  elseif sw == w - 1 then
    prev = hits
    hits = 0
  else
    hits = 0
    prev = 0
  end
  local count = hits
  if sliding then
    local elapsed = (now - w * window) / window
    if elapsed < 0 then elapsed = 0 end
    if elapsed > 1 then elapsed = 1 end
    count = count + prev * (1 - elapsed)
  end
  states[i] = {w = w, hits = hits, prev = prev, window = window, over = count + 1 > limit}
end
local refused = 0
if states[1].over then
  refused = 1
elseif states[2].over then
  refused = 2
elseif states[3].over and states[4].over then
  refused = 3
end
if refused == 0 then
  local last = 3
  if states[3].over then last = 4 end
  for i = 1, last do
    local s = states[i]
    redis.call('HSET', KEYS[i], 'w', s.w, 'hits', s.hits + 1, 'prev', s.prev)
    redis.call('EXPIRE', KEYS[i], 2 * s.window + 1)
  end
end
local out = {refused}
for i = 1, 4 do
  table.insert(out, states[i].w)
  table.insert(out, states[i].hits)
  table.insert(out, states[i].prev)
end
return out
"""

# KEYS[1]; ARGV[1]: the window index the attempt was counted in.
_RELEASE = """
local w = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'w', 'hits', 'prev')
local sw = tonumber(s[1])
if sw == w and (tonumber(s[2]) or 0) > 0 then
  redis.call('HINCRBY', KEYS[1], 'hits', -1)
elseif sw == w + 1 and (tonumber(s[3]) or 0) > 0 then
  redis.call('HINCRBY', KEYS[1], 'prev', -1)
end
return 0
"""

_REFUSED: dict[int, Scope | None] = {0: None, 1: "pair", 2: "ip", 3: "email"}


class RedisThrottleStore:
    """Counters in Redis hashes (``{prefix}:{digest}``), shared by every replica."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis

        self.prefix = prefix
        self.client = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._reserve = self.client.register_script(_RESERVE)
        self._release = self.client.register_script(_RELEASE)

    def _key(self, rule: Rule) -> str:
        return f"{self.prefix}:{rule.key}"

    async def reserve(self, plan: Plan, now: float) -> Outcome:
        args: list[Any] = [repr(now)]
        for rule in plan.rules:
            args += [rule.window_seconds, rule.limit, 1 if rule.sliding else 0]
        raw = await self._reserve(keys=[self._key(r) for r in plan.rules], args=args)
        values = [int(v) for v in raw]
        counters = tuple(
            Counter(values[1 + i * 3], values[2 + i * 3], values[3 + i * 3]) for i in range(4)
        )
        return Outcome(_REFUSED[values[0]], counters, self)

    async def release(self, rule: Rule, window_index: int) -> None:
        await self._release(keys=[self._key(rule)], args=[window_index])

    async def clear(self, rule: Rule) -> None:
        await self.client.delete(self._key(rule))

    async def prune(self, now: float) -> int:
        return 0  # keys expire by themselves

    async def close(self) -> None:
        await self.client.aclose()
