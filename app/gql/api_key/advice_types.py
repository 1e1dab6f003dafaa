"""GraphQL: key advice types and the ApiKey fields that read them (scopeUsage,
sourceSuggestions). The least-privilege rule is app/advice/privilege.py, the CIDR rule
app/advice/sources.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.advice.privilege import RouteScopes, ScopeUse
from app.advice.service import KeyScopeUsage, KeySources, to_datetime
from app.gql.context import Context, Services


def route_scopes(services: Services) -> RouteScopes:
    return route_scopes_of(services.openapi())


def route_scopes_of(document: dict[str, Any]) -> RouteScopes:
    """The route scope declarations, as /v1/openapi.json states them (x-required-scope)."""
    found: dict[tuple[str, str], str | None] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                found[(method.upper(), path)] = operation.get("x-required-scope")
    return found


@strawberry.type(name="ScopeUse")
class ScopeUseType:
    scope: str
    elevated: bool = strawberry.field(description="Write scopes and any the catalog marks.")
    requests: int = strawberry.field(description="Requests in the window that needed it.")
    last_seen_at: datetime | None

    @classmethod
    def of(cls, use: ScopeUse) -> ScopeUseType:
        return cls(
            scope=use.scope,
            elevated=use.elevated,
            requests=use.count,
            last_seen_at=to_datetime(use.last_ms),
        )


@strawberry.type(
    name="ApiKeyScopeUsage",
    description="The scopes a key holds against the scopes its requests needed (the route "
    "scope declarations and the per-key hour rollups) over the last `days` days.",
)
class ScopeUsageType:
    days: int
    held: list[str]
    used: list[ScopeUseType] = strawberry.field(description="Busiest first.")
    unused: list[ScopeUseType] = strawberry.field(description="Elevated first.")
    missing: list[ScopeUseType] = strawberry.field(
        description="Needed by requests but not held (they were refused)."
    )
    requests: int
    unscoped_requests: int = strawberry.field(
        description="Requests to routes any valid key may call, or to no known route."
    )
    last_request_at: datetime | None
    excess_score: int = strawberry.field(
        description="Unused scopes, elevated ones weighing 3: the entity-wide list's order."
    )
    idle: bool = strawberry.field(description="No request in the window.")
    narrower_scopes: list[str] = strawberry.field(
        description="What rotateApiKeyToUsedScopes would give the successor (empty: refused)."
    )

    @classmethod
    def of(cls, usage: KeyScopeUsage) -> ScopeUsageType:
        report = usage.report
        return cls(
            days=usage.days,
            held=report.held,
            used=[ScopeUseType.of(u) for u in report.used],
            unused=[ScopeUseType.of(u) for u in report.unused],
            missing=[ScopeUseType.of(u) for u in report.missing],
            requests=report.requests,
            unscoped_requests=report.unscoped_requests,
            last_request_at=to_datetime(report.last_ms),
            excess_score=report.excess_score,
            idle=usage.idle,
            narrower_scopes=report.narrower_scopes,
        )


@strawberry.type(name="CidrSuggestion")
class CidrSuggestionType:
    cidr: str
    requests: int
    addresses: int = strawberry.field(description="Distinct addresses seen inside it.")
    first_seen_at: datetime
    last_seen_at: datetime


@strawberry.type(
    name="ApiKeySources",
    description="Where a key's requests came from over the last `days` days, grouped into "
    "CIDRs: a /24 (IPv4) or /64 (IPv6) holding two or more of its addresses, otherwise the "
    "single address (/32, /128); adjacent blocks collapse.",
)
class SourcesType:
    days: int
    requests: int
    unknown_requests: int = strawberry.field(description="No client address was recorded.")
    days_seen: int = strawberry.field(description="Distinct UTC days with a request.")
    suggestions: list[CidrSuggestionType]

    @strawberry.field(description="The suggestions' CIDRs, ready for previewApiKeyAllowlist.")
    def suggested_allowlist(self) -> list[str]:
        return [s.cidr for s in self.suggestions]

    @classmethod
    def of(cls, sources: KeySources) -> SourcesType:
        return cls(
            days=sources.days,
            requests=sources.requests,
            unknown_requests=sources.unknown_requests,
            days_seen=sources.days_seen,
            suggestions=[
                CidrSuggestionType(
                    cidr=s.cidr,
                    requests=s.count,
                    addresses=s.addresses,
                    first_seen_at=to_datetime(s.first_ms),  # type: ignore[arg-type]
                    last_seen_at=to_datetime(s.last_ms),  # type: ignore[arg-type]
                )
                for s in sources.suggestions
            ],
        )


async def resolve_scope_usage(
    root: Any, info: Info[Context, Any], days: int | None = 30
) -> ScopeUsageType:
    ctx = info.context
    usage = await ctx.services.advice.scope_usage(
        ctx.require_actor(), str(root.id), days, route_scopes(ctx.services)
    )
    return ScopeUsageType.of(usage)


async def resolve_source_suggestions(
    root: Any, info: Info[Context, Any], days: int | None = 30
) -> SourcesType:
    ctx = info.context
    sources = await ctx.services.advice.source_suggestions(ctx.require_actor(), str(root.id), days)
    return SourcesType.of(sources)
