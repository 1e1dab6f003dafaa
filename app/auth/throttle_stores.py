"""Where sign-in counters live: the database (``SqlThrottleStore``, one atomic transaction per
reservation), Redis (``throttle_redis.py``), or Redis with the database as fallback."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from app.auth.throttle_rules import Counter, Plan, Rule, Scope, is_over, window_index
from app.uow import UnitOfWorkFactory

logger = logging.getLogger("portal.auth")
PRUNE_BATCH = 500


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

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def reserve(self, plan: Plan, now: float) -> Outcome:
        counters: list[Counter] = []
        async with self.uow.writer() as uow:
            repo = uow.auth

            async def bump(rule: Rule) -> Counter:
                index = window_index(rule, now)
                expires = _at((index + 2) * rule.window_seconds)
                hits, previous, stored_index = await repo.bump_counter(rule.key, index, expires)
                counter = Counter(stored_index, hits - 1, previous)
                counters.append(counter)
                return counter

            def refuse(scope: Scope) -> Outcome:
                uow.discard()  # nothing of a refused attempt is counted
                unseen = Counter(0, 0, 0)
                return Outcome(scope, (*counters, *[unseen] * (4 - len(counters))), self)

            # One counter at a time, in the same order everywhere (no lock-order deadlocks),
            # stopping at the first full one so a refusal locks as little as possible.
            if is_over(plan.pair, await bump(plan.pair), now):
                return refuse("pair")
            if is_over(plan.ip, await bump(plan.ip), now):
                return refuse("ip")
            email = await bump(plan.email)
            if is_over(plan.email, email, now):
                if is_over(plan.slot, await bump(plan.slot), now):
                    return refuse("email")
            else:
                counters.append(Counter(window_index(plan.slot, now), 0, 0))
        return Outcome(None, tuple(counters), self)

    async def release(self, rule: Rule, window_index: int) -> None:
        async with self.uow.writer() as uow:
            await uow.auth.release_counter(rule.key, window_index)

    async def clear(self, rule: Rule) -> None:
        async with self.uow.writer() as uow:
            await uow.auth.delete_counter(rule.key)

    async def prune(self, now: float) -> int:
        async with self.uow.writer() as uow:
            deleted = await uow.auth.delete_expired_counters(_at(now), PRUNE_BATCH)
        return deleted

    async def close(self) -> None:
        return None


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
