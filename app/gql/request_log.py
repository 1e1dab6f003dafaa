"""GraphQL: request logs, analytics, log exports and the live tail."""

from __future__ import annotations

import enum
import ipaddress
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.scalars import JSON
from strawberry.types import Info

from app.errors import BadUserInput
from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.permissions import HasPermission
from app.gql.relay import Connection, Edge, PageInfo
from app.request_log.analytics import Group, Report
from app.request_log.curl import curl_command
from app.request_log.exports import may_download, visible_filter
from app.request_log.models import LogExport
from app.request_log.repository import LogFilter
from app.request_log.service import (
    MAX_LOG_RANGE,
    PII_PERMISSION,
    to_ms,
    validate_range,
)

PII: list[FieldExtension] = [PermissionExtension([HasPermission(PII_PERMISSION)])]


def _time(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, UTC)


@strawberry.input
class RequestLogFilter:
    mode: Mode
    from_: datetime = strawberry.field(name="from")
    to: datetime
    status_class: int | None = strawberry.field(default=None, description="2, 3, 4 or 5")
    status: int | None = None
    error_code: str | None = None
    method: str | None = None
    route: str | None = strawberry.field(
        default=None, description="Route template, e.g. /entities/{entity_id}/orders"
    )
    path_prefix: str | None = None
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    ip: str | None = strawberry.field(default=None, description="An address or a CIDR")
    request_id: str | None = None
    api_key_id: strawberry.ID | None = None

    def to_domain(self) -> LogFilter:
        validate_range(self.from_, self.to, MAX_LOG_RANGE)
        if self.status_class is not None and self.status_class not in (1, 2, 3, 4, 5):
            raise BadUserInput("statusClass must be 1 to 5", field="statusClass")
        if self.ip is not None:
            try:
                ipaddress.ip_network(self.ip, strict=False)
            except ValueError:
                raise BadUserInput("Not an IP address or CIDR", field="ip") from None
        for name in ("error_code", "method", "route", "path_prefix", "request_id"):
            value = getattr(self, name)
            if value is not None and len(value) > 2048:
                raise BadUserInput("Too long", field=name)
        return LogFilter(
            mode=self.mode.value,
            since_ms=to_ms(self.from_),
            until_ms=to_ms(self.to),
            status_class=self.status_class,
            status=self.status,
            error_code=self.error_code,
            method=self.method,
            route=self.route,
            path_prefix=self.path_prefix,
            min_latency_ms=self.min_latency_ms,
            max_latency_ms=self.max_latency_ms,
            ip=self.ip,
            request_id=self.request_id,
            api_key_id=str(self.api_key_id) if self.api_key_id else None,
        )


@strawberry.type
class HttpHeader:
    name: str
    value: str


