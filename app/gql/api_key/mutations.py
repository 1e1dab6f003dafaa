"""GraphQL: creating, updating, rotating, revoking and cleaning up API keys, and an entity's
API settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.api_key.service import KeyChanges, NewKey
from app.gql.api_key.entity import EntityApiSettings, LeakedKeyAction
from app.gql.api_key.types import ApiKeyType
from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.permissions import HasPermission

KEYS: list[FieldExtension] = [PermissionExtension([HasPermission("api_keys.manage")])]


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
    justification: str | None = strawberry.field(
        default=None,
        description="Why the key needs elevated scopes: required when granting any (one line, "
        "1 to 200 characters).",
    )
    rate_limit_per_second: float | None = strawberry.field(
        default=None,
        description="This key's sustained rate per second (above 0, at most 100000);"
        " null: the entity's.",
    )
    rate_limit_burst: int | None = strawberry.field(
        default=None, description="This key's bucket size (1 to 1000000); null: the entity's."
    )


@strawberry.input
class UpdateApiKeyInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    ip_allowlist: list[str] | None = None
    expires_at: datetime | None = None
    clear_expiry: bool = False
    rate_limit_per_second: float | None = None
    rate_limit_burst: int | None = None
    clear_rate_limit: bool = strawberry.field(
        default=False, description="Back to the entity's rate limit."
    )


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
    live_mode_enabled: bool | None = strawberry.field(
        default=None,
        description="Owners only: allow live keys and live webhook endpoints (existing ones keep"
        " working when it is switched off).",
    )
    rate_limit_per_second: float | None = None
    rate_limit_burst: int | None = None
    reset_rate_limit: bool = False
    log_capture_bodies: bool | None = strawberry.field(
        default=None, description="Keep redacted, truncated headers and bodies in request logs."
    )
    log_retention_days: int | None = None
    leaked_key_action: LeakedKeyAction | None = strawberry.field(
        default=None, description="Revoke (default) or flag keys a secret scanner reports."
    )


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
        created = await ctx.services.api_keys.create_key(
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
                justification=input.justification,
                rate_limit_per_second=input.rate_limit_per_second,
                rate_limit_burst=input.rate_limit_burst,
            ),
        )
        return CreateApiKeyPayload(api_key=ApiKeyType.from_row(created.key), secret=created.secret)

    @strawberry.mutation(extensions=KEYS)
    async def update_api_key(
        self, info: Info[Context, Any], input: UpdateApiKeyInput
    ) -> UpdateApiKeyPayload:
        ctx = info.context
        row = await ctx.services.api_keys.update_key(
            ctx.require_actor(),
            str(input.id),
            KeyChanges(
                name=input.name,
                description=input.description,
                ip_allowlist=input.ip_allowlist,
                expires_at=input.expires_at,
                clear_expiry=input.clear_expiry,
                rate_limit_per_second=input.rate_limit_per_second,
                rate_limit_burst=input.rate_limit_burst,
                clear_rate_limit=input.clear_rate_limit,
            ),
        )
        return UpdateApiKeyPayload(api_key=ApiKeyType.from_row(row))

    @strawberry.mutation(extensions=KEYS)
    async def rotate_api_key(
        self, info: Info[Context, Any], input: RotateApiKeyInput
    ) -> RotateApiKeyPayload:
        ctx = info.context
        rotated = await ctx.services.api_keys.rotate_key(
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
        row = await ctx.services.api_keys.revoke_key(ctx.require_actor(), str(input.id))
        return RevokeApiKeyPayload(api_key=ApiKeyType.from_row(row))

    @strawberry.mutation(extensions=KEYS)
    async def cleanup_api_keys(
        self, info: Info[Context, Any], input: CleanupApiKeysInput
    ) -> CleanupApiKeysPayload:
        ctx = info.context
        rows = await ctx.services.api_keys.cleanup_keys(
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
        entity = await ctx.services.api_keys.update_entity_api_settings(
            ctx.require_actor(),
            str(input.entity_id),
            api_access_enabled=input.api_access_enabled,
            live_mode_enabled=input.live_mode_enabled,
            rate_limit_per_second=input.rate_limit_per_second,
            rate_limit_burst=input.rate_limit_burst,
            reset_rate_limit=input.reset_rate_limit,
            log_capture_bodies=input.log_capture_bodies,
            log_retention_days=input.log_retention_days,
            leaked_key_action=input.leaked_key_action.value if input.leaked_key_action else None,
        )
        return UpdateEntityApiSettingsPayload(settings=EntityApiSettings.of(entity, info))
