"""GraphQL: the webhook types (endpoints, deliveries, attempts, the catalog; enums.py: their
enums)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.scalars import JSON
from strawberry.types import Info

from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.headers import HttpHeader
from app.gql.health import HealthWindow, WebhookEndpointHealthType, endpoint_health
from app.gql.permissions import HasPermission
from app.gql.relay import PageInfo
from app.gql.webhook.enums import (
    WebhookDeliveryKind,
    WebhookDeliveryStatus,
    WebhookEndpointStatus,
    WebhookErrorClass,
)
from app.pagination import Page
from app.webhook.catalog import EventFamily, EventType
from app.webhook.deliveries import DeliveryFilter, DeliveryPage, DeliveryView
from app.webhook.models import EndpointStatus, WebhookAttempt, WebhookEndpoint
from app.webhook.service import DeliveryInfrastructure, EndpointStats


@strawberry.type(name="WebhookEventType")
class WebhookEventTypeType:
    type: str
    family: str
    description: str
    schema: JSON
    example: JSON

    @classmethod
    def of(cls, event_type: EventType) -> WebhookEventTypeType:
        return cls(
            type=event_type.type,
            family=event_type.family,
            description=event_type.description,
            schema=event_type.schema,  # type: ignore[arg-type]
            example=event_type.example,  # type: ignore[arg-type]
        )


@strawberry.type
class WebhookEventFamily:
    family: str
    description: str
    event_types: list[WebhookEventTypeType]

    @classmethod
    def of(cls, family: EventFamily) -> WebhookEventFamily:
        return cls(
            family=family.family,
            description=family.description,
            event_types=[WebhookEventTypeType.of(t) for t in family.event_types],
        )


def headers(pairs: list[list[str]] | None) -> list[HttpHeader] | None:
    if pairs is None:
        return None
    return [HttpHeader(name=str(p[0]), value=str(p[1])) for p in pairs if len(p) == 2]


@strawberry.type
class WebhookSecretInfo:
    id: strawberry.ID
    created_at: datetime
    expires_at: datetime | None


@strawberry.type
class WebhookEndpointStats:
    hours: int
    attempts: int
    succeeded: int
    failed: int
    success_rate: float | None

    @classmethod
    def of(cls, stats: EndpointStats) -> WebhookEndpointStats:
        return cls(
            hours=stats.hours,
            attempts=stats.attempts,
            succeeded=stats.succeeded,
            failed=stats.failed,
            success_rate=stats.success_rate,
        )


@strawberry.input
class WebhookDeliveryFilter:
    status: list[WebhookDeliveryStatus] | None = None
    event_types: list[str] | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_filter(self) -> DeliveryFilter:
        return DeliveryFilter(
            statuses=frozenset(s.value for s in self.status or ()),
            event_types=tuple(self.event_types or ()),
            created_from=self.from_,
            created_to=self.to,
        )


@strawberry.type(name="WebhookAttempt")
class WebhookAttemptType:
    id: strawberry.ID
    attempted_at: datetime
    url: str
    request_headers: list[HttpHeader]
    status_code: int | None
    response_headers: list[HttpHeader] | None
    response_body: str | None
    response_truncated: bool
    latency_ms: float
    succeeded: bool
    error_class: WebhookErrorClass | None
    error_message: str | None

    @classmethod
    def of(cls, row: WebhookAttempt) -> WebhookAttemptType:
        body = row.response_body
        return cls(
            id=strawberry.ID(row.id),
            attempted_at=row.attempted_at,
            url=row.url,
            request_headers=headers(row.request_headers) or [],
            status_code=row.status_code,
            response_headers=headers(row.response_headers),
            response_body=body,
            response_truncated=row.response_truncated,
            latency_ms=row.latency_ms,
            succeeded=row.succeeded,
            error_class=WebhookErrorClass(row.error_class) if row.error_class else None,
            error_message=row.error_message,
        )


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryType:
    id: strawberry.ID
    endpoint_id: strawberry.ID
    event_id: strawberry.ID = strawberry.field(description="The webhook-id header.")
    event_type: str
    kind: WebhookDeliveryKind
    status: WebhookDeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    payload: str = strawberry.field(description="The exact JSON body sent.")
    attempts: list[WebhookAttemptType] = strawberry.field(description="Oldest first.")

    @classmethod
    def of(cls, view: DeliveryView) -> WebhookDeliveryType:
        row = view.delivery
        done = row.status != "pending"
        return cls(
            id=strawberry.ID(row.id),
            endpoint_id=strawberry.ID(row.endpoint_id),
            event_id=strawberry.ID(row.event_id),
            event_type=row.event_type,
            kind=WebhookDeliveryKind(row.kind),
            status=WebhookDeliveryStatus(view.status),
            attempt_count=row.attempt_count,
            next_attempt_at=None if done else row.next_attempt_at,
            last_attempt_at=row.last_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            created_at=row.created_at,
            completed_at=row.completed_at,
            payload=view.payload,
            attempts=[WebhookAttemptType.of(a) for a in view.attempts],
        )


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDeliveryType


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, found: DeliveryPage) -> WebhookDeliveryConnection:
        edges = [
            WebhookDeliveryEdge(cursor=c, node=WebhookDeliveryType.of(v))
            for c, v in found.page.items
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=found.page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=found.total,
        )


async def _last_delivery_at(root: WebhookEndpointType, info: Info[Context, Any]) -> datetime | None:
    return await info.context.loaders.webhook_last_delivery.load(root.row.id)


@strawberry.type(name="WebhookEndpoint")
class WebhookEndpointType:
    id: strawberry.ID
    entity_id: strawberry.ID
    mode: Mode
    url: str
    description: str
    event_types: list[str] = strawberry.field(description="Types, families (order.*) or *.")
    status: WebhookEndpointStatus
    status_reason: str | None
    status_changed_at: datetime | None
    rate_limit_per_second: int | None
    max_concurrency: int | None
    failing_since: datetime | None
    last_success_at: datetime | None
    last_delivery_at: datetime | None = strawberry.field(resolver=_last_delivery_at)
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[WebhookEndpoint]

    @classmethod
    def from_row(cls, row: WebhookEndpoint) -> WebhookEndpointType:
        return cls(
            id=strawberry.ID(row.id),
            entity_id=strawberry.ID(row.entity_id),
            mode=Mode(row.mode),
            url=row.url,
            description=row.description,
            event_types=list(row.event_types),
            status=WebhookEndpointStatus(row.status),
            status_reason=row.status_reason,
            status_changed_at=row.status_changed_at,
            rate_limit_per_second=row.rate_limit_per_second,
            max_concurrency=row.max_concurrency,
            failing_since=row.failing_since,
            last_success_at=row.last_success_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="Valid secrets, newest first (no values).")
    async def secrets(self, info: Info[Context, Any]) -> list[WebhookSecretInfo]:
        rows = await info.context.loaders.webhook_secrets.load(self.row.id) or []
        return [
            WebhookSecretInfo(
                id=strawberry.ID(r.id), created_at=r.created_at, expires_at=r.expires_at
            )
            for r in rows
        ]

    async def _pending(self, info: Info[Context, Any]) -> int:
        return await info.context.loaders.webhook_pending.load(self.row.id) or 0

    @strawberry.field(description="Deliveries held while paused or disabled.")
    async def held_count(self, info: Info[Context, Any]) -> int:
        if self.row.status == EndpointStatus.ACTIVE:
            return 0
        return await self._pending(info)

    @strawberry.field(description="Deliveries due or retrying.")
    async def pending_count(self, info: Info[Context, Any]) -> int:
        if self.row.status != EndpointStatus.ACTIVE:
            return 0
        return await self._pending(info)

    @strawberry.field
    async def stats(self, info: Info[Context, Any], hours: int = 24) -> WebhookEndpointStats:
        hours = max(1, min(hours, 24 * 31))
        found = await info.context.loaders.webhook_stats.load(f"{hours}|{self.row.id}")
        return WebhookEndpointStats.of(found or EndpointStats(hours, 0, 0))

    @strawberry.field(
        description="Deliveries, failed attempts by class, busiest event types and failure "
        "groups over the last 24 h or 7 d (app/insight).",
        extensions=[PermissionExtension([HasPermission("webhooks.manage")])],
    )
    async def health(
        self, info: Info[Context, Any], window: HealthWindow = HealthWindow.DAY
    ) -> WebhookEndpointHealthType:
        return await endpoint_health(info, self.row.id, window)

    @strawberry.field
    async def deliveries(
        self,
        info: Info[Context, Any],
        filter: WebhookDeliveryFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WebhookDeliveryConnection:
        ctx = info.context
        found = await ctx.services.webhooks.list_deliveries(
            ctx.require_actor(),
            self.row.id,
            filter.to_filter() if filter else DeliveryFilter(),
            first=first,
            after=after,
        )
        return WebhookDeliveryConnection.of(found)


@strawberry.type
class WebhookEndpointEdge:
    cursor: str
    node: WebhookEndpointType


@strawberry.type
class WebhookEndpointConnection:
    edges: list[WebhookEndpointEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[WebhookEndpoint], total: int) -> WebhookEndpointConnection:
        edges = [
            WebhookEndpointEdge(cursor=c, node=WebhookEndpointType.from_row(r))
            for c, r in page.items
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=total,
        )


@strawberry.type
class WebhookDeliveryInfrastructure:
    job_alive: bool | None = strawberry.field(
        description=(
            "A delivery job is running: in this process, or a `portal worker` whose heartbeat "
            "is fresher than three heartbeat intervals."
        )
    )
    due_count: int
    held_count: int
    oldest_due_at: datetime | None
    oldest_due_age_seconds: float | None

    @classmethod
    def of(cls, found: DeliveryInfrastructure) -> WebhookDeliveryInfrastructure:
        return cls(
            job_alive=found.job_alive,
            due_count=found.due_count,
            held_count=found.held_count,
            oldest_due_at=found.oldest_due_at,
            oldest_due_age_seconds=found.oldest_due_age_seconds,
        )
