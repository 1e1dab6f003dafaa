"""Requests that belong to no entity: a bounded reason label for each (counted in memory), and
the minute rollup rows they fold into under the entity ``''`` (no histograms, no raw rows)."""

from __future__ import annotations

import re

from app.request_log.models import DAY, HOUR, MINUTE, TIER_MS
from app.request_log.rollups import Increments

NO_ENTITY = ""  # the rollup entity of requests that belong to no entity
# minute bucket, mode, route, status, error code ('' for none) -> count, latency sum, max
AnonymousKey = tuple[int, str, str, int, str]
MAX_ANONYMOUS_GROUPS = 10_000  # per flush; beyond it requests are only counted in memory
MAX_REASONS = 64
_REASON = re.compile(r"^[a-z0-9_]{1,64}$")


def anonymous_reason(status: int, error_code: str | None) -> str:
    """A bounded label: the error code, or ``ok`` / ``http_<status>`` without one."""
    if error_code:
        return error_code if _REASON.match(error_code) else "other"
    return "ok" if status < 400 else f"http_{status}"


def tiers(ts_ms: int, marks: dict[int, int]) -> list[int]:
    tiers = [MINUTE]
    if ts_ms < marks.get(MINUTE, 0):
        tiers.append(HOUR)
    if ts_ms < marks.get(HOUR, 0):
        tiers.append(DAY)
    return tiers


def add_anonymous(
    increments: Increments, anonymous: dict[AnonymousKey, list[float]], marks: dict[int, int]
) -> None:
    """Rollup rows only (no histograms): counts and latency by minute, mode, route, status and
    code under the entity ``''`` and the key ``''``."""
    for (minute, mode, route, status, code), (count, total, peak) in anonymous.items():
        for tier in tiers(minute, marks):
            bucket = minute - minute % TIER_MS[tier]
            key = (tier, NO_ENTITY, mode, bucket, route, "", status, code)
            current = increments.rollups.get(key)
            if current is None:
                increments.rollups[key] = [count, total, peak]
            else:
                current[0] += count
                current[1] += total
                current[2] = max(current[2], peak)
