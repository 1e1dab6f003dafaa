"""The figures the insight reads answer (plain rows, shared by the repository, the service and
the adapters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StatusCounts:
    requests: int = 0
    errors_4xx: int = 0  # 429 included
    rate_limited: int = 0  # 429
    errors_5xx: int = 0
    last_rate_limited_ms: int | None = None  # the minute bucket of the last 429


@dataclass(frozen=True, slots=True)
class RouteCounts:
    route: str
    counts: StatusCounts


@dataclass(frozen=True, slots=True)
class ErrorGroupRow:
    status: int
    error_code: str
    route: str
    count: int
    last_ts_ms: int
    last_request_id: str


@dataclass(frozen=True, slots=True)
class AttemptCounts:
    deliveries: int = 0
    attempts: int = 0
    failed: int = 0
    failed_4xx: int = 0  # 429 excluded
    failed_429: int = 0
    failed_5xx: int = 0
    failed_network: int = 0  # no HTTP answer: DNS, connect, TLS, timeout, refused, redirect


@dataclass(frozen=True, slots=True)
class EventTypeCounts:
    event_type: str
    attempts: int
    failed: int


@dataclass(frozen=True, slots=True)
class FailureGroupRow:
    event_type: str
    error_class: str
    status_code: int | None
    count: int
    last_attempted_at: datetime
    last_delivery_id: str
    last_attempt_id: str
