"""GraphQL: key advice across an entity (the privilege report, allowlist candidates) and its
mutations (rotate to the used scopes, preview an allowlist; saving one is updateApiKey)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.advice.service import to_datetime
from app.gql.api_key.advice_types import ScopeUsageType, SourcesType, route_scopes
from app.gql.api_key.mutations import KEYS
from app.gql.api_key.types import ApiKeyType
from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import Mode
from app.gql.permissions import HasPermission


@strawberry.type
class KeyPrivilege:
    api_key: ApiKeyType
    usage: ScopeUsageType


@strawberry.type
class AllowlistCandidate:
    api_key: ApiKeyType
    sources: SourcesType


@strawberry.type
class AdviceEntity(EntityBase):
    @strawberry.field(
        description="Active keys of `mode` with their scope usage over `days` (1 to 90), the "
        "most excess privilege first (unused scopes, elevated ones weighing 3), then idle keys.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def key_privilege_report(
        self, info: Info[Context, Any], mode: Mode, days: int | None = 30
    ) -> list[KeyPrivilege]:
        ctx = info.context
        usages = await ctx.services.advice.privilege_report(
            ctx.require_actor(), self.id, mode.value, days, route_scopes(ctx.services)
        )
        return [
            KeyPrivilege(api_key=ApiKeyType.from_row(u.key), usage=ScopeUsageType.of(u))
            for u in usages
        ]

    @strawberry.field(
        description="Active keys of `mode` without an allowlist whose requests came from at most "
        "5 CIDRs on at least 3 days of the last `days` (1 to 90), busiest first; needs pii.read.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def allowlist_candidates(
        self, info: Info[Context, Any], mode: Mode, days: int | None = 30
    ) -> list[AllowlistCandidate]:
        ctx = info.context
        found = await ctx.services.advice.allowlist_candidates(
            ctx.require_actor(), self.id, mode.value, days
        )
        return [
            AllowlistCandidate(api_key=ApiKeyType.from_row(c.key), sources=SourcesType.of(c))
            for c in found
        ]


@strawberry.input
class RotateApiKeyToUsedScopesInput:
    id: strawberry.ID
    days: int = strawberry.field(default=30, description="The usage window, 1 to 90 days.")
    grace_period_seconds: int | None = strawberry.field(
        default=None,
        description="0 to 604800 (7 days); default 86400. The old key works until then.",
    )


@strawberry.type
class RotateApiKeyToUsedScopesPayload:
    api_key: ApiKeyType = strawberry.field(description="The successor, with the used scopes.")
    secret: str = strawberry.field(description="The new key. Shown once.")
    previous: ApiKeyType
    removed_scopes: list[str]


@strawberry.input
class PreviewApiKeyAllowlistInput:
    id: strawberry.ID
    ip_allowlist: list[str]
    days: int = strawberry.field(default=30, description="The window, 1 to 90 days.")


@strawberry.type
class RefusedSource:
    ip: str | None = strawberry.field(description="null: no client address was recorded.")
    requests: int
    last_seen_at: datetime


@strawberry.type
class AllowlistSampleRequest:
    id: strawberry.ID
    timestamp: datetime
    method: str
    path: str
    status: int
    error_code: str | None
    ip: str | None


@strawberry.type
class PreviewApiKeyAllowlistPayload:
    days: int
    ip_allowlist: list[str] = strawberry.field(description="The entries as they would be saved.")
    allowed_requests: int
    refused_requests: int = strawberry.field(description="Requests it would have refused.")
    refused_sources: list[RefusedSource] = strawberry.field(description="Busiest first (50).")
    sample_requests: list[AllowlistSampleRequest] = strawberry.field(
        description="The newest refused requests still in the request log (10)."
    )


@strawberry.type
class AdviceMutation:
    @strawberry.mutation(
        description="Rotate a key to a successor holding only the scopes its requests needed "
        "in the window (allowlist and settings kept, grace period as in rotateApiKey). Refused "
        "when it used no scope.",
        extensions=KEYS,
    )
    async def rotate_api_key_to_used_scopes(
        self, info: Info[Context, Any], input: RotateApiKeyToUsedScopesInput
    ) -> RotateApiKeyToUsedScopesPayload:
        ctx = info.context
        rotated = await ctx.services.advice.rotate_to_used_scopes(
            ctx.require_actor(),
            str(input.id),
            input.days,
            input.grace_period_seconds,
            route_scopes(ctx.services),
        )
        return RotateApiKeyToUsedScopesPayload(
            api_key=ApiKeyType.from_row(rotated.key),
            secret=rotated.secret,
            previous=ApiKeyType.from_row(rotated.previous),
            removed_scopes=sorted(set(rotated.previous.scopes) - set(rotated.key.scopes)),
        )

    @strawberry.mutation(
        description="What an allowlist would have refused over the window; saves nothing "
        "(save it with updateApiKey). Needs pii.read.",
        extensions=KEYS,
    )
    async def preview_api_key_allowlist(
        self, info: Info[Context, Any], input: PreviewApiKeyAllowlistInput
    ) -> PreviewApiKeyAllowlistPayload:
        ctx = info.context
        preview = await ctx.services.advice.preview_allowlist(
            ctx.require_actor(), str(input.id), input.ip_allowlist, input.days
        )
        outcome = preview.outcome
        return PreviewApiKeyAllowlistPayload(
            days=preview.days,
            ip_allowlist=preview.allowlist,
            allowed_requests=outcome.allowed,
            refused_requests=outcome.refused,
            refused_sources=[
                RefusedSource(
                    ip=r.ip or None,
                    requests=r.count,
                    last_seen_at=to_datetime(r.last_ms),  # type: ignore[arg-type]
                )
                for r in outcome.refused_sources[:50]
            ],
            sample_requests=[
                AllowlistSampleRequest(
                    id=strawberry.ID(s.id),
                    timestamp=to_datetime(s.ts_ms),  # type: ignore[arg-type]
                    method=s.method,
                    path=s.path,
                    status=s.status,
                    error_code=s.error_code,
                    ip=s.ip,
                )
                for s in preview.samples
            ],
        )
