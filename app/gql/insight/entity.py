"""GraphQL: Entity.needsAttention, keys and endpoints ranked by error-rate change."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import Mode
from app.gql.health import HealthWindow
from app.gql.permissions import HasPermission
from app.insight.health import Attention, AttentionItem


@strawberry.enum
class AttentionKind(enum.Enum):
    API_KEY = "api_key"
    WEBHOOK_ENDPOINT = "webhook_endpoint"


@strawberry.type
class NeedsAttentionItem:
    kind: AttentionKind
    id: strawberry.ID
    name: str = strawberry.field(description="The key's name or the endpoint's URL.")
    volume: int = strawberry.field(description="Requests (key) or attempts (endpoint).")
    errors: int = strawberry.field(description="Error requests or failed attempts.")
    error_rate: float
    previous_volume: int
    previous_errors: int
    previous_error_rate: float
    change: float = strawberry.field(description="errorRate - previousErrorRate.")

    @classmethod
    def of(cls, item: AttentionItem) -> NeedsAttentionItem:
        return cls(
            kind=AttentionKind(item.kind.value),
            id=strawberry.ID(item.id),
            name=item.name,
            volume=item.volume,
            errors=item.errors,
            error_rate=item.error_rate,
            previous_volume=item.previous_volume,
            previous_errors=item.previous_errors,
            previous_error_rate=item.previous_error_rate,
            change=item.change,
        )


@strawberry.type
class NeedsAttention:
    window: HealthWindow
    from_: datetime = strawberry.field(name="from")
    to: datetime
    items: list[NeedsAttentionItem] = strawberry.field(description="Worst change first (20).")

    @classmethod
    def of(cls, found: Attention) -> NeedsAttention:
        return cls(
            window=HealthWindow(found.window.value),
            from_=found.since,
            to=found.until,
            items=[NeedsAttentionItem.of(i) for i in found.items],
        )


@strawberry.type
class InsightEntity(EntityBase):
    @strawberry.field(
        description="Keys (and, with webhooks.manage, webhook endpoints) whose error rate rose "
        "the most from the previous window of the same length to this one.",
        extensions=[PermissionExtension([HasPermission("analytics.read")])],
    )
    async def needs_attention(
        self, info: Info[Context, Any], mode: Mode, window: HealthWindow = HealthWindow.DAY
    ) -> NeedsAttention:
        ctx = info.context
        found = await ctx.services.insight.needs_attention(
            ctx.require_actor(), self.id, mode.value, window.window()
        )
        return NeedsAttention.of(found)
