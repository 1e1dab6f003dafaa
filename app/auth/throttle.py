"""Sign-in throttling: every attempt is counted atomically *before* its password is checked.

Four counters take part in each attempt:

* ``pair``  (email, client IP): tight; stops one address guessing one account.
* ``ip``    (client IP, any email): stops credential stuffing from one address.
* ``email`` (email, any IP): loose; past it the account is *slowed*, not locked: only one
  attempt per ``login_locked_email_interval_seconds`` (the ``slot`` counter) is evaluated, so
  someone who knows an email can neither lock its owner out nor guess faster than that.
* ``slot``  (email, short fixed window): consulted only while ``email`` is over its limit.

IPv6 clients are counted per /64 (one host usually holds a whole /64).

A reservation is all or nothing: either every counter has room and all of them count the
attempt, or nothing is counted and the attempt is refused without hashing anything. It is one
atomic step in the store, so parallel attempts cannot all pass a check made before any of them
was counted: in Redis one Lua script (shared by every replica); in the database one transaction
of ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` upserts (row locks on PostgreSQL, the write
lock on SQLite) that is rolled back when an attempt is refused. If Redis fails, the database
counts until it answers again.

Counters are fixed windows with a sliding estimate (the previous window's hits weighted by how
much of it still overlaps the sliding window), so a burst across a window boundary gains nothing.
A successful sign-in clears its (email, IP) pair and takes back its own attempt from the email
and IP counters (failures stay counted: signing in to one's own account resets nothing else).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from app.auth.repository import AuthRepository
from app.db import Database
from app.security import Digester
from app.settings import Settings

logger = logging.getLogger("portal.auth")

Scope = Literal["pair", "ip", "email"]
PRUNE_EVERY = 64  # reservations between two clean-ups of expired database counters
PRUNE_BATCH = 500


def ip_scope(ip: str) -> str:
    """The unit an address is counted as: itself for IPv4, its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True, slots=True)
class Rule:
    key: str  # store key: a keyed digest of scope, window and value
    window_seconds: int
    limit: int
    sliding: bool = True


@dataclass(frozen=True, slots=True)
class Counter:
    """A counter as it stood before this attempt, rolled over to the current window."""

    window_index: int
    hits: int
    previous_hits: int


@dataclass(frozen=True, slots=True)
class Plan:
    pair: Rule
    ip: Rule
    email: Rule
    slot: Rule

    @property
    def rules(self) -> tuple[Rule, Rule, Rule, Rule]:
        return (self.pair, self.ip, self.email, self.slot)


def window_index(rule: Rule, now: float) -> int:
    return math.floor(now / rule.window_seconds)


def weighted(rule: Rule, counter: Counter, now: float) -> float:
    """Attempts in the sliding window that ends now (before this one)."""
    if not rule.sliding:
        return float(counter.hits)
    start = counter.window_index * rule.window_seconds
    elapsed = min(max((now - start) / rule.window_seconds, 0.0), 1.0)
    return counter.hits + counter.previous_hits * (1.0 - elapsed)


def is_over(rule: Rule, counter: Counter, now: float) -> bool:
    """Would one more attempt exceed the limit?"""
    return weighted(rule, counter, now) + 1 > rule.limit


def retry_after(rule: Rule, counter: Counter, now: float) -> int:
    """Seconds until the rule would admit one more attempt, if nothing else is counted."""
    window = rule.window_seconds
    start = counter.window_index * window
    elapsed = min(max((now - start) / window, 0.0), 1.0)
    to_next = start + window - now
    if not rule.sliding:
        return max(1, math.ceil(to_next))
    hits, previous = counter.hits, counter.previous_hits
    if hits + 1 <= rule.limit and previous > 0:
        # still in this window, once enough of the previous one has slid out
        needed = 1.0 - (rule.limit - 1 - hits) / previous
        return max(1, math.ceil((needed - elapsed) * window))
    # in the next window, where this window's hits become the previous ones
    needed = max(0.0, 1.0 - (rule.limit - 1) / hits) if hits > 0 else 0.0
    return max(1, math.ceil(to_next + needed * window))


