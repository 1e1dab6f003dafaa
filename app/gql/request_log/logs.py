"""GraphQL: request logs (the filter, the RequestLog type with its audited PII fields) and what
they add to Entity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.errors import BadUserInput
from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import Mode
from app.gql.headers import HttpHeader
from app.gql.permissions import HasPermission
from app.gql.relay import Connection, Edge, PageInfo
from app.net import parse_network
from app.request_log.curl import curl_command
from app.request_log.filters import LogFilter, relative_path
from app.request_log.service import (
    MAX_LOG_RANGE,
    PII_PERMISSION,
    to_ms,
    validate_range,
)

PII: list[FieldExtension] = [PermissionExtension([HasPermission(PII_PERMISSION)])]


def time_of(ts_ms: int) -> datetime:
    """A stored millisecond timestamp as an aware datetime."""
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
    path_prefix: str | None = strawberry.field(
        default=None, description="The start of the full path, e.g. /v1/entities/ent_x/orders"
    )
    path: str | None = strawberry.field(
        default=None,
        description="A fragment of the relative path (case-sensitive): /orders finds"
        " /v1/entities/ent_x/orders",
    )
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
                parse_network(self.ip)
            except ValueError:
                raise BadUserInput("Not an IP address or CIDR", field="ip") from None
        for name in ("error_code", "method", "route", "path_prefix", "path", "request_id"):
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
            path=self.path,
            min_latency_ms=self.min_latency_ms,
            max_latency_ms=self.max_latency_ms,
            ip=self.ip,
            request_id=self.request_id,
            api_key_id=str(self.api_key_id) if self.api_key_id else None,
        )


@strawberry.type(name="RequestLog")
class RequestLogType:
    id: strawberry.ID = strawberry.field(description="The request ID (X-Request-Id).")
    timestamp: datetime
    mode: Mode
    method: str
    path: str
    relative_path: str = strawberry.field(
        description="The path without /v1/entities/<entity id>, e.g. /orders."
    )
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
            timestamp=time_of(row["ts_ms"]),
            mode=Mode(row["mode"]),
            method=row["method"],
            path=row["path"],
            relative_path=relative_path(row["path"], row["entity_id"]),
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
        base = info.context.services.settings.public_url
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
class RequestLogEntity(EntityBase):
    @strawberry.field(
        description="Data-plane requests, newest first (a range of at most 31 days).",
        extensions=[PermissionExtension([HasPermission("logs.read")])],
    )
    async def request_logs(
        self,
        info: Info[Context, Any],
        filter: RequestLogFilter,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RequestLogType]:
        ctx = info.context
        page = await ctx.services.request_logs.list_logs(
            ctx.require_actor(), self.id, filter.to_domain(), first=first, after=after
        )
        edges = [Edge(cursor=c, node=RequestLogType.from_row(r)) for c, r in page.rows]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(
        description="One request by its request ID (X-Request-Id).",
        extensions=[PermissionExtension([HasPermission("logs.read")])],
    )
    async def request_log(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> RequestLogType | None:
        ctx = info.context
        row = await ctx.services.request_logs.get_log(ctx.require_actor(), self.id, str(id))
        return RequestLogType.from_row(row) if row else None