@strawberry.type(name="RequestLog")
class RequestLogType:
    id: strawberry.ID = strawberry.field(description="The request ID (X-Request-Id).")
    timestamp: datetime
    mode: Mode
    method: str
    path: str
    route: str
    query: str = strawberry.field(description="Query string, secrets redacted.")
    status: int
    error_code: str | None
    latency_ms: float
    api_key_id: strawberry.ID | None
    request_size: int
    response_size: int
    idempotency_key: str | None
    entity_id: strawberry.Private[str]
    row: strawberry.Private[dict[str, Any]]  # as the viewer may see it (``pii_view``)
    live: strawberry.Private[bool]  # from the live tail

    @classmethod
    def from_row(cls, row: dict[str, Any], *, live: bool = False) -> RequestLogType:
        return cls(
            id=strawberry.ID(row["id"]),
            timestamp=_time(row["ts_ms"]),
            mode=Mode(row["mode"]),
            method=row["method"],
            path=row["path"],
            route=row["route"],
            query=row["query"] or "",
            status=row["status"],
            error_code=row["error_code"],
            latency_ms=row["latency_ms"],
            api_key_id=strawberry.ID(row["api_key_id"]) if row["api_key_id"] else None,
            request_size=row["request_size"],
            response_size=row["response_size"],
            idempotency_key=row["idempotency_key"],
            entity_id=row["entity_id"],
            row=row,
            live=live,
        )

    async def _pii(self, info: Info[Context, Any], name: str) -> Any:
        """A PII field (the permission extension has passed): reading a value is audited."""
        value = self.row[name]
        if value is not None:
            await info.context.note_pii_read(self.entity_id, None if self.live else str(self.id))
        return value

    @strawberry.field(extensions=PII)
    async def ip(self, info: Info[Context, Any]) -> str | None:
        value: str | None = await self._pii(info, "ip")
        return value

    @strawberry.field(extensions=PII)
    async def user_agent(self, info: Info[Context, Any]) -> str | None:
        value: str | None = await self._pii(info, "user_agent")
        return value

    @strawberry.field(extensions=PII, description="Redacted; only when the entity captures them.")
    async def request_headers(self, info: Info[Context, Any]) -> list[HttpHeader] | None:
        return _headers(await self._pii(info, "request_headers"))

    @strawberry.field(extensions=PII)
    async def response_headers(self, info: Info[Context, Any]) -> list[HttpHeader] | None:
        return _headers(await self._pii(info, "response_headers"))

    @strawberry.field(extensions=PII, description="Redacted and truncated to 16 KB.")
    async def request_body(self, info: Info[Context, Any]) -> str | None:
        value: str | None = await self._pii(info, "request_body")
        return value

    @strawberry.field(extensions=PII)
    async def response_body(self, info: Info[Context, Any]) -> str | None:
        value: str | None = await self._pii(info, "response_body")
        return value

    @strawberry.field(
        description="A shell-safe curl command reproducing the request with $API_KEY in place "
        "of any credential. Captured headers and the body only for viewers with `pii.read`."
    )
    async def curl_command(self, info: Info[Context, Any]) -> str:
        base = info.context.container.settings.public_url
        query = f"?{self.query}" if self.query else ""
        # ``row`` holds headers and body only when the viewer may read PII (``pii_view``).
        headers = [(n, v) for n, v in (self.row["request_headers"] or [])]
        if headers or self.row["request_body"]:
            await info.context.note_pii_read(self.entity_id, None if self.live else str(self.id))
        if not headers and self.row["request_body"]:
            headers = [("content-type", "application/json")]
        return curl_command(
            self.method,
            f"{base}{self.path}{query}",
            headers,
            self.row["request_body"],
            authenticated=True,
        )


def _headers(pairs: list[list[str]] | None) -> list[HttpHeader] | None:
    if pairs is None:
        return None
    return [HttpHeader(name=n, value=v) for n, v in pairs]


@strawberry.type
class AnalyticsTotals:
    requests: int
    ok2xx: int
    redirects3xx: int
    errors4xx: int
    errors5xx: int
    error_rate: float
    avg_latency_ms: float | None
    max_latency_ms: float | None
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    p99_latency_ms: float | None
    active_keys: int


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


