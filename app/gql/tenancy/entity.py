"""GraphQL: what tenancy adds to Entity (organization, the viewer's access, members, invitations,
custom roles), and the entity queries."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.directives import RoleEnum
from app.gql.entity import EntityBase, EntityRef
from app.gql.permissions import HasPermission, IsAuthenticated, IsMember, IsSiteAdmin
from app.gql.relay import Connection, to_connection
from app.gql.tenancy.custom_roles import CustomRoleType
from app.gql.tenancy.invitations import InvitationStatus, InvitationType, entity_invitations
from app.gql.tenancy.memberships import MembershipType
from app.models import Organization
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


@strawberry.type
class TenancyEntity(EntityBase):
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
        page = await ctx.services.tenancy.list_members(
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
        rows = await ctx.services.tenancy.list_custom_roles(ctx.require_actor(), self.id)
        return [CustomRoleType.from_row(row) for row in rows]


@strawberry.type
class TenancyQuery:
    @strawberry.field(
        description="An entity the viewer belongs to. Any other ID answers NOT_FOUND.",
        extensions=[PermissionExtension([IsMember()])],
    )
    async def entity(self, info: Info[Context, Any], id: strawberry.ID) -> EntityRef:
        access = await info.context.access(str(id))
        return EntityBase.from_row(access.entity)

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
    ) -> Connection[EntityRef]:
        ctx = info.context
        page = await ctx.services.tenancy.search_entities(
            ctx.require_actor(), search, first=first, after=after
        )
        return to_connection(page, EntityBase.from_row)

    @strawberry.field(
        description="Site admins: the members of any entity, to choose whom to act as there "
        "(`impersonateEntity(input: {entityId, userId})`).",
        extensions=[PermissionExtension([IsSiteAdmin()])],
    )
    async def impersonation_members(
        self,
        info: Info[Context, Any],
        entity_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[MembershipType]:
        ctx = info.context
        page = await ctx.services.auth.impersonation_members(
            ctx.require_actor(), str(entity_id), first=first, after=after
        )
        return to_connection(page, MembershipType.from_row)

    @strawberry.field(
        description="Permissions a custom role can grant.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def permission_catalog(self) -> list[PermissionType]:
        return [PermissionType(name=k, description=v) for k, v in PERMISSIONS.items()]
