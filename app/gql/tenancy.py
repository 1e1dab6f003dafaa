"""GraphQL types, queries and mutations for entities, members and custom roles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.api_key import (
    ApiKeyStatus,
    ApiKeyType,
    EntityApiSettings,
    entity_api_key,
    entity_api_keys,
)
from app.gql.audit import AuditEventFilter, AuditEventType, entity_audit_events
from app.gql.context import Context
from app.gql.custom_roles import CustomRoleMutation, CustomRoleType
from app.gql.directives import RoleEnum
from app.gql.enums import Mode
from app.gql.invitations import (
    InvitationMutation,
    InvitationStatus,
    InvitationType,
    entity_invitations,
)
from app.gql.permissions import HasPermission, IsAuthenticated, IsMember, IsSiteAdmin
from app.gql.relay import Connection, to_connection
from app.gql.request_log import (
    Analytics,
    Granularity,
    LogExportType,
    RequestLogFilter,
    RequestLogType,
    entity_analytics,
    entity_log_exports,
    entity_request_log,
    entity_request_logs,
)
from app.gql.users import UserType
from app.models import Entity, Invitation, Membership, Organization, Role
from app.tenancy.permissions import PERMISSIONS


@strawberry.type(name="Organization")
class OrganizationType:
    id: strawberry.ID
    name: str

    @classmethod
    def from_row(cls, row: Organization) -> OrganizationType:
        return cls(id=strawberry.ID(row.id), name=row.name)


@strawberry.type(name="Permission")
class PermissionType:
    name: str
    description: str


@strawberry.type(name="Membership")
class MembershipType:
    id: strawberry.ID
    role: RoleEnum  # type: ignore[valid-type]
    created_at: datetime
    user_id: strawberry.Private[str]
    entity_id: strawberry.Private[str]
    custom_role_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Membership) -> MembershipType:
        return cls(
            id=strawberry.ID(row.id),
            role=Role(row.role),
            created_at=row.created_at,
            user_id=row.user_id,
            entity_id=row.entity_id,
            custom_role_id=row.custom_role_id,
        )

    @strawberry.field
    async def user(self, info: Info[Context, Any]) -> UserType:
        row = await info.context.loaders.users.load(self.user_id)
        assert row is not None
        return UserType.from_row(row)

    @strawberry.field
    async def entity(self, info: Info[Context, Any]) -> EntityType:
        row = await info.context.loaders.entities.load(self.entity_id)
        assert row is not None
        return EntityType.from_row(row)

    @strawberry.field
    async def custom_role(self, info: Info[Context, Any]) -> CustomRoleType | None:
        if self.custom_role_id is None:
            return None
        row = await info.context.loaders.custom_roles.load(self.custom_role_id)
        return CustomRoleType.from_row(row) if row else None


@strawberry.type(name="Entity")
class EntityType:
    id: strawberry.ID
    name: str
    code: str
    api_access_enabled: bool
    created_at: datetime
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Entity) -> EntityType:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            code=row.code,
            api_access_enabled=row.api_access_enabled,
            created_at=row.created_at,
            organization_id=row.organization_id,
        )

    @strawberry.field
    async def organization(self, info: Info[Context, Any]) -> OrganizationType:
        row = await info.context.loaders.organizations.load(self.organization_id)
        assert row is not None
        return OrganizationType.from_row(row)

    @strawberry.field(
        description="The viewer's own role here.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    async def viewer_role(self, info: Info[Context, Any]) -> RoleEnum:  # type: ignore[valid-type]
        return (await info.context.access(self.id)).role

    @strawberry.field(
        description="What the viewer may do here (permission names).",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    async def viewer_permissions(self, info: Info[Context, Any]) -> list[str]:
        return sorted((await info.context.access(self.id)).permissions)

    @strawberry.field(
        description="API scopes the viewer may put on keys here; null: every scope.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    async def viewer_grantable_scopes(self, info: Info[Context, Any]) -> list[str] | None:
        scopes = (await info.context.access(self.id)).grantable_scopes
        return sorted(scopes) if scopes is not None else None

    @strawberry.field(extensions=[PermissionExtension([HasPermission("members.manage")])])
    async def members(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> Connection[MembershipType]:
        ctx = info.context
        page = await ctx.container.tenancy.list_members(
            ctx.require_actor(), self.id, first=first, after=after
        )
        return to_connection(page, MembershipType.from_row)

    @strawberry.field(
        description="Invitations, newest first (default: the pending ones).",
        extensions=[PermissionExtension([HasPermission("members.manage")])],
    )
    async def invitations(
        self,
        info: Info[Context, Any],
        status: list[InvitationStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[InvitationType]:
        return await entity_invitations(info, self.id, status, first, after)

    @strawberry.field(extensions=[PermissionExtension([HasPermission("members.manage")])])
    async def custom_roles(self, info: Info[Context, Any]) -> list[CustomRoleType]:
        ctx = info.context
        rows = await ctx.container.tenancy.list_custom_roles(ctx.require_actor(), self.id)
        return [CustomRoleType.from_row(row) for row in rows]

    @strawberry.field(
        description="API keys, newest first.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def api_keys(
        self,
        info: Info[Context, Any],
        mode: Mode | None = None,
        status: list[ApiKeyStatus] | None = None,
        search: str | None = None,
        expiring_within_days: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ApiKeyType]:
        return await entity_api_keys(
            info, self.id, mode, status, search, expiring_within_days, first, after
        )

    @strawberry.field(extensions=[PermissionExtension([HasPermission("api_keys.manage")])])
    async def api_key(self, info: Info[Context, Any], id: strawberry.ID) -> ApiKeyType | None:
        return await entity_api_key(info, self.id, str(id))

    @strawberry.field(
        description="API access switch and rate limits for this entity's keys.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def api_settings(self, info: Info[Context, Any]) -> EntityApiSettings:
        return EntityApiSettings.of((await info.context.access(self.id)).entity, info)

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
        return await entity_request_logs(info, self.id, filter, first, after)

    @strawberry.field(
        description="One request by its request ID (X-Request-Id).",
        extensions=[PermissionExtension([HasPermission("logs.read")])],
    )
    async def request_log(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> RequestLogType | None:
        return await entity_request_log(info, self.id, str(id))

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
        return await entity_analytics(
            info,
            self.id,
            mode,
            from_,
            to,
            granularity,
            route,
            str(api_key_id) if api_key_id else None,
        )

    @strawberry.field(extensions=[PermissionExtension([HasPermission("logs.read")])])
    async def log_exports(self, info: Info[Context, Any]) -> list[LogExportType]:
        return await entity_log_exports(info, self.id)

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
        return await entity_audit_events(info, self.id, filter, first, after)


@strawberry.type
class TenancyQuery:
    @strawberry.field(
        description="An entity the viewer belongs to. Any other ID answers NOT_FOUND.",
        extensions=[PermissionExtension([IsMember()])],
    )
    async def entity(self, info: Info[Context, Any], id: strawberry.ID) -> EntityType:
        access = await info.context.access(str(id))
        return EntityType.from_row(access.entity)

    @strawberry.field(
        description="Every entity, for site admins choosing one to impersonate.",
        extensions=[PermissionExtension([IsSiteAdmin()])],
    )
    async def entities(
        self,
        info: Info[Context, Any],
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[EntityType]:
        ctx = info.context
        page = await ctx.container.tenancy.search_entities(
            ctx.require_actor(), search, first=first, after=after
        )
        return to_connection(page, EntityType.from_row)

    @strawberry.field(
        description="Permissions a custom role can grant.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def permission_catalog(self) -> list[PermissionType]:
        return [PermissionType(name=k, description=v) for k, v in PERMISSIONS.items()]


# Mutations ------------------------------------------------------------------------------------


@strawberry.input
class AddMemberInput:
    entity_id: strawberry.ID
    email: str
    role: RoleEnum  # type: ignore[valid-type]
    custom_role_id: strawberry.ID | None = None


@strawberry.input
class ChangeMemberRoleInput:
    membership_id: strawberry.ID
    role: RoleEnum  # type: ignore[valid-type]
    custom_role_id: strawberry.ID | None = None


@strawberry.input
class RemoveMemberInput:
    membership_id: strawberry.ID


@strawberry.type
class MembershipPayload:
    membership: MembershipType


@strawberry.type
class AddMemberPayload:
    membership: MembershipType | None = strawberry.field(
        description="Set when the user, already in this organization, was added directly."
    )
    invitation: InvitationType | None = strawberry.field(
        description="Set otherwise: the invitee accepts it (unknown emails are invited too)."
    )


@strawberry.type
class RemoveMemberPayload:
    membership_id: strawberry.ID


def _optional(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


MEMBERS: list[FieldExtension] = [PermissionExtension([HasPermission("members.manage")])]


@strawberry.type
class TenancyMutation(CustomRoleMutation, InvitationMutation):
    @strawberry.mutation(
        description="Add a member of another entity of this organization, or invite anyone "
        "else by email (the answer does not tell whether the email has a portal account).",
        extensions=MEMBERS,
    )
    async def add_member(self, info: Info[Context, Any], input: AddMemberInput) -> AddMemberPayload:
        ctx = info.context
        row = await ctx.container.tenancy.add_member(
            ctx.require_actor(),
            str(input.entity_id),
            input.email,
            Role(input.role),
            _optional(input.custom_role_id),
        )
        if isinstance(row, Invitation):
            return AddMemberPayload(membership=None, invitation=InvitationType.from_row(row))
        return AddMemberPayload(membership=MembershipType.from_row(row), invitation=None)

    @strawberry.mutation(extensions=MEMBERS)
    async def change_member_role(
        self, info: Info[Context, Any], input: ChangeMemberRoleInput
    ) -> MembershipPayload:
        ctx = info.context
        row = await ctx.container.tenancy.change_member_role(
            ctx.require_actor(),
            str(input.membership_id),
            Role(input.role),
            _optional(input.custom_role_id),
        )
        return MembershipPayload(membership=MembershipType.from_row(row))

    @strawberry.mutation(extensions=MEMBERS)
    async def remove_member(
        self, info: Info[Context, Any], input: RemoveMemberInput
    ) -> RemoveMemberPayload:
        ctx = info.context
        row = await ctx.container.tenancy.remove_member(
            ctx.require_actor(), str(input.membership_id)
        )
        return RemoveMemberPayload(membership_id=strawberry.ID(row.id))
