"""GraphQL: endpoint, secret and delivery mutations (each audited by the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.webhook.entity import WEBHOOKS
from app.gql.webhook.types import WebhookDeliveryType, WebhookEndpointType
from app.webhook.service import EndpointChanges, NewEndpoint


@strawberry.input
class CreateWebhookEndpointInput:
    entity_id: strawberry.ID
    mode: Mode
    url: str
    description: str = ""
    event_types: list[str] = strawberry.field(
        description="Non-empty; types, families (order.*) or *; unknown ones refused."
    )
    rate_limit_per_second: int | None = strawberry.field(default=None, description="1..1000")
    max_concurrency: int | None = strawberry.field(default=None, description="1..64")


@strawberry.type
class CreateWebhookEndpointPayload:
    endpoint: WebhookEndpointType
    secret: str = strawberry.field(description="The signing secret. Shown once.")


@strawberry.input
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID
    url: str | None = None
    description: str | None = None
    event_types: list[str] | None = None
    rate_limit_per_second: int | None = strawberry.field(default=None, description="0 clears")
    max_concurrency: int | None = strawberry.field(default=None, description="0 clears")


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpointType


@strawberry.input
class WebhookEndpointInput:
    endpoint_id: strawberry.ID


@strawberry.type
class DeleteWebhookEndpointPayload:
    endpoint_id: strawberry.ID


@strawberry.input
class RotateWebhookSecretInput:
    endpoint_id: strawberry.ID
    grace_period_seconds: int = strawberry.field(
        default=86400, description="0 to 604800: previous secrets keep signing until then."
    )


@strawberry.type
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpointType
    secret: str = strawberry.field(description="The new signing secret. Shown once.")
    previous_secrets_expire_at: datetime


@strawberry.type
class RevealWebhookSecretPayload:
    secret: str


@strawberry.input
class SendTestEventInput:
    endpoint_id: strawberry.ID
    event_type: str
    data: JSON | None = strawberry.field(default=None, description="null: the catalog's example")


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDeliveryType


@strawberry.input
class RetryWebhookDeliveryInput:
    delivery_id: strawberry.ID


@strawberry.input
class ReplayWebhookEventsInput:
    endpoint_id: strawberry.ID
    from_: datetime = strawberry.field(name="from")
    to: datetime | None = None
    only_failed: bool = True
    event_types: list[str] | None = None


@strawberry.type
class ReplayWebhookEventsPayload:
    count: int


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(extensions=WEBHOOKS)
    async def create_webhook_endpoint(
        self, info: Info[Context, Any], input: CreateWebhookEndpointInput
    ) -> CreateWebhookEndpointPayload:
        ctx = info.context
        created = await ctx.services.webhooks.create_endpoint(
            ctx.require_actor(),
            NewEndpoint(
                entity_id=str(input.entity_id),
                mode=input.mode.value,
                url=input.url,
                description=input.description,
                event_types=input.event_types,
                rate_limit_per_second=input.rate_limit_per_second,
                max_concurrency=input.max_concurrency,
            ),
        )
        return CreateWebhookEndpointPayload(
            endpoint=WebhookEndpointType.from_row(created.endpoint), secret=created.secret
        )

    @strawberry.mutation(extensions=WEBHOOKS)
    async def update_webhook_endpoint(
        self, info: Info[Context, Any], input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        ctx = info.context
        row = await ctx.services.webhooks.update_endpoint(
            ctx.require_actor(),
            str(input.endpoint_id),
            EndpointChanges(
                url=input.url,
                description=input.description,
                event_types=input.event_types,
                rate_limit_per_second=input.rate_limit_per_second,
                max_concurrency=input.max_concurrency,
            ),
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpointType.from_row(row))

    @strawberry.mutation(extensions=WEBHOOKS)
    async def pause_webhook_endpoint(
        self, info: Info[Context, Any], input: WebhookEndpointInput
    ) -> WebhookEndpointPayload:
        ctx = info.context
        row = await ctx.services.webhooks.pause_endpoint(
            ctx.require_actor(), str(input.endpoint_id)
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpointType.from_row(row))

    @strawberry.mutation(extensions=WEBHOOKS, description="Also re-enables a DISABLED endpoint.")
    async def resume_webhook_endpoint(
        self, info: Info[Context, Any], input: WebhookEndpointInput
    ) -> WebhookEndpointPayload:
        ctx = info.context
        row = await ctx.services.webhooks.resume_endpoint(
            ctx.require_actor(), str(input.endpoint_id)
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpointType.from_row(row))

    @strawberry.mutation(extensions=WEBHOOKS)
    async def delete_webhook_endpoint(
        self, info: Info[Context, Any], input: WebhookEndpointInput
    ) -> DeleteWebhookEndpointPayload:
        ctx = info.context
        deleted = await ctx.services.webhooks.delete_endpoint(
            ctx.require_actor(), str(input.endpoint_id)
        )
        return DeleteWebhookEndpointPayload(endpoint_id=strawberry.ID(deleted))

    @strawberry.mutation(extensions=WEBHOOKS)
    async def rotate_webhook_secret(
        self, info: Info[Context, Any], input: RotateWebhookSecretInput
    ) -> RotateWebhookSecretPayload:
        ctx = info.context
        rotated = await ctx.services.webhooks.rotate_secret(
            ctx.require_actor(), str(input.endpoint_id), input.grace_period_seconds
        )
        return RotateWebhookSecretPayload(
            endpoint=WebhookEndpointType.from_row(rotated.endpoint),
            secret=rotated.secret,
            previous_secrets_expire_at=rotated.previous_expire_at,
        )

    @strawberry.mutation(extensions=WEBHOOKS, description="Audited.")
    async def reveal_webhook_secret(
        self, info: Info[Context, Any], input: WebhookEndpointInput
    ) -> RevealWebhookSecretPayload:
        ctx = info.context
        secret = await ctx.services.webhooks.reveal_secret(
            ctx.require_actor(), str(input.endpoint_id)
        )
        return RevealWebhookSecretPayload(secret=secret)

    @strawberry.mutation(extensions=WEBHOOKS)
    async def send_test_event(
        self, info: Info[Context, Any], input: SendTestEventInput
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        view = await ctx.services.webhooks.send_test_event(
            ctx.require_actor(), str(input.endpoint_id), input.event_type, input.data
        )
        return WebhookDeliveryPayload(delivery=WebhookDeliveryType.of(view))

    @strawberry.mutation(extensions=WEBHOOKS)
    async def retry_webhook_delivery(
        self, info: Info[Context, Any], input: RetryWebhookDeliveryInput
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        view = await ctx.services.webhooks.retry_delivery(
            ctx.require_actor(), str(input.delivery_id)
        )
        return WebhookDeliveryPayload(delivery=WebhookDeliveryType.of(view))

    @strawberry.mutation(extensions=WEBHOOKS)
    async def replay_webhook_events(
        self, info: Info[Context, Any], input: ReplayWebhookEventsInput
    ) -> ReplayWebhookEventsPayload:
        ctx = info.context
        count = await ctx.services.webhooks.replay_events(
            ctx.require_actor(),
            str(input.endpoint_id),
            input.from_,
            input.to,
            only_failed=input.only_failed,
            event_types=input.event_types or (),
        )
        return ReplayWebhookEventsPayload(count=count)
