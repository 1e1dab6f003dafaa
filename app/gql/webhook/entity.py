"""GraphQL: what webhooks add to Entity and Query (endpoints, delivery status, the catalog)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import Mode
from app.gql.permissions import HasPermission, IsAuthenticated
from app.gql.webhook.enums import WebhookEndpointStatus
from app.gql.webhook.types import (
    WebhookDeliveryInfrastructure,
    WebhookEndpointConnection,
    WebhookEndpointType,
    WebhookEventFamily,
)

WEBHOOKS: list[FieldExtension] = [PermissionExtension([HasPermission("webhooks.manage")])]


@strawberry.type
class WebhookEntity(EntityBase):
    @strawberry.field(description="Webhook endpoints, newest first.", extensions=WEBHOOKS)
    async def webhook_endpoints(
        self,
        info: Info[Context, Any],
        mode: Mode | None = None,
        status: list[WebhookEndpointStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WebhookEndpointConnection:
        ctx = info.context
        page, total = await ctx.services.webhooks.list_endpoints(
            ctx.require_actor(),
            self.id,
            mode=mode.value if mode else None,
            statuses=[s.value for s in status or ()],
            first=first,
            after=after,
        )
        return WebhookEndpointConnection.of(page, total)

    @strawberry.field(
        description="One endpoint of this entity (null when it is not one).", extensions=WEBHOOKS
    )
    async def webhook_endpoint(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> WebhookEndpointType | None:
        ctx = info.context
        row = await ctx.services.webhooks.find_endpoint(ctx.require_actor(), self.id, str(id))
        return WebhookEndpointType.from_row(row) if row else None

    @strawberry.field(
        description="Is delivery running, and how much of this entity's is waiting.",
        extensions=WEBHOOKS,
    )
    async def webhook_delivery(self, info: Info[Context, Any]) -> WebhookDeliveryInfrastructure:
        ctx = info.context
        found = await ctx.services.webhooks.infrastructure(ctx.require_actor(), self.id)
        return WebhookDeliveryInfrastructure.of(found)


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="The webhook event catalog, by family (deployment configuration).",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def webhook_event_types(self, info: Info[Context, Any]) -> list[WebhookEventFamily]:
        catalog = info.context.services.webhooks.catalog
        return [WebhookEventFamily.of(f) for f in catalog.families]

    @strawberry.field(
        description="An endpoint by id (NOT_FOUND when it is not yours).", extensions=WEBHOOKS
    )
    async def webhook_endpoint(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> WebhookEndpointType:
        ctx = info.context
        row = await ctx.services.webhooks.get_endpoint(ctx.require_actor(), str(id))
        return WebhookEndpointType.from_row(row)
