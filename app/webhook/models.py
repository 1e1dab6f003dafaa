"""Tables of the webhooks domain: endpoints, their encrypted signing secrets, events and the
transactional outbox (one delivery row per event and endpoint) with every attempt recorded.

The outbox is ``webhook_deliveries``: an event and its deliveries are inserted in the same
transaction as the change that caused them (``UnitOfWork.publish``). Workers claim due rows
(``status = 'pending' AND next_attempt_at <= now AND lease expired``; ``FOR UPDATE SKIP LOCKED``
on PostgreSQL), hold a lease while sending, and record one ``webhook_attempts`` row per try. The
``webhook-id`` header is the event id, stable across retries, replays and endpoints.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models import UTCDateTime, utcnow
from app.security import new_id


class EndpointStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # deliveries stay pending (held), none is attempted
    DISABLED = "disabled"  # by the failure rule (or an operator); resume re-enables


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due, retrying, or held while the endpoint is paused
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retries exhausted (or the endpoint was deleted/disabled)


class DeliveryKind(enum.StrEnum):
    EVENT = "event"  # fan-out of a published event
    TEST = "test"  # sendTestEvent
    REPLAY = "replay"  # replayWebhookEvents / retryWebhookDelivery of a finished delivery


class ErrorClass(enum.StrEnum):
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    SSRF_REFUSED = "ssrf_refused"
    REDIRECT = "redirect"
    HTTP_STATUS = "http_status"  # a non-2xx answer
    INVALID_URL = "invalid_url"


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


def _entity_fk() -> Any:
    return Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("entities.id", ondelete="CASCADE"), nullable=False
        )
    )


def _endpoint_fk(*, index: bool = True) -> Any:
    return Field(
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
            nullable=False,
            index=index,
        )
    )


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (sa.Index("ix_webhook_endpoints_entity_mode", "entity_id", "mode", "id"),)

    id: str = Field(default_factory=lambda: new_id("whe"), primary_key=True, max_length=40)
    entity_id: str = _entity_fk()
    mode: str = Field(max_length=4)
    url: str = Field(max_length=2048)
    description: str = Field(default="", max_length=500)
    # event types (``order.created``) or families (``order.*``); ``*`` is every type
    event_types: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    status: str = Field(default=EndpointStatus.ACTIVE, max_length=10)
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = _ts()
    rate_limit_per_second: int | None = None
    max_concurrency: int | None = None
    # first failure (retries exhausted) with no success since: the 5-day disable clock
    failing_since: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()
    created_by_user_id: str | None = Field(default=None, max_length=40)


class WebhookSecret(SQLModel, table=True):
    """A signing secret, AEAD-encrypted (never plaintext). Every secret of an endpoint whose
    ``expires_at`` is null or in the future signs each attempt (rotation grace)."""

    __tablename__ = "webhook_secrets"

    id: str = Field(default_factory=lambda: new_id("whs"), primary_key=True, max_length=40)
    endpoint_id: str = _endpoint_fk()
    ciphertext: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = _created_at()
    expires_at: datetime | None = _ts()


class WebhookEvent(SQLModel, table=True):
    """A published event. ``payload`` is the exact JSON body sent, so every retry and replay
    signs the same bytes."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.Index("ix_webhook_events_entity_mode_created", "entity_id", "mode", "created_at"),
        sa.UniqueConstraint("entity_id", "idempotency_key", name="uq_webhook_events_idempotency"),
    )

    id: str = Field(default_factory=lambda: new_id("evt"), primary_key=True, max_length=40)
    entity_id: str = _entity_fk()
    mode: str = Field(max_length=4)
    type: str = Field(max_length=100)
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    idempotency_key: str | None = Field(default=None, max_length=255)
    # SHA-256 of the request that carried the idempotency key (a reuse with another body is refused)
    request_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = _created_at()


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one event for one endpoint, until it succeeds or its retries are exhausted."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # the claim: due pending rows, oldest first
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at", "id"),
        sa.Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: str = Field(default_factory=lambda: new_id("whd"), primary_key=True, max_length=40)
    endpoint_id: str = _endpoint_fk(index=False)
    event_id: str = Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False
        )
    )
    entity_id: str = Field(max_length=40)
    event_type: str = Field(max_length=100)
    kind: str = Field(default=DeliveryKind.EVENT, max_length=10)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=10)
    attempt_count: int = 0
    next_attempt_at: datetime | None = _ts()
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_expires_at: datetime | None = _ts()
    last_attempt_at: datetime | None = _ts()
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _created_at()
    completed_at: datetime | None = _ts()


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"
    __table_args__ = (
        sa.Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),
        sa.Index("ix_webhook_attempts_endpoint_time", "endpoint_id", "attempted_at"),
    )

    id: str = Field(default_factory=lambda: new_id("wha"), primary_key=True, max_length=40)
    delivery_id: str = Field(
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    endpoint_id: str = Field(max_length=40, index=True)
    attempted_at: datetime = _created_at()
    url: str = Field(max_length=2048)
    request_headers: list[list[str]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    status_code: int | None = None
    response_headers: list[list[str]] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    response_body: str | None = Field(default=None, sa_column=sa.Column(sa.Text))  # <= 20 KB
    # the answer was longer than what is kept (20 KB)
    response_truncated: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    latency_ms: float = 0.0
    succeeded: bool = False
    error_class: str | None = Field(default=None, max_length=20)
    error_message: str | None = Field(default=None, max_length=500)


class DeliveryHeartbeat(SQLModel, table=True):
    """One row per running delivery job (``Dispatcher.owner``), refreshed every
    ``settings.webhook_heartbeat_seconds``: how a replica without a delivery job of its own knows
    that a ``portal worker`` elsewhere is delivering. Each beat sets ``alive_until`` three of the
    writer's own intervals ahead, so readers need not share its settings. A clean stop deletes its
    row; a killed worker's row goes stale and then reads as not alive."""

    __tablename__ = "webhook_delivery_heartbeats"

    worker_id: str = Field(primary_key=True, max_length=80)
    host: str = Field(max_length=255)
    process_id: int
    started_at: datetime = _created_at()
    beat_at: datetime = _created_at()
    alive_until: datetime = _created_at()
