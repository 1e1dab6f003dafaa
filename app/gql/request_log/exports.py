"""GraphQL: log exports (CSV or NDJSON files of a filtered set of request logs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.scalars import JSON
from strawberry.types import Info

from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import ExportFormat
from app.gql.permissions import HasPermission
from app.gql.request_log.logs import RequestLogFilter
from app.request_log.exports import may_download, visible_filter
from app.request_log.models import LogExport


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
        services = info.context.services
        return services.exports.link(self.export, services.settings.public_url)


@strawberry.type
class LogExportEntity(EntityBase):
    @strawberry.field(extensions=[PermissionExtension([HasPermission("logs.read")])])
    async def log_exports(self, info: Info[Context, Any]) -> list[LogExportType]:
        ctx = info.context
        rows = await ctx.services.exports.list(ctx.require_actor(), self.id)
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
class LogExportMutation:
    @strawberry.mutation(extensions=[PermissionExtension([HasPermission("logs.read")])])
    async def create_log_export(
        self, info: Info[Context, Any], input: CreateLogExportInput
    ) -> CreateLogExportPayload:
        ctx = info.context
        row = await ctx.services.exports.create(
            ctx.require_actor(), str(input.entity_id), input.filter.to_domain(), input.format.value
        )
        return CreateLogExportPayload(log_export=LogExportType.from_row(row))
