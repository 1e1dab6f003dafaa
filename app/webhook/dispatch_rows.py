"""What delivery workers read and write through the dispatch repository: a claimed delivery,
an attempt's outcome and an endpoint disabled by the failure rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.webhook.models import DeliveryStatus

__all__ = ["AttemptRow", "Claimed", "DisabledEndpoint"]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased delivery with what an attempt needs."""

    id: str
    endpoint_id: str
    event_id: str  # the webhook-id
    entity_id: str
    url: str
    payload: str
    attempt_count: int
    lease_owner: str


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One attempt's outcome: the attempt row and the delivery's next state."""

    delivery_id: str
    endpoint_id: str
    lease_owner: str
    attempted_at: datetime
    url: str
    request_headers: list[list[str]]
    status_code: int | None
    response_headers: list[list[str]] | None
    response_body: str | None
    latency_ms: float
    succeeded: bool
    error_class: str | None
    error_message: str | None
    # the delivery afterwards
    status: DeliveryStatus
    next_attempt_at: datetime | None
    exhausted: bool  # retries exhausted: the endpoint's failure clock starts
    response_truncated: bool = False  # the answer was longer than the 20 KB kept


@dataclass(frozen=True, slots=True)
class DisabledEndpoint:
    id: str
    entity_id: str
    mode: str
    url: str
    failing_since: datetime
    disabled_at: datetime
    reason: str
