"""GraphQL: the ApiKey type (status, who created and revoked it, its traffic, its rotation)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.api_key.advice_types import (
    ScopeUsageType,
    SourcesType,
    resolve_scope_usage,
    resolve_source_suggestions,
)
from app.gql.context import Context, KeyUsage
from app.gql.enums import Mode
from app.gql.health import ApiKeyHealthType, HealthWindow, key_health
from app.gql.permissions import HasPermission
from app.gql.totals import AnalyticsTotals, totals_type
from app.gql.users import UserType, load_user
from app.models import ApiKey
from app.request_log.service import PII_PERMISSION


@strawberry.enum
class ApiKeyStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


# Status is "now" by the service's clock (never the adapter's wall clock).
def _key_status(root: ApiKeyType, info: Info[Context, Any]) -> ApiKeyStatus:
    return ApiKeyStatus(info.context.services.api_keys.status(root.row))


def _expires_soon(root: ApiKeyType, info: Info[Context, Any]) -> bool:
    return info.context.services.api_keys.expires_soon(root.row)


def _rotation_due(root: ApiKeyType, info: Info[Context, Any]) -> bool:
    return info.context.services.api_keys.rotation_due(root.row)


@strawberry.type(name="ApiKey")
class ApiKeyType:
    id: strawberry.ID
    name: str
    description: str
    mode: Mode
    start: str = strawberry.field(description="Prefix, mode, entity code and 4 characters.")
    last4: str
    scopes: list[str]
    ip_allowlist: list[str]
    status: ApiKeyStatus = strawberry.field(resolver=_key_status)
    created_at: datetime
    expires_at: datetime | None
    expires_soon: bool = strawberry.field(
        resolver=_expires_soon, description="Active and expiring within 14 days."
    )
    rotation_due: bool = strawberry.field(
        resolver=_rotation_due,
        description="Active, not rotated yet, and created at least rotationAdvisedDays ago.",
    )
    justification: str | None = strawberry.field(
        description="Why the key was granted elevated scopes (copied to a rotated successor)."
    )
    last_used_at: datetime | None
    revoked_at: datetime | None
    rate_limit_per_second: float | None = strawberry.field(
        description="This key's own sustained rate; null: the entity's limit applies."
    )
    rate_limit_burst: int | None = strawberry.field(
        description="This key's own bucket size; null: the entity's limit applies."
    )
    leaked_at: datetime | None = strawberry.field(
        description="When a secret scanner reported this key as found in public (null: never)."
    )
    leak_report_url: str | None = strawberry.field(
        description="Where the scanner found it (for example a GitHub file URL)."
    )
    leak_source: str | None = strawberry.field(
        description="What the scanner found it in (content, commit, issue_comment...)."
    )
    entity_id: strawberry.Private[str]
    last_used_ip_value: strawberry.Private[str | None]
    row: strawberry.Private[ApiKey]  # status and expiresSoon: the service's clock decides
    created_by_id: strawberry.Private[str | None]
    revoked_by_id: strawberry.Private[str | None]
    rotated_from_id: strawberry.Private[str | None]
    rotated_to_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: ApiKey) -> ApiKeyType:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            mode=Mode(row.mode),
            start=row.start,
            last4=row.last4,
            scopes=list(row.scopes),
            ip_allowlist=list(row.ip_allowlist),
            created_at=row.created_at,
            expires_at=row.expires_at,
            justification=row.justification,
            last_used_at=row.last_used_at,
            last_used_ip_value=row.last_used_ip,
            revoked_at=row.revoked_at,
            rate_limit_per_second=row.rate_limit_per_second,
            rate_limit_burst=row.rate_limit_burst,
            leaked_at=row.leaked_at,
            leak_report_url=row.leak_report_url,
            leak_source=row.leak_source,
            entity_id=row.entity_id,
            created_by_id=row.created_by_user_id,
            revoked_by_id=row.revoked_by_user_id,
            rotated_from_id=row.rotated_from_id,
            rotated_to_id=row.rotated_to_id,
            row=row,
        )

    @strawberry.field(
        description="The client IP of the last request; null unless the viewer holds `pii.read`."
    )
    async def last_used_ip(self, info: Info[Context, Any]) -> str | None:
        if self.last_used_ip_value is None:
            return None
        access = await info.context.access(self.entity_id)
        return self.last_used_ip_value if PII_PERMISSION in access.permissions else None

    @strawberry.field
    async def created_by(self, info: Info[Context, Any]) -> UserType | None:
        return await load_user(info, self.created_by_id)

    @strawberry.field
    async def revoked_by(self, info: Info[Context, Any]) -> UserType | None:
        return await load_user(info, self.revoked_by_id)

    @strawberry.field(
        description="This key's traffic in a time range, from rollups.",
        extensions=[PermissionExtension([HasPermission("analytics.read")])],
    )
    async def usage(
        self,
        info: Info[Context, Any],
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> AnalyticsTotals:
        usage = KeyUsage(self.entity_id, self.mode.value, from_, to, str(self.id))
        return totals_type(await info.context.key_usage(usage))

    scope_usage: ScopeUsageType = strawberry.field(
        resolver=resolve_scope_usage,
        description="Least-privilege advice: held against needed scopes over 1 to 90 days.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    source_suggestions: SourcesType = strawberry.field(
        resolver=resolve_source_suggestions,
        description="Allowlist suggestions: source CIDRs over 1 to 90 days (needs pii.read too).",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )

    @strawberry.field(
        description="Requests, errors by class, busiest routes, 429s and error groups over the "
        "last 24 h or 7 d (app/insight).",
        extensions=[PermissionExtension([HasPermission("logs.read")])],
    )
    async def health(
        self, info: Info[Context, Any], window: HealthWindow = HealthWindow.DAY
    ) -> ApiKeyHealthType:
        return await key_health(info, str(self.id), window)

    @strawberry.field(description="The key this one replaced.")
    async def rotated_from(self, info: Info[Context, Any]) -> ApiKeyType | None:
        return await _key(info, self.rotated_from_id)

    @strawberry.field(description="The key that replaced this one.")
    async def rotated_to(self, info: Info[Context, Any]) -> ApiKeyType | None:
        return await _key(info, self.rotated_to_id)


async def _key(info: Info[Context, Any], key_id: str | None) -> ApiKeyType | None:
    if key_id is None:
        return None
    row = await info.context.loaders.api_keys.load(key_id)
    return ApiKeyType.from_row(row) if row else None
