"""GraphQL: custom roles (named permissions and grantable API scopes) and their mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.permissions import HasPermission
from app.models import CustomRole

MEMBERS: list[FieldExtension] = [PermissionExtension([HasPermission("members.manage")])]


@strawberry.type(name="CustomRole")
class CustomRoleType:
    id: strawberry.ID
    name: str
    permissions: list[str]
    grantable_scopes: list[str] | None

    @classmethod
    def from_row(cls, row: CustomRole) -> CustomRoleType:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            permissions=list(row.permissions),
            grantable_scopes=list(row.grantable_scopes)
            if row.grantable_scopes is not None
            else None,
        )


@strawberry.input
class CreateCustomRoleInput:
    entity_id: strawberry.ID
    name: str
    permissions: list[str]
    grantable_scopes: list[str] | None = strawberry.field(
        default=None,
        description="API scopes members may put on keys they create; null: every scope.",
    )


@strawberry.input
class UpdateCustomRoleInput:
    entity_id: strawberry.ID
    id: strawberry.ID
    name: str | None = None
    permissions: list[str] | None = None
    grantable_scopes: list[str] | None = strawberry.field(
        default=None, description="Limit the API scopes holders may put on keys to these."
    )
    unlimited_scopes: bool = strawberry.field(
        default=False, description="Lift the limit: holders may grant every scope."
    )


@strawberry.input
class DeleteCustomRoleInput:
    entity_id: strawberry.ID
    id: strawberry.ID


@strawberry.type
class CreateCustomRolePayload:
    custom_role: CustomRoleType


@strawberry.type
class UpdateCustomRolePayload:
    custom_role: CustomRoleType


@strawberry.type
class DeleteCustomRolePayload:
    id: strawberry.ID


@strawberry.type
class CustomRoleMutation:
    @strawberry.mutation(extensions=MEMBERS)
    async def create_custom_role(
        self, info: Info[Context, Any], input: CreateCustomRoleInput
    ) -> CreateCustomRolePayload:
        ctx = info.context
        row = await ctx.services.tenancy.create_custom_role(
            ctx.require_actor(),
            str(input.entity_id),
            input.name,
            input.permissions,
            grantable_scopes=input.grantable_scopes,
        )
        return CreateCustomRolePayload(custom_role=CustomRoleType.from_row(row))

    @strawberry.mutation(extensions=MEMBERS)
    async def update_custom_role(
        self, info: Info[Context, Any], input: UpdateCustomRoleInput
    ) -> UpdateCustomRolePayload:
        ctx = info.context
        row = await ctx.services.tenancy.update_custom_role(
            ctx.require_actor(),
            str(input.entity_id),
            str(input.id),
            name=input.name,
            permissions=input.permissions,
            grantable_scopes=input.grantable_scopes,
            unlimited_scopes=input.unlimited_scopes,
        )
        return UpdateCustomRolePayload(custom_role=CustomRoleType.from_row(row))

    @strawberry.mutation(extensions=MEMBERS)
    async def delete_custom_role(
        self, info: Info[Context, Any], input: DeleteCustomRoleInput
    ) -> DeleteCustomRolePayload:
        ctx = info.context
        row = await ctx.services.tenancy.delete_custom_role(
            ctx.require_actor(), str(input.entity_id), str(input.id)
        )
        return DeleteCustomRolePayload(id=strawberry.ID(row.id))