def totals_of(report: Report) -> AnalyticsTotals:
    t = report.totals
    return AnalyticsTotals(
        requests=t.requests,
        ok2xx=t.ok_2xx,
        redirects3xx=t.redirects_3xx,
        errors4xx=t.errors_4xx,
        errors5xx=t.errors_5xx,
        error_rate=t.error_rate,
        avg_latency_ms=t.avg_latency,
        max_latency_ms=t.latency_max if t.requests else None,
        p50_latency_ms=t.p50,
        p95_latency_ms=t.p95,
        p99_latency_ms=t.p99,
        active_keys=t.active_keys,
    )


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
        from_=_time(current.since_ms),
        to=_time(current.until_ms),
        granularity_seconds=current.granularity_ms // 1000,
        totals=totals_of(current),
        series=[
            AnalyticsPoint(
                timestamp=_time(p.bucket_ms),
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


@strawberry.enum
class ExportFormat(enum.Enum):
    CSV = "CSV"
    NDJSON = "NDJSON"


async def _export_filter(root: LogExportType, info: Info[Context, Any]) -> JSON:
    access = await info.context.access(root.export.entity_id)
    return visible_filter(root.export, access.permissions)  # type: ignore[return-value]


@strawberry.type(name="LogExport")
class LogExportType:
    id: strawberry.ID
    format: ExportFormat
    status: str = strawberry.field(description="PENDING, RUNNING, COMPLETED or FAILED")
    row_count: int
    size_bytes: int
    error: str | None
    filter: JSON = strawberry.field(resolver=_export_filter)
    created_at: datetime
    finished_at: datetime | None
    export: strawberry.Private[LogExport]

    @classmethod
    def from_row(cls, row: LogExport) -> LogExportType:
        return cls(
            id=strawberry.ID(row.id),
            format=ExportFormat(row.format),
            status=row.status,
            row_count=row.row_count,
            size_bytes=row.size_bytes,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            export=row,
        )

    @strawberry.field(
        description="A signed link, valid for 15 minutes, once COMPLETED, for viewers allowed "
        "to download it (an export with PII needs `pii.read`). The download needs the "
        "viewer's session too (the portal cookie or `Authorization: Bearer`)."
    )
    async def download_url(self, info: Info[Context, Any]) -> str | None:
        if self.export.status != "COMPLETED":
            return None
        access = await info.context.access(self.export.entity_id)
        if not may_download(self.export, access.permissions):
            return None
        container = info.context.container
        return container.exports.link(self.export, container.settings.public_url)


async def entity_request_logs(
    info: Info[Context, Any],
    entity_id: str,
    filter: RequestLogFilter,
    first: int | None,
    after: str | None,
) -> Connection[RequestLogType]:
    ctx = info.context
    page = await ctx.container.request_logs.list_logs(
        ctx.require_actor(), entity_id, filter.to_domain(), first=first, after=after
    )
    edges = [Edge(cursor=c, node=RequestLogType.from_row(r)) for c, r in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
        ),
    )


async def entity_request_log(
    info: Info[Context, Any], entity_id: str, request_id: str
) -> RequestLogType | None:
    ctx = info.context
    row = await ctx.container.request_logs.get_log(ctx.require_actor(), entity_id, request_id)
    return RequestLogType.from_row(row) if row else None


async def entity_analytics(
    info: Info[Context, Any],
    entity_id: str,
    mode: Mode,
    from_: datetime,
    to: datetime,
    granularity: Granularity | None,
    route: str | None,
    api_key_id: str | None,
) -> Analytics:
    ctx = info.context
    result = await ctx.container.request_logs.analytics(
        ctx.require_actor(),
        entity_id,
        mode.value,
        from_,
        to,
        granularity_ms=granularity.value if granularity else None,
        route=route,
        api_key_id=api_key_id,
    )
    return analytics_of(result.current, result.previous)


async def entity_log_exports(info: Info[Context, Any], entity_id: str) -> list[LogExportType]:
    ctx = info.context
    rows = await ctx.container.exports.list(ctx.require_actor(), entity_id)
    return [LogExportType.from_row(r) for r in rows]


@strawberry.input
class CreateLogExportInput:
    entity_id: strawberry.ID
    filter: RequestLogFilter
    format: ExportFormat = ExportFormat.CSV


@strawberry.type
class CreateLogExportPayload:
    log_export: LogExportType


@strawberry.type
class RequestLogMutation:
    @strawberry.mutation(extensions=[PermissionExtension([HasPermission("logs.read")])])
    async def create_log_export(
        self, info: Info[Context, Any], input: CreateLogExportInput
    ) -> CreateLogExportPayload:
        ctx = info.context
        row = await ctx.container.exports.create(
            ctx.require_actor(), str(input.entity_id), input.filter.to_domain(), input.format.value
        )
        return CreateLogExportPayload(log_export=LogExportType.from_row(row))
