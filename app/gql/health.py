"""GraphQL: the health of a key (ApiKey.health) and of a webhook endpoint
(WebhookEndpoint.health) over 24 h or 7 d. Shared by the api_key and webhook modules, which add
the fields; the figures come from app/insight."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, TypedDict

import strawberry
from strawberry.types import Info

from app.actor import Actor
from app.gql.context import Context
from app.insight.figures import AttemptCounts, RouteCounts, StatusCounts
from app.insight.health import EndpointHealth, KeyHealth, Window, error_rate, failure_rate
from app.insight.service import InsightService


@strawberry.enum(description="The window of a health view: the last 24 hours or 7 days.")
class HealthWindow(enum.Enum):
    DAY = "day"
    WEEK = "week"

    def window(self) -> Window:
        return Window(self.value)


@strawberry.type
class HealthSpan:
    """The window and time range both health views start with (not a schema type of its own)."""

    window: HealthWindow
    from_: datetime = strawberry.field(name="from")
    to: datetime


class Span(TypedDict):
    window: HealthWindow
    from_: datetime
    to: datetime


class StatusSplit(TypedDict):
    errors4xx: int
    rate_limited: int
    errors5xx: int


def span(health: KeyHealth | EndpointHealth) -> Span:
    """``HealthSpan``'s fields of a health view."""
    return {"window": HealthWindow(health.window.value), "from_": health.since, "to": health.until}


def status_split(c: StatusCounts) -> StatusSplit:
    """Disjoint 4xx / 429 / 5xx counts: 4xx without the 429s."""
    return {
        "errors4xx": c.errors_4xx - c.rate_limited,
        "rate_limited": c.rate_limited,
        "errors5xx": c.errors_5xx,
    }


@strawberry.type(description="Requests of a key on one route; the status classes are disjoint.")
class RouteHealth:
    route: str
    requests: int
    errors4xx: int = strawberry.field(description="4xx answers other than 429.")
    rate_limited: int = strawberry.field(description="429 answers (rate limit hit).")
    errors5xx: int

    @classmethod
    def of(cls, row: RouteCounts) -> RouteHealth:
        return cls(route=row.route, requests=row.counts.requests, **status_split(row.counts))


@strawberry.type(description="A key's error requests with one status, code and route.")
class KeyErrorGroupType:
    status: int
    error_code: str | None
    route: str
    count: int
    last_at: datetime
    last_request_id: strawberry.ID = strawberry.field(description="The newest request's ID.")


@strawberry.type(name="ApiKeyHealth")
class ApiKeyHealthType(HealthSpan):
    requests: int
    errors4xx: int = strawberry.field(description="4xx answers other than 429.")
    rate_limited: int = strawberry.field(description="429 answers: the rate limit was hit.")
    errors5xx: int
    error_rate: float = strawberry.field(description="(4xx + 429 + 5xx) / requests.")
    previous_requests: int = strawberry.field(description="The window before, same length.")
    previous_error_rate: float
    last_rate_limited_at: datetime | None = strawberry.field(
        description="The minute of the last 429."
    )
    busiest_routes: list[RouteHealth]
    rate_limited_routes: list[RouteHealth] = strawberry.field(
        description="Routes where the key was answered 429, most first."
    )
    error_groups: list[KeyErrorGroupType] = strawberry.field(
        description="Errors grouped by status, code and route, biggest first (at most 20)."
    )

    @classmethod
    def of(cls, health: KeyHealth) -> ApiKeyHealthType:
        c: StatusCounts = health.counts
        return cls(
            **span(health),
            requests=c.requests,
            **status_split(c),
            error_rate=error_rate(c),
            previous_requests=health.previous.requests,
            previous_error_rate=error_rate(health.previous),
            last_rate_limited_at=health.last_rate_limited_at,
            busiest_routes=[RouteHealth.of(r) for r in health.routes],
            rate_limited_routes=[RouteHealth.of(r) for r in health.rate_limited_routes],
            error_groups=[
                KeyErrorGroupType(
                    status=g.status,
                    error_code=g.error_code or None,
                    route=g.route,
                    count=g.count,
                    last_at=g.last_at,
                    last_request_id=strawberry.ID(g.last_request_id),
                )
                for g in health.error_groups
            ],
        )


@strawberry.type
class EventTypeHealth:
    event_type: str
    attempts: int
    failed_attempts: int


@strawberry.type(description="An endpoint's failed attempts with one event type, class, status.")
class WebhookFailureGroup:
    event_type: str
    error_class: str | None = strawberry.field(
        description="dns, connect, tls, timeout, ssrf_refused, redirect, http_status..."
    )
    status_code: int | None
    count: int
    last_attempted_at: datetime
    last_delivery_id: strawberry.ID
    last_attempt_id: strawberry.ID


@strawberry.type(name="WebhookEndpointHealth")
class WebhookEndpointHealthType(HealthSpan):
    deliveries: int = strawberry.field(description="Deliveries attempted in the window.")
    attempts: int
    failed_attempts: int
    failed4xx: int = strawberry.field(description="Failed with a 4xx other than 429.")
    failed429: int = strawberry.field(description="The receiver answered 429.")
    failed5xx: int
    failed_network: int = strawberry.field(
        description="No HTTP answer: DNS, connect, TLS, timeout, refused target, redirect."
    )
    failure_rate: float
    previous_attempts: int
    previous_failure_rate: float
    event_types: list[EventTypeHealth] = strawberry.field(description="Busiest first.")
    failure_groups: list[WebhookFailureGroup] = strawberry.field(
        description="Biggest first (at most 20)."
    )

    @classmethod
    def of(cls, health: EndpointHealth) -> WebhookEndpointHealthType:
        c: AttemptCounts = health.counts
        return cls(
            **span(health),
            deliveries=c.deliveries,
            attempts=c.attempts,
            failed_attempts=c.failed,
            failed4xx=c.failed_4xx,
            failed429=c.failed_429,
            failed5xx=c.failed_5xx,
            failed_network=c.failed_network,
            failure_rate=failure_rate(c),
            previous_attempts=health.previous.attempts,
            previous_failure_rate=failure_rate(health.previous),
            event_types=[
                EventTypeHealth(
                    event_type=e.event_type, attempts=e.attempts, failed_attempts=e.failed
                )
                for e in health.event_types
            ],
            failure_groups=[
                WebhookFailureGroup(
                    event_type=g.event_type,
                    error_class=g.error_class or None,
                    status_code=g.status_code,
                    count=g.count,
                    last_attempted_at=g.last_attempted_at,
                    last_delivery_id=strawberry.ID(g.last_delivery_id),
                    last_attempt_id=strawberry.ID(g.last_attempt_id),
                )
                for g in health.failure_groups
            ],
        )


def _insight(info: Info[Context, Any]) -> tuple[InsightService, Actor]:
    """The health views' service and the signed-in actor asking."""
    return info.context.services.insight, info.context.require_actor()


async def key_health(
    info: Info[Context, Any], key_id: str, window: HealthWindow
) -> ApiKeyHealthType:
    insight, actor = _insight(info)
    return ApiKeyHealthType.of(await insight.key_health(actor, key_id, window.window()))


async def endpoint_health(
    info: Info[Context, Any], endpoint_id: str, window: HealthWindow
) -> WebhookEndpointHealthType:
    insight, actor = _insight(info)
    return WebhookEndpointHealthType.of(
        await insight.endpoint_health(actor, endpoint_id, window.window())
    )
