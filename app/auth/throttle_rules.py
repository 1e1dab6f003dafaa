"""Sign-in throttle rules: what is counted (per pair, IP and email), in which windows, and the
arithmetic of a sliding estimate over fixed windows. Pure functions; the stores count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from app.net import address_bucket, parse_address

Scope = Literal["pair", "ip", "email"]


def ip_scope(ip: str) -> str:
    """The unit an address is counted as: itself for IPv4, its /64 for IPv6."""
    try:
        return address_bucket(parse_address(ip))
    except ValueError:
        return ip[:64]


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
