"""GraphQL: usage analytics from rollups, and what they add to Entity."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import Mode
from app.gql.permissions import HasPermission
from app.gql.request_log.logs import time_of
from app.gql.totals import AnalyticsTotals, totals_of
from app.request_log.analytics import Group, Report


@strawberry.type
class AnalyticsPoint:
    timestamp: datetime
    requests: int
    errors: int
    avg_latency_ms: float | None


@strawberry.type
class AnalyticsGroup:
    key: str
    requests: int
    errors: int
    error_rate: float
    avg_latency_ms: float | None


@strawberry.type
class Analytics:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    granularity_seconds: int
    totals: AnalyticsTotals
    series: list[AnalyticsPoint]
    top_endpoints: list[AnalyticsGroup]
    usage_by_key: list[AnalyticsGroup]
    top_error_codes: list[AnalyticsGroup]
    previous_period: AnalyticsTotals


def _group(g: Group) -> AnalyticsGroup:
    return AnalyticsGroup(
        key=g.key,
        requests=g.requests,
        errors=g.errors,
        error_rate=g.errors / g.requests if g.requests else 0.0,
        avg_latency_ms=g.latency_sum / g.requests if g.requests else None,
    )


def analytics_of(current: Report, previous: Report) -> Analytics:
    return Analytics(
        from_=time_of(current.since_ms),
        to=time_of(current.until_ms),
        granularity_seconds=current.granularity_ms // 1000,
        totals=totals_of(current),
        series=[
            AnalyticsPoint(
                timestamp=time_of(p.bucket_ms),
                requests=p.requests,
                errors=p.errors,
                avg_latency_ms=p.latency_sum / p.requests if p.requests else None,
            )
            for p in current.series
        ],
        top_endpoints=[_group(g) for g in current.endpoints],
        usage_by_key=[_group(g) for g in current.keys],
        top_error_codes=[_group(g) for g in current.error_codes],
        previous_period=totals_of(previous),
    )


@strawberry.enum
class Granularity(enum.Enum):
    MINUTE = 60_000
    FIVE_MINUTES = 300_000
    FIFTEEN_MINUTES = 900_000
    HOUR = 3_600_000
    SIX_HOURS = 21_600_000
    DAY = 86_400_000


@strawberry.type
class AnalyticsEntity(EntityBase):
    @strawberry.field(
        description="Usage analytics from rollups, with the previous period for comparison.",
        extensions=[PermissionExtension([HasPermission("analytics.read")])],
    )
    async def analytics(
        self,
        info: Info[Context, Any],
        mode: Mode,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        granularity: Granularity | None = None,
        route: str | None = None,
        api_key_id: strawberry.ID | None = None,
    ) -> Analytics:
        ctx = info.context
        result = await ctx.services.request_logs.analytics(
            ctx.require_actor(),
            self.id,
            mode.value,
            from_,
            to,
            granularity_ms=granularity.value if granularity else None,
            route=route,
            api_key_id=str(api_key_id) if api_key_id else None,
        )
        return analytics_of(result.current, result.previous)
