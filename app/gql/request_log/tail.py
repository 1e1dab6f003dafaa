"""GraphQL: the live tail of request logs, a subscription that stays authorized while it runs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.permissions import HasPermission
from app.gql.request_log.logs import RequestLogType
from app.request_log.filters import LogFilter, matches
from app.request_log.service import pii_view, require_pii_for_ip_filter


@strawberry.input
class TailFilter:
    status_class: int | None = None
    method: str | None = None
    route: str | None = None
    path_prefix: str | None = None
    path: str | None = strawberry.field(
        default=None, description="A fragment of the relative path, e.g. /orders"
    )
    api_key_id: strawberry.ID | None = None
    ip: str | None = None

    def to_domain(self, mode: str) -> LogFilter:
        return LogFilter.live(
            mode,
            status_class=self.status_class,
            method=self.method,
            route=self.route,
            path_prefix=self.path_prefix,
            path=self.path,
            api_key_id=str(self.api_key_id) if self.api_key_id is not None else None,
            ip=self.ip,
        )


@strawberry.type
class RequestLogSubscription:
    @strawberry.subscription(
        description="New request logs as they are written (within about a second).",
        extensions=[PermissionExtension([HasPermission("logs.read")])],
    )
    async def request_log_tail(
        self,
        info: Info[Context, Any],
        entity_id: strawberry.ID,
        mode: Mode,
        filter: TailFilter | None = None,
    ) -> AsyncGenerator[RequestLogType, None]:
        """The session and the viewer's access are re-read before each batch of rows is
        delivered, and at least every ``live_access_check_seconds`` while none arrive: the
        subscription ends (UNAUTHENTICATED, the socket closed with 4401; NOT_FOUND; FORBIDDEN)
        as soon as the viewer loses access, and delivers nothing after that."""
        ctx = info.context
        entity = str(entity_id)
        wanted = filter or TailFilter()
        access = await ctx.recheck(entity, "logs.read")
        require_pii_for_ip_filter(wanted.ip, access.permissions)
        rows_wanted = wanted.to_domain(mode.value)
        idle = ctx.services.settings.live_access_check_seconds
        async for batch in ctx.services.tail.batches(entity, mode.value, idle_seconds=idle):
            access = await ctx.recheck(entity, "logs.read")
            require_pii_for_ip_filter(wanted.ip, access.permissions)
            for row in batch:
                if matches(row, rows_wanted):
                    yield RequestLogType.from_row(pii_view(row, access.permissions), live=True)
