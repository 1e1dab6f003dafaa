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

import logging
import math
from dataclasses import dataclass

from app.auth.throttle_redis import RedisThrottleStore
from app.auth.throttle_rules import Counter, Plan, Rule, Scope, ip_scope, retry_after, weighted
from app.auth.throttle_stores import (
    FallbackThrottleStore,
    Outcome,
    SqlThrottleStore,
    ThrottleStore,
)
from app.clock import Clock, SystemClock
from app.security import Digester
from app.settings import Settings

__all__ = [
    "Decision",
    "FallbackThrottleStore",
    "LoginThrottle",
    "Outcome",
    "RedisThrottleStore",
    "SqlThrottleStore",
    "ThrottleStore",
]

logger = logging.getLogger("portal.auth")
PRUNE_EVERY = 64  # reservations between two clean-ups of expired database counters


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
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
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
        now = self.clock.now().timestamp()
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
