"""GraphQL: API keys (list, create, update, rotate, revoke, clean up), the scope catalog."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.api_key.repository import KeyFilter
from app.api_key.service import KeyChanges, NewKey
from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.permissions import HasPermission, IsAuthenticated
from app.gql.relay import Connection, to_connection
from app.gql.request_log import AnalyticsTotals, totals_of
from app.gql.users import UserType, load_user
from app.models import ApiKey, Entity
from app.request_log.service import PII_PERMISSION


@strawberry.enum
class ApiKeyStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


# Status is "now" by the service's clock (never the adapter's wall clock).
def _key_status(root: ApiKeyType, info: Info[Context, Any]) -> ApiKeyStatus:
    return ApiKeyStatus(info.context.container.api_keys.status(root.row))


def _expires_soon(root: ApiKeyType, info: Info[Context, Any]) -> bool:
    return info.context.container.api_keys.expires_soon(root.row)


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
    last_used_at: datetime | None
    revoked_at: datetime | None
    entity_id: strawberry.Private[str]
    last_used_ip_value: strawberry.Private[str | None]
    created_by_id: strawberry.Private[str | None]
    revoked_by_id: strawberry.Private[str | None]
    rotated_from_id: strawberry.Private[str | None]
    rotated_to_id: strawberry.Private[str | None]
    row: strawberry.Private[ApiKey]  # status and expiresSoon: the service's clock decides

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
            last_used_at=row.last_used_at,
            last_used_ip_value=row.last_used_ip,
            revoked_at=row.revoked_at,
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
        ctx = info.context
        report = await ctx.container.request_logs.key_usage(
            ctx.require_actor(), self.entity_id, str(self.id), self.mode.value, from_, to
        )
        return totals_of(report)

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


@strawberry.type
class ScopeType:
    name: str
    access: str
    description: str


@strawberry.type
class ScopeResource:
    resource: str
    scopes: list[ScopeType]


@strawberry.type
class ScopePreset:
    id: str
    name: str
    description: str
    scopes: list[str]
    suggested_expiry_days: int | None


@strawberry.type(name="EntityApiSettings")
class EntityApiSettings:
    api_access_enabled: bool
    rate_limit_per_second: float = strawberry.field(description="Effective sustained rate.")
    rate_limit_burst: int
    rate_limit_overridden: bool
    log_capture_bodies: bool
    log_retention_days: int

    @classmethod
    def of(cls, entity: Entity, info: Info[Context, Any]) -> EntityApiSettings:
        settings = info.context.container.settings
        return cls(
            api_access_enabled=entity.api_access_enabled,
            rate_limit_per_second=entity.rate_limit_per_second or settings.rate_limit_per_second,
            rate_limit_burst=entity.rate_limit_burst or settings.rate_limit_burst,
            rate_limit_overridden=entity.rate_limit_per_second is not None
            or entity.rate_limit_burst is not None,
            log_capture_bodies=entity.log_capture_bodies,
            log_retention_days=entity.log_retention_days or settings.log_retention_days,
        )


KEYS: list[FieldExtension] = [PermissionExtension([HasPermission("api_keys.manage")])]


async def entity_api_keys(
    info: Info[Context, Any],
    entity_id: str,
    mode: Mode | None,
    status: list[ApiKeyStatus] | None,
    search: str | None,
    expiring_within_days: int | None,
    first: int | None,
    after: str | None,
) -> Connection[ApiKeyType]:
    ctx = info.context
    expiring_before = None
    if expiring_within_days is not None:
        now = ctx.container.clock.now()
        expiring_before = now + timedelta(days=max(expiring_within_days, 0))
    filters = KeyFilter(
        mode=mode.value if mode else None,
        statuses=frozenset(s.value for s in status or ()),
        search=search.strip() if search and search.strip() else None,
        expiring_before=expiring_before,
    )
    page = await ctx.container.api_keys.list_keys(
        ctx.require_actor(), entity_id, filters, first=first, after=after
    )
    return to_connection(page, ApiKeyType.from_row)


async def entity_api_key(
    info: Info[Context, Any], entity_id: str, key_id: str
) -> ApiKeyType | None:
    ctx = info.context
    row = await ctx.container.api_keys.get_key(ctx.require_actor(), entity_id, key_id)
    return ApiKeyType.from_row(row) if row else None


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        description="Scopes keys can carry, by resource (deployment configuration).",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def scope_catalog(self, info: Info[Context, Any]) -> list[ScopeResource]:
        resources: dict[str, list[ScopeType]] = {}
        for scope in info.context.container.catalog.scopes.values():
            resources.setdefault(scope.resource, []).append(
                ScopeType(name=scope.name, access=scope.access, description=scope.description)
            )
        return [ScopeResource(resource=r, scopes=s) for r, s in resources.items()]

    @strawberry.field(
        description="Read-only, full access and the recommended integration patterns.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def scope_presets(self, info: Info[Context, Any]) -> list[ScopePreset]:
        return [
            ScopePreset(
                id=p.id,
                name=p.name,
                description=p.description,
                scopes=list(p.scopes),
                suggested_expiry_days=p.suggested_expiry_days,
            )
            for p in info.context.container.catalog.presets()
        ]


# Mutations ------------------------------------------------------------------------------------


@strawberry.input
class CreateApiKeyInput:
    entity_id: strawberry.ID
    name: str
    mode: Mode
    description: str = ""
    scopes: list[str] | None = strawberry.field(default=None, description="Or give a preset.")
    preset: str | None = strawberry.field(default=None, description="An id from scopePresets.")
    expires_at: datetime | None = None
    expires_in_days: int | None = strawberry.field(default=None, description="30, 90, 180, 365")
    ip_allowlist: list[str] = strawberry.field(
        default_factory=list, description="IPv4/IPv6 addresses and CIDRs; empty: any address."
    )


@strawberry.input
class UpdateApiKeyInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    ip_allowlist: list[str] | None = None
    expires_at: datetime | None = None
    clear_expiry: bool = False


@strawberry.input
class RotateApiKeyInput:
    id: strawberry.ID
    grace_period_seconds: int | None = strawberry.field(
        default=None,
        description="0 to 604800 (7 days); default 86400. The old key works until then.",
    )


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.input
class CleanupApiKeysInput:
    entity_id: strawberry.ID
    throwaway_test_keys: bool = strawberry.field(
        default=True, description="Test-mode keys named like smoke/debug/test/tmp keys."
    )
    unused_for_days: int | None = strawberry.field(
        default=None, description="Keys not used for this many days (never used: since creation)."
    )
    dry_run: bool = True


@strawberry.input
class UpdateEntityApiSettingsInput:
    entity_id: strawberry.ID
    api_access_enabled: bool | None = None
    rate_limit_per_second: float | None = None
    rate_limit_burst: int | None = None
    reset_rate_limit: bool = False
    log_capture_bodies: bool | None = strawberry.field(
        default=None, description="Keep redacted, truncated headers and bodies in request logs."
    )
    log_retention_days: int | None = None


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKeyType
    secret: str = strawberry.field(description="The key. Shown once: it is not stored.")


@strawberry.type
class UpdateApiKeyPayload:
    api_key: ApiKeyType


@strawberry.type
class RotateApiKeyPayload:
    api_key: ApiKeyType
    secret: str = strawberry.field(description="The new key. Shown once.")
    previous: ApiKeyType


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKeyType


@strawberry.type
class CleanupApiKeysPayload:
    api_keys: list[ApiKeyType]
    dry_run: bool
    revoked_count: int


@strawberry.type
class UpdateEntityApiSettingsPayload:
    settings: EntityApiSettings


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(extensions=KEYS)
    async def create_api_key(
        self, info: Info[Context, Any], input: CreateApiKeyInput
    ) -> CreateApiKeyPayload:
        ctx = info.context
        created = await ctx.container.api_keys.create_key(
            ctx.require_actor(),
            NewKey(
                entity_id=str(input.entity_id),
                name=input.name,
                mode=input.mode.value,
                description=input.description,
                scopes=input.scopes,
                preset=input.preset,
                expires_at=input.expires_at,
                expires_in_days=input.expires_in_days,
                ip_allowlist=input.ip_allowlist,
            ),
        )
        return CreateApiKeyPayload(api_key=ApiKeyType.from_row(created.key), secret=created.secret)

    @strawberry.mutation(extensions=KEYS)
    async def update_api_key(
        self, info: Info[Context, Any], input: UpdateApiKeyInput
    ) -> UpdateApiKeyPayload:
        ctx = info.context
        row = await ctx.container.api_keys.update_key(
            ctx.require_actor(),
            str(input.id),
            KeyChanges(
                name=input.name,
                description=input.description,
                ip_allowlist=input.ip_allowlist,
                expires_at=input.expires_at,
                clear_expiry=input.clear_expiry,
            ),
        )
        return UpdateApiKeyPayload(api_key=ApiKeyType.from_row(row))

    @strawberry.mutation(extensions=KEYS)
    async def rotate_api_key(
        self, info: Info[Context, Any], input: RotateApiKeyInput
    ) -> RotateApiKeyPayload:
        ctx = info.context
        rotated = await ctx.container.api_keys.rotate_key(
            ctx.require_actor(), str(input.id), input.grace_period_seconds
        )
        return RotateApiKeyPayload(
            api_key=ApiKeyType.from_row(rotated.key),
            secret=rotated.secret,
            previous=ApiKeyType.from_row(rotated.previous),
        )

    @strawberry.mutation(extensions=KEYS)
    async def revoke_api_key(
        self, info: Info[Context, Any], input: RevokeApiKeyInput
    ) -> RevokeApiKeyPayload:
        ctx = info.context
        row = await ctx.container.api_keys.revoke_key(ctx.require_actor(), str(input.id))
        return RevokeApiKeyPayload(api_key=ApiKeyType.from_row(row))

    @strawberry.mutation(extensions=KEYS)
    async def cleanup_api_keys(
        self, info: Info[Context, Any], input: CleanupApiKeysInput
    ) -> CleanupApiKeysPayload:
        ctx = info.context
        rows = await ctx.container.api_keys.cleanup_keys(
            ctx.require_actor(),
            str(input.entity_id),
            throwaway_test_keys=input.throwaway_test_keys,
            unused_for_days=input.unused_for_days,
            dry_run=input.dry_run,
        )
        return CleanupApiKeysPayload(
            api_keys=[ApiKeyType.from_row(r) for r in rows],
            dry_run=input.dry_run,
            revoked_count=0 if input.dry_run else len(rows),
        )

    @strawberry.mutation(extensions=KEYS)
    async def update_entity_api_settings(
        self, info: Info[Context, Any], input: UpdateEntityApiSettingsInput
    ) -> UpdateEntityApiSettingsPayload:
        ctx = info.context
        entity = await ctx.container.api_keys.update_entity_api_settings(
            ctx.require_actor(),
            str(input.entity_id),
            api_access_enabled=input.api_access_enabled,
            rate_limit_per_second=input.rate_limit_per_second,
            rate_limit_burst=input.rate_limit_burst,
            reset_rate_limit=input.reset_rate_limit,
            log_capture_bodies=input.log_capture_bodies,
            log_retention_days=input.log_retention_days,
        )
        return UpdateEntityApiSettingsPayload(settings=EntityApiSettings.of(entity, info))
