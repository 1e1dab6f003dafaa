"""GraphQL: the audit log (the entity's events, and the platform's for site admins) and audit
exports (CSV or NDJSON files of a time range, downloaded through a signed link)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.scalars import JSON
from strawberry.types import Info

from app.audit.filters import AuditFilter
from app.gql.context import Context
from app.gql.entity import EntityBase
from app.gql.enums import ExportFormat
from app.gql.permissions import HasPermission, IsSiteAdmin
from app.gql.relay import Connection, to_connection
from app.models import AuditEvent, AuditExport


@strawberry.type(name="AuditEvent")
class AuditEventType:
    id: strawberry.ID
    seq: int
    action: str
    entity_id: strawberry.ID | None
    actor_id: strawberry.ID | None
    actor_email: str | None
    impersonator_id: strawberry.ID | None
    impersonator_email: str | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    user_agent: str | None
    details: JSON
    created_at: datetime
    digest: str

    @classmethod
    def from_row(cls, row: AuditEvent) -> AuditEventType:
        return cls(
            id=strawberry.ID(row.id),
            seq=row.seq,
            action=row.action,
            entity_id=strawberry.ID(row.entity_id) if row.entity_id else None,
            actor_id=strawberry.ID(row.actor_user_id) if row.actor_user_id else None,
            actor_email=row.actor_email,
            impersonator_id=(
                strawberry.ID(row.impersonator_user_id) if row.impersonator_user_id else None
            ),
            impersonator_email=row.impersonator_email,
            target_type=row.target_type,
            target_id=row.target_id,
            ip=row.ip,
            user_agent=row.user_agent,
            details=row.details,  # type: ignore[arg-type]  # JSON is a NewType over Any
            created_at=row.created_at,
            digest=row.digest,
        )


@strawberry.input
class AuditEventFilter:
    action: str | None = strawberry.field(
        default=None, description="Exact action, or a family such as `member.*`."
    )
    actor_id: strawberry.ID | None = None
    actor_email: str | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None

    def to_domain(self) -> AuditFilter:
        return AuditFilter(
            action=self.action,
            actor_user_id=str(self.actor_id) if self.actor_id else None,
            actor_email=self.actor_email,
            since=self.from_,
            until=self.to,
        )


@strawberry.type(name="AuditExport")
class AuditExportType:
    id: strawberry.ID
    format: ExportFormat
    status: str = strawberry.field(description="PENDING, RUNNING, COMPLETED or FAILED")
    from_: datetime = strawberry.field(name="from")
    to: datetime
    action: str | None
    actor_id: strawberry.ID | None
    row_count: int
    size_bytes: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    export: strawberry.Private[AuditExport]

    @classmethod
    def from_row(cls, row: AuditExport) -> AuditExportType:
        return cls(
            id=strawberry.ID(row.id),
            format=ExportFormat(row.format),
            status=row.status,
            from_=row.since,
            to=row.until,
            action=row.action,
            actor_id=strawberry.ID(row.actor_user_id) if row.actor_user_id else None,
            row_count=row.row_count,
            size_bytes=row.size_bytes,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            export=row,
        )

    @strawberry.field(
        description="A signed link, valid for 15 minutes, once COMPLETED. The download needs "
        "the viewer's session too (the portal cookie or `Authorization: Bearer`) and "
        "`audit.read` in the entity; it is audited. An NDJSON file verifies offline with "
        "`scripts/verify_audit_export.py`."
    )
    async def download_url(self, info: Info[Context, Any]) -> str | None:
        if self.export.status != "COMPLETED":
            return None
        services = info.context.services
        return services.audit_exports.link(self.export, services.settings.public_url)


@strawberry.type
class AuditEntity(EntityBase):
    @strawberry.field(
        description="The latest 50 audit exports of this entity, newest first.",
        extensions=[PermissionExtension([HasPermission("audit.read")])],
    )
    async def audit_exports(self, info: Info[Context, Any]) -> list[AuditExportType]:
        ctx = info.context
        rows = await ctx.services.audit_exports.list(ctx.require_actor(), self.id)
        return [AuditExportType.from_row(r) for r in rows]

    @strawberry.field(
        description="Append-only, hash-chained audit log of this entity, newest first.",
        extensions=[PermissionExtension([HasPermission("audit.read")])],
    )
    async def audit_events(
        self,
        info: Info[Context, Any],
        filter: AuditEventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEventType]:
        ctx = info.context
        page = await ctx.services.audit.list_entity_events(
            ctx.require_actor(),
            self.id,
            (filter or AuditEventFilter()).to_domain(),
            first=first,
            after=after,
        )
        return to_connection(page, AuditEventType.from_row)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Platform-wide events (sign-ins, user provisioning). Site admins only.",
        extensions=[PermissionExtension([IsSiteAdmin()])],
    )
    async def platform_audit_events(
        self,
        info: Info[Context, Any],
        filter: AuditEventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEventType]:
        ctx = info.context
        page = await ctx.services.audit.list_platform_events(
            ctx.require_actor(),
            (filter or AuditEventFilter()).to_domain(),
            first=first,
            after=after,
        )
        return to_connection(page, AuditEventType.from_row)


@strawberry.input
class CreateAuditExportInput:
    entity_id: strawberry.ID
    format: ExportFormat = ExportFormat.NDJSON
    from_: datetime = strawberry.field(name="from")
    to: datetime = strawberry.field(description="Exclusive; at most 366 days after `from`.")
    action: str | None = strawberry.field(
        default=None, description="Exact action, or a family such as `member.*`."
    )
    actor_id: strawberry.ID | None = None


@strawberry.type
class CreateAuditExportPayload:
    audit_export: AuditExportType


@strawberry.type
class AuditExportMutation:
    @strawberry.mutation(
        description="Export the entity's audit events of a time range (written in the "
        "background; poll `Entity.auditExports` for its status and download URL). Audited.",
        extensions=[PermissionExtension([HasPermission("audit.read")])],
    )
    async def create_audit_export(
        self, info: Info[Context, Any], input: CreateAuditExportInput
    ) -> CreateAuditExportPayload:
        ctx = info.context
        row = await ctx.services.audit_exports.create(
            ctx.require_actor(),
            str(input.entity_id),
            input.format.value,
            input.from_,
            input.to,
            action=input.action,
            actor_user_id=str(input.actor_id) if input.actor_id else None,
        )
        return CreateAuditExportPayload(audit_export=AuditExportType.from_row(row))
