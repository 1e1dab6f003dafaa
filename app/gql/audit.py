"""GraphQL: the audit log (the entity's events, and the platform's for site admins)."""

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
from app.gql.permissions import HasPermission, IsSiteAdmin
from app.gql.relay import Connection, to_connection
from app.models import AuditEvent


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


@strawberry.type
class AuditEntity(EntityBase):
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
