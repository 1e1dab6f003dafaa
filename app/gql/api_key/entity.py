"""GraphQL: what API keys add to Entity (the keys, one key, the API settings)."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.api_key.entity_settings import effective_entity_settings
from app.api_key.filters import KeyFilter
from app.gql.api_key.types import ApiKeyStatus, ApiKeyType
from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import Mode
from app.gql.permissions import HasPermission
from app.gql.relay import Connection, to_connection
from app.models import Entity


@strawberry.enum
class LeakedKeyAction(enum.Enum):
    REVOKE = "revoke"
    FLAG = "flag"


@strawberry.type(name="EntityApiSettings")
class EntityApiSettings:
    api_access_enabled: bool
    live_mode_enabled: bool = strawberry.field(
        description="Live keys and live webhook endpoints can be created (an owner enables it)."
    )
    rate_limit_per_second: float = strawberry.field(description="Effective sustained rate.")
    rate_limit_burst: int
    rate_limit_overridden: bool
    log_capture_bodies: bool
    log_retention_days: int
    leaked_key_action: LeakedKeyAction = strawberry.field(
        description="What a secret-scanning report of one of these keys does: revoke it at once"
        " (the default) or flag it for the team to rotate."
    )

    @classmethod
    def of(cls, entity: Entity, info: Info[Context, Any]) -> EntityApiSettings:
        effective = effective_entity_settings(entity, info.context.services.settings)
        return cls(
            api_access_enabled=effective.api_access_enabled,
            live_mode_enabled=effective.live_mode_enabled,
            rate_limit_per_second=effective.rate_limit_per_second,
            rate_limit_burst=effective.rate_limit_burst,
            rate_limit_overridden=effective.rate_limit_overridden,
            log_capture_bodies=effective.log_capture_bodies,
            log_retention_days=effective.log_retention_days,
            leaked_key_action=LeakedKeyAction(effective.leaked_key_action),
        )


@strawberry.type
class ApiKeyEntity(EntityBase):
    @strawberry.field(
        description="API keys, newest first.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def api_keys(
        self,
        info: Info[Context, Any],
        mode: Mode | None = None,
        status: list[ApiKeyStatus] | None = None,
        search: str | None = None,
        expiring_within_days: int | None = None,
        created_by_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ApiKeyType]:
        ctx = info.context
        expiring_before = None
        if expiring_within_days is not None:
            now = ctx.services.api_keys.uow.clock.now()
            expiring_before = now + timedelta(days=max(expiring_within_days, 0))
        filters = KeyFilter(
            mode=mode.value if mode else None,
            statuses=frozenset(s.value for s in status or ()),
            search=search.strip() if search and search.strip() else None,
            expiring_before=expiring_before,
            created_by_id=str(created_by_id) if created_by_id else None,
        )
        page = await ctx.services.api_keys.list_keys(
            ctx.require_actor(), self.id, filters, first=first, after=after
        )
        return to_connection(page, ApiKeyType.from_row)

    @strawberry.field(extensions=[PermissionExtension([HasPermission("api_keys.manage")])])
    async def api_key(self, info: Info[Context, Any], id: strawberry.ID) -> ApiKeyType | None:
        ctx = info.context
        row = await ctx.services.api_keys.get_key(ctx.require_actor(), self.id, str(id))
        return ApiKeyType.from_row(row) if row else None

    @strawberry.field(
        description="API access switch and rate limits for this entity's keys.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def api_settings(self, info: Info[Context, Any]) -> EntityApiSettings:
        return EntityApiSettings.of((await info.context.access(self.id)).entity, info)
