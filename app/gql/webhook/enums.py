"""GraphQL: the webhook enums (endpoint and delivery status, delivery kind, error class)."""

from __future__ import annotations

import enum

import strawberry

from app.webhook.models import ErrorClass


@strawberry.enum
class WebhookEndpointStatus(enum.Enum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISABLED = "disabled"


@strawberry.enum
class WebhookDeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    HELD = "HELD"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.enum
class WebhookDeliveryKind(enum.Enum):
    EVENT = "event"
    TEST = "test"
    REPLAY = "replay"


@strawberry.enum
class WebhookErrorClass(enum.Enum):
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    SSRF_REFUSED = "ssrf_refused"
    REDIRECT = "redirect"
    HTTP_STATUS = "http_status"
    INVALID_URL = "invalid_url"


assert {e.value for e in WebhookErrorClass} == {e.value for e in ErrorClass}