def decide(plan: Plan, counters: tuple[Counter, ...], now: float) -> Scope | None:
    """Which limit refuses the attempt (None: admitted). Mirrored by the Redis script."""
    pair, ip, email, slot = counters
    if is_over(plan.pair, pair, now):
        return "pair"
    if is_over(plan.ip, ip, now):
        return "ip"
    if is_over(plan.email, email, now) and is_over(plan.slot, slot, now):
        return "email"
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    refused: Scope | None
    counters: tuple[Counter, ...]  # pair, ip, email, slot before this attempt
    store: ThrottleStore  # the store that counted it (where its release must go)


class ThrottleStore(Protocol):
    async def reserve(self, plan: Plan, now: float) -> Outcome: ...
    async def release(self, rule: Rule, window_index: int) -> None: ...
    async def clear(self, rule: Rule) -> None: ...
    async def prune(self, now: float) -> int: ...
    async def close(self) -> None: ...


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class SqlThrottleStore:
    """Counters in the ``login_throttle`` table: shared by every process on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, plan: Plan, now: float) -> Outcome:
        counters: list[Counter] = []
        async with self.db.session() as session:
            repo = AuthRepository(session)

            async def bump(rule: Rule) -> Counter:
                index = window_index(rule, now)
                expires = _at((index + 2) * rule.window_seconds)
                hits, previous, stored_index = await repo.bump_counter(rule.key, index, expires)
                counter = Counter(stored_index, hits - 1, previous)
                counters.append(counter)
                return counter

            async def refuse(scope: Scope) -> Outcome:
                await session.rollback()  # nothing of a refused attempt is counted
                unseen = Counter(0, 0, 0)
                return Outcome(scope, (*counters, *[unseen] * (4 - len(counters))), self)

            # One counter at a time, in the same order everywhere (no lock-order deadlocks),
            # stopping at the first full one so a refusal locks as little as possible.
            if is_over(plan.pair, await bump(plan.pair), now):
                return await refuse("pair")
            if is_over(plan.ip, await bump(plan.ip), now):
                return await refuse("ip")
            email = await bump(plan.email)
            if is_over(plan.email, email, now):
                if is_over(plan.slot, await bump(plan.slot), now):
                    return await refuse("email")
            else:
                counters.append(Counter(window_index(plan.slot, now), 0, 0))
            await session.commit()
        return Outcome(None, tuple(counters), self)

    async def release(self, rule: Rule, window_index: int) -> None:
        async with self.db.session() as session:
            await AuthRepository(session).release_counter(rule.key, window_index)
            await session.commit()

    async def clear(self, rule: Rule) -> None:
        async with self.db.session() as session:
            await AuthRepository(session).delete_counter(rule.key)
            await session.commit()

    async def prune(self, now: float) -> int:
        async with self.db.session() as session:
            deleted = await AuthRepository(session).delete_expired_counters(_at(now), PRUNE_BATCH)
            await session.commit()
        return deleted

    async def close(self) -> None:
        return None


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


class FallbackThrottleStore:
    """Redis first; while Redis fails, the database counts (logged once per outage)."""

    RETRY_SECONDS = 5.0  # how long to leave a failing Redis alone before trying it again

    def __init__(self, primary: ThrottleStore, fallback: ThrottleStore) -> None:
        self.primary = primary
        self.fallback = fallback
        self._down_until: float | None = None

    def _failed(self, exc: Exception) -> None:
        if self._down_until is None:
            logger.warning(
                "sign-in throttle: Redis unavailable, counting in the database",
                extra={"fields": {"error": repr(exc)}},
            )
        self._down_until = time.monotonic() + self.RETRY_SECONDS

    async def reserve(self, plan: Plan, now: float) -> Outcome:
        if self._down_until is None or time.monotonic() >= self._down_until:
            try:
                outcome = await self.primary.reserve(plan, now)
            except Exception as exc:  # any Redis failure: count in the database instead
                self._failed(exc)
            else:
                if self._down_until is not None:
                    logger.warning("sign-in throttle: Redis is back")
                    self._down_until = None
                return outcome
        return await self.fallback.reserve(plan, now)

    # LoginThrottle sends releases to the store named in each Outcome; these are for callers
    # that hold no Outcome.
    async def release(self, rule: Rule, window_index: int) -> None:
        await self.primary.release(rule, window_index)

    async def clear(self, rule: Rule) -> None:
        await self.primary.clear(rule)

    async def prune(self, now: float) -> int:
        return await self.fallback.prune(now)

    async def close(self) -> None:
        await self.primary.close()
        await self.fallback.close()


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    refused_by: Scope | None
    retry_after_seconds: int  # 0 when allowed
    prior_failures: int  # attempts already counted for this pair or this IP (slowdown)
    plan: Plan
    counters: tuple[Counter, ...]
    store: ThrottleStore


class LoginThrottle:
    def __init__(
        self,
        store: ThrottleStore,
        settings: Settings,
        secret: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._digest = Digester(secret, "login-throttle")
        self._reservations = 0

    def plan(self, email: str, ip: str) -> Plan:
        s = self.settings
        window = s.login_window_seconds
        where = ip_scope(ip)

        def rule(scope: str, value: str, limit: int, seconds: int, sliding: bool = True) -> Rule:
            key = self._digest(f"{scope}\x1f{seconds}\x1f{value}")
            return Rule(key, seconds, limit, sliding)

        per_email = s.login_max_failures_per_email
        interval = s.login_locked_email_interval_seconds
        return Plan(
            pair=rule(
                "pair",
                f"{email}\x1f{where}",
                min(s.login_max_failures_per_email_ip, per_email),
                window,
            ),
            ip=rule("ip", where, s.login_max_failures_per_ip, window),
            email=rule("email", email, per_email, window),
            slot=rule("slot", email, 1, interval, sliding=False),
        )

    async def reserve(self, email: str, ip: str) -> Decision:
        """Count this attempt before anything is checked; refused attempts count nowhere."""
        plan = self.plan(email, ip)
        now = self.clock()
        outcome = await self.store.reserve(plan, now)
        self._reservations += 1
        if self._reservations % PRUNE_EVERY == 0:
            try:
                await self.store.prune(now)
            except Exception:  # housekeeping only; the next prune catches up
                logger.warning("sign-in throttle: pruning expired counters failed", exc_info=True)
        pair, by_ip, _, slot = outcome.counters
        prior = math.floor(max(weighted(plan.pair, pair, now), weighted(plan.ip, by_ip, now)))
        retry = 0
        if outcome.refused == "pair":
            retry = retry_after(plan.pair, pair, now)
        elif outcome.refused == "ip":
            retry = retry_after(plan.ip, by_ip, now)
        elif outcome.refused == "email":
            retry = retry_after(plan.slot, slot, now)
        return Decision(
            allowed=outcome.refused is None,
            refused_by=outcome.refused,
            retry_after_seconds=retry,
            prior_failures=prior,
            plan=plan,
            counters=outcome.counters,
            store=outcome.store,
        )

    async def succeeded(self, decision: Decision) -> None:
        """A sign-in went through: clear its pair, take back its own attempt elsewhere."""
        store, plan = decision.store, decision.plan
        _, by_ip, email, _ = decision.counters
        try:
            await store.clear(plan.pair)
            await store.release(plan.ip, by_ip.window_index)
            await store.release(plan.email, email.window_index)
        except Exception:  # the sign-in stands; its attempt simply stays counted
            logger.warning("sign-in throttle: releasing a counted attempt failed", exc_info=True)

    async def close(self) -> None:
        await self.store.close()
