"""What the health views and the needs-attention list answer (plain figures, no SQL)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.insight.figures import (
    AttemptCounts,
    EventTypeCounts,
    FailureGroupRow,
    RouteCounts,
    StatusCounts,
)

ATTENTION_LIMIT = 20


class Window(enum.StrEnum):
    DAY = "day"
    WEEK = "week"

    @property
    def length(self) -> timedelta:
        return timedelta(days=1) if self is Window.DAY else timedelta(days=7)


def error_rate(counts: StatusCounts) -> float:
    """4xx and 5xx over requests (what the analytics tab calls the error rate)."""
    if not counts.requests:
        return 0.0
    return (counts.errors_4xx + counts.errors_5xx) / counts.requests


def failure_rate(counts: AttemptCounts) -> float:
    return counts.failed / counts.attempts if counts.attempts else 0.0


@dataclass(frozen=True, slots=True)
class KeyErrorGroup:
    status: int
    error_code: str  # '' when the answer carried none
    route: str
    count: int
    last_at: datetime
    last_request_id: str


@dataclass
class KeyHealth:
    key_id: str
    entity_id: str
    mode: str
    window: Window
    since: datetime
    until: datetime
    counts: StatusCounts
    previous: StatusCounts
    routes: list[RouteCounts] = field(default_factory=list)
    rate_limited_routes: list[RouteCounts] = field(default_factory=list)
    last_rate_limited_at: datetime | None = None
    error_groups: list[KeyErrorGroup] = field(default_factory=list)


@dataclass
class EndpointHealth:
    endpoint_id: str
    entity_id: str
    mode: str
    window: Window
    since: datetime
    until: datetime
    counts: AttemptCounts
    previous: AttemptCounts
    event_types: list[EventTypeCounts] = field(default_factory=list)
    failure_groups: list[FailureGroupRow] = field(default_factory=list)


class AttentionKind(enum.StrEnum):
    API_KEY = "api_key"
    WEBHOOK_ENDPOINT = "webhook_endpoint"


@dataclass(frozen=True, slots=True)
class AttentionItem:
    kind: AttentionKind
    id: str
    name: str  # the key's name, the endpoint's URL
    volume: int  # requests or attempts in this window
    errors: int  # error requests or failed attempts
    previous_volume: int
    previous_errors: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.volume if self.volume else 0.0

    @property
    def previous_error_rate(self) -> float:
        return self.previous_errors / self.previous_volume if self.previous_volume else 0.0

    @property
    def change(self) -> float:
        return self.error_rate - self.previous_error_rate


@dataclass
class Attention:
    window: Window
    since: datetime
    until: datetime
    items: list[AttentionItem]


def rank(items: list[AttentionItem], limit: int = ATTENTION_LIMIT) -> list[AttentionItem]:
    """Items with errors in this window, or whose error rate moved, worst change first."""
    kept = [i for i in items if i.errors or i.change]
    kept.sort(key=lambda i: (-i.change, -i.error_rate, -i.errors, i.kind, i.id))
    return kept[:limit]
